package operation

import (
	"context"
	"strings"
	"testing"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/journal"
)

type stubOp struct{ id string }

func (o stubOp) OpID() string                                 { return o.id }
func (stubOp) Plan(context.Context) (Plan, error)             { return nil, nil }
func (stubOp) Execute(context.Context, <-chan struct{}) error { return nil }

func TestResumeFindsTheKindInTheRegistry(t *testing.T) {
	Register("stub-kind", func(_ context.Context, _ *inventory.Cluster, _ Deps, e *journal.Entry) (Operation, error) {
		return stubOp{id: e.Op.ID}, nil
	})
	c := &inventory.Cluster{Name: "c"}
	op, err := Resume(context.Background(), c, Deps{}, &journal.Entry{Op: journal.Record{ID: "op-1", Kind: "stub-kind"}, Status: journal.StatusHalted})
	if err != nil || op.(stubOp).id != "op-1" {
		t.Fatalf("Resume = %v, %v", op, err)
	}
	for _, tt := range []struct {
		e    journal.Entry
		want string
	}{
		{journal.Entry{Op: journal.Record{ID: "op-2", Kind: "stub-kind"}, Status: journal.StatusDone}, "already done"},
		{journal.Entry{Op: journal.Record{ID: "op-3", Kind: "nope"}, Status: journal.StatusHalted}, "only stub-kind operations can be resumed"},
	} {
		_, err := Resume(context.Background(), c, Deps{}, &tt.e)
		if k, _ := fault.KindOf(err); err == nil || k != fault.Usage || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Resume(%s) = %v (%v), want a usage error saying %q", tt.e.Op.ID, err, k, tt.want)
		}
	}
}
