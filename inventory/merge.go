package inventory

import (
	"os"
	"os/user"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"
)

// Host settings (ssh, service, install) can be written at three levels: defaults, cluster and
// broker. Each level is decoded into a layer whose fields are nil when that level does not set
// them, so a broker's `sudo: false` can override its cluster's `sudo: true`. Layers are applied
// defaults -> cluster -> broker, field by field, then the built-in defaults fill the rest.

// Built-in defaults.
const (
	defaultSSHPort        = 22
	defaultConnectTimeout = 10 * time.Second
	defaultCommandTimeout = 5 * time.Minute
	defaultKnownHosts     = "~/.ssh/known_hosts"
	defaultStart          = "sudo -n systemctl start kafka"
	defaultStop           = "sudo -n systemctl stop kafka"
	defaultStatus         = "systemctl is-active kafka"
	defaultBootID         = "cat /proc/sys/kernel/random/boot_id"
	defaultInstallRoot    = "/opt/kafka"
	defaultConfigFile     = "/etc/kafka/server.properties"
)

var (
	hostSettingKeys = []string{"ssh", "service", "install"}
	sshKeys         = []string{"user", "port", "identity_file", "known_hosts", "host_key_policy", "bastion", "sudo", "connect_timeout", "command_timeout"}
	bastionKeys     = []string{"host", "port", "user", "identity_file"}
	serviceKeys     = []string{"start", "stop", "status", "boot_id"}
	installKeys     = []string{"root", "config_file"}
)

type layers struct {
	ssh     sshLayer
	service serviceLayer
	install installLayer
}

type sshLayer struct {
	user, identityFile, knownHosts, hostKeyPolicy *string
	port                                          *int
	sudo                                          *bool
	connectTimeout, commandTimeout                *time.Duration
	bastion                                       *bastionLayer // nil: this level says nothing
}

type bastionLayer struct {
	none               bool // `bastion: null`: no jump host, whatever outer levels say
	host, user, idFile *string
	port               *int
	pos                Pos // the last bastion mapping that contributed, for "missing host"
	path               string
}

type serviceLayer struct{ start, stop, status, bootID *string }

type installLayer struct{ root, configFile *string }

// layers decodes the ssh, service and install sections of an already-checked mapping.
func (d *decoder) layers(f *fields, path string) layers {
	return layers{
		ssh:     d.sshLayer(f.get("ssh"), join(path, "ssh")),
		service: d.serviceLayer(f.get("service"), join(path, "service")),
		install: d.installLayer(f.get("install"), join(path, "install")),
	}
}

func (d *decoder) sshLayer(n *yaml.Node, path string) sshLayer {
	var l sshLayer
	f := d.mapping(n, path, sshKeys)
	if f == nil {
		return l
	}
	l.user = d.user(f.get("user"), join(path, "user"))
	l.port = d.port(f.get("port"), join(path, "port"))
	l.identityFile = d.localPath(f.get("identity_file"), join(path, "identity_file"), true)
	l.knownHosts = d.localPath(f.get("known_hosts"), join(path, "known_hosts"), false)
	l.hostKeyPolicy = d.hostKeyPolicy(f.get("host_key_policy"), join(path, "host_key_policy"))
	l.bastion = d.bastionLayer(f.get("bastion"), join(path, "bastion"))
	l.sudo = d.boolean(f.get("sudo"), join(path, "sudo"))
	l.connectTimeout = d.duration(f.get("connect_timeout"), join(path, "connect_timeout"))
	l.commandTimeout = d.duration(f.get("command_timeout"), join(path, "command_timeout"))
	return l
}

func (d *decoder) hostKeyPolicy(n *yaml.Node, path string) *string {
	s := d.scalar(n, path, "strict or accept-new")
	if s == nil {
		return nil
	}
	if v := s.Value; s.ShortTag() == "!!str" && (v == HostKeyStrict || v == HostKeyAcceptNew) {
		return &v
	}
	d.errorf(s, path, "must be %s (the default) or %s, got %s; kfleet never ignores host keys",
		HostKeyStrict, HostKeyAcceptNew, describe(s))
	return nil
}

func (d *decoder) bastionLayer(n *yaml.Node, path string) *bastionLayer {
	if n == nil {
		return nil
	}
	if n = d.deref(n); isNull(n) {
		return &bastionLayer{none: true}
	}
	f := d.mapping(n, path, bastionKeys)
	if f == nil {
		return nil
	}
	return &bastionLayer{
		host:   d.host(f.get("host"), join(path, "host")),
		port:   d.port(f.get("port"), join(path, "port")),
		user:   d.user(f.get("user"), join(path, "user")),
		idFile: d.localPath(f.get("identity_file"), join(path, "identity_file"), true),
		pos:    d.pos(n),
		path:   path,
	}
}

func (d *decoder) serviceLayer(n *yaml.Node, path string) serviceLayer {
	var l serviceLayer
	if f := d.mapping(n, path, serviceKeys); f != nil {
		l.start = d.text(f.get("start"), join(path, "start"))
		l.stop = d.text(f.get("stop"), join(path, "stop"))
		l.status = d.text(f.get("status"), join(path, "status"))
		l.bootID = d.text(f.get("boot_id"), join(path, "boot_id"))
	}
	return l
}

func (d *decoder) installLayer(n *yaml.Node, path string) installLayer {
	var l installLayer
	if f := d.mapping(n, path, installKeys); f != nil {
		l.root = d.remotePath(f.get("root"), join(path, "root"))
		l.configFile = d.remotePath(f.get("config_file"), join(path, "config_file"))
	}
	return l
}

// set overrides *dst with src when the inner level set the field.
func set[T any](dst **T, src *T) {
	if src != nil {
		*dst = src
	}
}

// over applies the inner level o on top of l.
func (l *layers) over(o layers) {
	s, in := &l.ssh, o.ssh
	set(&s.user, in.user)
	set(&s.port, in.port)
	set(&s.identityFile, in.identityFile)
	set(&s.knownHosts, in.knownHosts)
	set(&s.hostKeyPolicy, in.hostKeyPolicy)
	set(&s.sudo, in.sudo)
	set(&s.connectTimeout, in.connectTimeout)
	set(&s.commandTimeout, in.commandTimeout)
	if b := in.bastion; b != nil {
		if b.none || s.bastion == nil || s.bastion.none {
			s.bastion = b
		} else {
			merged := *s.bastion
			set(&merged.host, b.host)
			set(&merged.port, b.port)
			set(&merged.user, b.user)
			set(&merged.idFile, b.idFile)
			merged.pos, merged.path = b.pos, b.path
			s.bastion = &merged
		}
	}
	set(&l.service.start, o.service.start)
	set(&l.service.stop, o.service.stop)
	set(&l.service.status, o.service.status)
	set(&l.service.bootID, o.service.bootID)
	set(&l.install.root, o.install.root)
	set(&l.install.configFile, o.install.configFile)
}

func or[T any](v *T, def T) T {
	if v != nil {
		return *v
	}
	return def
}

// resolveSSH fills the built-in defaults into a merged layer. at and path name the broker, for
// defaults that cannot be worked out on this machine.
func (d *decoder) resolveSSH(l sshLayer, at Pos, path string) SSH {
	s := SSH{
		Port:           or(l.port, defaultSSHPort),
		IdentityFile:   or(l.identityFile, ""),
		HostKeyPolicy:  or(l.hostKeyPolicy, HostKeyStrict),
		Sudo:           or(l.sudo, false),
		ConnectTimeout: or(l.connectTimeout, defaultConnectTimeout),
		CommandTimeout: or(l.commandTimeout, defaultCommandTimeout),
	}
	if l.user != nil {
		s.User = *l.user
	} else if u := d.osUser(); u != "" {
		s.User = u
	} else {
		d.errorAt(at, join(path, "user"), "not set, and the current OS user is unknown; set defaults.ssh.user")
	}
	if l.knownHosts != nil {
		s.KnownHosts = *l.knownHosts
	} else if d.homeErr == nil {
		s.KnownHosts = filepath.Join(d.home, ".ssh", "known_hosts")
	} else {
		d.errorAt(at, join(path, "known_hosts"), "not set, and the default %s needs $HOME (%v); set defaults.ssh.known_hosts", defaultKnownHosts, d.homeErr)
	}
	if b := l.bastion; b != nil && !b.none {
		if b.host == nil {
			// Every broker under the same bastion entry reports this; errorAt keeps one.
			d.errorAt(b.pos, join(b.path, "host"), "required but missing")
		} else {
			s.Bastion = &Bastion{
				Host:         *b.host,
				Port:         or(b.port, defaultSSHPort),
				User:         or(b.user, s.User),
				IdentityFile: or(b.idFile, s.IdentityFile),
			}
		}
	}
	return s
}

func (l serviceLayer) resolve() Service {
	return Service{
		Start:  or(l.start, defaultStart),
		Stop:   or(l.stop, defaultStop),
		Status: or(l.status, defaultStatus),
		BootID: or(l.bootID, defaultBootID),
	}
}

func (l installLayer) resolve() Install {
	return Install{
		Root:       or(l.root, defaultInstallRoot),
		ConfigFile: or(l.configFile, defaultConfigFile),
	}
}

// osUser is the default SSH user: whoever runs kfleet, as ssh itself does.
func (d *decoder) osUser() string {
	if !d.userLooked {
		d.userLooked = true
		if u, err := user.Current(); err == nil && u.Username != "" {
			d.user0 = u.Username
		} else if v := os.Getenv("USER"); v != "" {
			d.user0 = v
		} else {
			d.user0 = os.Getenv("LOGNAME")
		}
	}
	return d.user0
}
