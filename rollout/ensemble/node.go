package ensemble

import (
	"context"
	"fmt"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/host"
	"github.com/kfleet/kfleet/ops/zookeeper"
	"github.com/kfleet/kfleet/rollout/operation"
)

// What the waits of one node say they wait for (with its id).
const (
	stoppedWhat = "zookeeper node %d to stop answering srvr"
	syncedWhat  = "zookeeper node %d to serve again, in sync with a leader, and the ensemble to keep a synced majority"
)

// Live is the ensemble of cluster c as it runs: read over the client ports (else over SSH),
// controlled with the inventory's service commands over SSH.
func Live(c *inventory.Cluster, d operation.Deps) Ensemble { return liveEnsemble{c: c, d: d} }

// stopped holds once node id no longer answers.
func stopped(id int) func(zookeeper.Ensemble) (bool, string) {
	return func(e zookeeper.Ensemble) (bool, string) {
		m := member(e, id)
		return !m.Up, "it still answers as " + modeOf(m)
	}
}

// synced holds once node id serves in sync with a single leader and the ensemble keeps a synced
// majority.
func synced(id int) func(zookeeper.Ensemble) (bool, string) {
	return func(e zookeeper.Ensemble) (bool, string) {
		m := member(e, id)
		switch {
		case !m.Up:
			return false, "it does not answer yet: " + m.Error
		case !m.Synced:
			return false, "it answers as " + modeOf(m) + ", not in sync yet"
		case e.Leader < 0:
			return false, "the ensemble has no single leader"
		case e.Synced < e.Quorum:
			return false, fmt.Sprintf("%d of %d voters in sync, a quorum needs %d", e.Synced, e.Voters, e.Quorum)
		}
		return true, ""
	}
}

// waitFor reads the ensemble until done holds or timeout passes (then it says what it waited for
// and what it saw last); pause waits between reads and may end the wait.
func waitFor(ctx context.Context, ens Ensemble, timeout time.Duration, desc string, done func(zookeeper.Ensemble) (bool, string),
	now func() time.Time, pause func() error) error {
	deadline := now().Add(timeout)
	for {
		ok, why := done(ens.Read(ctx))
		if ok {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if now().After(deadline) {
			return fmt.Errorf("not within %s waiting for %s: %s", timeout, desc, why)
		}
		if err := pause(); err != nil {
			return err
		}
	}
}

// sleep is a pause of d that ends early when ctx does.
func sleep(ctx context.Context, d time.Duration) func() error {
	return func() error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
			return nil
		}
	}
}

// StopNode stops node n with its service command and waits (up to timeout, reading every poll)
// until it no longer answers. The patch hook takes a host's ZooKeeper node down with it.
func StopNode(ctx context.Context, ens Ensemble, n *inventory.ZooKeeperNode, timeout, poll time.Duration) error {
	if err := ens.Service(ctx, n, host.ServiceStop); err != nil {
		return err
	}
	return waitFor(ctx, ens, timeout, fmt.Sprintf(stoppedWhat, n.ID), stopped(n.ID), time.Now, sleep(ctx, poll))
}

// StartNode starts node n unless it answers already, and waits (up to timeout) until it serves
// in sync with a leader and the ensemble keeps a synced majority.
func StartNode(ctx context.Context, ens Ensemble, n *inventory.ZooKeeperNode, timeout, poll time.Duration) error {
	if !member(ens.Read(ctx), n.ID).Up {
		if err := ens.Service(ctx, n, host.ServiceStart); err != nil {
			return err
		}
	}
	return waitFor(ctx, ens, timeout, fmt.Sprintf(syncedWhat, n.ID), synced(n.ID), time.Now, sleep(ctx, poll))
}
