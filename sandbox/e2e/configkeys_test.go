//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// clusterDefaults lists the cluster-wide dynamic broker configs Kafka has stored.
func clusterDefaults(t *testing.T) map[string]string {
	t.Helper()
	cl, err := kgo.NewClient(append(sandboxOpts(t), kgo.SeedBrokers(bootstrap()...))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrDescribeConfigsRequest()
	r := kmsg.NewDescribeConfigsRequestResource()
	r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeBroker, ""
	req.Resources = append(req.Resources, r)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, res := range resp.Resources {
		for _, c := range res.Configs {
			if c.Value != nil {
				out[c.Name] = *c.Value
			}
		}
	}
	return out
}

// A typo in a dynamic config key used to be stored by Kafka and reported as applied. Now config
// diff and config apply both refuse it, exit 2, suggesting the real key, and Kafka stores nothing.
func TestConfigKeyTypoIsRefused(t *testing.T) {
	needSandbox(t)
	tree := sandboxInventory(t)
	tree["clusters"].([]any)[0].(map[string]any)["config"] = map[string]any{
		"dynamic": map[string]any{"message.max.byte": "5"},
	}
	inv := writeInventory(t, tree)
	before := clusterDefaults(t)
	for _, args := range [][]string{{"config", "diff"}, {"config", "apply", "--yes"}} {
		r := kfleet(t, append([]string{"-i", inv, "--state-dir", t.TempDir()}, args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, "message.max.byte") || !strings.Contains(r.stderr, "did you mean message.max.bytes?") {
			t.Errorf("kfleet %s with a typo'd key: exit %d, want 2 suggesting message.max.bytes\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
	}
	after := clusterDefaults(t)
	if _, stored := after["message.max.byte"]; stored || len(after) != len(before) {
		t.Errorf("the cluster's dynamic defaults changed: %v -> %v", before, after)
	}
}
