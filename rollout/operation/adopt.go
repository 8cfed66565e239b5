package operation

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fault"
	"github.com/kfleet/kfleet/ops/journal"
	"github.com/kfleet/kfleet/ops/lease"
)

// adoptSearch bounds the search of the clusters' ops logs for an operation's journal.
const adoptSearch = 30 * time.Second

// Adopt finds operation id's journal in the ops log of one of clusters (every operation copies
// its journal there) and writes it to the local state dir, so that an operation started on
// another machine, or in another state dir, can be resumed here. The record's inventory becomes
// inventoryPath: the other machine's path means nothing here.
func Adopt(ctx context.Context, stateDir, inventoryPath, id string, clusters []*inventory.Cluster,
	client func(*inventory.Cluster) (*kgo.Client, error)) (*journal.Entry, error) {
	ctx, cancel := context.WithTimeout(ctx, adoptSearch)
	defer cancel()
	type found struct {
		lines [][]byte
		err   error
	}
	results := make([]found, len(clusters))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, c := range clusters {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			cl, err := client(c)
			if err == nil {
				results[i].lines, err = lease.ReadJournal(ctx, cl, c.Name, id)
			}
			results[i].err = err
		})
	}
	wg.Wait()
	var failed []string
	for i, r := range results {
		if r.err != nil {
			failed = append(failed, r.err.Error())
			continue
		}
		if len(r.lines) == 0 {
			continue
		}
		lines, err := withInventory(r.lines, inventoryPath)
		if err != nil {
			return nil, fmt.Errorf("operation %s in the ops log of cluster %s: %w", id, clusters[i].Name, err)
		}
		if err := journal.Adopt(stateDir, lines); err != nil {
			return nil, err
		}
		return journal.Load(stateDir, id)
	}
	names := make([]string, len(clusters))
	for i, c := range clusters {
		names[i] = c.Name
	}
	msg := fmt.Sprintf("%s: not in %s, nor in the ops log (last 24h) of cluster(s) %s", id, stateDir,
		strings.Join(names, ", "))
	if len(failed) > 0 {
		msg += "; could not read: " + strings.Join(failed, "; ")
	}
	return nil, &fault.Error{Kind: fault.Usage, Msg: journal.ErrNoSuchOp.Error() + ": " + msg, Err: journal.ErrNoSuchOp}
}

// withInventory rewrites the record line (the first) to name inventoryPath.
func withInventory(lines [][]byte, inventoryPath string) ([][]byte, error) {
	var first struct {
		Op journal.Record `json:"op"`
	}
	if err := json.Unmarshal(lines[0], &first); err != nil || first.Op.ID == "" {
		return nil, fmt.Errorf("its record is unreadable")
	}
	first.Op.Inventory = inventoryPath
	rec, err := json.Marshal(first)
	if err != nil {
		return nil, err
	}
	return append([][]byte{rec}, lines[1:]...), nil
}
