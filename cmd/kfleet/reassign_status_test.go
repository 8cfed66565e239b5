package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kfleet/kfleet/rollout/rollouttest"
)

// reassigningKafka is a four-broker kfake cluster with topic orders (replicas pinned as in
// goldenKafka) that says two reassignments are in flight, which kfake itself never has:
// orders-0 moving from broker 2 to 0 (kfleet's, see movingState) and orders-1 gaining a replica
// on broker 1 and losing none (someone else's).
func reassigningKafka(t *testing.T) string {
	t.Helper()
	fc, cl := rollouttest.Kafka(t, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 6, 3, map[string]*string{"min.insync.replicas": kadm.StringPtr("2")}, "orders"); err != nil {
		t.Fatal(err)
	}
	for p := range int32(6) {
		if err := fc.MoveTopicPartition("orders", p, (p+1)%4); err != nil {
			t.Fatal(err)
		}
	}
	fc.ControlKey(int16(kmsg.ListPartitionReassignments), func(req kmsg.Request) (kmsg.Response, error, bool) {
		fc.KeepControl()
		resp := req.(*kmsg.ListPartitionReassignmentsRequest).ResponseKind().(*kmsg.ListPartitionReassignmentsResponse)
		topic := kmsg.NewListPartitionReassignmentsResponseTopic()
		topic.Topic = "orders"
		for _, p := range []struct {
			id                        int32
			replicas, adding, removal []int32
		}{
			{0, []int32{1, 0, 3, 2}, []int32{0}, []int32{2}},
			{1, []int32{2, 3, 0, 1}, []int32{1}, nil},
		} {
			part := kmsg.NewListPartitionReassignmentsResponseTopicPartition()
			part.Partition, part.Replicas, part.AddingReplicas, part.RemovingReplicas = p.id, p.replicas, p.adding, p.removal
			topic.Partitions = append(topic.Partitions, part)
		}
		resp.Topics = append(resp.Topics, topic)
		return resp, nil, true
	})
	return fc.ListenAddrs()[0]
}

// movingState is a state dir with kfleet's reassignment of orders-0 on cluster golden under
// way: submitted, not done, its throttles set.
func movingState(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "ops"), 0o755); err != nil {
		t.Fatal(err)
	}
	const journal = `{"op":{"id":"op-fixture-moving","kind":"reassign","cluster":"golden","inventory":"/etc/kfleet/fleet.yaml","brokers":null,"created":"2026-11-30T13:00:00Z","holder":"sre@laptop pid 4343","args":{"source":"auto","from_brokers":[2],"settings":{"max_moves":50,"max_moves_per_broker":5,"throttle":10485760,"timeout":21600000000000,"poll":1000000000,"no_wait":true,"additional":false,"lease_ttl":120000000000,"lease_wait":0},"sizes_known":true,"moves":[{"topic":"orders","partition":0,"replicas":[1,2,3],"target":[1,0,3]}]}}}
{"event":{"time":"2026-11-30T13:00:01Z","op":"op-fixture-moving","cluster":"golden","event":"throttle-set","throttles":{"entries":[{"topic":"orders","key":"leader.replication.throttled.replicas","partition":0,"broker":1},{"topic":"orders","key":"follower.replication.throttled.replicas","partition":0,"broker":0}],"rate_brokers":[0,1],"rate":10485760}}}
{"event":{"time":"2026-11-30T13:00:02Z","op":"op-fixture-moving","cluster":"golden","event":"submitted","message":"submitted orders-0","partitions":[{"topic":"orders","partition":0}]}}
`
	if err := os.WriteFile(filepath.Join(dir, "ops", "op-fixture-moving.jsonl"), []byte(journal), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// reassignFleet is an inventory of golden (two reassignments in flight), gone (nothing listens
// there) and idle (nothing in flight), in that order.
func reassignFleet(t *testing.T) string {
	t.Helper()
	return goldenInventory(t, []string{"golden", "gone", "idle"}, []string{reassigningKafka(t), "127.0.0.1:1", goldenKafka(t)})
}

// reassign status reads every selected cluster: each one that answered has its section (JSON:
// its object), the unreachable one an error line naming it on stderr (JSON: an "error"), and the
// exit code is the worst (69). With one cluster selected the table is what it always was.
func TestGoldenReassignStatus(t *testing.T) {
	runGoldens(t, reassignFleet(t), movingState(t), []goldenCase{
		{"reassign-status-fleet-table", []string{"reassign", "status"}, 69},
		{"reassign-status-fleet-json", []string{"reassign", "status", "-o", "json"}, 69},
		{"reassign-status-table", []string{"-c", "golden", "reassign", "status"}, 0},
		{"reassign-status-json", []string{"-c", "golden", "reassign", "status", "-o", "json"}, 0},
		{"reassign-status-unreachable", []string{"-c", "gone", "reassign", "status"}, 69},
	})
}
