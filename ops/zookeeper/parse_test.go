package zookeeper

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kfleet/kfleet/ops/fault"
)

// fixture reads a captured answer from testdata (README.md there says where each comes from).
func fixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseSrvr(t *testing.T) {
	tests := []struct {
		name    string
		answer  string
		want    NodeState
		wantErr string // a substring of the error; "" for none
	}{
		{name: "3.9.3 leader", answer: fixture(t, "srvr-3.9.3-leader.txt"), want: NodeState{
			Mode: ModeLeader, Version: "3.9.3", Zxid: 0x200000002, Connections: 1, NodeCount: 5}},
		{name: "3.9.3 follower", answer: fixture(t, "srvr-3.9.3-follower.txt"), want: NodeState{
			Mode: ModeFollower, Version: "3.9.3", Zxid: 0, Connections: 1, NodeCount: 5}},
		{name: "3.8.4 standalone", answer: fixture(t, "srvr-3.8.4-standalone.txt"), want: NodeState{
			Mode: ModeStandalone, Version: "3.8.4", Zxid: 0x8d, Connections: 1, NodeCount: 134}},
		{name: "3.8.4 leader, stat with its client list", answer: fixture(t, "stat-3.8.4-leader.txt"), want: NodeState{
			Mode: ModeLeader, Version: "3.8.4", Zxid: 0x470000003e, LatencyAvgMs: 0.2874, LatencyMaxMs: 20,
			Connections: 2, NodeCount: 17}},
		{name: "3.8.4 follower, stat with its client list", answer: fixture(t, "stat-3.8.4-follower.txt"), want: NodeState{
			Mode: ModeFollower, Version: "3.8.4", Zxid: 0x470000003e, LatencyAvgMs: 0.2837, LatencyMaxMs: 20,
			Connections: 3, NodeCount: 17}},
		{name: "3.4.14 leader, integer average latency", answer: fixture(t, "stat-3.4.14-leader.txt"), want: NodeState{
			Mode: ModeLeader, Version: "3.4.14", Zxid: 0x1000000b9, LatencyAvgMs: 5, LatencyMaxMs: 71,
			Connections: 3, NodeCount: 141}},
		{name: "not serving", answer: fixture(t, "not-serving.txt"), want: NodeState{Mode: ModeNotServing}},
		{name: "read-only (StatCommand's extra line)", answer: "Zookeeper version: 3.9.5-abc, built on 2025-01-01 00:00 UTC\n" +
			"READ-ONLY mode; serving only read-only clients\nLatency min/avg/max: 0/0.0/0\nReceived: 1\nSent: 0\n" +
			"Connections: 1\nOutstanding: 3\nZxid: 0x500000010\nMode: read-only\nNode count: 40\n",
			want: NodeState{Mode: ModeReadOnly, Version: "3.9.5", Zxid: 0x500000010, Outstanding: 3, Connections: 1, NodeCount: 40}},
		{name: "CRLF line ends", answer: strings.ReplaceAll(fixture(t, "srvr-3.9.3-follower.txt"), "\n", "\r\n"), want: NodeState{
			Mode: ModeFollower, Version: "3.9.3", Connections: 1, NodeCount: 5}},
		{name: "not whitelisted", answer: fixture(t, "srvr-refused.txt"), wantErr: `refuses the four-letter word "srvr": it is not in 4lw.commands.whitelist`},
		{name: "garbage: an HTTP server", answer: "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", wantErr: "no Mode line"},
		{name: "garbage: a bad zxid", answer: "Zxid: 0xnothex\nMode: follower\n", wantErr: `bad "Zxid" line`},
		{name: "garbage: a bad latency", answer: "Latency min/avg/max: 1/2\nMode: follower\n", wantErr: `bad "Latency min/avg/max" line`},
		{name: "empty", answer: "", wantErr: "no Mode line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSrvr(tt.answer)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if k, _ := fault.KindOf(err); k != fault.Unreachable {
					t.Errorf("kind = %v, want unreachable", k)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseSrvrNotWhitelistedIsTyped(t *testing.T) {
	_, err := ParseSrvr(fixture(t, "srvr-refused.txt"))
	var refused *NotWhitelistedError
	if !errors.As(err, &refused) || refused.Command != "srvr" {
		t.Fatalf("err = %#v, want a *NotWhitelistedError for srvr", err)
	}
}

func TestParseMntr(t *testing.T) {
	tests := []struct {
		name    string
		answer  string
		want    Monitor
		wantErr error  // errors.Is target
		errText string // a substring of the error
	}{
		{name: "3.6.1 leader", answer: fixture(t, "mntr-3.6.1-leader.txt"), want: Monitor{
			Version:     "3.6.1--104dcb3e3fb464b30c5186d229e00af9f332524b, built on 04/21/2020 15:01 GMT",
			ServerState: ModeLeader, PeerState: "leading - broadcast", ZnodeCount: 5, QuorumSize: 3,
			Leader: &LeaderStats{Learners: 4, SyncedFollowers: 2, PendingSyncs: 0}}},
		{name: "3.6.3 leader, cut short after zk_synced_followers", answer: fixture(t, "mntr-3.6.3-leader-head.txt"), want: Monitor{
			Version:     "3.6.3--6401e4ad2087061bc6b9f80dec2d69f2e3c8660a, built on 04/08/2021 16:35 GMT",
			ServerState: ModeLeader, PeerState: "leading - broadcast", ZnodeCount: 11,
			Leader: &LeaderStats{Learners: -1, SyncedFollowers: 2, PendingSyncs: -1}}},
		{name: "3.7.0 follower", answer: fixture(t, "mntr-3.7.0-follower.txt"), want: Monitor{
			Version:     "3.7.0-e3704b390a6697bfdf4b0bef79e3da7a4f6bac4b, built on 2021-03-17 09:46 UTC",
			ServerState: ModeFollower, PeerState: "following - broadcast", ZnodeCount: 86754, QuorumSize: 3}},
		{name: "3.8.4 observer", answer: fixture(t, "mntr-3.8.4-observer.txt"), want: Monitor{
			Version:     "3.8.4-9316c2a7a97e1666d8f4593f34dd6fc36ecc436c, built on 2024-02-12 22:16 UTC",
			ServerState: ModeObserver, PeerState: "observing - broadcast", OutstandingRequests: 4, ZnodeCount: 15959}},
		{name: "3.4.14 leader: zk_followers before zk_learners", answer: fixture(t, "mntr-3.4.14-leader.txt"), want: Monitor{
			Version:     "3.4.14-4c25d480e66aadd371de8bd2fd8da255ac140bcf, built on 03/06/2019 16:18 GMT",
			ServerState: ModeLeader, ZnodeCount: 12792,
			Leader: &LeaderStats{Learners: 2, SyncedFollowers: 2, PendingSyncs: 0}}},
		{name: "a new leader's gauges print null", answer: "zk_version\t3.9.5\nzk_server_state\tleader\n" +
			"zk_learners\tnull\nzk_synced_followers\tnull\nzk_pending_syncs\tnull\nzk_quorum_size\t3\n",
			want: Monitor{Version: "3.9.5", ServerState: ModeLeader, QuorumSize: 3}},
		{name: "spaces as in the documentation", answer: "zk_server_state leader\nzk_synced_followers 4\nzk_pending_syncs    0\n",
			want: Monitor{ServerState: ModeLeader, Leader: &LeaderStats{Learners: -1, SyncedFollowers: 4, PendingSyncs: 0}}},
		{name: "not serving", answer: fixture(t, "not-serving.txt"), wantErr: ErrNotServing},
		{name: "not whitelisted", answer: fixture(t, "mntr-refused.txt"), errText: `refuses the four-letter word "mntr": it is not in 4lw.commands.whitelist`},
		{name: "garbage: srvr's answer", answer: fixture(t, "srvr-3.9.3-leader.txt"), errText: "no zk_server_state line"},
		{name: "garbage: a bad count", answer: "zk_server_state\tleader\nzk_synced_followers\ttwo\n", errText: "bad zk_synced_followers line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMntr(tt.answer)
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			case tt.errText != "":
				if err == nil || !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("err = %v, want one containing %q", err, tt.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v (leader %+v)\nwant %+v (leader %+v)", got, got.Leader, tt.want, tt.want.Leader)
			}
		})
	}
}

func TestNotWhitelistedErrorNamesNodeAndSetting(t *testing.T) {
	err := &NotWhitelistedError{Node: Node{ID: 2, Host: "zk2.example", ClientPort: 2181}, Command: "mntr"}
	want := `zookeeper node 2 (zk2.example:2181): refuses the four-letter word "mntr": it is not in 4lw.commands.whitelist; ` +
		`add it to that line of zoo.cfg (e.g. 4lw.commands.whitelist=srvr,mntr; or the JVM flag -Dzookeeper.4lw.commands.whitelist) and restart the node`
	if err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
}

func TestZxid(t *testing.T) {
	z := Zxid(0x470000003e)
	if z.String() != "0x470000003e" || z.Epoch() != 0x47 {
		t.Errorf("String %s Epoch %#x", z, z.Epoch())
	}
	b, _ := z.MarshalText()
	if string(b) != "0x470000003e" {
		t.Errorf("MarshalText %s", b)
	}
}
