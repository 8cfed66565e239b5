package ssh

import "github.com/kfleet/kfleet/inventory"

// TargetFor maps a broker's resolved inventory SSH settings to the runner's target.
func TargetFor(b *inventory.Broker) Target { return targetOf(b.Host, b.SSH) }

// TargetForZooKeeper maps a ZooKeeper node's resolved inventory SSH settings to the runner's
// target.
func TargetForZooKeeper(n *inventory.ZooKeeperNode) Target { return targetOf(n.Host, n.SSH) }

func targetOf(host string, s inventory.SSH) Target {
	t := Target{
		Host:           host,
		Port:           s.Port,
		User:           s.User,
		IdentityFile:   s.IdentityFile,
		KnownHosts:     s.KnownHosts,
		HostKeyPolicy:  s.HostKeyPolicy,
		Sudo:           s.Sudo,
		ConnectTimeout: s.ConnectTimeout,
		CommandTimeout: s.CommandTimeout,
	}
	if bh := s.Bastion; bh != nil {
		t.Bastion = &Target{
			Host:           bh.Host,
			Port:           bh.Port,
			User:           bh.User,
			IdentityFile:   bh.IdentityFile,
			KnownHosts:     s.KnownHosts,
			HostKeyPolicy:  s.HostKeyPolicy,
			ConnectTimeout: s.ConnectTimeout,
		}
	}
	return t
}
