package reassign

// Limits bound how many moves run at once.
type Limits struct {
	MaxMoves     int `json:"max_moves" yaml:"max_moves"`           // in the cluster
	MaxPerBroker int `json:"max_per_broker" yaml:"max_per_broker"` // involving any one broker
}

// participants are the brokers a running move loads: every broker receiving a replica, and
// every live broker giving one up. A dead broker does no work, so it is not counted (counting
// it would serialise the whole repair of a dead broker to MaxPerBroker moves at a time).
func participants(m *Move, alive func(int32) bool) []int32 {
	out := m.Adding()
	for _, r := range m.Removing() {
		if alive(r) {
			out = append(out, r)
		}
	}
	return out
}

// NextBatch picks, in order, the pending moves that may start now beside the running ones
// without exceeding the limits. A move that would overload a broker is passed over, not waited
// for, so one busy broker does not hold up moves elsewhere. It returns indexes into pending.
func NextBatch(pending, running []*Move, alive func(int32) bool, l Limits) []int {
	n := len(running)
	if n >= l.MaxMoves {
		return nil
	}
	load := map[int32]int{}
	for _, m := range running {
		for _, b := range participants(m, alive) {
			load[b]++
		}
	}
	var out []int
	for i, m := range pending {
		if n >= l.MaxMoves {
			break
		}
		ps := participants(m, alive)
		fits := true
		for _, b := range ps {
			if load[b] >= l.MaxPerBroker {
				fits = false
				break
			}
		}
		if !fits {
			continue
		}
		for _, b := range ps {
			load[b]++
		}
		out = append(out, i)
		n++
	}
	return out
}

// Waves shows how moves would be batched if each batch finished before the next started: what
// --dry-run prints. The executor starts a new move as soon as a slot frees, so real runs
// overlap them.
func Waves(moves []Move, alive func(int32) bool, l Limits) [][]TopicPartition {
	pending := make([]*Move, len(moves))
	for i := range moves {
		pending[i] = &moves[i]
	}
	var out [][]TopicPartition
	for len(pending) > 0 {
		idx := NextBatch(pending, nil, alive, l)
		if len(idx) == 0 {
			break // cannot happen with positive limits: a lone move always fits
		}
		wave := make([]TopicPartition, len(idx))
		taken := make(map[int]bool, len(idx))
		for k, i := range idx {
			wave[k] = pending[i].TopicPartition
			taken[i] = true
		}
		out = append(out, wave)
		rest := pending[:0]
		for i, m := range pending {
			if !taken[i] {
				rest = append(rest, m)
			}
		}
		pending = rest
	}
	return out
}
