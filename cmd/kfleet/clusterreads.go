package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/kfleet/kfleet/cmd/internal/exitcode"
	"github.com/kfleet/kfleet/cmd/internal/factory"
	"github.com/kfleet/kfleet/cmd/internal/output"
	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/fleet"
)

// readClusters calls read for every cluster, up to fleet.DefaultConcurrency at once, so that one
// slow or unreachable cluster does not hold the others back. It returns, in the order of
// clusters, the error of each cluster that could not be read, naming it: a multi-cluster read
// prints every result it has, then these, one line each (exitcode.ReportEach). read fills the
// i-th result of its caller.
func readClusters(ctx context.Context, clusters []*inventory.Cluster, read func(ctx context.Context, i int, c *inventory.Cluster) error) []error {
	errs := make([]error, len(clusters))
	sem := make(chan struct{}, fleet.DefaultConcurrency)
	var wg sync.WaitGroup
	for i, c := range clusters {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := read(ctx, i, c); err != nil && !strings.Contains(err.Error(), c.Name) {
				errs[i] = fmt.Errorf("cluster %s: %w", c.Name, err)
			} else {
				errs[i] = err
			}
		})
	}
	wg.Wait()
	var failed []error
	for _, err := range errs {
		if err != nil {
			failed = append(failed, err)
		}
	}
	return failed
}

// renderEach prints a multi-cluster read: its rows as {"clusters": rows} (table: with table),
// then one line per cluster that failed; it returns the worst of those, already said.
func renderEach[T any](f *factory.Factory, rows []T, table func(io.Writer) error, failed []error) error {
	if err := output.Render(f.IO.Out, f.Output, struct {
		Clusters []T `json:"clusters" yaml:"clusters"`
	}{rows}, table); err != nil {
		return err
	}
	return exitcode.ReportEach(f.IO.ErrOut, failed)
}
