package fleet

import (
	"context"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kfleet/kfleet/ops/cluster"
)

// endpointLookupTimeout bounds one cluster's name lookups: a slow resolver must not hold status
// back, and a name that does not resolve in time is simply not compared.
const endpointLookupTimeout = 2 * time.Second

// lookupHost resolves a host name (an address resolves to itself), as net.Resolver.LookupHost.
type lookupHost func(ctx context.Context, host string) ([]string, error)

// flagEndpoints warns about each inventory broker that Kafka has registered at another machine
// than its inventory host: with two brokers' ids swapped in the inventory, each id's host is
// where Kafka has the other. Names that differ only in spelling (case, a trailing dot, a name
// and its address) are the same machine when they resolve to a shared address; a name that does
// not resolve proves nothing and is not flagged.
func flagEndpoints(ctx context.Context, h *cluster.Health, lookup lookupHost) {
	type pair struct {
		id       int32
		inv, reg string // the inventory's host; the host Kafka registered
		at       string // registered host:port
	}
	var pairs []pair
	names := map[string][]string{}
	for _, b := range h.Brokers {
		if !b.InInventory || h.Snapshot == nil {
			continue
		}
		kb, ok := h.Snapshot.Broker(b.ID)
		if !ok || kb.Host == "" || sameName(b.Host, kb.Host) {
			continue
		}
		pairs = append(pairs, pair{b.ID, b.Host, kb.Host, net.JoinHostPort(kb.Host, strconv.Itoa(int(kb.Port)))})
		names[b.Host], names[kb.Host] = nil, nil
	}
	if len(pairs) == 0 {
		return
	}
	resolveAll(ctx, names, lookup)
	for _, p := range pairs {
		a, b := names[p.inv], names[p.reg]
		if len(a) == 0 || len(b) == 0 || intersect(a, b) {
			continue
		}
		h.MarkEndpointMismatch(p.id, p.at)
	}
}

// sameName reports whether two host names are spelled the same, as DNS compares them.
func sameName(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}

// resolveAll fills names with each name's addresses, a bounded number of lookups at a time,
// all within endpointLookupTimeout; a failed lookup leaves its name without addresses.
func resolveAll(ctx context.Context, names map[string][]string, lookup lookupHost) {
	ctx, cancel := context.WithTimeout(ctx, endpointLookupTimeout)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	// Range over the names apart from the map the lookups fill: a map written while ranged over
	// is a data race.
	for _, name := range slices.Collect(maps.Keys(names)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			addrs, err := lookup(ctx, name)
			if err != nil {
				return
			}
			mu.Lock()
			names[name] = addrs
			mu.Unlock()
		}()
	}
	wg.Wait()
}

// intersect reports whether two address lists share an address, however each spells it.
func intersect(a, b []string) bool {
	for _, x := range a {
		ipx := net.ParseIP(x)
		for _, y := range b {
			if ipy := net.ParseIP(y); x == y || (ipx != nil && ipx.Equal(ipy)) {
				return true
			}
		}
	}
	return false
}
