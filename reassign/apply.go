package reassign

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kfleet/kfleet/ops"
	"github.com/kfleet/kfleet/rollout"
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
	Snapshot   *ops.Snapshot
	Plan       *Plan // the plan made now (Auto); nil for a plan file
	Moves      []Move
	Notes      []string // what the operator should know: entries that change nothing, sizes unknown
	Impossible []string // partitions the plan cannot repair (Auto)
	Foreign    []ops.Reassignment
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
func MakePlan(ctx context.Context, k Kafka, from []int32, racks map[int32]string) (*Plan, *ops.Snapshot, []string, error) {
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

// Apply runs prepared moves as one journaled operation under the cluster lease.
type Apply struct {
	Kafka Kafka
	// Client is the template of the lease's own client; nil runs without the lease (tests).
	Client        *kgo.Client
	Cluster       string
	OpID          string
	Purpose       string
	Args          Args
	StateDir      string
	InventoryPath string
	Emit          func(Event)
	// Resume continues the operation OpID from its journal instead of starting one.
	Resume *Resumed
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

// Run takes the lease, refuses when reassignments it did not start are in flight (unless
// Additional), journals the operation and executes it. The lease is released however it ends.
func (a *Apply) Run(ctx context.Context, soft <-chan struct{}) (err error) {
	st := a.Args.Settings
	var lease LeaseSession
	if a.Client != nil {
		// Moves, throttles and their removal: all of it must be allowed before the first move.
		if err := ops.RequireClusterOps(ctx, a.Client, a.Cluster, ops.OpAlterReassignments, ops.OpAlterReplicaConfigs); err != nil {
			return err
		}
		if st.Throttle > 0 {
			if err := ops.RequireTopicOps(ctx, a.Client, a.Cluster, movedTopics(a.Args.Moves), kmsg.ACLOperationAlterConfigs, ops.OpAlterTopicThrottles); err != nil {
				return err
			}
		}
		l, err := ops.AcquireLease(ctx, a.Client, a.Cluster, ops.LeaseRequest{OpID: a.OpID, Purpose: a.Purpose,
			TTL: st.LeaseTTL, Wait: st.LeaseWait})
		if err != nil {
			return err
		}
		lease = l
		defer func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
			defer cancel()
			if rerr := l.Release(rctx); rerr != nil && err == nil {
				err = fmt.Errorf("releasing the cluster lease: %w", rerr)
			}
		}()
	}

	// Checked again under the lease: what was in flight when the plan was shown may have changed.
	live, err := a.Kafka.Reassigning(ctx, nil)
	if err != nil {
		return ops.KafkaFailure(a.Cluster, ops.OpListReassignments, err)
	}
	prior := Prior{}
	if a.Resume != nil {
		prior = a.Resume.Prior
	}
	var foreign []string
	for tp := range live {
		if !prior.Running[tp] {
			foreign = append(foreign, tp.String())
		}
	}
	slices.Sort(foreign)
	moves := a.Args.Moves
	if len(foreign) > 0 {
		if !st.Additional {
			return &ForeignError{Cluster: a.Cluster, Partitions: foreign}
		}
		// Submitting over someone else's reassignment would replace its target: leave those out.
		moves = slices.DeleteFunc(slices.Clone(moves), func(m Move) bool {
			_, busy := live[m.TopicPartition]
			return busy && !prior.Running[m.TopicPartition]
		})
	}

	var j *Journal
	if a.Resume != nil {
		j, err = OpenJournal(a.StateDir, a.OpID)
	} else {
		var args json.RawMessage
		if args, err = json.Marshal(a.Args); err != nil {
			return err
		}
		j, err = CreateJournal(a.StateDir, rollout.OpRecord{ID: a.OpID, Kind: Kind, Cluster: a.Cluster,
			Inventory: a.InventoryPath, Created: time.Now().UTC(), Holder: ops.LeaseHolderString(), Args: args})
	}
	if err != nil {
		return err
	}
	defer j.Close()

	ex := &Executor{Kafka: a.Kafka, Journal: j, Lease: lease, Emit: a.Emit, Opts: Options{
		OpID: a.OpID, Cluster: a.Cluster, Limits: Limits{MaxMoves: st.MaxMoves, MaxPerBroker: st.MaxPerBroker},
		Throttle: st.Throttle, Timeout: st.Timeout, Poll: st.Poll, NoWait: st.NoWait && a.Resume == nil,
		SizesKnown: a.Args.SizesKnown,
	}}
	if len(moves) < len(a.Args.Moves) {
		ex.emit(Event{Kind: EventWarning, Message: fmt.Sprintf("%d partition(s) of the plan are being reassigned by someone else and are left out",
			len(a.Args.Moves)-len(moves))})
	}
	return ex.Run(ctx, soft, moves, prior)
}
