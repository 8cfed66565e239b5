package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/units"
	"github.com/kfleet/kfleet/reassign"
	"github.com/kfleet/kfleet/rollout"
	"github.com/kfleet/kfleet/rollout/brokerconfig"
	"github.com/kfleet/kfleet/rollout/deploy"
	"github.com/kfleet/kfleet/rollout/fleet"
)

// eventPrinter shows operations' events as they happen: with -o json one JSON object per line
// (so CI logs parse), with -o yaml one YAML document per event, readable lines otherwise. Every
// event names its cluster, so the lines of several clusters on one stream stay apart. Events may
// come from several goroutines.
type EventPrinter struct {
	mu     *sync.Mutex // shared by the printers of one stream (a fleet run's clusters)
	io     *IOStreams
	out    io.Writer // io.Out, or a writer that prefixes each line with the cluster (fleet runs)
	errOut io.Writer
	format string
	// fleetOp is added to every structured event of a fleet run's cluster.
	fleetOp string
	// stage remembers, per host, the last upload progress step shown.
	stage map[string]int64
}

func NewEventPrinter(streams *IOStreams, format string) *EventPrinter {
	return &EventPrinter{mu: &sync.Mutex{}, io: streams, out: streams.Out, errOut: streams.ErrOut, format: format, stage: map[string]int64{}}
}

// ForCluster is a printer for one cluster of fleet run fleetOp, on the same streams: readable
// lines start with "[cluster] ", structured events carry "fleet_op".
func (p *EventPrinter) ForCluster(cluster, fleetOp string) *EventPrinter {
	prefix := "[" + cluster + "] "
	return &EventPrinter{mu: p.mu, io: p.io, out: &prefixWriter{w: p.io.Out, prefix: prefix},
		errOut: &prefixWriter{w: p.io.ErrOut, prefix: prefix}, format: p.format, fleetOp: fleetOp, stage: map[string]int64{}}
}

// print shows one event: a rollout.Event, a reassign.Event or a deploy.StageProgress.
func (p *EventPrinter) Print(e any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := e.(deploy.StageProgress); ok {
		p.stageProgress(s)
		return
	}
	if p.format != FormatTable {
		p.structured(e)
		return
	}
	switch e := e.(type) {
	case rollout.Event:
		rolloutEventLine(p.out, e)
	case reassign.Event:
		reassignEventLine(p.out, e)
	case fleet.Event:
		fleetEventLine(p.out, e, p.io.OutTTY)
	}
}

// Say shows one line of progress on stderr, timestamped (prefixed with the cluster for a fleet
// run's printer), under the lock the stream's events are printed under: a fleet run's clusters
// say things at once.
func (p *EventPrinter) Say(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.errOut, "%s   %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// structured writes e as one JSON line, or as one YAML document with the same keys.
func (p *EventPrinter) structured(e any) {
	data, err := json.Marshal(e)
	if err != nil {
		return
	}
	data = withFleetOp(data, p.fleetOp)
	if p.format != FormatYAML {
		p.io.Out.Write(append(data, '\n'))
		return
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return
	}
	fmt.Fprintln(p.io.Out, "---")
	enc := yaml.NewEncoder(p.io.Out)
	enc.SetIndent(2)
	_ = enc.Encode(&doc)
	_ = enc.Close()
}

// rolloutEventLine writes a rollout event as readable progress.
func rolloutEventLine(w io.Writer, e rollout.Event) {
	ts := e.Time.Format("15:04:05")
	switch e.Kind {
	case rollout.EventPlan:
		// The plan was printed before confirmation.
	case rollout.EventBatchStart:
		if e.ZooKeeperNode > 0 {
			fmt.Fprintf(w, "\n%s step %d/%d: %s\n", ts, e.Batch, e.Batches, e.Message)
			return
		}
		fmt.Fprintf(w, "\n%s batch %d/%d: broker(s) %s (%s)\n", ts, e.Batch, e.Batches, inventory.JoinIDs(e.Brokers), e.Message)
	case rollout.EventStep:
		switch e.Status {
		case rollout.StatusStarted:
			if e.Step == rollout.StepGate {
				return
			}
			fmt.Fprintf(w, "%s   %s ...\n", ts, e.Step)
		case rollout.StatusOK:
			switch {
			case e.Step == rollout.StepGate && e.ZooKeeperNode > 0:
				fmt.Fprintf(w, "%s   gate open: %s\n", ts, e.Message)
			case e.Step == rollout.StepGate:
				fmt.Fprintf(w, "%s   safety gate open for broker(s) %s\n", ts, inventory.JoinIDs(e.Brokers))
			}
		case rollout.StatusFailed:
			fmt.Fprintf(w, "%s   %s FAILED: %s\n", ts, e.Step, e.Message)
		}
	case rollout.EventWaiting:
		fmt.Fprintf(w, "%s   %s\n", ts, e.Message)
	case rollout.EventBatchDone:
		t := e.Timings
		if e.ZooKeeperNode > 0 && t != nil {
			fmt.Fprintf(w, "%s   zookeeper node %d done in %.1fs (gate %.1fs, stop %.1fs, start %.1fs, sync %.1fs)\n",
				ts, e.ZooKeeperNode, t.Total, t.Gate, t.Stop, t.Start, t.CatchUp)
			return
		}
		fmt.Fprintf(w, "%s   batch %d done in %.1fs (gate %.1fs, stop %.1fs, start %.1fs, catch-up %.1fs, confirm %.1fs)\n",
			ts, e.Batch, t.Total, t.Gate, t.Stop, t.Start, t.CatchUp, t.Confirm)
	case rollout.EventFinished:
		fmt.Fprintf(w, "\n%s %s\n", ts, e.Message)
	case brokerconfig.EventDynamic, brokerconfig.EventFile, brokerconfig.EventVerified:
		fmt.Fprintf(w, "%s %s\n", e.Time.Local().Format("15:04:05"), e.Message)
	default: // halted, interrupted, aborted: the error itself is printed on exit
	}
}

// reassignEventLine writes a reassignment event as a readable line.
func reassignEventLine(w io.Writer, e reassign.Event) {
	ts := e.Time.Format("15:04:05")
	switch e.Kind {
	case reassign.EventProgress:
		g := e.Progress
		line := fmt.Sprintf("%s progress: %d/%d partitions done, %d in flight", ts, g.Done, g.Partitions, g.InFlight)
		if g.Failed > 0 {
			line += fmt.Sprintf(", %d failed", g.Failed)
		}
		if g.Bytes > 0 {
			line += fmt.Sprintf("; %s of %s, %s/s", units.Bytes(g.BytesDone), units.Bytes(g.Bytes), units.Bytes(int64(g.Rate)))
			if g.ETA >= 0 {
				line += ", ETA " + (time.Duration(g.ETA) * time.Second).String()
			}
		}
		fmt.Fprintln(w, line)
	case reassign.EventThrottleSet:
		fmt.Fprintf(w, "%s throttle set: %s\n", ts, e.Message)
	case reassign.EventThrottleRemoved:
		fmt.Fprintf(w, "%s throttle removed: %s\n", ts, e.Message)
	case reassign.EventWarning:
		fmt.Fprintf(w, "%s warning: %s\n", ts, e.Message)
	case reassign.EventHalted, reassign.EventInterrupted, reassign.EventAborted:
		// The error itself is printed on exit.
	default:
		fmt.Fprintf(w, "%s %s\n", ts, e.Message)
	}
}

// stageProgress shows upload progress: a line per host at every quarter (every tenth as an
// event with -o json|yaml), on stderr unless structured.
func (p *EventPrinter) stageProgress(s deploy.StageProgress) {
	steps := int64(4)
	if p.format != FormatTable {
		steps = 10
	}
	if s.Phase == "upload" {
		bucket := s.Sent * steps / max(s.Total, 1)
		if b, ok := p.stage[s.Host]; ok && b == bucket {
			return
		}
		p.stage[s.Host] = bucket
	}
	if p.format != FormatTable {
		p.structured(struct {
			Event string    `json:"event"`
			Time  time.Time `json:"time"`
			deploy.StageProgress
		}{"stage", time.Now(), s})
		return
	}
	ts := time.Now().Format("15:04:05")
	w := p.errOut
	switch s.Phase {
	case "upload":
		fmt.Fprintf(w, "%s   host %s: uploaded %s of %s (%d%%)\n", ts, s.Host, units.Bytes(s.Sent), units.Bytes(s.Total), s.Sent*100/max(s.Total, 1))
	case "verify":
		fmt.Fprintf(w, "%s   host %s: verifying the checksum and unpacking\n", ts, s.Host)
	default:
		fmt.Fprintf(w, "%s   host %s: %s: %s\n", ts, s.Host, s.Phase, s.Message)
	}
}

// withFleetOp adds "fleet_op" to an event object that does not carry it.
func withFleetOp(data []byte, fleetOp string) []byte {
	if fleetOp == "" || len(data) < 2 || data[0] != '{' || bytes.Contains(data, []byte(`"fleet_op":`)) {
		return data
	}
	key, _ := json.Marshal(fleetOp)
	out := append([]byte(`{"fleet_op":`), key...)
	if data[1] != '}' {
		out = append(out, ',')
	}
	return append(out, data[1:]...)
}

// prefixWriter starts every line written through it with prefix and drops blank lines (the
// spacing of one cluster's output means nothing between several clusters' lines).
type prefixWriter struct {
	w      io.Writer
	prefix string
	buf    []byte
}

func (pw *prefixWriter) Write(b []byte) (int, error) {
	pw.buf = append(pw.buf, b...)
	for {
		i := bytes.IndexByte(pw.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		line := pw.buf[:i]
		pw.buf = pw.buf[i+1:]
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if _, err := fmt.Fprintf(pw.w, "%s%s\n", pw.prefix, line); err != nil {
			return len(b), err
		}
	}
}
