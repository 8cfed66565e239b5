package host

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kfleet/kfleet/ops/cluster"
)

// ProcessCache remembers, per broker host and config file, the Kafka process a probe found: its
// pid and start time, its version and the node id it was started with. A later probe of the same
// process then only confirms, with shell builtins, that the pid still has that start time, and
// reads nothing else: what costs a status with hosts is otherwise a scan of every process's
// command line on each host. A process that restarted (another pid or start time) is probed in
// full again. The TUI and `status --watch` keep one in memory; one-shot `status` keeps it in the
// state dir (Load, Save). Safe for concurrent use; a nil cache remembers nothing.
type ProcessCache struct {
	mu sync.Mutex
	m  map[string]cluster.BrokerProcess
}

// NewProcessCache is an empty cache.
func NewProcessCache() *ProcessCache { return &ProcessCache{m: map[string]cluster.BrokerProcess{}} }

func cacheKey(host, configFile string) string { return host + "\x00" + configFile }

// get is what the cache knows of the process on host with configFile; nil when nothing.
func (c *ProcessCache) get(host, configFile string) *cluster.BrokerProcess {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.m[cacheKey(host, configFile)]; ok {
		return &p
	}
	return nil
}

// Recent is the process the cache knows on host with configFile when its host confirmed it no
// longer than maxAge before now; false otherwise (nothing known, or known for too long).
func (c *ProcessCache) Recent(host, configFile string, maxAge time.Duration, now time.Time) (cluster.BrokerProcess, bool) {
	p := c.get(host, configFile)
	if p == nil || maxAge <= 0 || p.Checked.IsZero() || now.Sub(p.Checked) > maxAge || p.Checked.After(now) {
		return cluster.BrokerProcess{}, false
	}
	return *p, true
}

// put remembers a running process; a probe that failed or found none forgets the host's.
func (c *ProcessCache) put(host, configFile string, p cluster.BrokerProcess, err error) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil || !p.Running || p.StartTicks == 0 {
		delete(c.m, cacheKey(host, configFile))
		return
	}
	c.m[cacheKey(host, configFile)] = p
}

// cachedProcess is one entry as the state dir keeps it.
type cachedProcess struct {
	Host       string    `json:"host"`
	ConfigFile string    `json:"config_file"`
	PID        int       `json:"pid"`
	StartTicks uint64    `json:"start_ticks"`
	Version    string    `json:"version"`
	NodeID     *int32    `json:"node_id,omitempty"`
	BootID     string    `json:"boot_id"`
	Checked    time.Time `json:"checked,omitzero"`
}

// ProcessCacheFile is where a state dir keeps the cache.
func ProcessCacheFile(stateDir string) string { return filepath.Join(stateDir, "processes.json") }

// LoadProcessCache reads the cache a state dir keeps; a missing or unreadable file is an empty
// cache (it only ever saves work).
func LoadProcessCache(file string) *ProcessCache {
	c := NewProcessCache()
	data, err := os.ReadFile(file)
	if err != nil {
		return c
	}
	var entries []cachedProcess
	if json.Unmarshal(data, &entries) != nil {
		return c
	}
	for _, e := range entries {
		p := cluster.BrokerProcess{Running: true, PID: e.PID, StartTicks: e.StartTicks, Version: e.Version, BootID: e.BootID, Checked: e.Checked}
		if e.NodeID != nil {
			p.NodeID, p.HasNodeID = *e.NodeID, true
		}
		c.m[cacheKey(e.Host, e.ConfigFile)] = p
	}
	return c
}

// Save writes the cache to file (replaced whole, so a reader never sees half of it).
func (c *ProcessCache) Save(file string) error {
	c.mu.Lock()
	entries := make([]cachedProcess, 0, len(c.m))
	for k, p := range c.m {
		host, cfg, _ := strings.Cut(k, "\x00")
		e := cachedProcess{Host: host, ConfigFile: cfg, PID: p.PID, StartTicks: p.StartTicks, Version: p.Version, BootID: p.BootID, Checked: p.Checked}
		if p.HasNodeID {
			id := p.NodeID
			e.NodeID = &id
		}
		entries = append(entries, e)
	}
	c.mu.Unlock()
	data, err := json.Marshal(entries)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".processes-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}
