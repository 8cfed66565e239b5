package fleet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/kafka"
)

// bake watches the clusters the wave finished for the policy's bake time: each must stay
// healthy, read every BakePoll; one that turns unhealthy is failed (it spends the budget) and
// no longer watched. An interrupt or a spent budget ends the bake early.
func (r *Run) bake(ctx context.Context, soft <-chan struct{}, wi int, w Wave) {
	if r.Healthy == nil {
		return
	}
	var watch []string
	for _, name := range w.Clusters {
		if res := r.result(name); res.Outcome == OutcomeDone && res.Op != "" {
			watch = append(watch, name)
		}
	}
	if len(watch) == 0 {
		return
	}
	p := r.Spec.Policy
	r.event(Event{Kind: EventBake, Wave: wi + 1, Waves: len(r.Spec.Waves),
		Message: fmt.Sprintf("wave %d/%d: baking %s: %s must stay healthy, read every %s", wi+1, len(r.Spec.Waves), roundDur(p.Bake), joinNames(watch), roundDur(p.bakePoll()))})
	end := r.clock().After(p.Bake)
	for {
		for i := 0; i < len(watch); {
			name := watch[i]
			if err := r.Healthy(ctx, r.Clusters[name]); err != nil && ctx.Err() == nil {
				res := r.result(name)
				r.finish(name, res.Op, OutcomeFailed, "unhealthy during the bake: "+err.Error(), 0, time.Time{})
				watch = append(watch[:i], watch[i+1:]...)
				continue
			}
			i++
		}
		if len(watch) == 0 || r.budgetSpent() {
			return
		}
		select {
		case <-end:
			r.event(Event{Kind: EventBake, Wave: wi + 1, Waves: len(r.Spec.Waves),
				Message: fmt.Sprintf("wave %d/%d: baked %s: %s stayed healthy", wi+1, len(r.Spec.Waves), roundDur(p.Bake), joinNames(watch))})
			return
		case <-soft:
			return
		case <-ctx.Done():
			return
		case <-r.clock().After(p.bakePoll()):
		}
	}
}

// KafkaHealthy reads cluster c through its client and says what is wrong with it (the problems
// status shows: a broker down or fenced, partitions offline, under min ISR or under-replicated);
// nil when it is healthy.
func KafkaHealthy(ctx context.Context, cl *kgo.Client, c *inventory.Cluster) error {
	snap, err := kafka.TakeSnapshot(ctx, cl, c.Name)
	if err != nil {
		return err
	}
	if h := cluster.Assess(c, snap, nil, nil); !h.Healthy {
		return errors.New(strings.Join(h.Problems, "; "))
	}
	return nil
}
