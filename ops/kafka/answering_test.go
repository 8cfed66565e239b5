package kafka

import (
	"context"
	"maps"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// A broker that serves answers; one that is gone (here: never there) does not, and does not hold
// the others up.
func TestAnsweringNamesTheBrokersThatAnswer(t *testing.T) {
	fc, err := kfake.NewCluster(kfake.NumBrokers(2))
	if err != nil {
		t.Fatal(err)
	}
	defer fc.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(fc.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	if err := cl.Ping(ctx); err != nil { // learns the brokers
		t.Fatal(err)
	}
	if got, want := Answering(ctx, cl, []int32{0, 1, 7}), map[int32]bool{0: true, 1: true}; !maps.Equal(got, want) {
		t.Errorf("answering %v, want %v", got, want)
	}
}
