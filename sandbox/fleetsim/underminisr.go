package main

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// kfake has no ISR of its own: its Metadata answer lists every replica as in sync, and no admin
// call or fault shrinks that (stopping a broker with RemoveNode re-places the replicas on the
// others, all in sync again). So -under-min-isr answers the all-topics Metadata request itself,
// through a control function, with kfake's own answer taken once at start-up and every ISR cut
// down to the leader alone: with RF 3 and min.insync.replicas 2 each partition is under min ISR
// (and under-replicated), none is offline. Requests for named topics, and every other request,
// are kfake's. Topics created after start-up are missing from the all-topics answer.

// installUnderMinISR makes kf answer every all-topics Metadata request with its current
// metadata, every partition's ISR reduced to its leader.
func installUnderMinISR(ctx context.Context, kf *kfake.Cluster, cl *kgo.Client) error {
	resp, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl) // nil Topics: every topic
	if err != nil {
		return fmt.Errorf("reading metadata to shrink the ISRs: %w", err)
	}
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			return fmt.Errorf("reading metadata to shrink the ISRs: topic %s: %w", *t.Topic, err)
		}
	}
	leaderOnly(resp)
	kf.ControlKey(int16(kmsg.Metadata), func(r kmsg.Request) (kmsg.Response, error, bool) {
		req := r.(*kmsg.MetadataRequest)
		if req.Topics != nil {
			return nil, nil, false
		}
		kf.KeepControl()
		answer := *resp // the encoder reads the version from the response
		answer.Version = req.Version
		return &answer, nil, true
	})
	return nil
}

// leaderOnly sets every partition's ISR to its leader alone.
func leaderOnly(resp *kmsg.MetadataResponse) {
	n := 0
	for _, t := range resp.Topics {
		n += len(t.Partitions)
	}
	isr := make([]int32, n) // one array for all: the answer is kept for the whole run
	for ti := range resp.Topics {
		ps := resp.Topics[ti].Partitions
		for pi := range ps {
			isr[0] = ps[pi].Leader
			ps[pi].ISR = isr[:1:1]
			isr = isr[1:]
		}
	}
}
