package fleet

import (
	"slices"
	"time"
)

// Schedule decides when each cluster of a fleet is read again, for the views that stay open (the
// TUI, status --watch). There is no fleet-wide pass: a cluster is read again one interval after
// its own last read started (so a view refreshes at the interval asked for), never while a read
// of it still runs, and, when a read takes longer than the interval, a quarter interval after its
// answer; at most concurrency clusters are read at once, the one waiting longest first. So a
// slow or dead cluster delays only its own row.
//
// The interval adapts to the fleet (Every): it is the interval asked for or, when reading every
// cluster once, concurrency at a time, takes longer, twice that time. Reads then keep about half
// the slots busy on average, so a cluster that comes due finds one free, and a large fleet is not
// re-read back to back.
//
// Schedule decides only: the caller reads the clusters Start gives and reports each answer with
// Done. Times come from the caller, so a test can drive it with a fake clock. It is not safe for
// concurrent use.
type Schedule struct {
	interval    time.Duration
	concurrency int
	clusters    []scheduled
	reading     int
	took        time.Duration // the sum of the last read time of every cluster that has answered
	answered    int
}

type scheduled struct {
	due      time.Time // zero: now
	took     time.Duration
	reading  bool
	answered bool
}

const (
	// readShare is how many times the time a whole fleet's read takes the adapted interval is:
	// reads then use about 1/readShare of the concurrency.
	readShare = 2
	// staleReads is after how many intervals without a new answer a cluster's data is stale.
	staleReads = 3
)

// NewSchedule schedules n clusters, every one due now. interval <= 0 is 2s; concurrency <= 0
// is DefaultConcurrency.
func NewSchedule(n int, interval time.Duration, concurrency int) *Schedule {
	if interval <= 0 {
		interval = 2 * time.Second
	}
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	return &Schedule{interval: interval, concurrency: concurrency, clusters: make([]scheduled, n)}
}

// Start returns the clusters to read now and marks them being read: those due by now and not
// being read, the earliest due first, as many as the concurrency has room for.
func (s *Schedule) Start(now time.Time) []int {
	room := s.concurrency - s.reading
	if room <= 0 {
		return nil
	}
	var due []int
	for i := range s.clusters {
		if c := &s.clusters[i]; !c.reading && !c.due.After(now) {
			due = append(due, i)
		}
	}
	slices.SortStableFunc(due, func(a, b int) int { return s.clusters[a].due.Compare(s.clusters[b].due) })
	due = due[:min(room, len(due))]
	for _, i := range due {
		s.clusters[i].reading = true
	}
	s.reading += len(due)
	return due
}

// Done records that cluster i answered at now after a read of took: it is due again one interval
// (Every, with this read counted) after that read started, and at least a quarter interval after
// this answer.
func (s *Schedule) Done(i int, now time.Time, took time.Duration) {
	c := &s.clusters[i]
	if c.reading {
		c.reading = false
		s.reading--
	}
	if !c.answered {
		c.answered = true
		s.answered++
	}
	s.took += took - c.took
	c.took = took
	every := s.Every()
	c.due = now.Add(max(every-took, every/4))
}

// Every is the interval between two reads of a cluster: the one asked for, or readShare times
// what reading the whole fleet concurrency clusters at a time takes, whichever is longer. Until
// every cluster has answered, the clusters yet to answer are taken to read as long as those that
// have on average, so the first answers already set the pace.
func (s *Schedule) Every() time.Duration {
	if s.answered == 0 {
		return s.interval
	}
	fleet := s.took * time.Duration(len(s.clusters)) / time.Duration(s.answered)
	return max(s.interval, readShare*fleet/time.Duration(s.concurrency))
}

// StaleAfter is the age past which a cluster's last answer is stale: staleReads intervals.
func (s *Schedule) StaleAfter() time.Duration { return staleReads * s.Every() }

// Next is when Start will next have a cluster to give: the earliest due time of a cluster not
// being read. ok is false when there is none, or no free slot (an answer frees one first).
func (s *Schedule) Next() (next time.Time, ok bool) {
	if s.reading >= s.concurrency {
		return time.Time{}, false
	}
	for _, c := range s.clusters {
		if !c.reading && (!ok || c.due.Before(next)) {
			next, ok = c.due, true
		}
	}
	return next, ok
}

// ReadAll makes every cluster not being read due now (a refresh on demand). A cluster being
// read is not read twice.
func (s *Schedule) ReadAll() {
	for i := range s.clusters {
		if !s.clusters[i].reading {
			s.clusters[i].due = time.Time{}
		}
	}
}

// Reading is how many clusters are being read.
func (s *Schedule) Reading() int { return s.reading }

// Concurrency is how many clusters are read at once at most.
func (s *Schedule) Concurrency() int { return s.concurrency }

// Interval is the interval asked for; Every may be longer.
func (s *Schedule) Interval() time.Duration { return s.interval }
