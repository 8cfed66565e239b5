package reassign

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/kfleet/kfleet/ops/cluster"
)

// KafkaPlan is Kafka's reassignment JSON, the format kafka-reassign-partitions reads with
// --execute and writes with --generate:
//
//	{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2,3]}]}
type KafkaPlan struct {
	Version    int              `json:"version"`
	Partitions []KafkaPartition `json:"partitions"`
}

// KafkaPartition is one entry: the partition's complete new replica list, preferred leader first.
type KafkaPartition struct {
	Topic     string   `json:"topic"`
	Partition int32    `json:"partition"`
	Replicas  []int32  `json:"replicas"`
	LogDirs   []string `json:"log_dirs,omitempty"`
}

// KafkaJSON renders the plan's moves in Kafka's format, in the plan's order.
func (p *Plan) KafkaJSON() KafkaPlan {
	return MovesKafkaJSON(p.Moves)
}

// MovesKafkaJSON renders moves in Kafka's format.
func MovesKafkaJSON(moves []Move) KafkaPlan {
	k := KafkaPlan{Version: 1, Partitions: make([]KafkaPartition, 0, len(moves))}
	for _, m := range moves {
		k.Partitions = append(k.Partitions, KafkaPartition{Topic: m.Topic, Partition: m.Partition, Replicas: m.Target})
	}
	return k
}

// ParseKafkaPlan reads Kafka's reassignment JSON strictly: an unknown key is an error, and so is
// an entry without replicas (a null replica list would cancel a reassignment, not make one).
// log_dirs is accepted only as "any" for every replica: kfleet does not move between log dirs.
func ParseKafkaPlan(r io.Reader, name string) (KafkaPlan, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return KafkaPlan{}, &InvalidError{What: name, Problems: []string{err.Error()}}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var k KafkaPlan
	if err := dec.Decode(&k); err != nil {
		return KafkaPlan{}, &InvalidError{What: name, Problems: []string{"not Kafka's reassignment JSON: " + jsonError(data, err)}}
	}
	if dec.More() {
		return KafkaPlan{}, &InvalidError{What: name, Problems: []string{"trailing data after the JSON object"}}
	}
	var problems []string
	if k.Version != 1 {
		problems = append(problems, fmt.Sprintf("version %d: only version 1 is known", k.Version))
	}
	if len(k.Partitions) == 0 {
		problems = append(problems, `no "partitions": nothing to reassign`)
	}
	for i, e := range k.Partitions {
		where := fmt.Sprintf("partitions[%d] (%s-%d)", i, e.Topic, e.Partition)
		if e.Topic == "" {
			problems = append(problems, fmt.Sprintf("partitions[%d]: no topic", i))
		}
		if e.Replicas == nil {
			problems = append(problems, where+`: no "replicas"`)
		}
		if e.LogDirs != nil {
			if len(e.LogDirs) != len(e.Replicas) {
				problems = append(problems, fmt.Sprintf("%s: %d log_dirs for %d replicas", where, len(e.LogDirs), len(e.Replicas)))
			}
			for _, d := range e.LogDirs {
				if d != "any" {
					problems = append(problems, fmt.Sprintf("%s: log dir %q: only \"any\" is supported", where, d))
					break
				}
			}
		}
	}
	if len(problems) > 0 {
		return KafkaPlan{}, &InvalidError{What: name, Problems: problems}
	}
	return k, nil
}

func jsonError(data []byte, err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line := 1 + bytes.Count(data[:min(int(syn.Offset), len(data))], []byte("\n"))
		return fmt.Sprintf("line %d: %v", line, err)
	}
	return err.Error()
}

// ValidateMoves checks a Kafka plan against the live cluster and turns it into moves. Every
// problem is reported at once, naming the entry: an unknown topic or partition, an empty or
// duplicated replica list, a broker that is not registered, a broker added that is fenced, a
// partition listed twice, or (unless additional) a partition being reassigned already. Entries
// that change nothing are dropped and named in the returned notes.
func ValidateMoves(k KafkaPlan, s *cluster.Snapshot, sizes Sizes, name string) ([]Move, []string, error) {
	topics := make(map[string]int32, len(s.Topics))
	for i, t := range s.Topics {
		topics[t.Name] = int32(i)
	}
	parts := make(map[TopicPartition]*cluster.Partition, len(k.Partitions))
	want := make(map[TopicPartition]bool, len(k.Partitions))
	for _, e := range k.Partitions {
		want[TopicPartition{e.Topic, e.Partition}] = true
	}
	for i := range s.Partitions {
		p := &s.Partitions[i]
		tp := TopicPartition{s.Topics[p.Topic].Name, p.ID}
		if want[tp] {
			parts[tp] = p
		}
	}
	brokers := make(map[int32]cluster.Broker, len(s.Brokers))
	for _, b := range s.Brokers {
		brokers[b.ID] = b
	}
	reassigning := map[TopicPartition]bool{}
	for _, r := range s.Reassignments {
		reassigning[TopicPartition{r.Topic, r.Partition}] = true
	}

	var problems, notes []string
	var moves []Move
	first := map[TopicPartition]int{}
	for i, e := range k.Partitions {
		tp := TopicPartition{e.Topic, e.Partition}
		where := fmt.Sprintf("partitions[%d] (%s)", i, tp)
		bad := func(format string, args ...any) { problems = append(problems, where+": "+fmt.Sprintf(format, args...)) }
		if j, dup := first[tp]; dup {
			bad("listed again (first at partitions[%d])", j)
			continue
		}
		first[tp] = i
		if _, ok := topics[e.Topic]; !ok {
			bad("unknown topic %q", e.Topic)
			continue
		}
		p, ok := parts[tp]
		if !ok {
			bad("topic %s has no partition %d", e.Topic, e.Partition)
			continue
		}
		if len(e.Replicas) == 0 {
			bad("empty replica list")
			continue
		}
		entryOK := true
		seen := map[int32]bool{}
		for _, r := range e.Replicas {
			if seen[r] {
				bad("broker %d appears twice in %v", r, e.Replicas)
				entryOK = false
				break
			}
			seen[r] = true
		}
		for _, r := range e.Replicas {
			b, ok := brokers[r]
			switch {
			case !ok:
				bad("broker %d is not registered in cluster %s", r, s.Cluster)
				entryOK = false
			case b.Fenced && !slices.Contains(p.Replicas, r):
				bad("broker %d is fenced (not serving): it cannot take a new replica", r)
				entryOK = false
			}
		}
		if reassigning[tp] {
			bad("is being reassigned already; wait for it to finish or cancel it first")
			entryOK = false
		}
		if !entryOK {
			continue
		}
		if slices.Equal(e.Replicas, p.Replicas) {
			notes = append(notes, fmt.Sprintf("%s: replicas already %v, nothing to do", tp, p.Replicas))
			continue
		}
		m := Move{TopicPartition: tp, Replicas: p.Replicas, Target: slices.Clone(e.Replicas)}
		m.Changes = positionChanges(p.Replicas, m.Target, s)
		m.Urgent = s.Topics[p.Topic].MinISR > 0 && len(p.ISR) <= s.Topics[p.Topic].MinISR
		if sizes != nil {
			m.Bytes = sizes.of(tp.Topic, tp.Partition) * int64(len(m.Adding()))
		}
		if len(m.Target) != len(m.Replicas) {
			notes = append(notes, fmt.Sprintf("%s: replication factor %d -> %d", tp, len(m.Replicas), len(m.Target)))
		}
		moves = append(moves, m)
	}
	if len(problems) > 0 {
		return nil, notes, &InvalidError{What: name + " does not fit cluster " + s.Cluster, Problems: problems}
	}
	// Partitions at or below min ISR go first, as in a kfleet plan; otherwise the file's order.
	slices.SortStableFunc(moves, func(a, b Move) int {
		switch {
		case a.Urgent == b.Urgent:
			return 0
		case a.Urgent:
			return -1
		}
		return 1
	})
	return moves, notes, nil
}

// positionChanges describes, position by position, the replicas a move replaces.
func positionChanges(from, to []int32, s *cluster.Snapshot) []Change {
	rack := func(id int32) string {
		for _, b := range s.Brokers {
			if b.ID == id {
				return b.Rack
			}
		}
		return ""
	}
	var out []Change
	for i := range max(len(from), len(to)) {
		c := Change{Position: i, From: -1, To: -1}
		if i < len(from) {
			c.From, c.FromRack = from[i], rack(from[i])
		}
		if i < len(to) {
			c.To, c.ToRack = to[i], rack(to[i])
		}
		if c.From != c.To {
			out = append(out, c)
		}
	}
	return out
}
