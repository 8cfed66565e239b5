package host

import (
	"fmt"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/fault"
)

// IdentityError says that an inventory broker's host runs another broker's Kafka process: the
// inventory's ids or hosts are wrong, and acting on the host would stop the wrong broker (after a
// safety gate that judged the right one).
type IdentityError struct {
	Broker     int32  // the inventory's id
	Host       string // the inventory's host for it
	ConfigFile string // the inventory's config file, which the process there was started with
	Runs       int32  // the node id that process was started with
}

func (e *IdentityError) Error() string {
	return fmt.Sprintf("broker %d: host %s runs broker %d, not broker %d (the Kafka process started with %s there has node id %d): the inventory's brokers %d and %d look swapped, or broker %d's host is wrong; fix the inventory",
		e.Broker, e.Host, e.Runs, e.Broker, e.ConfigFile, e.Runs, e.Broker, e.Runs, e.Broker)
}

// FaultKind says what kind of failure this is (usage: the inventory is wrong; nothing was changed).
func (e *IdentityError) FaultKind() fault.Kind { return fault.Usage }

// CheckIdentity returns an *IdentityError when p, the process found on b's host, was started as
// another broker. A process that is not running, or whose node id is not known, passes: there is
// nothing to compare.
func CheckIdentity(b *inventory.Broker, p cluster.BrokerProcess) error {
	if !p.Running || !p.HasNodeID || p.NodeID == b.ID {
		return nil
	}
	return &IdentityError{Broker: b.ID, Host: b.Host, ConfigFile: b.Install.ConfigFile, Runs: p.NodeID}
}
