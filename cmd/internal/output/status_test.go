package output

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
)

// identityHealth is a healthy cluster whose inventory has brokers 2 and 3 swapped: the host of
// broker 2 runs broker 3, and Kafka has broker 2 registered at broker 3's inventory host.
func identityHealth() cluster.Health {
	c := &inventory.Cluster{Name: "pay", Brokers: []*inventory.Broker{
		{ID: 1, Host: "10.0.0.1", Rack: "a"}, {ID: 2, Host: "10.0.0.3", Rack: "b"}, {ID: 3, Host: "10.0.0.2", Rack: "c"}}}
	s := &cluster.Snapshot{Cluster: "pay", Controller: 1, Brokers: []cluster.Broker{
		{ID: 1, Host: "10.0.0.1", Port: 9092, Rack: "a"}, {ID: 2, Host: "10.0.0.2", Port: 9092, Rack: "b"},
		{ID: 3, Host: "10.0.0.3", Port: 9092, Rack: "c"}}}
	procs := map[int32]cluster.BrokerProcess{
		1: {Running: true, Version: "4.1.1", NodeID: 1, HasNodeID: true},
		2: {Running: true, Version: "4.1.1", NodeID: 3, HasNodeID: true},
		3: {Running: true, Version: "4.1.1", NodeID: 2, HasNodeID: true}}
	h := cluster.Assess(c, s, procs, nil)
	h.Warnings = append(h.Warnings, "lease log: not readable")
	h.MarkEndpointMismatch(2, "10.0.0.2:9092")
	return h
}

// Identity warnings print even when status prints no other warning (a healthy cluster, not
// verbose), and once each when it prints them all.
func TestStatusTableAlwaysSaysWhichBrokersAreMisaddressed(t *testing.T) {
	h := identityHealth()
	const (
		runs     = "! broker 2 (10.0.0.3): the Kafka process on its host was started as broker 3, not broker 2: check the inventory"
		runs3    = "! broker 3 (10.0.0.2): the Kafka process on its host was started as broker 2, not broker 3: check the inventory"
		endpoint = "! broker 2 (10.0.0.3): Kafka has it registered at 10.0.0.2:9092; the inventory's host differs: check the inventory"
		other    = "! lease log: not readable"
	)
	for _, verbose := range []bool{false, true} {
		var out bytes.Buffer
		if err := StatusTable([]cluster.Health{h}, nil, verbose)(&out); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		for _, line := range []string{runs, runs3, endpoint} {
			if n := strings.Count(got, line); n != 1 {
				t.Errorf("verbose %v: %q printed %d times, want once:\n%s", verbose, line, n, got)
			}
		}
		if strings.Contains(got, other) != verbose {
			t.Errorf("verbose %v: other warnings printed = %v:\n%s", verbose, !verbose, got)
		}
	}
}

// -o json and -o yaml carry the mismatches on the broker; brokers without one have no such keys.
func TestStatusDocumentCarriesIdentityMismatches(t *testing.T) {
	h := identityHealth()
	data, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Brokers []map[string]any `json:"brokers"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	b1, b2 := doc.Brokers[0], doc.Brokers[1]
	if b2["endpoint_mismatch"] != "10.0.0.2:9092" || b2["node_id_mismatch"] != float64(3) {
		t.Errorf("broker 2 = %v, want endpoint_mismatch 10.0.0.2:9092 and node_id_mismatch 3", b2)
	}
	if _, ok := b1["endpoint_mismatch"]; ok {
		t.Errorf("broker 1 has an endpoint_mismatch: %v", b1)
	}
	if _, ok := b1["node_id_mismatch"]; ok {
		t.Errorf("broker 1 has a node_id_mismatch: %v", b1)
	}
	y, err := yaml.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(y), "endpoint_mismatch: 10.0.0.2:9092") || !strings.Contains(string(y), "node_id_mismatch: 3") {
		t.Errorf("yaml lacks the mismatches:\n%s", y)
	}
}
