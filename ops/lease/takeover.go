package lease

import (
	"context"
	"fmt"
	"time"
)

// Taking over the lease of a dead holder, for the resume of that holder's own operation.

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// takeOver ends the lease of an operation whose holder process is gone, for the resume of that
// same operation: a forced release that names who took over and why.
func takeOver(ctx context.Context, log *opsLog, replay *leaseReplay, dead State, by, why string) error {
	err := step(ctx, "taking over the lease", func(ctx context.Context) error {
		off, err := log.append(ctx, recRelease, opsBody{OpID: dead.OpID, Nonce: dead.nonce, Force: true,
			By: by + " (resume: " + why + ")"})
		if err != nil {
			return err
		}
		return log.readInto(ctx, replay, off+1)
	})
	if err != nil {
		return fmt.Errorf("cluster %s: taking over the lease of op %s (%s): %w", log.cluster, dead.OpID, why, err)
	}
	return nil
}
