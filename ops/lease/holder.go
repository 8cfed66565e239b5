package lease

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Proc identifies the process holding a lease well enough to tell, from the same host, that it
// is gone: a pid alone is not enough, since the kernel hands pids out again.
type Proc struct {
	Host  string `json:"host" yaml:"host"`
	PID   int    `json:"pid" yaml:"pid"`
	Start uint64 `json:"start_ticks,omitempty" yaml:"start_ticks,omitempty"` // /proc/PID/stat starttime; 0: unknown
	Boot  string `json:"boot_id,omitempty" yaml:"boot_id,omitempty"`         // the host's boot id; "": unknown
}

// Self is this process.
func Self() Proc {
	host, _ := os.Hostname()
	pid := os.Getpid()
	start, _, _ := procStart(pid)
	return Proc{Host: host, PID: pid, Start: start, Boot: bootID()}
}

// Gone says whether the process is provably dead, and why. Only a process of this host can be
// proven dead (its pid is gone, reused by another process, or the host rebooted since); for any
// other host, or without /proc, the answer is false: wait for the lease's TTL instead.
func (p Proc) Gone() (bool, string) {
	host, _ := os.Hostname()
	if p.Host == "" || p.Host != host || p.PID <= 0 || p.Start == 0 {
		return false, ""
	}
	if b := bootID(); p.Boot != "" && b != "" && b != p.Boot {
		return true, fmt.Sprintf("host %s rebooted since pid %d took the lease", p.Host, p.PID)
	}
	start, dead, err := procStart(p.PID)
	switch {
	case os.IsNotExist(err):
		return true, fmt.Sprintf("pid %d on %s is gone", p.PID, p.Host)
	case err != nil:
		return false, ""
	case start != p.Start:
		return true, fmt.Sprintf("pid %d on %s is now another process", p.PID, p.Host)
	case dead:
		// Killed, and not yet reaped by its parent: it runs nothing.
		return true, fmt.Sprintf("pid %d on %s has exited (a zombie)", p.PID, p.Host)
	}
	return false, ""
}

// procStart reads a process's start time (clock ticks since boot) from /proc/PID/stat, and
// whether it has exited already (a zombie, or dead: state Z or X).
func procStart(pid int) (start uint64, dead bool, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false, err
	}
	// The command name (field 2) is in parentheses and may hold spaces: count from after it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(s[i+1:])
	const startField = 22 - 3 // starttime is field 22; f[0] is field 3, the state
	if len(f) <= startField {
		return 0, false, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	start, err = strconv.ParseUint(f[startField], 10, 64)
	return start, f[0] == "Z" || f[0] == "X", err
}

func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
