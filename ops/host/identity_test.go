package host

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/ssh"
)

func TestCheckIdentity(t *testing.T) {
	b := &inventory.Broker{ID: 2, Host: "k2", Install: inventory.Install{ConfigFile: "/etc/kafka/server.properties"}}
	tests := []struct {
		name string
		p    cluster.BrokerProcess
		runs int32 // -1: no error
	}{
		{"the broker itself", cluster.BrokerProcess{Running: true, NodeID: 2, HasNodeID: true}, -1},
		{"another broker", cluster.BrokerProcess{Running: true, NodeID: 3, HasNodeID: true}, 3},
		{"broker 0 is another broker", cluster.BrokerProcess{Running: true, NodeID: 0, HasNodeID: true}, 0},
		{"node id unknown: nothing to compare", cluster.BrokerProcess{Running: true}, -1},
		{"not running: nothing to compare", cluster.BrokerProcess{NodeID: 3, HasNodeID: true}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckIdentity(b, tt.p)
			var ie *IdentityError
			switch {
			case tt.runs < 0 && err != nil:
				t.Fatalf("err = %v, want none", err)
			case tt.runs >= 0 && (!errors.As(err, &ie) || ie.Runs != tt.runs || ie.Broker != 2 || ie.Host != "k2"):
				t.Fatalf("err = %#v, want an IdentityError: k2 runs broker %d", err, tt.runs)
			}
		})
	}
}

// TestControlProcessRefusesAHostThatRunsAnotherBroker puts the real probe through the real SSH
// runner to a host whose Kafka process was started as broker 3, asked about broker 2 (the
// inventory's ids swapped): Process refuses with an IdentityError naming both brokers, the host
// and the config file, of the kind that exits 2; asked about broker 3 it answers.
func TestControlProcessRefusesAHostThatRunsAnotherBroker(t *testing.T) {
	s := localHost(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "server.properties")
	writeFile(t, cfg, "node.id=3\nprocess.roles=broker\n")
	fake := startFakeBroker(t, dir, "/opt/k/libs/kafka_2.13-4.1.1.jar", cfg)

	r := ssh.NewRunner(nil)
	t.Cleanup(func() { _ = r.Close() })
	h := &Control{SSH: r}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	broker := func(id int32) *inventory.Broker {
		return &inventory.Broker{ID: id, Host: "127.0.0.1", SSH: s, Install: inventory.Install{ConfigFile: cfg}}
	}

	_, err := h.Process(ctx, broker(2))
	var ie *IdentityError
	if !errors.As(err, &ie) {
		t.Fatalf("Process(broker 2) = %v, want an IdentityError", err)
	}
	if ie.Broker != 2 || ie.Runs != 3 || ie.Host != "127.0.0.1" || ie.ConfigFile != cfg {
		t.Errorf("IdentityError = %+v", ie)
	}
	for _, want := range []string{"broker 2:", "host 127.0.0.1 runs broker 3, not broker 2", cfg, "brokers 2 and 3", "fix the inventory"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if k, _ := fault.KindOf(err); k != fault.Usage {
		t.Errorf("kind = %v, want usage (exit 2)", k)
	}
	// Wrapped or joined with others, as rolling operations list every host, it still decides.
	joined := fault.Join(errors.New("broker 1: process probe exited 1"), err)
	if k, _ := fault.KindOf(joined); k != fault.Usage {
		t.Errorf("joined kind = %v, want usage", k)
	}

	p, err := h.Process(ctx, broker(3))
	if err != nil || !p.Running || p.PID != fake.Process.Pid || !p.HasNodeID || p.NodeID != 3 {
		t.Errorf("Process(broker 3) = %+v, %v; want its running process, node id 3", p, err)
	}
}
