package rollouttest

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Kafka starts an in-process kfake cluster of n brokers (closed with the test) and returns it
// with a client of it: where an operation keeps its lease and its cluster's event log in tests.
func Kafka(t testing.TB, n int) (*kfake.Cluster, *kgo.Client) {
	t.Helper()
	fc, err := kfake.NewCluster(kfake.NumBrokers(n))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fc.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(fc.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return fc, cl
}
