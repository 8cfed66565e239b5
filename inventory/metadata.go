package inventory

import (
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// A cluster's metadata section says where Kafka keeps the cluster's metadata: in its own KRaft
// controllers (the default), or in an Apache ZooKeeper ensemble (Kafka 3.x and earlier). A
// ZooKeeper-mode cluster lists the ensemble's nodes, which kfleet reaches over SSH like broker
// hosts and controls with their own service commands.
//
// metadata is cluster-wide, written under defaults or a cluster; a cluster's replaces the
// defaults' as a whole, like maintenance: part of one ensemble merged into another is never what
// was meant. Within the section, a node's ssh merges field by field over the ensemble's, which
// merges over the cluster's and the defaults' ssh, exactly as a broker's does. Its start, stop
// and status commands are ZooKeeper's own (the ensemble's, then the node's, then built-in
// defaults), never the brokers': a broker's stop command must not be what stops ZooKeeper.
// boot_id is about the host, not the service, so it is inherited from the defaults' and
// cluster's service like ssh.

// MetadataMode is where a cluster keeps its metadata.
type MetadataMode string

const (
	// MetadataKRaft: the cluster's own KRaft controllers hold its metadata (the default).
	MetadataKRaft MetadataMode = "kraft"
	// MetadataZooKeeper: a ZooKeeper ensemble holds the cluster's metadata (Kafka 3.x and older).
	MetadataZooKeeper MetadataMode = "zookeeper"
)

// Built-in defaults of a ZooKeeper node.
const (
	defaultZooKeeperClientPort = 2181
	defaultZooKeeperStart      = "sudo -n systemctl start zookeeper"
	defaultZooKeeperStop       = "sudo -n systemctl stop zookeeper"
	defaultZooKeeperStatus     = "systemctl is-active zookeeper"
	// maxZooKeeperID is the largest myid ZooKeeper documents for an ensemble member.
	maxZooKeeperID = 255
)

var (
	metadataModes     = []string{string(MetadataKRaft), string(MetadataZooKeeper)}
	metadataKeys      = []string{"mode", "zookeeper"}
	zooKeeperKeys     = []string{"chroot", "ssh", "service", "nodes"}
	zooKeeperNodeKeys = []string{"id", "host", "client_port", "ssh", "service"}
)

// metadataMisplaced are the ensemble's keys written one level too high, directly under metadata.
var metadataMisplaced = map[string]string{
	"nodes":   "the ensemble's nodes go under zookeeper: {mode: zookeeper, zookeeper: {nodes: [...]}}",
	"chroot":  "chroot goes under zookeeper, with the nodes: {mode: zookeeper, zookeeper: {chroot: /kafka, nodes: [...]}}",
	"ssh":     "the ensemble's ssh settings go under zookeeper, with the nodes",
	"service": "the ensemble's service commands go under zookeeper, with the nodes",
}

// zooKeeperNodeMisplaced are keys people write for a ZooKeeper node by analogy with zoo.cfg.
var zooKeeperNodeMisplaced = map[string]string{
	"port": "a ZooKeeper node's client port is client_port (the SSH port is ssh.port)",
	"myid": "a ZooKeeper node's myid is its id",
}

// Metadata says where a cluster keeps its metadata. A cluster's is its own metadata section, else
// defaults.metadata. The zero value is KRaft, so a cluster whose inventory says nothing, or a
// Cluster built in code, is a KRaft cluster.
type Metadata struct {
	// ZooKeeper is the ensemble of a ZooKeeper-mode cluster; nil in KRaft mode. It always has
	// at least one node.
	ZooKeeper *ZooKeeper
}

// Mode is MetadataZooKeeper when the cluster has a ZooKeeper ensemble, else MetadataKRaft.
func (m Metadata) Mode() MetadataMode {
	if m.ZooKeeper != nil {
		return MetadataZooKeeper
	}
	return MetadataKRaft
}

// ZooKeeper is the ensemble that holds a ZooKeeper-mode cluster's metadata.
type ZooKeeper struct {
	// Chroot is the path under which the cluster keeps its znodes (the part of the brokers'
	// zookeeper.connect after the last host:port), such as /kafka; "" for the root.
	Chroot string           `json:"chroot,omitempty" yaml:"chroot,omitempty"`
	Nodes  []*ZooKeeperNode `json:"nodes" yaml:"nodes"`
}

// ZooKeeperNode is one member of an ensemble with its fully resolved SSH and service settings.
type ZooKeeperNode struct {
	// ID is the node's myid: 1 to 255, unique in its ensemble.
	ID         int     `json:"id" yaml:"id"`
	Host       string  `json:"host" yaml:"host"`
	ClientPort int     `json:"client_port" yaml:"client_port"`
	SSH        SSH     `json:"ssh" yaml:"ssh"`
	Service    Service `json:"service" yaml:"service"`
	Pos        Pos     `json:"-" yaml:"-"`
}

// Address is where ZooKeeper clients reach the node: host:client_port.
func (n *ZooKeeperNode) Address() string {
	return net.JoinHostPort(n.Host, strconv.Itoa(n.ClientPort))
}

// Connect is the ensemble as a ZooKeeper connection string, the form of the brokers'
// zookeeper.connect: "z1:2181,z2:2181,z3:2181/kafka".
func (z *ZooKeeper) Connect() string {
	addrs := make([]string, len(z.Nodes))
	for i, n := range z.Nodes {
		addrs[i] = n.Address()
	}
	return strings.Join(addrs, ",") + z.Chroot
}

// ZooKeeperNodesOn returns the cluster's ZooKeeper nodes on host (matched case-insensitively, a
// trailing dot ignored), in inventory order; nil for a KRaft cluster or a host without one. A
// host can carry a broker and a ZooKeeper node, and in test setups several nodes on different
// client ports.
func (c *Cluster) ZooKeeperNodesOn(host string) []*ZooKeeperNode {
	if c.Metadata.ZooKeeper == nil {
		return nil
	}
	var out []*ZooKeeperNode
	for _, n := range c.Metadata.ZooKeeper.Nodes {
		if hostKey(n.Host) == hostKey(host) {
			out = append(out, n)
		}
	}
	return out
}

// hostKey is a host name as compared for duplicates and look-ups.
func hostKey(h string) string { return strings.ToLower(strings.TrimSuffix(h, ".")) }

// metadataDoc is Metadata as rendered by `inventory show`: the mode always, and the ensemble in
// ZooKeeper mode.
type metadataDoc struct {
	Mode      MetadataMode `json:"mode" yaml:"mode"`
	ZooKeeper *ZooKeeper   `json:"zookeeper,omitempty" yaml:"zookeeper,omitempty"`
}

// MarshalJSON renders Metadata as {"mode": "kraft"} or {"mode": "zookeeper", "zookeeper": {...}}.
func (m Metadata) MarshalJSON() ([]byte, error) {
	return json.Marshal(metadataDoc{Mode: m.Mode(), ZooKeeper: m.ZooKeeper})
}

// MarshalYAML renders Metadata as {mode: kraft} or {mode: zookeeper, zookeeper: {...}}.
func (m Metadata) MarshalYAML() (any, error) {
	return metadataDoc{Mode: m.Mode(), ZooKeeper: m.ZooKeeper}, nil
}

// metadataLayer is one level's metadata section, decoded but not yet resolved: the ZooKeeper
// nodes' ssh depends on the cluster that inherits it.
type metadataLayer struct {
	zk *zooKeeperLayer // nil: KRaft
}

type zooKeeperLayer struct {
	chroot   string
	settings layers // the ensemble's ssh and service
	nodes    []*zooKeeperNodeLayer
}

type zooKeeperNodeLayer struct {
	id         int
	host       string
	clientPort int
	settings   layers // the node's own ssh and service
	pos        Pos
	path       string
}

// metadata decodes a metadata section. written is false when the level says nothing (absent or
// null), so that the outer level's applies.
func (d *decoder) metadata(n *yaml.Node, path string) (m metadataLayer, written bool) {
	if n == nil {
		return m, false
	}
	if n = d.deref(n); isNull(n) {
		return m, false
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if d.metadataMode(n, path) == MetadataZooKeeper {
			d.errorf(n, path, "zookeeper mode needs the ensemble's nodes; write {mode: zookeeper, zookeeper: {nodes: [{id: 1, host: z1.example}, ...]}}")
		}
		return m, true
	case yaml.MappingNode:
	default:
		d.errorf(n, path, "must be kraft, or a mapping such as {mode: zookeeper, zookeeper: {nodes: [{id: 1, host: z1.example}]}}, got %s", describe(n))
		return m, true
	}
	f := d.mappingExcept(n, path, metadataKeys, metadataMisplaced)
	mode, modeOK := MetadataMode(""), true
	if v := f.get("mode"); v != nil && !isNull(d.deref(v)) {
		mode = d.metadataMode(v, join(path, "mode"))
		modeOK = mode != ""
	}
	zn := f.get("zookeeper")
	hasZK := zn != nil && !isNull(d.deref(zn))
	zpath := join(path, "zookeeper")
	switch {
	case !modeOK:
		if hasZK {
			d.zooKeeper(zn, zpath) // for its own problems
		}
	case mode == MetadataKRaft && hasZK:
		d.errorf(d.deref(zn), zpath, "given with mode kraft: a KRaft cluster keeps its metadata in its controllers, not in ZooKeeper; set mode: zookeeper, or remove this block")
	case mode == MetadataZooKeeper && !hasZK:
		if !f.hinted["zookeeper"] && !hasKey(n, "nodes") {
			d.errorf(n, zpath, "required with mode zookeeper: list the ensemble's nodes, e.g. zookeeper: {nodes: [{id: 1, host: z1.example}]}")
		}
	case hasZK: // mode zookeeper, written or implied by the zookeeper block
		m.zk = d.zooKeeper(zn, zpath)
	}
	return m, true
}

// hasKey reports whether the mapping n itself writes key.
func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return true
		}
	}
	return false
}

func (d *decoder) metadataMode(n *yaml.Node, path string) MetadataMode {
	s := d.scalar(n, path, "kraft or zookeeper")
	if s == nil {
		return ""
	}
	if s.ShortTag() == "!!str" {
		for _, m := range metadataModes {
			if strings.EqualFold(s.Value, m) {
				return MetadataMode(m)
			}
		}
		if near := Closest(s.Value, metadataModes); near != "" {
			d.errorf(s, path, "must be kraft (the default) or zookeeper, got %s; did you mean %q?", describe(s), near)
			return ""
		}
	}
	d.errorf(s, path, "must be kraft (the default) or zookeeper, got %s", describe(s))
	return ""
}

// zooKeeper decodes the ensemble; nil when it is not a mapping.
func (d *decoder) zooKeeper(n *yaml.Node, path string) *zooKeeperLayer {
	n = d.deref(n)
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "must be a mapping such as {chroot: /kafka, nodes: [{id: 1, host: z1.example}]} (kfleet builds the connection string from the nodes), got %s", describe(n))
		return nil
	}
	f := d.mapping(n, path, zooKeeperKeys)
	z := &zooKeeperLayer{
		chroot: d.chroot(f.get("chroot"), join(path, "chroot")),
		settings: layers{
			ssh:     d.sshLayer(f.get("ssh"), join(path, "ssh")),
			service: d.serviceLayer(f.get("service"), join(path, "service")),
		},
	}
	nn := d.required(f, "nodes")
	if nn == nil {
		return z
	}
	npath := join(path, "nodes")
	items, ok := d.sequence(nn, npath, "a list of ZooKeeper nodes such as [{id: 1, host: z1.example}]")
	if !ok {
		return z
	}
	if len(items) == 0 {
		d.errorf(d.deref(nn), npath, "must list at least one node: the ensemble that holds the cluster's metadata")
	}
	ids, addrs := map[int]*yaml.Node{}, map[string]*yaml.Node{}
	for i, item := range items {
		if node := d.zooKeeperNode(item, index(npath, i), ids, addrs); node != nil {
			z.nodes = append(z.nodes, node)
		}
	}
	return z
}

// zooKeeperNode decodes one node; ids and addrs hold the myids and host:ports already seen in
// its ensemble.
func (d *decoder) zooKeeperNode(n *yaml.Node, path string, ids map[int]*yaml.Node, addrs map[string]*yaml.Node) *zooKeeperNodeLayer {
	n = d.deref(n)
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping describing a ZooKeeper node, such as {id: 1, host: z1.example}")
		return nil
	}
	f := d.mappingExcept(n, path, zooKeeperNodeKeys, zooKeeperNodeMisplaced)
	z := &zooKeeperNodeLayer{clientPort: defaultZooKeeperClientPort, pos: d.pos(n), path: path}
	if v := d.required(f, "id"); v != nil {
		if id := d.integer(v, join(path, "id"), 1, maxZooKeeperID); id != nil {
			z.id = int(*id)
			v = d.deref(v)
			if first, dup := ids[z.id]; dup {
				d.errorf(v, join(path, "id"), "duplicate ZooKeeper node id %d (first at line %d)", z.id, first.Line)
			} else {
				ids[z.id] = v
			}
		}
	}
	var hostAt *yaml.Node
	if v := d.required(f, "host"); v != nil {
		if h := d.zooKeeperHost(v, join(path, "host")); h != nil {
			z.host, hostAt = *h, d.deref(v)
		}
	}
	if p := d.port(f.get("client_port"), join(path, "client_port")); p != nil {
		z.clientPort = *p
	}
	if hostAt != nil {
		key := net.JoinHostPort(hostKey(z.host), strconv.Itoa(z.clientPort))
		if first, dup := addrs[key]; dup {
			d.errorf(hostAt, join(path, "host"), "duplicate ZooKeeper node %s (first at line %d)",
				net.JoinHostPort(z.host, strconv.Itoa(z.clientPort)), first.Line)
		} else {
			addrs[key] = hostAt
		}
	}
	z.settings = layers{
		ssh:     d.sshLayer(f.get("ssh"), join(path, "ssh")),
		service: d.serviceLayer(f.get("service"), join(path, "service")),
	}
	return z
}

// zooKeeperHost is host, with the hint people need when they write the node's address.
func (d *decoder) zooKeeperHost(n *yaml.Node, path string) *string {
	if v := d.text(n, path); v != nil {
		if h, _, err := net.SplitHostPort(*v); err == nil && h != "" {
			d.errorf(d.deref(n), path, "must be a host name or IP address without a port (the ZooKeeper port is client_port, the SSH port ssh.port), got %q", truncate(*v, 60))
			return nil
		}
	}
	return d.host(n, path)
}

func (d *decoder) chroot(n *yaml.Node, path string) string {
	v := d.text(n, path)
	if v == nil {
		return ""
	}
	if msg := checkChroot(*v); msg != "" {
		d.errorf(d.deref(n), path, "%s, got %q", msg, truncate(*v, 60))
		return ""
	}
	return *v
}

// checkChroot returns what is wrong with a ZooKeeper chroot path, or "".
func checkChroot(p string) string {
	switch {
	case !strings.HasPrefix(p, "/"):
		return "must be an absolute ZooKeeper path such as /kafka (the part of zookeeper.connect after the last host:port)"
	case p == "/":
		return "must be a path below the root (leave chroot out when the cluster's znodes are at the root)"
	case strings.HasSuffix(p, "/"):
		return "must not end with '/'"
	case strings.ContainsFunc(p, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return "must not contain spaces or control characters"
	}
	for part := range strings.SplitSeq(p[1:], "/") {
		if part == "" || part == "." || part == ".." {
			return "must not have empty, '.' or '..' parts"
		}
	}
	return ""
}

// resolveMetadata resolves a cluster's metadata section; host is the ssh and service its brokers
// inherit (defaults, then the cluster), which the ensemble's nodes inherit too.
func (d *decoder) resolveMetadata(m metadataLayer, host layers) Metadata {
	if m.zk == nil {
		return Metadata{}
	}
	zk := &ZooKeeper{Chroot: m.zk.chroot}
	for _, nl := range m.zk.nodes {
		s := layers{ssh: host.ssh, service: serviceLayer{bootID: host.service.bootID}}
		s.over(m.zk.settings)
		s.over(nl.settings)
		zk.Nodes = append(zk.Nodes, &ZooKeeperNode{
			ID:         nl.id,
			Host:       nl.host,
			ClientPort: nl.clientPort,
			SSH:        d.resolveSSH(s.ssh, nl.pos, join(nl.path, "ssh")),
			Service:    s.service.resolveZooKeeper(),
			Pos:        nl.pos,
		})
	}
	return Metadata{ZooKeeper: zk}
}

func (l serviceLayer) resolveZooKeeper() Service {
	return Service{
		Start:  or(l.start, defaultZooKeeperStart),
		Stop:   or(l.stop, defaultZooKeeperStop),
		Status: or(l.status, defaultZooKeeperStatus),
		BootID: or(l.bootID, defaultBootID),
	}
}
