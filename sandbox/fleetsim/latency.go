package main

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// The simulated round trip sits on the connections, not in kfake's control hooks. A control
// function runs on the cluster's one request loop: sleeping in it (time.Sleep) holds every other
// request of the cluster back, and kfake's SleepControl still makes the requests pipelined on one
// connection wait one after another. On a network a client with several requests in flight pays
// one round trip for all of them, and a reader made concurrent must be measured that way.

// delayListener hands out connections whose replies reach the client one round trip late.
type delayListener struct {
	net.Listener
	rtt time.Duration
}

// withLatency wraps ln so that every connection costs rtt more per request and once more at
// its start; rtt <= 0 leaves ln as it is.
func withLatency(ln net.Listener, rtt time.Duration) net.Listener {
	if rtt <= 0 {
		return ln
	}
	return &delayListener{Listener: ln, rtt: rtt}
}

func (l *delayListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return newDelayConn(c, l.rtt), nil
}

// delayConn is the broker's side of a connection with a round trip of rtt:
//   - the first read waits rtt: the TCP handshake's round trip before the client's first
//     request can arrive;
//   - every write returns at once and its bytes go out rtt later, in order: the broker goes on
//     to the next request, and a reply is on the wire for the request's and its own half of
//     the round trip, as many replies at once as there are requests in flight.
type delayConn struct {
	net.Conn
	rtt     time.Duration
	first   sync.Once
	out     chan delayed
	closing chan struct{}
	closed  sync.Once
	broken  atomic.Bool // a delayed write failed: the client is gone
}

type delayed struct {
	at time.Time
	b  []byte
}

func newDelayConn(c net.Conn, rtt time.Duration) *delayConn {
	d := &delayConn{Conn: c, rtt: rtt, out: make(chan delayed, 64), closing: make(chan struct{})}
	go d.send()
	return d
}

func (d *delayConn) Read(b []byte) (int, error) {
	d.first.Do(func() { time.Sleep(d.rtt) })
	return d.Conn.Read(b)
}

// Write queues a copy of b (kfake reuses its buffer) to go out rtt from now.
func (d *delayConn) Write(b []byte) (int, error) {
	if d.broken.Load() {
		return 0, net.ErrClosed
	}
	m := delayed{at: time.Now().Add(d.rtt), b: append([]byte(nil), b...)}
	select {
	case d.out <- m:
		return len(b), nil
	case <-d.closing:
		return 0, net.ErrClosed
	}
}

// Close lets what is queued go out first, as a FIN follows the data, then closes.
func (d *delayConn) Close() error {
	d.closed.Do(func() { close(d.closing) })
	return nil
}

// send writes the queued replies, each at its time; all have the same delay, so the queue is in
// time order.
func (d *delayConn) send() {
	defer d.Conn.Close()
	for {
		select {
		case m := <-d.out:
			if !d.deliver(m) {
				return
			}
		case <-d.closing:
			for {
				select {
				case m := <-d.out:
					if !d.deliver(m) {
						return
					}
				default:
					return
				}
			}
		}
	}
}

func (d *delayConn) deliver(m delayed) bool {
	time.Sleep(time.Until(m.at))
	if _, err := d.Conn.Write(m.b); err != nil {
		d.broken.Store(true)
		return false
	}
	return true
}
