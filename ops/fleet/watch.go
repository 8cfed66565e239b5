package fleet

import (
	"context"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
)

// Frame is what a watch has heard when it draws.
type Frame struct {
	Now time.Time
	// Clusters are the last answers of the clusters that have answered, in inventory order; Ages
	// says how old each is.
	Clusters []cluster.Health
	Ages     []time.Duration
	// Waiting names the clusters that have not answered yet.
	Waiting []string
	Total   int // clusters watched
	// Every is the interval the schedule keeps now; StaleAfter is when a row's data is stale.
	Every      time.Duration
	StaleAfter time.Duration
}

// Watch reads the clusters on a Schedule until ctx ends and calls draw every interval (Every):
// each cluster is read again one interval after its own last answer, never twice at once,
// concurrency at a time, so a slow or dead cluster delays only its own row. The first draw comes
// once every cluster has answered, or after one interval with those that have. It returns the
// last frame heard (for a verdict) when ctx ends, or draw's error.
func Watch(ctx context.Context, clusters []*inventory.Cluster, interval time.Duration, concurrency int,
	read func(context.Context, *inventory.Cluster) cluster.Health, draw func(Frame) error) (Frame, error) {
	type answer struct {
		i    int
		h    cluster.Health
		took time.Duration
	}
	sched := NewSchedule(len(clusters), interval, concurrency)
	answers := make(chan answer, len(clusters)) // a cluster has one read at most: a send never blocks
	w := &watchView{clusters: clusters, latest: make([]cluster.Health, len(clusters)), at: make([]time.Time, len(clusters))}
	nextDraw := time.Now().Add(sched.Every())
	wholeDrawn := false // a frame with every cluster in it was drawn
	for {
		for _, i := range sched.Start(time.Now()) {
			go func() {
				start := time.Now()
				h := read(ctx, clusters[i])
				answers <- answer{i, h, time.Since(start)}
			}()
		}
		wake := nextDraw
		if next, ok := sched.Next(); ok && next.Before(wake) {
			wake = next
		}
		timer := time.NewTimer(time.Until(wake))
		select {
		case <-ctx.Done():
			timer.Stop()
			return w.frame(sched, time.Now()), nil
		case a := <-answers:
			timer.Stop()
			if ctx.Err() != nil { // a read cut short by the end says nothing of the cluster
				return w.frame(sched, time.Now()), nil
			}
			sched.Done(a.i, time.Now(), a.took)
			w.take(a.i, a.h, time.Now())
		case <-timer.C:
		}
		now := time.Now()
		whole := w.answered == len(clusters)
		if (whole && !wholeDrawn) || !now.Before(nextDraw) {
			if err := draw(w.frame(sched, now)); err != nil {
				return Frame{}, err
			}
			wholeDrawn = wholeDrawn || whole
			nextDraw = now.Add(sched.Every())
		}
	}
}

// watchView is what a watch has heard: each cluster's last answer and when it came.
type watchView struct {
	clusters []*inventory.Cluster
	latest   []cluster.Health
	at       []time.Time // zero: no answer yet
	answered int
}

func (w *watchView) take(i int, h cluster.Health, now time.Time) {
	if w.at[i].IsZero() {
		w.answered++
	}
	w.latest[i], w.at[i] = h, now
}

// frame is the answers so far as of now.
func (w *watchView) frame(sched *Schedule, now time.Time) Frame {
	f := Frame{Now: now, Total: len(w.clusters), Every: sched.Every(), StaleAfter: sched.StaleAfter(),
		Clusters: make([]cluster.Health, 0, w.answered), Ages: make([]time.Duration, 0, w.answered)}
	for i, c := range w.clusters {
		if w.at[i].IsZero() {
			f.Waiting = append(f.Waiting, c.Name)
			continue
		}
		f.Clusters = append(f.Clusters, w.latest[i])
		f.Ages = append(f.Ages, now.Sub(w.at[i]))
	}
	return f
}
