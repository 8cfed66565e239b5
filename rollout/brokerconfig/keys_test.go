package brokerconfig

import (
	"errors"
	"strings"
	"testing"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
)

func knownLive(keys ...string) LiveConfig {
	live := LiveConfig{Cluster: "c", Brokers: map[int32]BrokerLive{}}
	for _, id := range []int32{1, 2} {
		cfg := map[string]LiveEntry{}
		for _, k := range keys {
			cfg[k] = entry(false, deflt, "x")
		}
		live.Brokers[id] = BrokerLive{Configs: cfg}
	}
	return live
}

func TestCheckKeysRefusesWhatKafkaDoesNotDefine(t *testing.T) {
	live := knownLive("log.cleaner.threads", "num.network.threads", "message.max.bytes", "queued.max.requests")
	c := configTestCluster()
	if err := CheckKeys(c, c.Brokers, live); err != nil {
		t.Fatalf("every key is defined: %v", err)
	}

	c.Config.Dynamic["message.max.byte"] = "5"                             // the typo from the field
	c.Brokers[1].Config.Static["my.plugin.setting"] = "on"                 // a plugin's config
	c.Config.Static["listener.name.internal.ssl.client.auth"] = "required" // per-listener: fine
	err := CheckKeys(c, c.Brokers, live)
	var u *UnknownKeysError
	if !errors.As(err, &u) || len(u.Keys) != 2 {
		t.Fatalf("err = %v, want the typo and the plugin key", err)
	}
	if k, _ := fault.KindOf(err); k != fault.Usage {
		t.Errorf("kind %v, want usage (exit 2)", k)
	}
	for _, want := range []string{"message.max.byte (config.dynamic; did you mean message.max.bytes?)",
		"my.plugin.setting (broker 2's config.static)", "config.custom", "nothing was changed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q: %v", want, err)
		}
	}

	c.Config.Custom = []string{"my.plugin.setting"}
	delete(c.Config.Dynamic, "message.max.byte")
	if err := CheckKeys(c, c.Brokers, live); err != nil {
		t.Errorf("a key under config.custom is refused: %v", err)
	}
	if err := CheckKeys(&inventory.Cluster{Name: "c", Config: inventory.Config{Dynamic: map[string]string{"x.y": "1"}}}, nil, LiveConfig{}); err != nil {
		t.Errorf("with nothing read there is nothing to judge by: %v", err)
	}
}
