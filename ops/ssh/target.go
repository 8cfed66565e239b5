package ssh

import "github.com/kfleet/kfleet/inventory"

// TargetFor maps a broker's resolved inventory SSH settings to the runner's target.
func TargetFor(b *inventory.Broker) Target {
	s := b.SSH
	t := Target{
		Host:           b.Host,
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
