package cluster

import (
	"strings"
	"testing"
	"time"
)

func TestInFlightReadsTheHoldersLatestEvent(t *testing.T) {
	since := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	now := since.Add(90 * time.Second)
	eta := since.Add(3 * time.Minute)
	l := &LeaseHolder{Holder: "ops@h pid 7", Purpose: "restart brokers 1,2,3", OpID: "op-1", Since: since, Expires: now.Add(30 * time.Second)}
	events := []OpEvent{
		{OpID: "op-1", Kind: "batch-start", Message: "batch 1", Fields: ProgressFields{Batch: 1, Batches: 3}.Map()},
		{OpID: "op-1", Kind: "batch-done", Message: "batch 1 done"},
		{OpID: "op-1", Kind: "step", Fields: func() map[string]string {
			m := ProgressFields{Batch: 2, Batches: 3, Done: 1, Step: "stop", Started: since, ETA: eta}.Map()
			m[FieldBrokers] = "2"
			return m
		}()},
		{OpID: "op-0", Kind: "finished", Message: "someone else's, older op"},
	}
	op := InFlight(l, "", events, now)
	if op.Batch != 2 || op.Batches != 3 || op.Done != 1 || op.Step != "stop" || len(op.Brokers) != 1 || op.Brokers[0] != 2 ||
		op.ETA == nil || !op.ETA.Equal(eta) || !op.HolderAlive || op.ElapsedS != 90 || op.Last != "batch 1 done" {
		t.Fatalf("%+v", op)
	}
	if got := op.Progress(now); !strings.HasPrefix(got, "batch 2/3 stop, 1m30s, ETA ") {
		t.Errorf("progress %q", got)
	}
	if InFlight(nil, "", events, now) != nil {
		t.Error("no lease, no operation")
	}
	dead := InFlight(l, "pid 7 is not running", events, now)
	if dead.HolderAlive || !strings.Contains(dead.Progress(now), "HOLDER GONE") || strings.Contains(dead.Progress(now), "ETA") {
		t.Errorf("dead holder: %+v %q", dead, dead.Progress(now))
	}
}

func TestMarkOperationTellsPlannedFromUnplanned(t *testing.T) {
	h := Health{Brokers: []BrokerHealth{{ID: 1, Host: "k1", Alive: true}, {ID: 2, Host: "k2", Registered: true, Fenced: true}, {ID: 3, Host: "k3"}},
		Problems: []string{"broker 2 (k2) is fenced", "broker 3 (k3) is not registered"}}
	op := &Operation{OpID: "op-1", HolderAlive: true, Batch: 2, Batches: 3, Step: "stop", Brokers: []int32{2}}
	h.MarkOperation(op)
	if h.Brokers[1].StoppedBy != "op-1" || h.Brokers[2].StoppedBy != "" {
		t.Fatalf("stopped by: %+v", h.Brokers)
	}
	if !strings.Contains(h.Problems[0], "planned: stopped by op op-1, batch 2/3") || strings.Contains(h.Problems[1], "planned") {
		t.Errorf("problems %q", h.Problems)
	}
	if got := h.Brokers[1].AliveLabel(false); got != "FENCED (planned)" {
		t.Errorf("label %q", got)
	}
	h2 := Health{Brokers: []BrokerHealth{{ID: 2, Host: "k2"}}}
	h2.MarkOperation(&Operation{OpID: "op-1", Brokers: []int32{2}}) // its holder is gone
	if h2.Brokers[0].StoppedBy != "" {
		t.Error("a dead holder's batch is not a planned outage")
	}
}
