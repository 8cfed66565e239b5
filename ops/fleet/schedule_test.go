package fleet

import (
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// A cluster is read again one interval after its own read started (the view refreshes at the
// interval asked for), a quarter interval after its answer at the earliest, never while its read
// runs: a dead cluster's read that never ends keeps only that cluster from being read.
func TestScheduleRereadsEachClusterAnIntervalAfterItsReadStarted(t *testing.T) {
	s := NewSchedule(3, 2*time.Second, 8)
	if got := s.Start(t0); !slices.Equal(got, []int{0, 1, 2}) {
		t.Fatalf("first start %v, want every cluster", got)
	}
	if got := s.Start(at(time.Minute)); got != nil {
		t.Fatalf("started %v again while they are being read", got)
	}
	s.Done(0, at(100*time.Millisecond), 100*time.Millisecond)
	s.Done(1, at(900*time.Millisecond), 900*time.Millisecond)
	// Cluster 2 never answers.
	for _, tc := range []struct {
		now  time.Duration
		want []int
	}{
		{1900 * time.Millisecond, nil},
		{2 * time.Second, []int{0, 1}},
		{time.Hour, nil},
	} {
		if got := s.Start(at(tc.now)); !slices.Equal(got, tc.want) {
			t.Errorf("at %s: started %v, want %v", tc.now, got, tc.want)
		}
	}
	if s.Reading() != 3 {
		t.Fatalf("%d reading, want 3", s.Reading())
	}
	// A read longer than the interval: due again a quarter interval after its answer.
	s.Done(0, at(time.Hour+3*time.Second), 3*time.Second)
	if got := s.Start(at(time.Hour + 3*time.Second + 400*time.Millisecond)); got != nil {
		t.Errorf("started %v within a quarter interval of a slow answer", got)
	}
	if got := s.Start(at(time.Hour + 3*time.Second + 500*time.Millisecond)); !slices.Equal(got, []int{0}) {
		t.Errorf("started %v, want 0 a quarter interval after its slow answer", got)
	}
}

// At most concurrency clusters are read at once; the one due longest goes first, and a cluster
// never read goes before one read already.
func TestScheduleBoundsConcurrencyLongestDueFirst(t *testing.T) {
	s := NewSchedule(5, time.Second, 2)
	if got := s.Start(t0); !slices.Equal(got, []int{0, 1}) {
		t.Fatalf("started %v, want 0 and 1", got)
	}
	if _, ok := s.Next(); ok {
		t.Fatal("Next with no free slot: an answer frees one first")
	}
	s.Done(1, at(time.Second), 10*time.Millisecond)
	s.Done(0, at(2*time.Second), 10*time.Millisecond)
	if got := s.Start(at(10 * time.Second)); !slices.Equal(got, []int{2, 3}) {
		t.Fatalf("started %v, want the clusters never read, 2 and 3", got)
	}
	s.Done(2, at(10*time.Second), 10*time.Millisecond)
	s.Done(3, at(10*time.Second), 10*time.Millisecond)
	if got := s.Start(at(10 * time.Second)); !slices.Equal(got, []int{4, 1}) {
		t.Fatalf("started %v, want 4 (never read), then 1 (due before 0)", got)
	}
}

// The interval stretches to twice what reading the whole fleet, concurrency at a time, takes;
// from the first answers, before the whole fleet has answered.
func TestScheduleIntervalAdaptsToTheFleet(t *testing.T) {
	for _, tc := range []struct {
		name        string
		clusters    int
		concurrency int
		answered    int
		took        time.Duration
		want        time.Duration
	}{
		{"small fleet keeps the interval", 5, 32, 5, 400 * time.Millisecond, 2 * time.Second},
		{"300 clusters of 400ms, 32 at a time", 300, 32, 300, 400 * time.Millisecond, 7500 * time.Millisecond},
		{"the first 32 answers already tell", 300, 32, 32, 400 * time.Millisecond, 7500 * time.Millisecond},
		{"more concurrency, shorter", 300, 64, 300, 400 * time.Millisecond, 3750 * time.Millisecond},
		{"no answer yet", 300, 32, 0, 0, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSchedule(tc.clusters, 2*time.Second, tc.concurrency)
			for i := range tc.answered {
				s.Done(i, t0, tc.took)
			}
			if got := s.Every(); got != tc.want {
				t.Errorf("Every %s, want %s", got, tc.want)
			}
			if got := s.StaleAfter(); got != 3*tc.want {
				t.Errorf("StaleAfter %s, want %s", got, 3*tc.want)
			}
		})
	}
	// A cluster's next read comes one stretched interval after its answer.
	s := NewSchedule(300, 2*time.Second, 32)
	s.Start(t0)
	s.Done(0, at(400*time.Millisecond), 400*time.Millisecond)
	if next, ok := s.Next(); !ok || !next.IsZero() {
		t.Fatalf("Next %v %v: clusters never read are due now", next, ok)
	}
	for i := 1; i < 300; i++ {
		s.Done(i, at(400*time.Millisecond), 400*time.Millisecond)
	}
	if got := s.Start(at(7 * time.Second)); got != nil {
		t.Fatalf("re-read %d clusters 6.6s after their answers; the interval is 7.5s", len(got))
	}
	if got := s.Start(at(8 * time.Second)); len(got) != 32 {
		t.Fatalf("re-read %d clusters at 8s, want 32", len(got))
	}
}

// ReadAll makes every cluster not being read due now; those being read are not read twice.
func TestScheduleReadAllSkipsClustersBeingRead(t *testing.T) {
	s := NewSchedule(3, time.Minute, 8)
	s.Start(t0)
	s.Done(0, t0, time.Millisecond)
	s.Done(1, t0, time.Millisecond)
	s.ReadAll()
	if got := s.Start(at(time.Second)); !slices.Equal(got, []int{0, 1}) {
		t.Fatalf("after ReadAll started %v, want 0 and 1 (2 is still being read)", got)
	}
}
