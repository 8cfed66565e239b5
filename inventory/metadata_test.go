package inventory

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// metadataSource is an inventory of one cluster whose metadata is written as meta on line 5
// ("" leaves the key out).
func metadataSource(meta string) string {
	src := "clusters:\n  - name: a\n    bootstrap: [k1:9092]\n    brokers: [{id: 1, host: k1}]\n"
	if meta != "" {
		src += "    metadata: " + meta + "\n"
	}
	return src
}

func TestZooKeeperExample(t *testing.T) {
	t.Setenv("HOME", testHome)
	file := filepath.Join("testdata", "zookeeper.yaml")
	fleet, err := Load(file)
	if err != nil {
		t.Fatalf("Load(%s): %v", file, err)
	}
	key := testHome + "/.ssh/kfleet_ed25519"
	// The ensemble's ssh: defaults (user, key), then the cluster (sudo), then the ensemble (user).
	zkSSH := SSH{
		User: "zookeeper", Port: 22, IdentityFile: key, KnownHosts: testHome + "/.ssh/known_hosts",
		HostKeyPolicy: HostKeyStrict, Sudo: true,
		ConnectTimeout: 10 * time.Second, CommandTimeout: 5 * time.Minute,
	}
	z3SSH := zkSSH
	z3SSH.Port = 2222
	zkService := Service{
		Start:  "sudo -n systemctl start confluent-zookeeper",
		Stop:   "sudo -n systemctl stop confluent-zookeeper",
		Status: "systemctl is-active confluent-zookeeper",
		BootID: defaultBootID,
	}
	want := Metadata{ZooKeeper: &ZooKeeper{Chroot: "/kafka/orders", Nodes: []*ZooKeeperNode{
		{ID: 1, Host: "ord-z1.corp.example", ClientPort: 2181, SSH: zkSSH, Service: zkService, Pos: Pos{file, 21, 13}},
		{ID: 2, Host: "ord-z2.corp.example", ClientPort: 2181, SSH: zkSSH, Service: zkService, Pos: Pos{file, 22, 13}},
		{ID: 3, Host: "ord-z3.corp.example", ClientPort: 2182, SSH: z3SSH, Service: zkService, Pos: Pos{file, 23, 13}},
	}}}
	orders, next := fleet.Clusters[0], fleet.Clusters[1]
	if !reflect.DeepEqual(orders.Metadata, want) {
		t.Errorf("orders-legacy metadata:\n got %s\nwant %s", asJSON(t, orders.Metadata), asJSON(t, want))
		for i := range min(len(orders.Metadata.ZooKeeper.Nodes), 3) {
			if g, w := orders.Metadata.ZooKeeper.Nodes[i].Pos, want.ZooKeeper.Nodes[i].Pos; g != w {
				t.Errorf("nodes[%d] at %v, want %v", i, g, w)
			}
		}
	}
	if got := orders.Metadata.Mode(); got != MetadataZooKeeper {
		t.Errorf("orders-legacy mode = %q, want zookeeper", got)
	}
	if got, w := orders.Metadata.ZooKeeper.Connect(), "ord-z1.corp.example:2181,ord-z2.corp.example:2181,ord-z3.corp.example:2182/kafka/orders"; got != w {
		t.Errorf("Connect() = %q, want %q", got, w)
	}
	// The brokers keep Kafka's service and the cluster's ssh: the ensemble's settings are its own.
	b := orders.Brokers[0]
	if b.Service.Stop != defaultStop || b.SSH.User != "kafka" || !b.SSH.Sudo {
		t.Errorf("broker 1 took the ensemble's settings: service %+v, ssh user %s sudo %v", b.Service, b.SSH.User, b.SSH.Sudo)
	}
	if next.Metadata.Mode() != MetadataKRaft || next.Metadata.ZooKeeper != nil {
		t.Errorf("orders-next metadata = %s, want kraft", asJSON(t, next.Metadata))
	}
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func asYAML(t *testing.T, v any) string {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestZeroMetadataIsKRaft(t *testing.T) {
	var c Cluster
	if c.Metadata.Mode() != MetadataKRaft {
		t.Errorf("a Cluster built in code is %q, want kraft", c.Metadata.Mode())
	}
	if got := c.ZooKeeperNodesOn("k1"); got != nil {
		t.Errorf("ZooKeeperNodesOn on a KRaft cluster = %v, want nil", got)
	}
	if got := asJSON(t, c.Metadata); got != `{"mode":"kraft"}` {
		t.Errorf("json = %s, want {\"mode\":\"kraft\"}", got)
	}
}

// Valid metadata sections and what they resolve to: the mode and, in ZooKeeper mode, the
// ensemble's connection string and myids.
var metadataCases = []struct {
	name, meta string
	mode       MetadataMode
	connect    string
	ids        []int
}{
	{"no metadata key", "", MetadataKRaft, "", nil},
	{"kraft as a word", "kraft", MetadataKRaft, "", nil},
	{"mode in any case", "KRaft", MetadataKRaft, "", nil},
	{"kraft as a mapping", "{mode: kraft}", MetadataKRaft, "", nil},
	{"empty mapping", "{}", MetadataKRaft, "", nil},
	{"null", "null", MetadataKRaft, "", nil},
	{"null mode", "{mode: null}", MetadataKRaft, "", nil},
	{"three nodes", "{mode: zookeeper, zookeeper: {nodes: [{id: 1, host: z1}, {id: 2, host: z2}, {id: 3, host: z3}]}}",
		MetadataZooKeeper, "z1:2181,z2:2181,z3:2181", []int{1, 2, 3}},
	{"mode implied by the zookeeper block", "{zookeeper: {chroot: /kafka, nodes: [{id: 7, host: z1.example}]}}",
		MetadataZooKeeper, "z1.example:2181/kafka", []int{7}},
	{"ZooKeeper in any case", "{mode: ZooKeeper, zookeeper: {nodes: [{id: 1, host: z1}]}}",
		MetadataZooKeeper, "z1:2181", []int{1}},
	{"one node (standalone)", "{mode: zookeeper, zookeeper: {nodes: [{id: 255, host: 10.0.0.5, client_port: 2281}]}}",
		MetadataZooKeeper, "10.0.0.5:2281", []int{255}},
	{"an even ensemble, as while growing from 3 to 5", "{zookeeper: {nodes: [{id: 1, host: z1}, {id: 2, host: z2}, {id: 3, host: z3}, {id: 4, host: z4}]}}",
		MetadataZooKeeper, "z1:2181,z2:2181,z3:2181,z4:2181", []int{1, 2, 3, 4}},
	{"one host, several client ports", "{zookeeper: {nodes: [{id: 1, host: 127.0.0.1}, {id: 2, host: 127.0.0.1, client_port: 2182}]}}",
		MetadataZooKeeper, "127.0.0.1:2181,127.0.0.1:2182", []int{1, 2}},
	{"IPv6 node", "{zookeeper: {nodes: [{id: 1, host: 'fd00::1'}]}}",
		MetadataZooKeeper, "[fd00::1]:2181", []int{1}},
	{"nested chroot", "{zookeeper: {chroot: /kafka/orders-1.a_b, nodes: [{id: 1, host: z1}]}}",
		MetadataZooKeeper, "z1:2181/kafka/orders-1.a_b", []int{1}},
}

func TestMetadataModes(t *testing.T) {
	for _, tt := range metadataCases {
		t.Run(tt.name, func(t *testing.T) {
			src := metadataSource(tt.meta)
			fleet, err := Parse("/etc/kfleet/fleet.yaml", []byte(src))
			if err != nil {
				t.Fatalf("Parse:\n%s\n%v", src, err)
			}
			m := fleet.Clusters[0].Metadata
			if m.Mode() != tt.mode {
				t.Errorf("mode = %q, want %q", m.Mode(), tt.mode)
			}
			if tt.mode == MetadataKRaft {
				if m.ZooKeeper != nil {
					t.Errorf("a KRaft cluster has an ensemble: %s", asJSON(t, m))
				}
				return
			}
			if got := m.ZooKeeper.Connect(); got != tt.connect {
				t.Errorf("Connect() = %q, want %q", got, tt.connect)
			}
			var ids []int
			for _, n := range m.ZooKeeper.Nodes {
				ids = append(ids, n.ID)
			}
			if !reflect.DeepEqual(ids, tt.ids) {
				t.Errorf("ids = %v, want %v", ids, tt.ids)
			}
		})
	}
}

func TestMetadataMerge(t *testing.T) {
	const zk = "{mode: zookeeper, zookeeper: {chroot: /kafka, nodes: [{id: 1, host: z1}]}}"
	for _, tt := range []struct {
		name, defaults, cluster string
		want, other             string // the clusters' Connect(), or "kraft"
	}{
		{"none anywhere", "", "", "kraft", "kraft"},
		{"defaults only", zk, "", "z1:2181/kafka", "z1:2181/kafka"},
		{"null inherits", zk, "null", "z1:2181/kafka", "z1:2181/kafka"},
		{"kraft replaces the defaults' ensemble", zk, "kraft", "kraft", "z1:2181/kafka"},
		{"a cluster's ensemble replaces the defaults' as a whole, chroot too", zk,
			"{zookeeper: {nodes: [{id: 2, host: z2}]}}", "z2:2181", "z1:2181/kafka"},
		{"cluster only", "", zk, "z1:2181/kafka", "kraft"},
		{"defaults kraft", "kraft", zk, "z1:2181/kafka", "kraft"},
		{"anchors and aliases", "&zk " + zk, "{<<: *zk, mode: zookeeper}", "z1:2181/kafka", "z1:2181/kafka"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := twoClusterSource("metadata", tt.defaults, tt.cluster)
			fleet, err := Parse("/etc/kfleet/fleet.yaml", []byte(src))
			if err != nil {
				t.Fatalf("Parse:\n%s\n%v", src, err)
			}
			show := func(m Metadata) string {
				if m.ZooKeeper == nil {
					return string(m.Mode())
				}
				return m.ZooKeeper.Connect()
			}
			a, b := fleet.Clusters[0].Metadata, fleet.Clusters[1].Metadata
			if got := show(a); got != tt.want {
				t.Errorf("clusters[0].metadata = %q, want %q", got, tt.want)
			}
			if got := show(b); got != tt.other {
				t.Errorf("clusters[1].metadata = %q, want %q", got, tt.other)
			}
			if a.ZooKeeper != nil && b.ZooKeeper != nil && (a.ZooKeeper == b.ZooKeeper || a.ZooKeeper.Nodes[0] == b.ZooKeeper.Nodes[0]) {
				t.Errorf("clusters share one ensemble")
			}
		})
	}
}

func TestZooKeeperNodeSettingsMerge(t *testing.T) {
	t.Setenv("HOME", testHome)
	builtinSSH := SSH{
		User: (&decoder{}).osUser(), Port: 22, KnownHosts: testHome + "/.ssh/known_hosts",
		HostKeyPolicy: HostKeyStrict, ConnectTimeout: 10 * time.Second, CommandTimeout: 5 * time.Minute,
	}
	builtinService := Service{Start: defaultZooKeeperStart, Stop: defaultZooKeeperStop, Status: defaultZooKeeperStatus, BootID: defaultBootID}
	// Each case writes ssh (or service) at four levels: defaults, the cluster, the ensemble and
	// the node; the innermost level that sets a field wins.
	tests := []struct {
		name                              string
		key                               string // ssh or service
		defaults, cluster, ensemble, node string
		ssh                               func(*SSH)
		service                           func(*Service)
	}{
		{"built-in defaults", "ssh", "{}", "{}", "{}", "{}", func(*SSH) {}, func(*Service) {}},
		{"defaults and cluster ssh apply", "ssh", "{user: kafka, identity_file: /k}", "{sudo: true}", "{}", "{}",
			func(s *SSH) { s.User, s.IdentityFile, s.Sudo = "kafka", "/k", true }, func(*Service) {}},
		{"ensemble beats cluster, node beats ensemble", "ssh", "{user: kafka}", "{port: 2200, sudo: true}", "{port: 2201, user: zk}", "{sudo: false}",
			func(s *SSH) { s.User, s.Port = "zk", 2201 }, func(*Service) {}},
		{"bastion merges per field down to the node", "ssh", "{bastion: {host: jump, user: ops}}", "{}", "{bastion: {port: 2022}}", "{bastion: {user: zkops}}",
			func(s *SSH) { s.Bastion = &Bastion{Host: "jump", Port: 2022, User: "zkops"} }, func(*Service) {}},
		{"bastion null at the ensemble", "ssh", "{bastion: {host: jump}}", "{}", "{bastion: null}", "{}",
			func(*SSH) {}, func(*Service) {}},
		{"the brokers' start, stop and status are never inherited", "service",
			"{start: kafka-start, stop: kafka-stop}", "{status: kafka-status}", "{}", "{}",
			func(*SSH) {}, func(*Service) {}},
		{"boot_id is the host's and is inherited", "service", "{boot_id: cat /etc/bootid}", "{}", "{}", "{}",
			func(*SSH) {}, func(s *Service) { s.BootID = "cat /etc/bootid" }},
		{"ensemble then node service", "service", "{}", "{boot_id: b1}", "{start: zk-start, stop: zk-stop, boot_id: b2}", "{stop: zk3-stop}",
			func(*SSH) {}, func(s *Service) { s.Start, s.Stop, s.BootID = "zk-start", "zk3-stop", "b2" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "defaults:\n  " + tt.key + ": " + tt.defaults + "\nclusters:\n  - name: c\n    bootstrap: [k1:9092]\n    " + tt.key + ": " + tt.cluster +
				"\n    metadata:\n      zookeeper:\n        " + tt.key + ": " + tt.ensemble +
				"\n        nodes:\n          - {id: 1, host: z1, " + tt.key + ": " + tt.node + "}\n    brokers: [{id: 1, host: k1}]\n"
			fleet, err := Parse("/etc/kfleet/fleet.yaml", []byte(src))
			if err != nil {
				t.Fatalf("Parse:\n%s\n%v", src, err)
			}
			n := fleet.Clusters[0].Metadata.ZooKeeper.Nodes[0]
			wantSSH, wantService := builtinSSH, builtinService
			tt.ssh(&wantSSH)
			tt.service(&wantService)
			if !reflect.DeepEqual(n.SSH, wantSSH) {
				t.Errorf("ssh\n got %+v (bastion %+v)\nwant %+v (bastion %+v)", n.SSH, n.SSH.Bastion, wantSSH, wantSSH.Bastion)
			}
			if n.Service != wantService {
				t.Errorf("service\n got %+v\nwant %+v", n.Service, wantService)
			}
		})
	}
}

// An ensemble written under defaults is resolved for each cluster that inherits it: its nodes
// take that cluster's ssh.
func TestDefaultsEnsembleTakesEachClustersSSH(t *testing.T) {
	fleet, err := Parse("/etc/kfleet/fleet.yaml", []byte(`defaults:
  ssh: {user: kafka}
  metadata: {zookeeper: {nodes: [{id: 1, host: z1}]}}
clusters:
  - {name: a, bootstrap: [k1:9092], ssh: {port: 2201}, brokers: [{id: 1, host: k1}]}
  - {name: b, bootstrap: [k2:9092], ssh: {port: 2202}, brokers: [{id: 1, host: k2}]}
`))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{2201, 2202} {
		n := fleet.Clusters[i].Metadata.ZooKeeper.Nodes[0]
		if n.SSH.User != "kafka" || n.SSH.Port != want {
			t.Errorf("clusters[%d] node 1: ssh %s:%d, want kafka:%d", i, n.SSH.User, n.SSH.Port, want)
		}
		if n.Pos.Line != 3 {
			t.Errorf("clusters[%d] node 1 at line %d, want 3 (where it is written)", i, n.Pos.Line)
		}
	}
}

// metadataProblemCases each hold one or more mistakes and every line Parse must report for them,
// in full. They also seed FuzzParse.
var metadataProblemCases = []struct {
	name, in string
	want     []string
}{
	{"mode misspelt as a word", metadataSource("kraf"), []string{
		`fleet.yaml:5:15: clusters[0].metadata: must be kraft (the default) or zookeeper, got the string "kraf"; did you mean "kraft"?`}},
	{"mode misspelt", metadataSource("{mode: zookeper, zookeeper: {nodes: [{id: 1, host: z1}]}}"), []string{
		`fleet.yaml:5:22: clusters[0].metadata.mode: must be kraft (the default) or zookeeper, got the string "zookeper"; did you mean "zookeeper"?`}},
	{"mode far from any", metadataSource("{mode: zk}"), []string{
		`fleet.yaml:5:22: clusters[0].metadata.mode: must be kraft (the default) or zookeeper, got the string "zk"`}},
	{"mode is a boolean", metadataSource("{mode: true}"), []string{
		`fleet.yaml:5:22: clusters[0].metadata.mode: must be kraft (the default) or zookeeper, got the boolean true`}},
	{"zookeeper as a word", metadataSource("zookeeper"), []string{
		`fleet.yaml:5:15: clusters[0].metadata: zookeeper mode needs the ensemble's nodes; write {mode: zookeeper, zookeeper: {nodes: [{id: 1, host: z1.example}, ...]}}`}},
	{"metadata is a list", metadataSource("[kraft]"), []string{
		`fleet.yaml:5:15: clusters[0].metadata: must be kraft, or a mapping such as {mode: zookeeper, zookeeper: {nodes: [{id: 1, host: z1.example}]}}, got a list`}},
	{"zookeeper block with mode kraft", `clusters:
  - name: a
    bootstrap: [k1:9092]
    metadata:
      mode: kraft
      zookeeper:
        nodes: [{id: 1, host: z1}]
    brokers: [{id: 1, host: k1}]
`, []string{
		`fleet.yaml:7:9: clusters[0].metadata.zookeeper: given with mode kraft: a KRaft cluster keeps its metadata in its controllers, not in ZooKeeper; set mode: zookeeper, or remove this block`}},
	{"zookeeper mode without the ensemble", `clusters:
  - name: a
    bootstrap: [k1:9092]
    metadata:
      mode: zookeeper
    brokers: [{id: 1, host: k1}]
`, []string{
		`fleet.yaml:5:7: clusters[0].metadata.zookeeper: required with mode zookeeper: list the ensemble's nodes, e.g. zookeeper: {nodes: [{id: 1, host: z1.example}]}`}},
	{"zookeeper mode with a null ensemble", metadataSource("{mode: zookeeper, zookeeper: null}"), []string{
		`fleet.yaml:5:15: clusters[0].metadata.zookeeper: required with mode zookeeper: list the ensemble's nodes, e.g. zookeeper: {nodes: [{id: 1, host: z1.example}]}`}},
	{"nodes one level too high", metadataSource("{mode: zookeeper, nodes: [{id: 1, host: z1}]}"), []string{
		`fleet.yaml:5:33: clusters[0].metadata.nodes: the ensemble's nodes go under zookeeper: {mode: zookeeper, zookeeper: {nodes: [...]}}`}},
	{"zookeeper key misspelt", metadataSource("{mode: zookeeper, zookeper: {nodes: [{id: 1, host: z1}]}}"), []string{
		`fleet.yaml:5:33: clusters[0].metadata.zookeper: unknown key; did you mean "zookeeper"?`}},
	{"no nodes", metadataSource("{mode: zookeeper, zookeeper: {chroot: /kafka}}"), []string{
		`fleet.yaml:5:44: clusters[0].metadata.zookeeper.nodes: required but missing`}},
	{"empty nodes", metadataSource("{zookeeper: {nodes: []}}"), []string{
		`fleet.yaml:5:35: clusters[0].metadata.zookeeper.nodes: must list at least one node: the ensemble that holds the cluster's metadata`}},
	{"ensemble as a connection string", `clusters:
  - name: a
    bootstrap: [k1:9092]
    metadata:
      zookeeper: z1:2181,z2:2181/kafka
    brokers: [{id: 1, host: k1}]
`, []string{
		`fleet.yaml:5:18: clusters[0].metadata.zookeeper: must be a mapping such as {chroot: /kafka, nodes: [{id: 1, host: z1.example}]} (kfleet builds the connection string from the nodes), got the string "z1:2181,z2:2181/kafka"`}},
	{"nodes is a mapping", metadataSource("{zookeeper: {nodes: {id: 1, host: z1}}}"), []string{
		`fleet.yaml:5:35: clusters[0].metadata.zookeeper.nodes: must be a list of ZooKeeper nodes such as [{id: 1, host: z1.example}], got a mapping`}},
	{"node is a string", metadataSource("{zookeeper: {nodes: [z1]}}"), []string{
		`fleet.yaml:5:36: clusters[0].metadata.zookeeper.nodes[0]: must be a mapping describing a ZooKeeper node, such as {id: 1, host: z1.example}, got the string "z1"`}},
	{"node ids and hosts", `clusters:
  - name: a
    bootstrap: [k1:9092]
    metadata:
      mode: zookeeper
      zookeeper:
        nodes:
          - {id: 0, host: z1}
          - {id: 256, host: z2}
          - {host: z3}
          - {id: 4}
          - {id: "5", host: z5}
    brokers: [{id: 1, host: k1}]
`, []string{
		`fleet.yaml:8:18: clusters[0].metadata.zookeeper.nodes[0].id: must be between 1 and 255, got 0`,
		`fleet.yaml:9:18: clusters[0].metadata.zookeeper.nodes[1].id: must be between 1 and 255, got 256`,
		`fleet.yaml:10:13: clusters[0].metadata.zookeeper.nodes[2].id: required but missing`,
		`fleet.yaml:11:13: clusters[0].metadata.zookeeper.nodes[3].host: required but missing`,
		`fleet.yaml:12:18: clusters[0].metadata.zookeeper.nodes[4].id: must be an integer between 1 and 255, got the string "5"`,
	}},
	{"duplicate id", `clusters:
  - name: a
    bootstrap: [k1:9092]
    metadata:
      zookeeper:
        nodes:
          - {id: 1, host: z1}
          - {id: 2, host: z2}
          - {id: 1, host: z3}
    brokers: [{id: 1, host: k1}]
`, []string{
		`fleet.yaml:9:18: clusters[0].metadata.zookeeper.nodes[2].id: duplicate ZooKeeper node id 1 (first at line 7)`}},
	{"duplicate host:port, case and trailing dot aside", `clusters:
  - name: a
    bootstrap: [k1:9092]
    metadata:
      zookeeper:
        nodes:
          - {id: 1, host: z1.example}
          - {id: 2, host: Z1.example., client_port: 2181}
    brokers: [{id: 1, host: k1}]
`, []string{
		`fleet.yaml:8:27: clusters[0].metadata.zookeeper.nodes[1].host: duplicate ZooKeeper node Z1.example.:2181 (first at line 7)`}},
	{"client port out of range", `clusters:
  - name: a
    bootstrap: [k1:9092]
    metadata:
      zookeeper:
        nodes:
          - {id: 1, host: z1, client_port: 70000}
    brokers: [{id: 1, host: k1}]
`, []string{
		`fleet.yaml:7:44: clusters[0].metadata.zookeeper.nodes[0].client_port: must be between 1 and 65535, got 70000`}},
	{"host with the client port", `clusters:
  - name: a
    bootstrap: [k1:9092]
    metadata:
      zookeeper:
        nodes:
          - {id: 1, host: "z1:2181"}
    brokers: [{id: 1, host: k1}]
`, []string{
		`fleet.yaml:7:27: clusters[0].metadata.zookeeper.nodes[0].host: must be a host name or IP address without a port (the ZooKeeper port is client_port, the SSH port ssh.port), got "z1:2181"`}},
	{"zoo.cfg words and unknown keys on a node", `clusters:
  - name: a
    bootstrap: [k1:9092]
    metadata:
      zookeeper:
        nodes:
          - id: 1
            host: z1
            port: 2181
            myid: 1
            install: {root: /opt/zookeeper}
    brokers: [{id: 1, host: k1}]
`, []string{
		`fleet.yaml:9:13: clusters[0].metadata.zookeeper.nodes[0].port: a ZooKeeper node's client port is client_port (the SSH port is ssh.port)`,
		`fleet.yaml:10:13: clusters[0].metadata.zookeeper.nodes[0].myid: a ZooKeeper node's myid is its id`,
		`fleet.yaml:11:13: clusters[0].metadata.zookeeper.nodes[0].install: unknown key; expected one of: id, host, client_port, ssh, service`,
	}},
	{"chroot problems", `clusters:
  - {name: a, bootstrap: [k1:9092], brokers: [{id: 1, host: k1}], metadata: {zookeeper: {chroot: kafka, nodes: [{id: 1, host: z1}]}}}
  - {name: b, bootstrap: [k1:9092], brokers: [{id: 1, host: k1}], metadata: {zookeeper: {chroot: /, nodes: [{id: 1, host: z1}]}}}
  - {name: c, bootstrap: [k1:9092], brokers: [{id: 1, host: k1}], metadata: {zookeeper: {chroot: /kafka/, nodes: [{id: 1, host: z1}]}}}
  - {name: d, bootstrap: [k1:9092], brokers: [{id: 1, host: k1}], metadata: {zookeeper: {chroot: /a/../b, nodes: [{id: 1, host: z1}]}}}
  - {name: e, bootstrap: [k1:9092], brokers: [{id: 1, host: k1}], metadata: {zookeeper: {chroot: "/a b", nodes: [{id: 1, host: z1}]}}}
`, []string{
		`fleet.yaml:2:98: clusters[0].metadata.zookeeper.chroot: must be an absolute ZooKeeper path such as /kafka (the part of zookeeper.connect after the last host:port), got "kafka"`,
		`fleet.yaml:3:98: clusters[1].metadata.zookeeper.chroot: must be a path below the root (leave chroot out when the cluster's znodes are at the root), got "/"`,
		`fleet.yaml:4:98: clusters[2].metadata.zookeeper.chroot: must not end with '/', got "/kafka/"`,
		`fleet.yaml:5:98: clusters[3].metadata.zookeeper.chroot: must not have empty, '.' or '..' parts, got "/a/../b"`,
		`fleet.yaml:6:98: clusters[4].metadata.zookeeper.chroot: must not contain spaces or control characters, got "/a b"`,
	}},
	{"ensemble ssh and service are checked", `defaults:
  metadata:
    zookeeper:
      ssh: {port: 0, bastion: {port: 2022}}
      service: {stop: ""}
      nodes: [{id: 1, host: z1}, {id: 2, host: z2}]
clusters:
  - {name: a, bootstrap: [k1:9092], brokers: [{id: 1, host: k1}]}
  - {name: b, bootstrap: [k2:9092], brokers: [{id: 1, host: k2}]}
`, []string{
		`fleet.yaml:4:19: defaults.metadata.zookeeper.ssh.port: must be between 1 and 65535, got 0`,
		`fleet.yaml:4:31: defaults.metadata.zookeeper.ssh.bastion.host: required but missing`,
		`fleet.yaml:5:23: defaults.metadata.zookeeper.service.stop: must not be empty`,
	}},
	{"inline secret in the ensemble", metadataSource("{zookeeper: {password: x, nodes: [{id: 1, host: z1}]}}"), []string{
		`fleet.yaml:5:28: clusters[0].metadata.zookeeper.password: inline secrets are not allowed; use password_env or password_file`}},
	{"metadata under a broker", `clusters:
  - name: a
    bootstrap: [k1:9092]
    brokers:
      - {id: 1, host: k1, metadata: kraft}
`, []string{
		`fleet.yaml:5:27: clusters[0].brokers[0].metadata: metadata is set per cluster or in defaults, not per broker; move this to the cluster`}},
	{"metadata key misspelt", `clusters:
  - name: a
    bootstrap: [k1:9092]
    meta_data: kraft
    brokers: [{id: 1, host: k1}]
`, []string{
		`fleet.yaml:4:5: clusters[0].meta_data: unknown key; did you mean "metadata"?`}},
}

func TestMetadataProblems(t *testing.T) {
	for _, tt := range metadataProblemCases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("fleet.yaml", []byte(tt.in))
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("Parse returned %v (%T), want Errors", err, err)
			}
			if got, want := err.Error(), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestMetadataRender(t *testing.T) {
	t.Setenv("HOME", testHome)
	fleet, err := Load(filepath.Join("testdata", "zookeeper.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	assertRenders(t, fleet, []string{
		`"metadata":{"mode":"zookeeper","zookeeper":{"chroot":"/kafka/orders","nodes":[{"id":1,"host":"ord-z1.corp.example","client_port":2181,"ssh":{"user":"zookeeper","port":22,`,
		`"service":{"start":"sudo -n systemctl start confluent-zookeeper","stop":"sudo -n systemctl stop confluent-zookeeper","status":"systemctl is-active confluent-zookeeper","boot_id":"cat /proc/sys/kernel/random/boot_id"}}`,
		`{"id":3,"host":"ord-z3.corp.example","client_port":2182,"ssh":{"user":"zookeeper","port":2222,`,
		`"name":"orders-next","labels":{},"metadata":{"mode":"kraft"},"bootstrap"`,
	}, `metadata:
    mode: zookeeper
    zookeeper:
        chroot: /kafka/orders
        nodes:
            - id: 1
              host: ord-z1.corp.example
              client_port: 2181
              ssh:
                user: zookeeper
                port: 22
                identity_file: /home/sre/.ssh/kfleet_ed25519
`)
	ys := asYAML(t, fleet.Clusters[1])
	if !strings.Contains(ys, "metadata:\n    mode: kraft\nbootstrap:") {
		t.Errorf("a KRaft cluster's yaml lacks metadata: {mode: kraft}:\n%s", ys)
	}
	for _, out := range []string{asJSON(t, fleet), asYAML(t, fleet)} {
		if strings.Contains(out, "Pos") || strings.Contains(out, "Line") {
			t.Errorf("output has positions:\n%s", out)
		}
	}
}

func TestZooKeeperNodesOn(t *testing.T) {
	fleet, err := Parse("fleet.yaml", []byte(`clusters:
  - name: a
    bootstrap: [k1:9092]
    metadata:
      zookeeper:
        nodes:
          - {id: 1, host: k1.example}
          - {id: 2, host: z2.example}
          - {id: 3, host: z2.example, client_port: 2182}
    brokers: [{id: 1, host: k1.example}]
  - name: b
    bootstrap: [k2:9092]
    brokers: [{id: 1, host: k2.example}]
`))
	if err != nil {
		t.Fatal(err)
	}
	a, b := fleet.Clusters[0], fleet.Clusters[1]
	ids := func(ns []*ZooKeeperNode) []int {
		var out []int
		for _, n := range ns {
			out = append(out, n.ID)
		}
		return out
	}
	for _, tt := range []struct {
		c    *Cluster
		host string
		want []int
	}{
		{a, "k1.example", []int{1}}, // a broker's host that also carries a ZooKeeper node
		{a, "K1.Example.", []int{1}},
		{a, "z2.example", []int{2, 3}},
		{a, "z9.example", nil},
		{b, "k2.example", nil},
	} {
		if got := ids(tt.c.ZooKeeperNodesOn(tt.host)); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s.ZooKeeperNodesOn(%q) = %v, want %v", tt.c.Name, tt.host, got, tt.want)
		}
	}
	if got := a.Metadata.ZooKeeper.Nodes[2].Address(); got != "z2.example:2182" {
		t.Errorf("Address() = %q, want z2.example:2182", got)
	}
}

func TestCheckFilesCoversZooKeeperNodes(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(key, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "fleet.yaml")
	body := `defaults:
  ssh: {identity_file: ` + key + `, host_key_policy: accept-new}
clusters:
  - name: a
    bootstrap: ["h1:9092"]
    metadata:
      zookeeper:
        ssh: {known_hosts: ` + filepath.Join(dir, "zk_known_hosts") + `, host_key_policy: strict}
        nodes:
          - {id: 1, host: z1}
          - {id: 2, host: z2, ssh: {identity_file: ` + filepath.Join(dir, "zk_key") + `, bastion: {host: jump, identity_file: ` + filepath.Join(dir, "jump_key") + `}}}
    brokers:
      - {id: 1, host: h1}
`
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Load(p)
	if err != nil {
		t.Fatalf("loading does not check files: %v", err)
	}
	got := CheckFiles(f).Error()
	for _, want := range []string{
		"clusters[0].metadata.zookeeper.nodes[0].ssh.known_hosts: " + filepath.Join(dir, "zk_known_hosts") + ": no such file or directory",
		"clusters[0].metadata.zookeeper.nodes[1].ssh.identity_file: " + filepath.Join(dir, "zk_key") + ": no such file or directory",
		"clusters[0].metadata.zookeeper.nodes[1].ssh.bastion.identity_file: " + filepath.Join(dir, "jump_key") + ": no such file or directory",
		p + ":10:13: ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("CheckFiles lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "brokers[0]") || strings.Contains(got, key+":") {
		t.Errorf("CheckFiles complains about the brokers or a readable key:\n%s", got)
	}
}

// docs/inventory.md's "Metadata: KRaft or ZooKeeper" shows testdata/zookeeper.yaml, and under
// "Metadata errors" a file and exactly what validate prints for it; both must stay true.
func TestMetadataDocsMatchTheTests(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "inventory.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := func(heading string) string {
		_, after, ok := strings.Cut(string(doc), "\n"+heading+"\n")
		if !ok {
			t.Fatalf("docs/inventory.md has no %q", heading)
		}
		return after
	}
	// blocks returns the first n fenced blocks of s.
	blocks := func(s string, n int) []string {
		var out []string
		for len(out) < n {
			_, rest, ok := strings.Cut(s, "```")
			if !ok {
				t.Fatalf("docs/inventory.md: fewer than %d code blocks", n)
			}
			_, rest, _ = strings.Cut(rest, "\n") // the fence's language
			body, after, _ := strings.Cut(rest, "```")
			out, s = append(out, body), after
		}
		return out
	}

	example := blocks(section("## Metadata: KRaft or ZooKeeper"), 1)[0]
	data, err := os.ReadFile(filepath.Join("testdata", "zookeeper.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, testdata, _ := strings.Cut(string(data), "\n") // less its first line, a comment
	if example != testdata {
		t.Errorf("the docs' example is not testdata/zookeeper.yaml (less its comment)\ndocs:\n%s\ntestdata:\n%s", example, testdata)
	}

	bs := blocks(section("### Metadata errors"), 2)
	_, err = Parse("fleet.yaml", []byte(bs[0]))
	if err == nil {
		t.Fatal("the docs' bad file parses")
	}
	_, printed, _ := strings.Cut(bs[1], "\n") // less the $ kfleet line
	want := strings.TrimSuffix(strings.TrimPrefix(printed, "kfleet: "), "\n")
	if err.Error() != want {
		t.Errorf("docs say validate prints:\n%s\nParse says:\n%s", want, err)
	}
}
