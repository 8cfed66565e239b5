package rollout

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
)

// Waiter polls the cluster and the brokers' hosts until a condition holds or its deadline passes;
// the error then says what it waited for and what it saw last. The engine and the patch hook
// share it.
type Waiter struct {
	Kafka Kafka
	Hosts Hosts
	Poll  time.Duration // 0 -> 250ms
	now   func() time.Time
}

func (w Waiter) clock() time.Time {
	if w.now == nil {
		return time.Now()
	}
	return w.now()
}

// Stopped waits until every broker's process is gone and the controller no longer counts it as
// serving (fenced or unregistered).
func (w Waiter) Stopped(ctx context.Context, brokers []*inventory.Broker, timeout time.Duration) error {
	return w.poll(ctx, timeout, "broker process gone and broker fenced", func() (bool, string, error) {
		snap, err := w.Kafka.Snapshot(ctx)
		if err != nil {
			return false, "cluster unreadable: " + err.Error(), nil
		}
		var waiting []string
		for _, b := range brokers {
			p, err := w.Hosts.Process(ctx, b)
			if err != nil {
				return false, "", err
			}
			if p.Running {
				waiting = append(waiting, fmt.Sprintf("broker %d: process %d still running", b.ID, p.PID))
				continue
			}
			if kb, ok := snap.Broker(b.ID); ok && kb.Alive() {
				waiting = append(waiting, fmt.Sprintf("broker %d: still registered and unfenced", b.ID))
			}
		}
		return len(waiting) == 0, strings.Join(waiting, "; "), nil
	})
}

// Started waits until every broker runs a process (a new one, when before names the old) and is
// registered and unfenced.
func (w Waiter) Started(ctx context.Context, brokers []*inventory.Broker, before map[int32]cluster.BrokerProcess, timeout time.Duration) error {
	return w.poll(ctx, timeout, "broker process registered and unfenced", func() (bool, string, error) {
		snap, err := w.Kafka.Snapshot(ctx)
		if err != nil {
			return false, "cluster unreadable: " + err.Error(), nil
		}
		var waiting []string
		for _, b := range brokers {
			p, err := w.Hosts.Process(ctx, b)
			if err != nil {
				return false, "", err
			}
			old := before[b.ID]
			switch kb, ok := snap.Broker(b.ID); {
			case !p.Running:
				waiting = append(waiting, fmt.Sprintf("broker %d: no process yet", b.ID))
			case old.Running && p.PID == old.PID && p.StartTicks == old.StartTicks:
				waiting = append(waiting, fmt.Sprintf("broker %d: still the old process %d", b.ID, p.PID))
			case !ok:
				waiting = append(waiting, fmt.Sprintf("broker %d: not registered yet", b.ID))
			case kb.Fenced:
				waiting = append(waiting, fmt.Sprintf("broker %d: registered, still fenced", b.ID))
			}
		}
		return len(waiting) == 0, strings.Join(waiting, "; "), nil
	})
}

// Healthy waits until nothing is under-replicated, under min ISR or offline and the brokers are
// alive, for polls polls in a row, and returns when the first of them was seen. onWait, if set,
// hears why it is still waiting after every unhealthy poll.
func (w Waiter) Healthy(ctx context.Context, ids []int32, polls int, timeout time.Duration, onWait func(why string, urp int)) (time.Time, error) {
	var first time.Time
	streak := 0
	err := w.poll(ctx, timeout, fmt.Sprintf("URP back to zero for %d polls", polls), func() (bool, string, error) {
		snap, err := w.Kafka.Snapshot(ctx)
		if err != nil {
			streak = 0
			why := "cluster unreadable: " + err.Error()
			if onWait != nil {
				onWait(why, -1)
			}
			return false, why, nil
		}
		c := snap.Counts
		if c.UnderReplicated == 0 && c.UnderMinISR == 0 && c.Offline == 0 && allAlive(snap, ids) {
			if streak == 0 {
				first = w.clock()
			}
			streak++
			return streak >= polls, "", nil
		}
		streak = 0
		why := fmt.Sprintf("%d under-replicated, %d under min ISR, %d offline", c.UnderReplicated, c.UnderMinISR, c.Offline)
		if probs := snap.Problems(3); len(probs) > 0 {
			names := make([]string, len(probs))
			for i, p := range probs {
				names[i] = p.Partition
			}
			why += " (e.g. " + strings.Join(names, ", ") + ")"
		}
		if onWait != nil {
			onWait(why, c.UnderReplicated)
		}
		return false, why, nil
	})
	return first, err
}

func allAlive(s *cluster.Snapshot, ids []int32) bool {
	for _, id := range ids {
		if b, ok := s.Broker(id); !ok || !b.Alive() {
			return false
		}
	}
	return true
}

// poll calls check every Poll until it says done, fails, or timeout passes.
func (w Waiter) poll(ctx context.Context, timeout time.Duration, what string, check func() (bool, string, error)) error {
	every := w.Poll
	if every <= 0 {
		every = 250 * time.Millisecond
	}
	deadline := w.clock().Add(timeout)
	for {
		ok, why, err := check()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if w.clock().After(deadline) {
			return fmt.Errorf("%s: not reached within %s; last seen: %s", what, timeout, why)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
	}
}
