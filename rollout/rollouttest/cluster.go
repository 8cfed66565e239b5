// Package rollouttest holds fakes of a cluster and its hosts for tests of the rolling engine and
// of the operations that ride on it, in any package. It is imported by tests only.
package rollouttest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/host"
)

// Cluster is a tiny Kafka + hosts model: stopping a broker fences it and drops it from every
// ISR; starting it registers it again and it rejoins ISRs after CatchUpPolls snapshots.
type Cluster struct {
	mu           sync.Mutex
	Racks        map[int32]string
	Running      map[int32]bool
	PID          map[int32]int
	CatchUp      map[int32]int // snapshots left until the broker is back in ISR
	CatchUpPolls int
	Replicas     [][]int32
	MinISR       int
	Controller   int32
	StartFails   map[int32]bool
	Log          []string // service actions in order, e.g. "stop 1"
	WorstISR     int      // smallest ISR seen for any partition in any snapshot
	Elections    int
	// Leader is each partition's leader, as Kafka keeps it: it moves when the leader stops
	// serving, and back to the preferred replica only by an election (ElectPreferred).
	Leader map[int]int32
}

// New is a cluster of brokers 1..brokers in racks a, b, c, with partitions partitions of
// replication factor rf, min ISR 2, the last broker the controller; every broker running.
func New(brokers int, rf int, partitions int) *Cluster {
	f := &Cluster{Racks: map[int32]string{}, Running: map[int32]bool{}, PID: map[int32]int{},
		CatchUp: map[int32]int{}, CatchUpPolls: 2, MinISR: 2, Controller: int32(brokers), StartFails: map[int32]bool{},
		WorstISR: 1 << 30}
	for id := int32(1); id <= int32(brokers); id++ {
		f.Racks[id] = string(rune('a' + (id-1)%3))
		f.Running[id] = true
		f.PID[id] = 100 + int(id)
	}
	for p := 0; p < partitions; p++ {
		var r []int32
		for i := 0; i < rf; i++ {
			r = append(r, int32((p+i)%brokers)+1)
		}
		f.Replicas = append(f.Replicas, r)
	}
	return f
}

func (f *Cluster) Snapshot(ctx context.Context) (*cluster.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := &cluster.Snapshot{Cluster: "c", Controller: f.Controller, TakenAt: time.Now(),
		Topics: []cluster.Topic{{Name: "orders", MinISR: f.MinISR}}}
	for id := int32(1); id <= int32(len(f.Racks)); id++ {
		s.Brokers = append(s.Brokers, cluster.Broker{ID: id, Rack: f.Racks[id], Fenced: !f.Running[id]})
		if f.Running[id] && f.CatchUp[id] > 0 {
			f.CatchUp[id]--
		}
	}
	for i, r := range f.Replicas {
		p := cluster.Partition{Topic: 0, ID: int32(i), Leader: -1, Replicas: r}
		for _, b := range r {
			if f.Running[b] && f.CatchUp[b] == 0 {
				p.ISR = append(p.ISR, b)
			}
		}
		if f.Leader == nil {
			f.Leader = map[int]int32{}
		}
		if cur, ok := f.Leader[i]; !ok || !slices.Contains(p.ISR, cur) {
			f.Leader[i] = -1
			if len(p.ISR) > 0 {
				f.Leader[i] = p.ISR[0]
			}
		}
		p.Leader = f.Leader[i]
		f.WorstISR = min(f.WorstISR, len(p.ISR))
		s.Partitions = append(s.Partitions, p)
	}
	s.Counts = s.Count()
	return s, nil
}

func (f *Cluster) ElectPreferred(ctx context.Context, parts map[string][]int32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Elections++
	for _, p := range parts["orders"] {
		if pref := f.Replicas[p][0]; f.Running[pref] && f.CatchUp[pref] == 0 {
			if f.Leader == nil {
				f.Leader = map[int]int32{}
			}
			f.Leader[int(p)] = pref
		}
	}
	return nil
}

// NotPreferred lists the partitions whose leader is not their preferred replica (as of the
// last snapshot and elections).
func (f *Cluster) NotPreferred() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int
	for i, r := range f.Replicas {
		if l, ok := f.Leader[i]; ok && l != r[0] {
			out = append(out, i)
		}
	}
	return out
}

func (f *Cluster) Service(ctx context.Context, b *inventory.Broker, a host.ServiceAction) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Log = append(f.Log, fmt.Sprintf("%s %d", a, b.ID))
	switch a {
	case host.ServiceStop:
		f.Running[b.ID] = false
	case host.ServiceStart:
		if f.StartFails[b.ID] {
			return fmt.Errorf("start of broker %d failed", b.ID)
		}
		if !f.Running[b.ID] {
			f.Running[b.ID] = true
			f.PID[b.ID] += 1000
			f.CatchUp[b.ID] = f.CatchUpPolls
		}
	}
	return nil
}

func (f *Cluster) Process(ctx context.Context, b *inventory.Broker) (cluster.BrokerProcess, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.Running[b.ID] {
		return cluster.BrokerProcess{}, nil
	}
	return cluster.BrokerProcess{Running: true, PID: f.PID[b.ID], StartTicks: uint64(f.PID[b.ID])}, nil
}

func (f *Cluster) Actions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.Log)
}
