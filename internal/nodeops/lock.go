package nodeops

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
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
// every Windows version, so taking it is one atomic command. Inside,
// owner.txt says who holds it: `owner=<host>/<pid>/<nonce> time=<RFC 3339,
// UTC> proc=<parent pid>.<start time>` (proc where the system tells, see
// processIdentity), and <nonce>.run marks the folder as that run's: the
// release removes the lock only while it is still its own.
//
// A lock is stale, and taken over, when its owner ran on this machine and
// its process is gone, or is no longer the process it was (another start
// time: the pid was reused; another parent: the terraform that ran the
// provider was killed and its orphaned provider lingers), or, in this
// process, its run has ended (a run whose context ended is waited for while
// it releases, at most a minute); when it is older than the run's own time
// limit (no run holds it longer: its context ends first); or when it names
// no owner (a run that died between mkdir and writing owner.txt).
// Otherwise the run fails at once, saying who holds the lock and since when.
//
// A takeover sets the stale folder aside (REN, one step on the node: of two
// RENs of one folder only the first finds it, and it runs only while the
// folder still holds the stale run's mark, so a live lock is never moved)
// under a name of the stale owner's, which only one REN can take, and then
// takes the lock as any run
// does, with mkdir: of two runs that judged one lock stale, exactly one
// mkdir succeeds and the other fails with ErrLocked. The winner removes the
// folder set aside when it releases its own.

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

// heldLock is a run of this process that holds (or is taking) a lock.
type heldLock struct {
	ctx      context.Context // the run's: once done, the run is ending
	released chan struct{}   // closed when the run no longer holds it
}

// heldLocks are the owners of the locks this process's runs hold now: a lock
// of this process that is not among them was left by a run that ended.
var heldLocks sync.Map // owner -> *heldLock

func newLockOwner() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return lockProcess + "/" + hex.EncodeToString(b)
}

// processIdentity tells a process apart from a later one with its pid and
// from itself orphaned: its parent's pid and its start time, from
// /proc/<pid>/stat where the system has it (Linux); "" where it does not
// say. Tests replace it.
var processIdentity = func(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// pid (comm) state ppid ... starttime (field 22): comm may hold blanks
	// and parentheses, so fields count from the last ')'.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return ""
	}
	return f[1] + "." + f[19]
}

var lockLineRe = regexp.MustCompile(`owner=(\S+)\s+time=(\S+)(?:\s+proc=(\S+))?`)

// LockHolder is who holds a node's lock, as owner.txt says.
type LockHolder struct {
	Owner string
	Since time.Time
	// Proc is the owner's process identity when it was taken (see
	// processIdentity), "" when unknown.
	Proc string
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
	return LockHolder{Owner: m[1], Since: t, Proc: m[3]}, true
}

// lockProbe is how a holder is judged: the clock, and the checks of a
// process of this machine; tests inject them.
type lockProbe struct {
	now      time.Time
	alive    func(pid int) bool
	identity func(pid int) string
}

// stale reports whether a holder can be taken over (see above). ending is
// non-nil for a run of this process whose context has ended but that still
// holds the lock: it is closed once that run has released it.
func (h LockHolder) stale(p lockProbe, maxAge time.Duration) (stale bool, ending <-chan struct{}) {
	if p.now.Sub(h.Since) > maxAge {
		return true, nil
	}
	host, rest, _ := strings.Cut(h.Owner, "/")
	pidText, _, _ := strings.Cut(rest, "/")
	myHost, _, _ := strings.Cut(lockProcess, "/")
	pid, err := strconv.Atoi(pidText)
	if err != nil || !strings.EqualFold(host, myHost) {
		return false, nil
	}
	if pid == os.Getpid() {
		// One of this process's runs: stale once that run has ended
		// without releasing it (the node rebooted under the release).
		v, running := heldLocks.Load(h.Owner)
		if !running {
			return true, nil
		}
		if run, ok := v.(*heldLock); ok && run.ctx.Err() != nil {
			return false, run.released
		}
		return false, nil
	}
	if !p.alive(pid) {
		return true, nil
	}
	// Alive, but is it the same process, still run by the same terraform?
	if h.Proc != "" {
		if now := p.identity(pid); now != "" && now != h.Proc {
			return true, nil
		}
	}
	return false, nil
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

// lockEndingWait bounds the wait for a run of this process that is ending
// (its context done) to release its lock: the release allows itself a minute.
const lockEndingWait = time.Minute + 10*time.Second

// lock takes phase's lock on the node (see above). maxAge is the longest a
// run may hold it (the caller's time limit). The returned release deletes the
// lock, also after ctx ended, and says when the lock remains on the node (a
// release whose answer was lost, a node rebooted under it): the next run
// sees that lock stale.
func (n *Node) lock(ctx context.Context, sysRoot, phase string, maxAge time.Duration) (release func() error, err error) {
	name := `mscs-` + phase + `.lock`
	dir := sysRoot + `\` + name
	file := dir + `\owner.txt`
	owner := newLockOwner()
	_, nonce, _ := strings.Cut(strings.TrimPrefix(owner, lockProcess), "/")
	mark := dir + `\` + nonce + `.run`
	q, err := quoteAll("lock folder", dir, "lock file", file, "lock mark", mark)
	if err != nil {
		return nil, err
	}
	step := "lock the node for this run"
	run := &heldLock{ctx: ctx, released: make(chan struct{})}
	heldLocks.Store(owner, run)
	defer func() {
		if err != nil {
			// Not taken: no run of this process holds it.
			heldLocks.Delete(owner)
			close(run.released)
		}
	}()
	ownerLine := fmt.Sprintf("owner=%s time=%s", owner, time.Now().UTC().Format(time.RFC3339))
	if id := processIdentity(os.Getpid()); id != "" {
		ownerLine += " proc=" + id
	}
	// aside: a stale lock set aside, removed with this run's own.
	var aside string
	for round := 0; ; round++ {
		// The folder, owner.txt and the mark in one command line: the
		// echoes run only when mkdir made the folder. A failure of any
		// comes back as 1.
		res, err := n.run(ctx, step, "mkdir "+q[0]+" && echo "+ownerLine+" > "+q[1]+" && echo "+ownerLine+" > "+q[2], false, okCodes(1))
		if err != nil {
			return nil, err
		}
		if res.ExitCode == 0 {
			break
		}
		holder, named, err := n.lockHolder(ctx, file)
		if err != nil {
			return nil, err
		}
		stale, ending := holder.stale(lockProbe{now: time.Now(), alive: processAlive, identity: processIdentity}, maxAge)
		if !named {
			stale, ending = true, nil
		}
		if ending != nil && round < 3 {
			// A run of this process that is ending (its terraform was
			// killed): it releases the lock, or leaves it stale, soon.
			wctx, cancel := context.WithTimeout(ctx, lockEndingWait)
			select {
			case <-ending:
			case <-wctx.Done():
			}
			cancel()
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%s: %s: abandoned while another run of this process released the lock: %w", n.R.Node(), step, ctx.Err())
			}
			continue
		}
		if !stale || round >= 3 {
			if aside != "" {
				// Another run took the lock after this run's REN, perhaps
				// knowing nothing of the folder set aside: removed here (the
				// winner of a takeover removes it too; either finds it gone).
				if q, qerr := Quote(aside); qerr == nil {
					_, _ = n.run(ctx, step+": remove the stale lock set aside", "if exist "+q+" rmdir /s /q "+q, false, win32)
				}
			}
			return nil, n.lockedError(step, dir, holder, named, maxAge)
		}
		a, err := n.setAside(ctx, step, sysRoot, name, holder, named, nonce)
		if err != nil {
			return nil, err
		}
		if a != "" {
			aside = a
		}
		// The next round's mkdir decides who takes it.
	}
	var qAside string
	if aside != "" {
		qAside, _ = Quote(aside) // quoted once already, as its parts
	}
	return func() error {
		defer close(run.released)
		defer heldLocks.Delete(owner)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if qAside != "" {
			// Only the folder set aside: its loss is no lock left.
			_, _ = n.run(rctx, "remove the stale lock set aside", "if exist "+qAside+" rmdir /s /q "+qAside, false, win32)
		}
		// Only while the lock is still this run's: a run that took it
		// over (this run killed, its release late) holds a folder without
		// this run's mark.
		if _, err := n.run(rctx, "release the node's lock", "if exist "+q[2]+" rmdir /s /q "+q[0], false, win32); err != nil {
			return fmt.Errorf("the node's lock %s remains (%v); the next run takes it over as stale", dir, err)
		}
		return nil
	}, nil
}

// lockHolder reads owner.txt of a lock that mkdir found. The holder writes
// it right after its mkdir: a lock without one is given a moment before it
// counts as a dead run's (which is also what a run whose own echo failed
// finds).
func (n *Node) lockHolder(ctx context.Context, file string) (holder LockHolder, named bool, err error) {
	b := newBackoff(n.poll() / 2)
	for try := 0; try < 4 && !named; try++ {
		if try > 0 {
			if err := b.wait(ctx); err != nil {
				return holder, false, err
			}
		}
		out, err := n.readFile(ctx, "read who holds the node's lock", file)
		if err != nil {
			return holder, false, err
		}
		holder, named = ParseLockHolder(out)
	}
	return holder, named, nil
}

func (n *Node) lockedError(step, dir string, holder LockHolder, named bool, maxAge time.Duration) error {
	if !named {
		return &StepError{Node: n.R.Node(), Step: step, Err: ErrLocked, Meaning: fmt.Sprintf(
			"another run took over the node's lock %s first and has not said who it is yet; run again", dir)}
	}
	return &StepError{Node: n.R.Node(), Step: step, Err: ErrLocked, Meaning: fmt.Sprintf(
		"another run is working on the node: %s holds its lock since %s (%s). Wait for it to end; if that "+
			"run is gone, remove the folder %s on the node, or wait until the lock is %s old",
		holder.Owner, holder.Since.Format(time.RFC3339), dir, dir, maxAge)}
}

// setAside renames the stale lock (name, in sysRoot) out of the way and
// returns the folder it is now in, for whoever takes the lock to remove at
// its release (every run that judged the lock stale knows the name).
//
// The REN is conditional, in the same command line as the test, so it
// never moves a live lock: every run's lock holds its own mark
// (<nonce>.run), so the folder is the stale one judged only while that
// mark is in it; a folder with no mark at all is a dead run's (or one whose
// mark was never written). Without the condition a third run's new lock,
// made between this run's read and its REN, would be set aside while it
// works, and a fourth could take the lock beside it. The name is the stale
// owner's (a hash of its owner.txt line), so of two runs that judged the
// same lock stale only one REN takes it. A lock that names no owner goes
// under this run's nonce and is removed at once.
func (n *Node) setAside(ctx context.Context, step, sysRoot, name string, holder LockHolder, named bool, nonce string) (aside string, err error) {
	suffix := "unnamed-" + nonce
	if named {
		sum := sha256.Sum256([]byte(holder.Owner + " " + holder.Since.Format(time.RFC3339)))
		suffix = "stale-" + hex.EncodeToString(sum[:6])
	}
	asideName := name + "." + suffix
	dir, asideDir := sysRoot+`\`+name, sysRoot+`\`+asideName
	q, err := quoteAll("lock folder", dir, "stale lock name", asideName, "stale lock", asideDir, "lock marks", dir+`\*.run`)
	if err != nil {
		return "", err
	}
	ren := "ren " + q[0] + " " + q[1]
	line := "if not exist " + q[3] + " " + ren
	if parts := strings.SplitN(holder.Owner, "/", 3); named && len(parts) == 3 && parts[2] != "" {
		qm, err := Quote(dir + `\` + parts[2] + ".run")
		if err != nil {
			return "", err
		}
		line = "if exist " + qm + " (" + ren + ") else " + line
	}
	if !named {
		// No other run knows this name: gone at once, in the same line.
		line = "(" + line + ") & if exist " + q[2] + " rmdir /s /q " + q[2]
	}
	// 1: not found (another run set it aside first) or the name taken.
	if _, err := n.run(ctx, step+": set the stale lock aside", line, false, okCodes(1)); err != nil {
		return "", err
	}
	if !named {
		return "", nil
	}
	return asideDir, nil
}
