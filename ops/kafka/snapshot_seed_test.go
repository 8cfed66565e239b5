package kafka

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// A snapshot is taken while a seed broker is down (a broker restarting, killed): the reads go
// to the brokers that answer, and nothing is missing from it. (Sending every request at once to
// a fresh client failed here: the client's requests went to the dead seed.)
func TestSnapshotWithADeadSeed(t *testing.T) {
	fc, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.SeedTopics(6, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer fc.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	for i := range 12 {
		seeds := append([]string{dead}, fc.ListenAddrs()...)
		if i%2 == 1 {
			seeds = append(fc.ListenAddrs()[:1:1], dead)
		}
		cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s, err := TakeSnapshot(ctx, cl, "c")
		cancel()
		cl.Close()
		if err != nil {
			t.Fatalf("try %d, seeds %v: %v", i, seeds, err)
		}
		if s.Counts.Partitions != 6 || len(s.Brokers) != 3 {
			t.Fatalf("partitions %d, brokers %d", s.Counts.Partitions, len(s.Brokers))
		}
		for _, w := range s.Warnings {
			if !strings.HasPrefix(w, "controller quorum") { // kfake has no KRaft quorum to describe
				t.Fatalf("try %d, seeds %v: warning %q", i, seeds, w)
			}
		}
	}
}
