package cluster

import (
	"fmt"
	"time"
)

// StoppedBroker is a broker an operation journaled stopping (in the cluster's ops log) and did
// not journal starting again: if the broker is down now, that operation is why.
type StoppedBroker struct {
	Broker int32     `json:"broker" yaml:"broker"`
	OpID   string    `json:"op_id" yaml:"op_id"`
	Holder string    `json:"holder" yaml:"holder"`
	At     time.Time `json:"at" yaml:"at"`
	// Running says the operation still holds the lease through a live holder: it will start
	// the broker itself. Otherwise the operation is over or its holder is gone.
	Running bool `json:"running" yaml:"running"`
	// Gone says why the holder is known to be dead ("" when it is not known to be).
	Gone string `json:"holder_gone,omitempty" yaml:"holder_gone,omitempty"`
}

// Explain says, for an operator, what stopped the broker and what to do.
func (s StoppedBroker) Explain() string {
	msg := fmt.Sprintf("broker %d stopped by op %s at %s", s.Broker, s.OpID, s.At.Local().Format("15:04:05"))
	switch {
	case s.Running:
		return msg + fmt.Sprintf(" (holder %s, still running)", s.Holder)
	case s.Gone != "":
		return msg + fmt.Sprintf("; its holder (%s) is gone: %s; run `kfleet resume %s`", s.Holder, s.Gone, s.OpID)
	default:
		return msg + fmt.Sprintf("; its holder (%s) no longer holds the lease; run `kfleet resume %s`", s.Holder, s.OpID)
	}
}
