package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

var (
	rootKeys    = []string{"defaults", "clusters"}
	clusterKeys = []string{"name", "labels", "maintenance", "bootstrap", "kafka", "config", "ssh", "service", "install", "hooks", "brokers", "metadata"}
	// defaultsKeys are the host settings plus the cluster-wide labels, maintenance, hooks and
	// metadata.
	defaultsKeys = []string{"labels", "maintenance", "ssh", "service", "install", "hooks", "metadata"}
	brokerKeys   = []string{"id", "host", "rack", "config", "ssh", "service", "install"}
)

// DefaultPath is the inventory used when none is given: $KFLEET_INVENTORY, else ./fleet.yaml.
func DefaultPath() string {
	if p := os.Getenv("KFLEET_INVENTORY"); p != "" {
		return p
	}
	return "fleet.yaml"
}

// Load reads, validates and resolves the inventory at path. Problems in the file come back
// together as Errors; a file that cannot be read comes back as the read error.
func Load(path string) (*Fleet, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading inventory: %w (pass -i/--inventory FILE or set KFLEET_INVENTORY)", err)
	}
	if err != nil {
		return nil, fmt.Errorf("reading inventory: %w", err)
	}
	return Parse(path, data)
}

// Parse is Load for an inventory already in memory; file names it in errors and anchors its
// relative paths. Any error is Errors.
func Parse(file string, data []byte) (*Fleet, error) {
	d := &decoder{file: file, dir: filepath.Dir(file)}
	if abs, err := filepath.Abs(d.dir); err == nil {
		d.dir = abs
	}
	d.home, d.homeErr = os.UserHomeDir()
	fleet, complete := d.run(data)
	if len(d.errs) > 0 {
		return nil, d.report(complete)
	}
	return fleet, nil
}

// run decodes data; complete is false when decoding stopped early.
func (d *decoder) run(data []byte) (fleet *Fleet, complete bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(stop); !ok {
				panic(r)
			}
			fleet, complete = nil, false
		}
	}()
	root := d.document(data)
	if root == nil {
		return nil, true
	}
	return d.fleet(root), true
}

// report sorts the problems into file order and keeps the first maxReported.
func (d *decoder) report(complete bool) Errors {
	out := slices.Clone(d.errs)
	slices.SortStableFunc(out, func(a, b *Error) int {
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		return a.Pos.Column - b.Pos.Column
	})
	if len(out) > maxReported {
		more := fmt.Sprintf("%d more problems not shown", len(out)-maxReported)
		if !complete {
			more = "more problems not shown"
		}
		out = append(out[:maxReported], &Error{Pos: out[maxReported].Pos, Msg: more})
	}
	return out
}

// yamlLineRE picks the line out of yaml.v3's syntax errors ("yaml: line 3: did not find
// expected key"). yaml.v3 omits the line for problems on line 1.
var yamlLineRE = regexp.MustCompile(`(?s)^yaml: line (\d+): (.*)$`)

// document parses data into the root node of its single YAML document, or returns nil after
// reporting why there is none.
func (d *decoder) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := decodeNode(dec, &doc)
	if err == io.EOF || err == nil && (len(doc.Content) == 0 || isNull(doc.Content[0])) {
		d.errorf(nil, "", "the inventory is empty; it needs at least a clusters list (see docs/inventory.md)")
		return nil
	}
	if err != nil {
		d.syntaxError(err, data)
		return nil
	}
	var extra yaml.Node
	switch err := decodeNode(dec, &extra); {
	case err == io.EOF:
	case err != nil:
		d.syntaxError(err, data)
		return nil
	default:
		d.errorf(&extra, "", "the inventory must be a single YAML document; remove the second '---'")
		return nil
	}
	return doc.Content[0]
}

// decodeNode keeps a panic inside the YAML parser, on input it did not expect, from taking
// kfleet down with it.
func decodeNode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: cannot parse: %v", r)
		}
	}()
	return dec.Decode(n)
}

func (d *decoder) syntaxError(err error, data []byte) {
	line, msg := 1, strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil && n > 0 {
			line = n
		}
		msg = m[2]
	}
	// The most common cause by far, and yaml.v3 does not say it.
	if lines := bytes.Split(data, []byte("\n")); line <= len(lines) && bytes.HasPrefix(bytes.TrimLeft(lines[line-1], " "), []byte("\t")) {
		msg += " (indent with spaces: YAML does not allow tabs)"
	}
	d.errorAt(Pos{File: d.file, Line: line, Column: 1}, "", "invalid YAML: %s", msg)
}

func (d *decoder) fleet(root *yaml.Node) *Fleet {
	root = d.deref(root)
	if root.Kind != yaml.MappingNode {
		d.errorf(root, "", "the inventory must be a mapping with defaults and clusters, got %s", describe(root))
		return nil
	}
	top := d.mapping(root, "", rootKeys)
	var base clusterBase
	if defs := d.mapping(top.get("defaults"), "defaults", defaultsKeys); defs != nil {
		base.labels = d.labels(defs.get("labels"), "defaults.labels")
		base.maintenance, _ = d.maintenance(defs.get("maintenance"), "defaults.maintenance")
		base.settings = d.layers(defs, "defaults")
		base.hooks = d.hooksLayer(defs.get("hooks"), "defaults.hooks")
		base.metadata, _ = d.metadata(defs.get("metadata"), "defaults.metadata")
	}
	fleet := &Fleet{File: d.file}
	cn := d.required(top, "clusters")
	if cn == nil {
		return nil
	}
	items, ok := d.sequence(cn, "clusters", "a list of clusters")
	if !ok {
		return nil
	}
	if len(items) == 0 {
		d.errorf(d.deref(cn), "clusters", "must list at least one cluster")
	}
	names := map[string]*yaml.Node{}
	for i, item := range items {
		if c := d.cluster(item, index("clusters", i), base, names); c != nil {
			fleet.Clusters = append(fleet.Clusters, c)
		}
	}
	return fleet
}

// clusterBase is what defaults gives every cluster.
type clusterBase struct {
	labels      map[string]string
	maintenance *Maintenance
	settings    layers
	hooks       hooksLayer
	metadata    metadataLayer
}

func (d *decoder) cluster(n *yaml.Node, path string, base clusterBase, names map[string]*yaml.Node) *Cluster {
	n = d.deref(n)
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping describing a cluster")
		return nil
	}
	f := d.mapping(n, path, clusterKeys)
	c := &Cluster{Pos: d.pos(n)}
	if v := d.required(f, "name"); v != nil {
		if name := d.clusterName(v, join(path, "name")); name != nil {
			c.Name = *name
			v = d.deref(v)
			if first, dup := names[c.Name]; dup {
				d.errorf(v, join(path, "name"), "duplicate cluster name %q (first at line %d)", c.Name, first.Line)
			} else {
				names[c.Name] = v
			}
		}
	}
	c.Labels = mergeLabels(base.labels, d.labels(f.get("labels"), join(path, "labels")))
	c.Maintenance = base.maintenance.clone()
	if m, written := d.maintenance(f.get("maintenance"), join(path, "maintenance")); written {
		c.Maintenance = m // replaces the defaults' as a whole
	}
	c.Bootstrap = d.bootstrap(d.required(f, "bootstrap"), join(path, "bootstrap"))
	c.Kafka = d.kafka(f.get("kafka"), join(path, "kafka"))
	var configAt configKeyNodes
	c.Config, configAt = d.config(f.get("config"), join(path, "config"))

	hooks := base.hooks
	hooks.over(d.hooksLayer(f.get("hooks"), join(path, "hooks")))
	c.Hooks = hooks.resolve()

	settings := base.settings
	settings.over(d.layers(f, path))

	metadata := base.metadata
	if m, written := d.metadata(f.get("metadata"), join(path, "metadata")); written {
		metadata = m // replaces the defaults' as a whole
	}
	c.Metadata = d.resolveMetadata(metadata, settings)

	bn := d.required(f, "brokers")
	if bn == nil {
		return c
	}
	bpath := join(path, "brokers")
	items, ok := d.sequence(bn, bpath, "a list of brokers")
	if !ok {
		return c
	}
	if len(items) == 0 {
		d.errorf(d.deref(bn), bpath, "must list at least one broker")
	}
	ids, hosts := map[int32]*yaml.Node{}, map[string]*yaml.Node{}
	for j, item := range items {
		if b := d.broker(item, index(bpath, j), settings, configAt, ids, hosts); b != nil {
			c.Brokers = append(c.Brokers, b)
		}
	}
	return c
}

// broker decodes one broker entry; ids and hosts hold those already seen in its cluster, and
// clusterConfig says where the cluster's config keys are, for overrides on the wrong side.
func (d *decoder) broker(n *yaml.Node, path string, settings layers, clusterConfig configKeyNodes, ids map[int32]*yaml.Node, hosts map[string]*yaml.Node) *Broker {
	n = d.deref(n)
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping describing a broker")
		return nil
	}
	f := d.mappingExcept(n, path, brokerKeys, brokerMisplaced)
	b := &Broker{Pos: d.pos(n)}
	if v := d.required(f, "id"); v != nil {
		if id := d.integer(v, join(path, "id"), 0, math.MaxInt32); id != nil {
			b.ID = int32(*id)
			v = d.deref(v)
			if first, dup := ids[b.ID]; dup {
				d.errorf(v, join(path, "id"), "duplicate broker id %d (first at line %d)", b.ID, first.Line)
			} else {
				ids[b.ID] = v
			}
		}
	}
	if v := d.required(f, "host"); v != nil {
		if h := d.host(v, join(path, "host")); h != nil {
			b.Host = *h
			v = d.deref(v)
			key := strings.ToLower(strings.TrimSuffix(b.Host, "."))
			if first, dup := hosts[key]; dup {
				d.errorf(v, join(path, "host"), "duplicate broker host %q (first at line %d)", b.Host, first.Line)
			} else {
				hosts[key] = v
			}
		}
	}
	b.Rack = or(d.str(f.get("rack"), join(path, "rack")), "")
	cfg, configAt := d.config(f.get("config"), join(path, "config"))
	if len(cfg.Dynamic)+len(cfg.Static) > 0 {
		b.Config = &cfg
	}
	d.configClash(clusterConfig, configAt, join(path, "config"))

	settings.over(d.layers(f, path))
	b.SSH = d.resolveSSH(settings.ssh, b.Pos, join(path, "ssh"))
	b.Service = settings.service.resolve()
	b.Install = settings.install.resolve()
	return b
}
