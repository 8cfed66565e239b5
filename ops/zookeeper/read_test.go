package zookeeper

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kfleet/kfleet/ops/fault"
)

// fakeZK is an in-process stand-in for a ZooKeeper client port: it reads the four-letter word,
// then does what reply says with the connection (answer and close, stall, close at once).
type fakeZK struct {
	node  Node
	mu    sync.Mutex
	words []string
}

// answers replies as ZooKeeper does: the answer for the word, then close.
func answers(m map[string]string) func(word string, c net.Conn) {
	return func(word string, c net.Conn) { io.WriteString(c, m[word]) }
}

func startFakeZK(t *testing.T, id int, reply func(word string, c net.Conn)) *fakeZK {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var conns sync.WaitGroup
	t.Cleanup(func() {
		close(done) // unblocks stalled replies
		ln.Close()
		conns.Wait()
	})
	port := ln.Addr().(*net.TCPAddr).Port
	f := &fakeZK{node: Node{ID: id, Host: "127.0.0.1", ClientPort: port}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Go(func() {
				defer c.Close()
				buf := make([]byte, 4)
				if _, err := io.ReadFull(c, buf); err != nil {
					return
				}
				f.mu.Lock()
				f.words = append(f.words, string(buf))
				f.mu.Unlock()
				if reply == nil {
					<-done // a node that accepts and never answers
					return
				}
				reply(string(buf), c)
			})
		}
	}()
	return f
}

func (f *fakeZK) asked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.words...)
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestReadNodeLeader(t *testing.T) {
	zk := startFakeZK(t, 1, answers(map[string]string{
		"srvr": fixture(t, "stat-3.8.4-leader.txt"),
		"mntr": fixture(t, "mntr-3.6.1-leader.txt"),
	}))
	st, err := ReadNode(ctxFor(t, 2*time.Second), zk.node)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode != ModeLeader || st.Zxid != 0x470000003e || st.Monitor == nil || st.Monitor.Leader == nil ||
		st.Monitor.Leader.SyncedFollowers != 2 || st.MntrError != "" {
		t.Errorf("state %+v, monitor %+v", st, st.Monitor)
	}
	if got := strings.Join(zk.asked(), ","); got != "srvr,mntr" {
		t.Errorf("asked %s, want srvr,mntr", got)
	}
}

func TestReadNodeMntrRefusedKeepsSrvr(t *testing.T) {
	zk := startFakeZK(t, 2, answers(map[string]string{
		"srvr": fixture(t, "srvr-3.9.3-follower.txt"),
		"mntr": fixture(t, "mntr-refused.txt"),
	}))
	st, err := ReadNode(ctxFor(t, 2*time.Second), zk.node)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode != ModeFollower || st.Monitor != nil {
		t.Errorf("state %+v", st)
	}
	want := zk.node.String() + `: refuses the four-letter word "mntr": it is not in 4lw.commands.whitelist`
	if !strings.HasPrefix(st.MntrError, want) {
		t.Errorf("MntrError %q, want it to begin %q", st.MntrError, want)
	}
}

func TestReadNodeNotServingSkipsMntr(t *testing.T) {
	zk := startFakeZK(t, 3, answers(map[string]string{"srvr": fixture(t, "not-serving.txt")}))
	st, err := ReadNode(ctxFor(t, 2*time.Second), zk.node)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode != ModeNotServing {
		t.Errorf("mode %q", st.Mode)
	}
	if got := strings.Join(zk.asked(), ","); got != "srvr" {
		t.Errorf("asked %s, want srvr only", got)
	}
}

func TestReadNodeStopsServingBetweenWords(t *testing.T) {
	zk := startFakeZK(t, 3, answers(map[string]string{
		"srvr": fixture(t, "srvr-3.9.3-follower.txt"),
		"mntr": fixture(t, "not-serving.txt"),
	}))
	st, err := ReadNode(ctxFor(t, 2*time.Second), zk.node)
	if err != nil || st.Mode != ModeNotServing {
		t.Errorf("state %+v, err %v; want not serving", st, err)
	}
}

func TestReadNodeSrvrRefused(t *testing.T) {
	zk := startFakeZK(t, 1, answers(map[string]string{"srvr": fixture(t, "srvr-refused.txt")}))
	_, err := ReadNode(ctxFor(t, 2*time.Second), zk.node)
	var refused *NotWhitelistedError
	if !errors.As(err, &refused) || refused.Node != zk.node || refused.Command != "srvr" {
		t.Fatalf("err = %v, want a *NotWhitelistedError naming the node", err)
	}
	if !strings.Contains(err.Error(), "4lw.commands.whitelist") || !strings.HasPrefix(err.Error(), zk.node.String()) {
		t.Errorf("message %q", err)
	}
}

func TestReadNodeGarbage(t *testing.T) {
	zk := startFakeZK(t, 1, func(_ string, c net.Conn) { io.WriteString(c, "SSH-2.0-OpenSSH_9.6\r\n") })
	_, err := ReadNode(ctxFor(t, 2*time.Second), zk.node)
	var bad *AnswerError
	if !errors.As(err, &bad) || bad.Node != zk.node {
		t.Fatalf("err = %v, want an *AnswerError naming the node", err)
	}
	if !strings.Contains(err.Error(), `it begins "SSH-2.0-OpenSSH_9.6"`) {
		t.Errorf("message %q", err)
	}
}

func TestReadNodeSlowServerHitsTheDeadline(t *testing.T) {
	zk := startFakeZK(t, 1, nil)
	start := time.Now()
	_, err := ReadNode(ctxFor(t, 200*time.Millisecond), zk.node)
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("took %s, want about the 200ms deadline", elapsed)
	}
	var re *ReadError
	if !errors.As(err, &re) || re.Command != "srvr" || !strings.Contains(err.Error(), "no answer within") {
		t.Fatalf("err = %v, want a *ReadError saying there was no answer in time", err)
	}
	if k, _ := fault.KindOf(err); k != fault.Unreachable {
		t.Errorf("kind %v, want unreachable", k)
	}
}

func TestReadNodeWithoutDeadlineGetsTheDefault(t *testing.T) {
	zk := startFakeZK(t, 1, answers(map[string]string{"srvr": fixture(t, "not-serving.txt")}))
	if _, err := ReadNode(context.Background(), zk.node); err != nil {
		t.Fatal(err)
	}
}

func TestReadNodeCancelled(t *testing.T) {
	zk := startFakeZK(t, 1, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := ReadNode(ctx, zk.node)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("took %s after the cancel", elapsed)
	}
}

func TestReadNodeClosedEarly(t *testing.T) {
	zk := startFakeZK(t, 1, func(string, net.Conn) {}) // reads the word, closes without a byte
	_, err := ReadNode(ctxFor(t, 2*time.Second), zk.node)
	var re *ReadError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "closed without an answer") {
		t.Fatalf("err = %v, want a *ReadError saying the connection closed", err)
	}
}

func TestReadNodeClosedMidAnswer(t *testing.T) {
	cut := fixture(t, "srvr-3.9.3-leader.txt")[:60]
	zk := startFakeZK(t, 1, func(_ string, c net.Conn) { io.WriteString(c, cut) })
	_, err := ReadNode(ctxFor(t, 2*time.Second), zk.node)
	var bad *AnswerError
	if !errors.As(err, &bad) || !strings.Contains(err.Error(), "no Mode line") {
		t.Fatalf("err = %v, want an *AnswerError", err)
	}
}

func TestReadNodeConnectionRefused(t *testing.T) {
	node := Node{ID: 4, Host: "127.0.0.1", ClientPort: closedPort(t)}
	_, err := ReadNode(ctxFor(t, 2*time.Second), node)
	var re *ReadError
	if !errors.As(err, &re) || !strings.HasPrefix(err.Error(), "zookeeper node 4 (127.0.0.1:"+strconv.Itoa(node.ClientPort)+"): srvr: ") {
		t.Fatalf("err = %v, want a *ReadError naming the node", err)
	}
	if k, _ := fault.KindOf(err); k != fault.Unreachable {
		t.Errorf("kind %v, want unreachable", k)
	}
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

func TestReadAllReadsEveryNodeAtOnce(t *testing.T) {
	var nodes []Node
	follower := answers(map[string]string{"srvr": fixture(t, "srvr-3.9.3-follower.txt"), "mntr": fixture(t, "mntr-3.7.0-follower.txt")})
	for id := 1; id <= 3; id++ {
		zk := startFakeZK(t, id, func(word string, c net.Conn) {
			time.Sleep(200 * time.Millisecond) // srvr and mntr: in turn, three nodes would take 1.2s
			follower(word, c)
		})
		nodes = append(nodes, zk.node)
	}
	nodes = append(nodes, Node{ID: 4, Host: "127.0.0.1", ClientPort: closedPort(t)})
	start := time.Now()
	states, errs := ReadAll(ctxFor(t, 3*time.Second), nodes, nil)
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("took %s: not read at once", elapsed)
	}
	if len(states) != 3 || len(errs) != 1 || errs[4] == nil {
		t.Errorf("states %v errs %v", states, errs)
	}
}
