package zookeeper

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/kfleet/kfleet/ops/fault"
)

// DefaultTimeout bounds one node's read when the context has no deadline of its own.
const DefaultTimeout = 5 * time.Second

// maxAnswer caps what kfleet reads back: mntr of a leader with many learners is tens of KiB.
const maxAnswer = 4 << 20

// ReadError says kfleet could not get an answer from a node: no connection, no answer before
// the deadline, the connection closed before any answer, or the SSH command failed.
type ReadError struct {
	Node    Node
	Command string // the four-letter word
	Via     string // "" for the client port, "ssh" for the command on the node's host
	Err     error
}

func (e *ReadError) Error() string {
	via := ""
	if e.Via != "" {
		via = " over " + e.Via
	}
	return fmt.Sprintf("%v: %s%s: %v", e.Node, e.Command, via, e.Err)
}

func (e *ReadError) Unwrap() error { return e.Err }

// FaultKind: the node could not be reached; nothing was changed.
func (e *ReadError) FaultKind() fault.Kind { return fault.Unreachable }

// errClosedEarly is an empty answer: ZooKeeper closes at once when the client's address has
// maxClientCnxns connections already, and a port that is not ZooKeeper's may do the same.
var errClosedEarly = errors.New("the connection closed without an answer (too many connections from this address for maxClientCnxns, or not a ZooKeeper client port)")

// askFunc asks the node one four-letter word and returns the answer.
type askFunc func(ctx context.Context, word string) (string, error)

// ReadNode reads one node over its client port: srvr, then mntr unless the node is not
// serving. It fails only when srvr gets no usable answer (a *ReadError, *NotWhitelistedError or
// *AnswerError); a refused or unreadable mntr leaves NodeState.Monitor nil and says why in
// MntrError. Without a deadline in ctx, the read gets DefaultTimeout.
func ReadNode(ctx context.Context, node Node) (NodeState, error) {
	return read(ctx, node, func(ctx context.Context, word string) (string, error) {
		return askTCP(ctx, node, word)
	})
}

func read(ctx context.Context, node Node, ask askFunc) (NodeState, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	answer, err := ask(ctx, "srvr")
	if err != nil {
		return NodeState{}, err
	}
	st, err := ParseSrvr(answer)
	if err != nil {
		return NodeState{}, withNode(err, node)
	}
	if st.Mode == ModeNotServing {
		return st, nil
	}
	answer, err = ask(ctx, "mntr")
	if err == nil {
		var m Monitor
		m, err = ParseMntr(answer)
		if errors.Is(err, ErrNotServing) {
			// It stopped serving between the two words (an election began): say so.
			return NodeState{Mode: ModeNotServing, Version: st.Version}, nil
		}
		if err == nil {
			st.Monitor = &m
			return st, nil
		}
	}
	if ctx.Err() == context.Canceled {
		return NodeState{}, err
	}
	st.MntrError = withNode(err, node).Error()
	return st, nil
}

// withNode names the node in a parser's error.
func withNode(err error, node Node) error {
	var refused *NotWhitelistedError
	var bad *AnswerError
	switch {
	case errors.As(err, &refused):
		refused.Node = node
	case errors.As(err, &bad):
		bad.Node = node
	}
	return err
}

// askTCP writes word to the node's client port and reads until ZooKeeper closes the
// connection, which it does after every four-letter word.
func askTCP(ctx context.Context, node Node, word string) (string, error) {
	start := time.Now()
	fail := func(err error) (string, error) {
		if ctx.Err() == context.Canceled {
			return "", fmt.Errorf("%v: %s: %w", node, word, ctx.Err())
		}
		if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s", time.Since(start).Round(time.Millisecond))
		}
		return "", &ReadError{Node: node, Command: word, Err: err}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", node.Addr())
	if err != nil {
		return fail(err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	// A cancelled context unblocks the read at once.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := io.WriteString(conn, word); err != nil {
		return fail(err)
	}
	b, err := io.ReadAll(io.LimitReader(conn, maxAnswer+1))
	if err != nil {
		return fail(err)
	}
	if len(b) > maxAnswer {
		return fail(fmt.Errorf("the answer is larger than %d bytes", maxAnswer))
	}
	if len(b) == 0 {
		return fail(errClosedEarly)
	}
	return string(b), nil
}

// ReadAll reads every node at once, each over its client port; when that port cannot be
// reached (a *ReadError) and via is not nil, it asks again through via on the node's host, with
// the second half of the time left. Whatever cannot be read is in errs, keyed by node id, and
// states holds the rest: the inputs of Assess.
func ReadAll(ctx context.Context, nodes []Node, via Exec) (states map[int]NodeState, errs map[int]error) {
	states, errs = map[int]NodeState{}, map[int]error{}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Go(func() {
			st, err := readOne(ctx, n, via)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[n.ID] = err
				return
			}
			states[n.ID] = st
		})
	}
	wg.Wait()
	return states, errs
}

func readOne(ctx context.Context, n Node, via Exec) (NodeState, error) {
	if via == nil {
		return ReadNode(ctx, n)
	}
	// A port that drops packets would spend the whole budget; keep half for SSH.
	dl, _ := ctx.Deadline()
	tcpCtx, cancel := context.WithDeadline(ctx, time.Now().Add(time.Until(dl)/2))
	defer cancel()
	st, err := ReadNode(tcpCtx, n)
	var unreachable *ReadError
	if err == nil || !errors.As(err, &unreachable) || ctx.Err() != nil {
		return st, err
	}
	st, sshErr := ReadNodeVia(ctx, n, via)
	var sshUnreachable *ReadError
	if errors.As(sshErr, &sshUnreachable) {
		return NodeState{}, fmt.Errorf("%w; over ssh: %w", err, sshUnreachable.Err)
	}
	// An answer that came over SSH (a state, a refusal) is the node's word.
	return st, sshErr
}
