package nodeops

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrLocked is the failure of a run that finds another run working on the node.
var ErrLocked = errors.New("another run holds the node's lock")

// A phase's run holds a lock on the node it changes, so two applies never
// interleave their steps (two Remove Alls, two setups). The lock is a folder,
// %SystemRoot%\mscs-<phase>.lock: mkdir fails when the folder exists, on
// every Windows version, so taking it is one atomic command. Inside, owner.txt
// says who holds it: `owner=<host>/<pid>/<nonce> time=<RFC 3339, UTC>`.
//
// A lock is stale, and taken over, when its owner ran on this machine and
// its process is gone (a killed terraform) or, in this process, its run has
// ended; when it is older than the run's own time limit (no run holds it
// longer: its context ends first); or when it names no owner (a run that died
// between mkdir and writing owner.txt).
// Otherwise the run fails at once, saying who holds the lock and since when.

// lockProcess identifies this process: host and pid. A run's owner string
// adds a nonce of its own.
var lockProcess = func() string {
	host, _ := os.Hostname()
	host = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, host)
	if host == "" {
		host = "unknown"
	}
	return fmt.Sprintf("%s/%d", host, os.Getpid())
}()

// heldLocks are the owners of the locks this process's runs hold now: a lock
// of this process that is not among them was left by a run that ended.
var heldLocks sync.Map

func newLockOwner() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return lockProcess + "/" + hex.EncodeToString(b)
}

var lockLineRe = regexp.MustCompile(`owner=(\S+)\s+time=(\S+)`)

// LockHolder is who holds a node's lock, as owner.txt says.
type LockHolder struct {
	Owner string
	Since time.Time
}

// ParseLockHolder reads owner.txt; ok is false when it names no owner.
func ParseLockHolder(out string) (h LockHolder, ok bool) {
	m := lockLineRe.FindStringSubmatch(out)
	if m == nil {
		return h, false
	}
	t, err := time.Parse(time.RFC3339, m[2])
	if err != nil {
		return h, false
	}
	return LockHolder{Owner: m[1], Since: t}, true
}

// stale reports whether a holder can be taken over (see above); now and
// alive are the clock and the process check, injected by tests.
func (h LockHolder) stale(now time.Time, maxAge time.Duration, alive func(pid int) bool) bool {
	if now.Sub(h.Since) > maxAge {
		return true
	}
	host, rest, _ := strings.Cut(h.Owner, "/")
	pidText, _, _ := strings.Cut(rest, "/")
	myHost, _, _ := strings.Cut(lockProcess, "/")
	pid, err := strconv.Atoi(pidText)
	if err != nil || !strings.EqualFold(host, myHost) {
		return false
	}
	if pid == os.Getpid() {
		// One of this process's runs: stale once that run has ended
		// without releasing it (the node rebooted under the release).
		_, running := heldLocks.Load(h.Owner)
		return !running
	}
	return !alive(pid)
}

// processAlive reports whether a process of this machine runs.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false // Windows: no such process
	}
	if runtime.GOOS == "windows" {
		return true
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

// lock takes phase's lock on the node (see above). maxAge is the longest a
// run may hold it (the caller's time limit). The returned release deletes the
// lock, also after ctx ended; a release that fails leaves a lock the next run
// sees as stale.
func (n *Node) lock(ctx context.Context, sysRoot, phase string, maxAge time.Duration) (release func(), err error) {
	dir := sysRoot + `\mscs-` + phase + `.lock`
	file := dir + `\owner.txt`
	q, err := quoteAll("lock folder", dir, "lock file", file)
	if err != nil {
		return nil, err
	}
	step := "lock the node for this run"
	owner := newLockOwner()
	heldLocks.Store(owner, true)
	defer func() {
		if err != nil {
			heldLocks.Delete(owner) // not taken: no run of this process holds it
		}
	}()
	ownerLine := func() string {
		return fmt.Sprintf("echo owner=%s time=%s > %s", owner, time.Now().UTC().Format(time.RFC3339), q[1])
	}
	// The folder and owner.txt in one command line: the echo runs only
	// when mkdir made the folder. A failure of either comes back as 1.
	res, err := n.run(ctx, step, "mkdir "+q[0]+" && "+ownerLine(), false, okCodes(1))
	if err != nil {
		return nil, err
	}
	if res.ExitCode != 0 {
		var holder LockHolder
		named := false
		// The holder writes owner.txt right after its mkdir: a lock without
		// one is given a moment before it counts as a dead run's (which is
		// also what a run whose own echo failed finds).
		b := newBackoff(n.poll() / 2)
		for try := 0; try < 4 && !named; try++ {
			if try > 0 {
				if err := b.wait(ctx); err != nil {
					return nil, err
				}
			}
			out, err := n.readFile(ctx, "read who holds the node's lock", file)
			if err != nil {
				return nil, err
			}
			holder, named = ParseLockHolder(out)
		}
		if named && !holder.stale(time.Now(), maxAge, processAlive) {
			return nil, &StepError{Node: n.R.Node(), Step: step, Err: ErrLocked, Meaning: fmt.Sprintf(
				"another run is working on the node: %s holds its lock since %s (%s). Wait for it to end; if that "+
					"run is gone, remove the folder %s on the node, or wait until the lock is %s old",
				holder.Owner, holder.Since.Format(time.RFC3339), dir, dir, maxAge)}
		}
		// Stale: taken over.
		if _, err := n.run(ctx, step+": write "+file, ownerLine(), false, win32); err != nil {
			return nil, err
		}
	}
	return func() {
		defer heldLocks.Delete(owner)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		_, _ = n.run(rctx, "release the node's lock", "rmdir /s /q "+q[0], false, win32)
	}, nil
}
