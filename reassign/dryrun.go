package reassign

import "slices"

// DryRun is what `reassign apply --dry-run` shows: what would be submitted, in which waves, and
// which throttles would be set where. Nothing is changed to make it.
type DryRun struct {
	Op         string             `json:"op" yaml:"op"`
	Cluster    string             `json:"cluster" yaml:"cluster"`
	Kafka      KafkaPlan          `json:"submit" yaml:"submit"` // the replica lists, in Kafka's format
	Moves      []Move             `json:"moves" yaml:"moves"`
	Waves      [][]TopicPartition `json:"waves" yaml:"waves"`
	Limits     Limits             `json:"limits" yaml:"limits"`
	Throttles  Throttles          `json:"throttles" yaml:"throttles"`                       // what kfleet would add (entries someone set already are skipped at run time)
	NoRate     []int32            `json:"no_rate_dead_brokers" yaml:"no_rate_dead_brokers"` // participants that are down: never configured
	Foreign    []string           `json:"in_flight_not_ours" yaml:"in_flight_not_ours"`
	Impossible []string           `json:"impossible" yaml:"impossible"`
	Notes      []string           `json:"notes" yaml:"notes"`
}

// DryRun describes the run without doing it.
func (p *Prepared) DryRun(op string, l Limits, rate int64) *DryRun {
	d := &DryRun{Op: op, Cluster: p.Snapshot.Cluster, Kafka: MovesKafkaJSON(p.Moves), Moves: p.Moves,
		Waves: Waves(p.Moves, p.Alive, l), Limits: l, Impossible: p.Impossible, Notes: p.Notes,
		Foreign: []string{}, NoRate: []int32{}}
	for _, r := range p.Foreign {
		d.Foreign = append(d.Foreign, TopicPartition{r.Topic, r.Partition}.String())
	}
	if rate > 0 {
		d.Throttles.Rate = rate
		for i := range p.Moves {
			m := &p.Moves[i]
			d.Throttles.Entries = append(d.Throttles.Entries, throttleEntries(m, p.Alive)...)
			for _, b := range throttleBrokers(m, p.Alive) {
				if !slices.Contains(d.Throttles.Brokers, b) {
					d.Throttles.Brokers = append(d.Throttles.Brokers, b)
				}
			}
			for _, b := range append(slices.Clone(m.Replicas), m.Target...) {
				if !p.Alive(b) && !slices.Contains(d.NoRate, b) {
					d.NoRate = append(d.NoRate, b)
				}
			}
		}
		sortThrottles(&d.Throttles)
		slices.Sort(d.NoRate)
	}
	return d
}
