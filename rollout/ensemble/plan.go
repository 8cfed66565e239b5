package ensemble

import (
	"fmt"

	"github.com/kfleet/kfleet/ops/zookeeper"
)

// Plan is the order an ensemble restart would take now.
type Plan struct {
	Kind    string     `json:"kind" yaml:"kind"`
	OpID    string     `json:"op" yaml:"op"`
	Cluster string     `json:"cluster" yaml:"cluster"`
	Order   []PlanNode `json:"order" yaml:"order"` // followers (and nodes that are down) first, the leader last
	Done    []int      `json:"done,omitempty" yaml:"done,omitempty"`
	Leader  int        `json:"leader" yaml:"leader"` // -1: none
	Healthy bool       `json:"healthy" yaml:"healthy"`
	// Problems are the ensemble's, as status says them.
	Problems []string `json:"problems" yaml:"problems"`
	// GateNow is the gate's verdict on the first node now.
	GateNow  Verdict  `json:"gate_now" yaml:"gate_now"`
	Settings Settings `json:"settings" yaml:"settings"`
}

// PlanNode is one node in the order.
type PlanNode struct {
	ID      int    `json:"id" yaml:"id"`
	Address string `json:"address" yaml:"address"`
	Mode    string `json:"mode" yaml:"mode"` // leader, follower, ...; "down" when it did not answer
}

// Verdict is the gate's answer for one node.
type Verdict struct {
	OK      bool     `json:"ok" yaml:"ok"`
	Reasons []string `json:"reasons,omitempty" yaml:"reasons,omitempty"`
}

// Work counts the nodes to restart.
func (p *Plan) Work() int { return len(p.Order) }

// Question asks for confirmation.
func (p *Plan) Question() string {
	return fmt.Sprintf("restart %d zookeeper node(s) of %s, one at a time, the leader last?", len(p.Order), p.Cluster)
}

// member is node id of e (a zero Member with just the id when e does not list it).
func member(e zookeeper.Ensemble, id int) zookeeper.Member {
	for _, m := range e.Members {
		if m.ID == id {
			return m
		}
	}
	return zookeeper.Member{Node: zookeeper.Node{ID: id}}
}

// modeOf is the node's mode as the plan shows it.
func modeOf(m zookeeper.Member) string {
	if !m.Up || m.Mode == "" {
		return "down"
	}
	return string(m.Mode)
}
