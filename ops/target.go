package ops

import "github.com/kfleet/kfleet/inventory"

// SSHTargetFor maps a broker's resolved inventory SSH settings to the runner's target.
func SSHTargetFor(b *inventory.Broker) SSHTarget {
	s := b.SSH
	t := SSHTarget{
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
		t.Bastion = &SSHTarget{
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
