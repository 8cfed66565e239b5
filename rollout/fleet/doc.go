// Package fleet runs a disruptive operation over many clusters in waves. Plan turns the
// selected clusters and the wave flags (--canary, --max-clusters, --waves, --wave-by) into the
// list of waves; a Run executes them as one operation of its own (kind "fleet"), with its own
// journal that owns its clusters' operations (their journals name it as parent):
//
//   - A wave's clusters run at once, each cluster's operation exactly as on one cluster: built
//     from the operation registry (operation.Start, or operation.Resume on resume), with its own
//     lease, gate, batches and journal. Operations that stage (deploy) stage every cluster first.
//   - A cluster starts only inside its maintenance windows (inventory maintenance:), waiting for
//     the next one up to Policy.WindowWait, unless Policy.IgnoreWindows, which each cluster's
//     journal records. When its window closes, the cluster finishes its batch and stops.
//   - After a wave, its clusters must stay healthy for Policy.Bake.
//   - More failed clusters than Policy.MaxFailed and no new cluster starts; running ones finish
//     their batch and stop (the soft stop of the first Ctrl-C, which does the same).
//   - A cluster refused for now (lease held, gate timeout) or left outside its window is not
//     done but not failed: the run exits 75 when nothing failed, 1 when something did, 130 when
//     interrupted (Err). Load rebuilds a run from its journal: resume skips the clusters done,
//     resumes the halted ones' own operations and starts the rest, in the same waves.
//
// A wave is a set of clusters operated on at the same time; the next wave starts when the whole
// wave is done, as in Ansible's serial. The plan reads the way an Ansible or Argo Rollouts user
// expects, with defaults chosen for Kafka:
//
//   - The canary comes first: --canary N takes the clusters labelled kfleet.io/canary: "true",
//     then the first clusters in inventory order, up to N (default 1, so every fleet run starts
//     with one cluster alone); --canary NAME... takes those clusters; --canary 0 has none.
//   - Then waves of --max-clusters clusters (a count, or a percentage), default 1: Ansible rolls
//     a whole play at once unless told otherwise, but a Kafka cluster's outage is nobody's
//     acceptable batch size, so kfleet goes one cluster at a time unless told otherwise.
//   - Or an explicit progression, --waves 1,5,25%,100%, as Ansible's serial list: one entry per
//     wave, the last repeated until every cluster is placed. It follows the canary; it does not
//     include it. --max-clusters and --waves exclude each other.
//   - A percentage is of the clusters being split before the canary is taken out: all the
//     selected clusters, or with --wave-by the cluster's group. That is the number the operator
//     sees when selecting (Ansible takes percentages of the whole play too), and it keeps the
//     later waves the same size whichever canary is chosen. It rounds down, to at least 1.
//   - --wave-by LABEL keeps every wave, the canary's included, inside one value of the label:
//     the canary is chosen from the whole selection first (it is the same canary as without
//     --wave-by) and split into one canary wave per value; then each group, in the inventory
//     order of its first cluster, is split on its own, the progression starting again for each
//     group. Clusters without the label (or with an empty value) form a group of their own,
//     "(no LABEL)".
//
// It may import inventory and ops/...; never cmd/ or tui/.
package fleet
