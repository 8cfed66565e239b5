package output

import (
	"bytes"
	"testing"

	"github.com/kfleet/kfleet/ops/host"
)

// Output comes host by host in the report's (inventory) order, whatever order the hosts
// answered in; a host with two brokers prints once.
func TestExecOutputInInventoryOrder(t *testing.T) {
	r := &host.ExecReport{Results: []host.ExecResult{
		{Host: "k1", Broker: 1, Stdout: "up 3 days\nload 0.1\n", Stderr: "warn\n"},
		{Host: "k2", Broker: 2, Stdout: "up 1 day\n"},
		{Host: "k2", Broker: 3, Stdout: "up 1 day\n"},
		{Host: "k3", Broker: 4, Stdout: "no newline"},
	}}
	var out, errOut bytes.Buffer
	ExecOutput(&out, &errOut, r)
	if want := "k1: up 3 days\nk1: load 0.1\nk2: up 1 day\nk3: no newline\n"; out.String() != want {
		t.Errorf("stdout\n%q\nwant\n%q", out.String(), want)
	}
	if want := "k1: warn\n"; errOut.String() != want {
		t.Errorf("stderr %q, want %q", errOut.String(), want)
	}
}
