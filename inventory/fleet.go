package inventory

import (
	"encoding/json"
	"strings"
	"time"
)

// Host key policies. There is deliberately no policy that skips host key checking.
const (
	// HostKeyStrict accepts only hosts whose key is already in known_hosts.
	HostKeyStrict = "strict"
	// HostKeyAcceptNew records the key of a host seen for the first time and refuses changed keys.
	HostKeyAcceptNew = "accept-new"
)

// Fleet is a loaded, validated inventory with every setting resolved per broker.
type Fleet struct {
	File     string     `json:"file" yaml:"file"`
	Clusters []*Cluster `json:"clusters" yaml:"clusters"`
}

// Cluster is one Kafka cluster. Its brokers (and its ZooKeeper nodes, in ZooKeeper mode) carry
// their fully resolved SSH, service and install settings; the cluster keeps only what is
// cluster-wide, including its resolved rollout hooks.
type Cluster struct {
	Name string `json:"name" yaml:"name"`
	// Labels are defaults.labels with the cluster's own on top; never nil.
	Labels map[string]string `json:"labels" yaml:"labels"`
	// Maintenance is the cluster's own maintenance, else defaults.maintenance; nil when neither
	// has windows, meaning the cluster may be worked on at any time.
	Maintenance *Maintenance `json:"maintenance,omitempty" yaml:"maintenance,omitempty"`
	Metadata    Metadata     `json:"metadata" yaml:"metadata"`
	Bootstrap   []string     `json:"bootstrap" yaml:"bootstrap"`
	Kafka       Kafka        `json:"kafka" yaml:"kafka"`
	Config      Config       `json:"config" yaml:"config"`
	Hooks       Hooks        `json:"hooks" yaml:"hooks"`
	Brokers     []*Broker    `json:"brokers" yaml:"brokers"`
	Pos         Pos          `json:"-" yaml:"-"`
}

// Broker is one broker host with the settings that apply to it after merging defaults, its
// cluster and its own entry.
type Broker struct {
	ID   int32  `json:"id" yaml:"id"`
	Host string `json:"host" yaml:"host"`
	Rack string `json:"rack,omitempty" yaml:"rack,omitempty"`
	// Config holds this broker's own overrides only; Cluster.Desired merges them.
	Config  *Config `json:"config,omitempty" yaml:"config,omitempty"`
	SSH     SSH     `json:"ssh" yaml:"ssh"`
	Service Service `json:"service" yaml:"service"`
	Install Install `json:"install" yaml:"install"`
	Pos     Pos     `json:"-" yaml:"-"`
}

// SSH is how kfleet reaches a broker host.
type SSH struct {
	User           string
	Port           int
	IdentityFile   string // empty: ssh-agent and the default keys in ~/.ssh
	KnownHosts     string
	HostKeyPolicy  string // HostKeyStrict or HostKeyAcceptNew
	Bastion        *Bastion
	Sudo           bool
	ConnectTimeout time.Duration
	CommandTimeout time.Duration
}

// Bastion is a jump host. User and IdentityFile are already filled in from the broker's SSH
// settings when the bastion entry did not set them.
type Bastion struct {
	Host         string `json:"host" yaml:"host"`
	Port         int    `json:"port" yaml:"port"`
	User         string `json:"user" yaml:"user"`
	IdentityFile string `json:"identity_file" yaml:"identity_file"`
}

// Service holds the shell commands that start, stop and check the Kafka service on a host.
type Service struct {
	Start  string `json:"start" yaml:"start"`
	Stop   string `json:"stop" yaml:"stop"`
	Status string `json:"status" yaml:"status"`
	// BootID prints the host's boot id; patch run compares it to tell that a host rebooted.
	BootID string `json:"boot_id" yaml:"boot_id"`
}

// Install says where Kafka lives on a broker host. Both are absolute paths on that host.
type Install struct {
	Root       string `json:"root" yaml:"root"`
	ConfigFile string `json:"config_file" yaml:"config_file"`
}

// Kafka holds how kfleet connects to a cluster's brokers. Nil TLS means plaintext; nil SASL
// means no authentication.
type Kafka struct {
	TLS  *TLS  `json:"tls" yaml:"tls"`
	SASL *SASL `json:"sasl" yaml:"sasl"`
}

// TLS configures the Kafka connection. All fields are optional: an empty TLS verifies brokers
// against the system roots. CertFile and KeyFile are set together or not at all.
type TLS struct {
	CAFile     string `json:"ca_file,omitempty" yaml:"ca_file,omitempty"`
	CertFile   string `json:"cert_file,omitempty" yaml:"cert_file,omitempty"`
	KeyFile    string `json:"key_file,omitempty" yaml:"key_file,omitempty"`
	ServerName string `json:"server_name,omitempty" yaml:"server_name,omitempty"`
}

// SASL configures Kafka authentication. It holds where the password is, never the password:
// exactly one of PasswordEnv and PasswordFile is set. See Password.
type SASL struct {
	Mechanism    string `json:"mechanism" yaml:"mechanism"`
	User         string `json:"user" yaml:"user"`
	PasswordEnv  string `json:"password_env,omitempty" yaml:"password_env,omitempty"`
	PasswordFile string `json:"password_file,omitempty" yaml:"password_file,omitempty"`
}

// Config is the broker configuration kfleet propagates to a cluster: Dynamic through the Admin
// API, Static through server.properties. Values are kept as written, as strings.
type Config struct {
	Dynamic map[string]string `json:"dynamic,omitempty" yaml:"dynamic,omitempty"`
	Static  map[string]string `json:"static,omitempty" yaml:"static,omitempty"`
	// Custom names configs Kafka does not define that are set on purpose (not typos).
	Custom []string `json:"custom,omitempty" yaml:"custom,omitempty"`
}

// sshDoc is SSH as rendered by `inventory show`: snake_case keys and durations such as "10s".
type sshDoc struct {
	User           string   `json:"user" yaml:"user"`
	Port           int      `json:"port" yaml:"port"`
	IdentityFile   string   `json:"identity_file" yaml:"identity_file"`
	KnownHosts     string   `json:"known_hosts" yaml:"known_hosts"`
	HostKeyPolicy  string   `json:"host_key_policy" yaml:"host_key_policy"`
	Bastion        *Bastion `json:"bastion" yaml:"bastion"`
	Sudo           bool     `json:"sudo" yaml:"sudo"`
	ConnectTimeout string   `json:"connect_timeout" yaml:"connect_timeout"`
	CommandTimeout string   `json:"command_timeout" yaml:"command_timeout"`
}

func (s SSH) doc() sshDoc {
	return sshDoc{
		User:           s.User,
		Port:           s.Port,
		IdentityFile:   s.IdentityFile,
		KnownHosts:     s.KnownHosts,
		HostKeyPolicy:  s.HostKeyPolicy,
		Bastion:        s.Bastion,
		Sudo:           s.Sudo,
		ConnectTimeout: formatDuration(s.ConnectTimeout),
		CommandTimeout: formatDuration(s.CommandTimeout),
	}
}

// MarshalJSON renders SSH with the inventory's key names and durations as strings.
func (s SSH) MarshalJSON() ([]byte, error) { return json.Marshal(s.doc()) }

// MarshalYAML renders SSH with the inventory's key names and durations as strings.
func (s SSH) MarshalYAML() (any, error) { return s.doc(), nil }

// formatDuration renders d the way people write it in the inventory: "5m", not "5m0s".
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
