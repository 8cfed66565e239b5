package fleet

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/cluster"
	"github.com/kfleet/kfleet/ops/kafka"
)

// finalizeState is what tells whether a deploy waits to be finalized: in KRaft, the finalized
// metadata.version level and the highest the brokers' release supports (one broker's answer;
// nil: not reported); in ZooKeeper mode, the lowest inter.broker.protocol.version a broker runs
// ("" when none answered).
type finalizeState struct {
	finalized, supported *int16
	protocol             string
}

// readFinalizeState asks one broker (ApiVersions) for the metadata.version levels and, in
// ZooKeeper mode, every inventory broker (DescribeConfigs) for its inter.broker.protocol.version;
// brokers that do not answer are left out (status reports them down otherwise).
func readFinalizeState(ctx context.Context, cl *kgo.Client, c *inventory.Cluster, zooKeeper bool) (finalizeState, error) {
	var f finalizeState
	if zooKeeper {
		ids := make([]int32, 0, len(c.Brokers))
		for _, b := range c.Brokers {
			ids = append(ids, b.ID)
		}
		live, _ := kafka.ProtocolVersions(ctx, cl, ids)
		f.protocol = kafka.LowestRelease(live)
	}
	req := kmsg.NewPtrApiVersionsRequest()
	req.ClientSoftwareName, req.ClientSoftwareVersion = "kfleet", "1"
	r, err := kafka.AskAnyBroker(ctx, cl, req) // a broker just killed may still be listed
	if err != nil {
		return f, fmt.Errorf("metadata.version: %w", err)
	}
	resp := r.(*kmsg.ApiVersionsResponse)
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return f, fmt.Errorf("metadata.version: %w", err)
	}
	l := kafka.Feature(resp, kafka.MetadataVersionFeature)
	if l.Finalized >= 0 {
		f.finalized = &l.Finalized
	}
	if l.Supported {
		f.supported = &l.Max
	}
	return f, nil
}

// mark records in h what the cluster runs at and, once every broker runs one release, the
// warning that a deploy waits to be finalized: metadata.version below what the release
// supports (KRaft), or inter.broker.protocol.version below its release line (ZooKeeper mode).
func (f finalizeState) mark(h *cluster.Health, name string) {
	h.MetadataVersion = f.finalized
	h.ProtocolVersion = f.protocol
	if len(h.Versions) != 1 {
		return // no one release yet: a deploy still under way, or versions unknown
	}
	running := h.Versions[0]
	if f.finalized != nil && f.supported != nil && *f.supported > *f.finalized {
		h.MetadataVersionSupported = f.supported
		h.Warnings = append(h.Warnings, fmt.Sprintf("metadata.version %d is finalized and every broker runs %s, which supports %d: `kfleet deploy finalize -c %s` raises it (irreversible: no rollback after it)",
			*f.finalized, running, *f.supported, name))
	}
	line, ok := kafka.ParseRelease(running)
	if p, pok := kafka.ParseRelease(f.protocol); ok && pok && p.Less(line) {
		h.Warnings = append(h.Warnings, fmt.Sprintf("inter.broker.protocol.version is %s and every broker runs %s: `kfleet deploy finalize -c %s` raises it to %s with a rolling restart (no rollback below %s after it)",
			f.protocol, running, name, line, line))
	}
}
