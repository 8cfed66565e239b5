// Package brokerconfig propagates broker configs from the inventory: it reads what runs
// (DescribeConfigs with synonyms, server.properties over SSH), diffs it with what the inventory
// declares (Compare), plans the cheapest safe way to apply the difference (PlanChanges), and
// applies it as one operation (Apply): dynamic values through the Admin API, server.properties
// rewritten on only the brokers whose file changes, and a gated restart of those brokers, all
// under the cluster lease and one journal.
//
// It may import inventory, ops/..., rollout and rollout/operation; never cmd/ or tui/.
package brokerconfig
