package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kfleet/kfleet/inventory"
	"github.com/kfleet/kfleet/ops"
	"github.com/kfleet/kfleet/reassign"
	"github.com/kfleet/kfleet/rollout"
	"github.com/kfleet/kfleet/rollout/brokerconfig"
	"github.com/kfleet/kfleet/rollout/deploy"
)

// Exit codes: the same for every command (SPEC section 4).
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitCheckFailed = 3
	exitUnreachable = 69
	exitTempFail    = 75
	exitInterrupted = 130
)

// exitCodes is the one table of exit codes; `kfleet help exit-codes` prints it.
var exitCodes = []struct {
	code    int
	meaning string
}{
	{exitOK, "success; healthy; no drift"},
	{exitFailed, "the operation failed part-way and needs attention (what was done is in the journal)"},
	{exitUsage, "usage or inventory error; nothing was changed"},
	{exitCheckFailed, "the check ran and found a problem (status unhealthy, config drift)"},
	{exitUnreachable, "Kafka or a host could not be reached, refused kfleet's credentials or ACLs, or a host key did not verify; nothing was changed"},
	{exitTempFail, "refused for now, retry later: a safety gate said no, or the cluster lease is held"},
	{exitInterrupted, "interrupted; the journal says where it stopped; `resume` continues"},
}

func exitCodesHelp() string {
	var b strings.Builder
	b.WriteString("Every kfleet command exits with one of these codes:\n\n")
	for _, e := range exitCodes {
		fmt.Fprintf(&b, "  %3d  %s\n", e.code, e.meaning)
	}
	b.WriteString("\nScripts and patching systems may rely on them; they do not change between releases.\n")
	return b.String()
}

// exitCode maps an error to its exit code; the only place that does.
func exitCode(err error) int {
	var (
		invErr    *inventory.Error
		invErrs   inventory.Errors
		selErr    *inventory.SelectionError
		usage     *usageError
		sshConfig *ops.SSHConfigError
		kafkaConf *ops.KafkaSettingsError
		kafkaDown *ops.KafkaUnreachableError
		denied    *ops.KafkaDeniedError
		hostDown  *ops.SSHUnreachableError
		hostKey   *ops.HostKeyError
		check     *checkFailed
		intr      interrupted
		coded     *codedError
		gate      *rollout.GateRefusedError
		held      *ops.LeaseHeldError
		halt      *rollout.HaltError
		softStop  *rollout.InterruptedError
		aborted   *rollout.AbortedError
		// deploy
		artifact *deploy.ArtifactError
		conflict *deploy.StageConflictError
		mixed    *deploy.MixedVersionsError
		// reassign
		impossible *reassign.ImpossibleError
		invalid    *reassign.InvalidError
		foreign    *reassign.ForeignError
		rInterrupt *reassign.InterruptedError
		rAborted   *reassign.AbortedError
		// config apply
		cfgRejected  *brokerconfig.RejectedError
		cfgPlacement *brokerconfig.PlacementError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &coded):
		return coded.code
	case errors.As(err, &intr), errors.As(err, &softStop), errors.As(err, &aborted),
		errors.As(err, &rInterrupt), errors.As(err, &rAborted):
		return exitInterrupted
	case errors.As(err, &halt):
		return exitFailed
	case errors.As(err, &gate), errors.As(err, &held), errors.As(err, &foreign):
		return exitTempFail
	case errors.As(err, &mixed):
		return exitTempFail
	case errors.As(err, &artifact), errors.As(err, &conflict):
		return exitUsage
	case errors.As(err, &invErr), errors.As(err, &invErrs), errors.As(err, &selErr), errors.As(err, &usage),
		errors.As(err, &sshConfig), errors.As(err, &kafkaConf), errors.As(err, &invalid), errors.As(err, &cfgRejected), errors.As(err, &cfgPlacement):
		return exitUsage
	case errors.As(err, &kafkaDown), errors.As(err, &denied), errors.As(err, &hostDown), errors.As(err, &hostKey),
		ops.IsAuthorizationError(err):
		return exitUnreachable
	case errors.As(err, &check), errors.As(err, &impossible):
		return exitCheckFailed
	}
	return exitFailed
}

// usageError is a bad flag or argument; nothing was changed.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// checkFailed says a check ran and found a problem it has already printed.
type checkFailed struct{ msg string }

func (e *checkFailed) Error() string { return e.msg }

// codedError carries an exit code decided by a command that weighed several outcomes (e.g. exec:
// one host unreachable, another failed). Its message has been printed already when quiet.
type codedError struct {
	code  int
	msg   string
	quiet bool
}

func (e *codedError) Error() string { return e.msg }

// interrupted wraps whatever was cut short by Ctrl-C or SIGTERM.
type interrupted struct{ err error }

func (e interrupted) Error() string { return "interrupted: " + e.err.Error() }
func (e interrupted) Unwrap() error { return e.err }

// reportError prints the error (unless the command already said it) and returns the exit code.
func reportError(io *IOStreams, err error) int {
	code := exitCode(err)
	if err == nil {
		return code
	}
	var check *checkFailed
	var coded *codedError
	quiet := errors.As(err, &check) || (errors.As(err, &coded) && coded.quiet)
	if !quiet {
		fmt.Fprintf(io.ErrOut, "kfleet: %s\n", err)
	}
	return code
}
