// Package sshtest runs in-process SSH servers on 127.0.0.1 for tests, with the keys and
// known_hosts files that reach them: a "host" that is this machine, which runs each exec request
// with the local sh.
//
// It is for tests only: import it from _test.go files, never from kfleet's own code. It depends on
// golang.org/x/crypto/ssh alone (not on kfleet's ops/ssh), so ops/ssh's own tests can use it too.
package sshtest
