package patch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops/ssh"
)

// HostCommand runs the patch command on a stopped broker's host, and when the host reboots (the
// SSH connection drops) waits for it to come back with a new boot id. It is the rolling engine's
// step between stop and start for `patch run`.
type HostCommand struct {
	SSH            *ssh.Runner
	Command        string
	CommandTimeout time.Duration // how long the command may run; default 1h
	RebootTimeout  time.Duration // default 15m
	Poll           time.Duration // default 1s
	Say            func(format string, args ...any)
}

// Run patches one broker's host.
func (c HostCommand) Run(ctx context.Context, b *inventory.Broker) error {
	if c.RebootTimeout <= 0 {
		c.RebootTimeout = 15 * time.Minute
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	if c.CommandTimeout <= 0 {
		c.CommandTimeout = time.Hour
	}
	t := ssh.TargetFor(b)
	t.CommandTimeout = c.CommandTimeout
	before, err := c.bootID(ctx, t, b)
	if err != nil {
		return err
	}
	c.say("host %s: running the patch command (boot id %s)", b.Host, short(before))
	var out bytes.Buffer
	code, err := c.SSH.Run(ctx, t, c.Command, nil, &out, &out)
	switch {
	case err == nil && code == 0:
		c.say("host %s: patch command done", b.Host)
		return nil
	case err == nil:
		return fmt.Errorf("host %s: patch command exited %d: %s", b.Host, code, lastLines(out.String(), 3))
	case ctx.Err() != nil:
		return ctx.Err()
	case !droppedConnection(err):
		return fmt.Errorf("host %s: patch command: %w", b.Host, err)
	}
	c.say("host %s: connection dropped during the patch command; waiting up to %s for it to come back with a new boot id", b.Host, c.RebootTimeout)
	return c.waitReboot(ctx, t, b, before)
}

// droppedConnection tells a command cut short by a reboot (the connection lost, or the remote
// shell killed by a signal as the host shuts down) from problems that are not a reboot: a host
// key or configuration problem, or the command running past its timeout.
func droppedConnection(err error) bool {
	var hk *ssh.HostKeyError
	var cfg *ssh.ConfigError
	var cmd *ssh.CommandError
	switch {
	case errors.As(err, &hk), errors.As(err, &cfg), errors.Is(err, context.DeadlineExceeded):
		return false
	case errors.As(err, &cmd):
		return cmd.Signal != ""
	}
	return true
}

func (c HostCommand) waitReboot(ctx context.Context, t ssh.Target, b *inventory.Broker, before string) error {
	deadline := time.Now().Add(c.RebootTimeout)
	last := "no answer yet"
	for {
		id, err := c.bootID(ctx, t, b)
		switch {
		case err != nil:
			last = err.Error()
		case id != before:
			c.say("host %s: back after reboot (boot id %s)", b.Host, short(id))
			return nil
		default:
			last = "answering with the same boot id " + short(id)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("host %s: did not come back with a new boot id within %s after the connection dropped; last: %s", b.Host, c.RebootTimeout, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(c.Poll):
		}
	}
}

func (c HostCommand) bootID(ctx context.Context, t ssh.Target, b *inventory.Broker) (string, error) {
	out, code, err := c.SSH.Output(ctx, t, b.Service.BootID)
	if err != nil {
		return "", err
	}
	id := strings.TrimSpace(string(out))
	if code != 0 || id == "" {
		return "", fmt.Errorf("host %s: boot id command %q gave exit %d and %q", b.Host, b.Service.BootID, code, id)
	}
	return id, nil
}

func (c HostCommand) say(format string, args ...any) {
	if c.Say != nil {
		c.Say(format, args...)
	}
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "; ")
}
