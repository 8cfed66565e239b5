package fleet

import (
	"strings"

	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/fault"
)

// Verdict judges a read fleet: some cluster unreachable (unreachable), else some cluster
// unhealthy (check failed), else nil.
func Verdict(clusters []cluster.Health) error {
	var down, sick []string
	for _, c := range clusters {
		switch {
		case c.Unreachable:
			down = append(down, c.Name)
		case !c.Healthy:
			sick = append(sick, c.Name)
		}
	}
	switch {
	case len(down) > 0:
		return &fault.Error{Kind: fault.Unreachable, Msg: "unreachable: " + strings.Join(down, ", ")}
	case len(sick) > 0:
		return &fault.Error{Kind: fault.CheckFailed, Msg: "unhealthy: " + strings.Join(sick, ", ")}
	}
	return nil
}
