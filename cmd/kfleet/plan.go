package main

import (
	"github.com/kfleet/kfleet/reassign"
	"github.com/kfleet/kfleet/rollout/operation"
)

// planOutcome is the exit of a run that had nothing to do or succeeded: a reassignment that
// left partitions it cannot repair exits 3.
func planOutcome(p operation.Plan) error {
	if p, ok := p.(*reassign.ApplyPlan); ok {
		return p.Impossible()
	}
	return nil
}
