package reassign

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/ops/lease"
)

// cancelRelease bounds releasing the lease a cancel took.
const cancelRelease = 10 * time.Second

// CancelUnderLease runs Cancel so that no other operation changes the cluster meanwhile. When
// the lease is held by one of the operations being cancelled (a kfleet apply running, or one
// whose holder died), the cancel acts beside it: the cancel request in that operation's journal
// stops it, which is what cancel is for. When another operation holds it, the cancel is refused
// (75) with nothing changed. Otherwise the cancel takes the lease for its own run. Either way
// the cancel has a journal of its own (CancelKind, under the id of the lease it would take), so
// history lists it with how it ended.
func CancelUnderLease(ctx context.Context, cl *kgo.Client, k Kafka, stateDir string, plan *CancelPlan, timeout time.Duration) (*CancelResult, error) {
	id := journal.NewID(time.Now())
	rec := recordCancel(stateDir, id, plan)
	res, err := cancelUnderLease(ctx, cl, k, stateDir, plan, timeout, id)
	rec.end(res, err)
	return res, err
}

func cancelUnderLease(ctx context.Context, cl *kgo.Client, k Kafka, stateDir string, plan *CancelPlan, timeout time.Duration, id string) (*CancelResult, error) {
	st, err := lease.Read(ctx, cl, plan.Cluster)
	if err != nil {
		return nil, err
	}
	if st.Held && slices.Contains(plan.Ops, st.OpID) {
		return Cancel(ctx, k, stateDir, plan, timeout)
	}
	if err := st.HeldBy(plan.Cluster, ""); err != nil {
		return nil, err
	}
	held, err := lease.Acquire(ctx, cl, plan.Cluster, lease.Request{OpID: id,
		Purpose: "reassign cancel " + strings.Join(plan.Ops, ", ")})
	if err != nil {
		return nil, err
	}
	res, err := Cancel(ctx, k, stateDir, plan, timeout)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelRelease)
	defer cancel()
	if rerr := held.Release(rctx); rerr != nil && err == nil {
		err = fmt.Errorf("releasing the cluster lease: %w", rerr)
	}
	return res, err
}
