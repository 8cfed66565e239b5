package reassign

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/ops/kafka"
	"github.com/kfleet/kfleet/ops/lease"
)

// sizesTimeout bounds reading partition sizes; without them load is counted in replicas.
const sizesTimeout = 30 * time.Second

// Request says what to reassign: a plan made now (Auto, with From) or Kafka's JSON from a file.
type Request struct {
	Auto       bool
	From       []int32
	Racks      map[int32]string // inventory racks, for brokers the cluster no longer lists
	PlanFile   io.Reader
	PlanName   string
	Additional bool
}

// Prepared is a reassignment ready to show, confirm and run.
type Prepared struct {
	Snapshot   *cluster.Snapshot
	Plan       *Plan // the plan made now (Auto); nil for a plan file
	Moves      []Move
	Notes      []string // what the operator should know: entries that change nothing, sizes unknown
	Impossible []string // partitions the plan cannot repair (Auto)
	Foreign    []cluster.Reassignment
	SizesKnown bool
}

// Alive says whether a broker is registered and serving in the prepared snapshot.
func (p *Prepared) Alive(id int32) bool {
	for _, b := range p.Snapshot.Brokers {
		if b.ID == id {
			return b.Alive()
		}
	}
	return false
}

// MakePlan reads the cluster (and partition sizes, when the brokers tell them) and plans.
func MakePlan(ctx context.Context, k Kafka, from []int32, racks map[int32]string) (*Plan, *cluster.Snapshot, []string, error) {
	snap, err := k.Snapshot(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	sizes, notes := readSizes(ctx, k)
	plan, err := PlanMoves(PlanInput{Snapshot: snap, From: from, Racks: racks, Sizes: sizes})
	return plan, snap, notes, err
}

func readSizes(ctx context.Context, k Kafka) (Sizes, []string) {
	sctx, cancel := context.WithTimeout(ctx, sizesTimeout)
	defer cancel()
	sizes, err := k.PartitionSizes(sctx)
	if err != nil {
		return nil, []string{"partition sizes unknown (DescribeLogDirs: " + err.Error() + "): load is counted in replicas, progress in partitions"}
	}
	return sizes, nil
}

// Prepare reads the cluster and turns the request into moves, checked against it. Nothing is
// changed.
func Prepare(ctx context.Context, k Kafka, req Request) (*Prepared, error) {
	if req.Auto {
		plan, snap, notes, err := MakePlan(ctx, k, req.From, req.Racks)
		if err != nil {
			return nil, err
		}
		return &Prepared{Snapshot: snap, Plan: plan, Moves: plan.Moves, Notes: notes,
			Impossible: plan.ImpossibleNames(), Foreign: snap.Reassignments, SizesKnown: plan.SizesKnown}, nil
	}
	kp, err := ParseKafkaPlan(req.PlanFile, req.PlanName)
	if err != nil {
		return nil, err
	}
	snap, err := k.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	sizes, notes := readSizes(ctx, k)
	moves, more, err := ValidateMoves(kp, snap, sizes, req.PlanName)
	if err != nil {
		return nil, err
	}
	return &Prepared{Snapshot: snap, Moves: moves, Notes: append(notes, more...), Foreign: snap.Reassignments,
		SizesKnown: sizes != nil}, nil
}

// ForeignError says reassignments this operation did not start are in flight. Exit 75.
type ForeignError struct {
	Cluster    string
	Partitions []string
}

func (e *ForeignError) Error() string {
	return fmt.Sprintf("cluster %s: %d reassignment(s) in flight that this operation did not start (%s); wait for them or cancel them, or pass --additional to run beside them",
		e.Cluster, len(e.Partitions), firstFew(e.Partitions, 5))
}

// FaultKind says what kind of failure this is (refused for now: retry later).
func (e *ForeignError) FaultKind() fault.Kind { return fault.RefusedForNow }

// Apply runs prepared moves as one journaled operation. The operation (Reassignment) runs it
// under the cluster lease; tests run it alone.
type Apply struct {
	Kafka         Kafka
	Cluster       string
	OpID          string
	Args          Args
	StateDir      string
	InventoryPath string
	Emit          func(Event)
	// Resume continues the operation OpID from its journal instead of starting one.
	Resume *Resumed

	moves []Move
	prior Prior
}

// movedTopics lists the topics of moves once each, sorted.
func movedTopics(moves []Move) []string {
	var out []string
	for _, m := range moves {
		out = append(out, m.Topic)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Run refuses when reassignments it did not start are in flight (unless Additional), journals
// the operation and executes it, without the lease.
func (a *Apply) Run(ctx context.Context, soft <-chan struct{}) error {
	if err := a.check(ctx); err != nil {
		return err
	}
	var j *Journal
	var err error
	if a.Resume != nil {
		j, err = OpenJournal(a.StateDir, a.OpID)
	} else {
		var args json.RawMessage
		if args, err = json.Marshal(a.Args); err != nil {
			return err
		}
		j, err = CreateJournal(a.StateDir, journal.Record{ID: a.OpID, Kind: Kind, Cluster: a.Cluster,
			Inventory: a.InventoryPath, Created: time.Now().UTC(), Holder: lease.HolderString(), Args: args})
	}
	if err != nil {
		return err
	}
	defer j.Close()
	return a.execute(ctx, j, nil, soft)
}

// check reads what is in flight now: moves someone else is making are refused, or with
// Additional left out. Checked again under the lease: what was in flight when the plan was shown
// may have changed.
func (a *Apply) check(ctx context.Context) error {
	live, err := a.Kafka.Reassigning(ctx, nil)
	if err != nil {
		return kafka.Failure(a.Cluster, kafka.OpListReassignments, err)
	}
	a.prior = Prior{}
	if a.Resume != nil {
		a.prior = a.Resume.Prior
	}
	var foreign []string
	for tp := range live {
		if !a.prior.Running[tp] {
			foreign = append(foreign, tp.String())
		}
	}
	slices.Sort(foreign)
	a.moves = a.Args.Moves
	if len(foreign) > 0 {
		if !a.Args.Settings.Additional {
			return &ForeignError{Cluster: a.Cluster, Partitions: foreign}
		}
		// Submitting over someone else's reassignment would replace its target: leave those out.
		a.moves = slices.DeleteFunc(slices.Clone(a.moves), func(m Move) bool {
			_, busy := live[m.TopicPartition]
			return busy && !a.prior.Running[m.TopicPartition]
		})
	}
	return nil
}

// execute runs the checked moves, journaled in j, reporting milestones through lease (nil: none).
func (a *Apply) execute(ctx context.Context, j *Journal, lease LeaseSession, soft <-chan struct{}) error {
	st := a.Args.Settings
	ex := &Executor{Kafka: a.Kafka, Journal: j, Lease: lease, Emit: a.Emit, Opts: Options{
		OpID: a.OpID, Cluster: a.Cluster, Limits: Limits{MaxMoves: st.MaxMoves, MaxPerBroker: st.MaxPerBroker},
		Throttle: st.Throttle, Timeout: st.Timeout, Poll: st.Poll, NoWait: st.NoWait && a.Resume == nil,
		SizesKnown: a.Args.SizesKnown,
	}}
	if len(a.moves) < len(a.Args.Moves) {
		ex.emit(Event{Kind: EventWarning, Message: fmt.Sprintf("%d partition(s) of the plan are being reassigned by someone else and are left out",
			len(a.Args.Moves)-len(a.moves))})
	}
	return ex.Run(ctx, soft, a.moves, a.prior)
}
