package zookeeper

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/kfleet/kfleet/ops/ssh"
)

// Exec runs a shell command on the node's host (over SSH, as the caller wires it) and returns
// its standard output. It returns an error when the command could not be run or exited non-zero;
// that error should carry the command's standard error.
type Exec func(ctx context.Context, node Node, command string) (string, error)

// remoteAsk is the script RemoteCommand runs with sh: it asks ZooKeeper on this host one
// four-letter word, with nc when the host has one (any flavour: OpenBSD, traditional, ncat,
// busybox; ZooKeeper closes the connection after answering, so none needs a flag), else with
// bash's /dev/tcp. It asks the node's own address first, then 127.0.0.1, since clientPortAddress
// may bind either. timeout(1), where present and taking "timeout SECONDS CMD" (old busybox does
// not), bounds each try. POSIX sh;
// $1 address, $2 client port, $3 word, $4 seconds.
const remoteAsk = `t=
if timeout 1 true >/dev/null 2>&1; then t="timeout $4"; fi
ask() {
  if command -v nc >/dev/null 2>&1; then
    printf %s "$3" | $t nc "$1" "$2"
  elif command -v bash >/dev/null 2>&1; then
    $t bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf %s "$2" >&3 && cat <&3' "$1" "$2" "$3"
  else
    echo "neither nc nor bash is installed here to reach the client port" >&2
    return 127
  fi
}
out=$(ask "$1" "$2" "$3") tried="$1:$2"
if [ -z "$out" ] && [ "$1" != 127.0.0.1 ]; then out=$(ask 127.0.0.1 "$2" "$3") tried="$tried or 127.0.0.1:$2"; fi
if [ -z "$out" ]; then
  echo "no answer to $3 from $tried" >&2
  exit 1
fi
printf '%s\n' "$out"
`

// RemoteCommand is the command line ReadNodeVia runs on the node's host to ask it one
// four-letter word, giving each try at most timeout (whole seconds, at least 1):
//
//	sh -c '<remoteAsk>' kfleet-zk HOST PORT WORD SECONDS
//
// which pipes the word into "nc HOST PORT" (or, without nc, writes it to bash's
// /dev/tcp/HOST/PORT and reads the answer back) and, when HOST gives nothing, tries 127.0.0.1.
func RemoteCommand(node Node, word string, timeout time.Duration) string {
	secs := int(math.Ceil(timeout.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return "sh -c " + ssh.ShellQuote(remoteAsk) + " kfleet-zk " +
		ssh.ShellJoin(node.Host, strconv.Itoa(node.ClientPort), word, strconv.Itoa(secs))
}

// ReadNodeVia reads one node as ReadNode does, through exec on the node's host (RemoteCommand),
// for a client port kfleet cannot reach from where it runs. It answers what ReadNode answers;
// a failed command is a *ReadError with Via "ssh".
func ReadNodeVia(ctx context.Context, node Node, exec Exec) (NodeState, error) {
	return read(ctx, node, func(ctx context.Context, word string) (string, error) {
		dl, _ := ctx.Deadline() // read gives ctx one
		out, err := exec(ctx, node, RemoteCommand(node, word, time.Until(dl)))
		if err != nil {
			if ctx.Err() == context.Canceled {
				return "", err
			}
			return "", &ReadError{Node: node, Command: word, Via: "ssh", Err: err}
		}
		if strings.TrimSpace(out) == "" {
			return "", &ReadError{Node: node, Command: word, Via: "ssh", Err: errClosedEarly}
		}
		return out, nil
	})
}
