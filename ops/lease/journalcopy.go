package lease

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// An operation's journal lines are copied to the ops log (see rollout/operation's mirror), so
// that status can name brokers a dead operation left stopped and resume can adopt the journal
// on another machine.

// Journal appends one line of the operation's local journal to the ops log.
func (l *Lease) Journal(ctx context.Context, line []byte) error {
	err := step(ctx, "copying a journal line", func(ctx context.Context) error {
		_, err := l.log.append(ctx, recJournal, opsBody{OpID: l.OpID, Holder: l.Holder, Line: line})
		return err
	})
	if err != nil {
		return fmt.Errorf("cluster %s: journal of op %s: %w", l.Cluster, l.OpID, err)
	}
	return nil
}

// ReadJournal reads operation opID's journal lines from the cluster's ops log (the last 24h),
// oldest first, starting at its latest record line; none if the log has no record of it.
func ReadJournal(ctx context.Context, cl *kgo.Client, cluster, opID string) ([][]byte, error) {
	log := &opsLog{cl: cl, cluster: cluster}
	var lines [][]byte
	err := step(ctx, "reading the ops log", func(ctx context.Context) error {
		exists, err := log.lookup(ctx)
		if err != nil || !exists {
			return err
		}
		start, err := log.offsetAt(ctx, time.Now().Add(-leaseWindow))
		if err != nil {
			return err
		}
		r := newLeaseReplay(start)
		r.collect = opID
		if err := log.readInto(ctx, r, -1); err != nil {
			return err
		}
		lines = r.lines
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", cluster, err)
	}
	// A resumed operation copies its record again: keep the events after the first record and
	// put one record first.
	var rec []byte
	var events [][]byte
	for _, l := range lines {
		var probe struct {
			Op json.RawMessage `json:"op"`
		}
		if json.Unmarshal(l, &probe) == nil && len(probe.Op) > 0 {
			if rec == nil {
				rec = l
			}
			continue
		}
		events = append(events, l)
	}
	if rec == nil {
		return nil, nil
	}
	return append([][]byte{rec}, events...), nil
}
