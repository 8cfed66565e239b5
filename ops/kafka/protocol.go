package kafka

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ProtocolVersionConfig is the broker config a ZooKeeper-mode cluster's brokers speak to each
// other at: read-only, set in server.properties, raised after an upgrade.
const ProtocolVersionConfig = "inter.broker.protocol.version"

// ProtocolVersions asks each broker of ids for its inter.broker.protocol.version
// (DescribeConfigs, sent to the broker itself). The value is what the broker runs: the file's,
// or the release's default when the file does not set it ("3.9-IV0"). failed holds the brokers
// that did not answer.
func ProtocolVersions(ctx context.Context, cl *kgo.Client, ids []int32) (live map[int32]string, failed map[int32]error) {
	live, failed = map[int32]string{}, map[int32]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			v, err := readProtocolVersion(ctx, cl, id)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed[id] = err
				return
			}
			live[id] = v
		})
	}
	wg.Wait()
	return live, failed
}

func readProtocolVersion(ctx context.Context, cl *kgo.Client, id int32) (string, error) {
	req := kmsg.NewPtrDescribeConfigsRequest()
	r := kmsg.NewDescribeConfigsRequestResource()
	r.ResourceType = kmsg.ConfigResourceTypeBroker
	r.ResourceName = strconv.Itoa(int(id))
	r.ConfigNames = []string{ProtocolVersionConfig}
	req.Resources = append(req.Resources, r)
	resp, err := req.RequestWith(ctx, cl.Broker(int(id)))
	if err != nil {
		return "", err
	}
	for _, res := range resp.Resources {
		if err := kerr.ErrorForCode(res.ErrorCode); err != nil {
			return "", withMessage(err, res.ErrorMessage)
		}
		for _, c := range res.Configs {
			if c.Name == ProtocolVersionConfig && c.Value != nil {
				return *c.Value, nil
			}
		}
	}
	return "", fmt.Errorf("DescribeConfigs did not report %s", ProtocolVersionConfig)
}
