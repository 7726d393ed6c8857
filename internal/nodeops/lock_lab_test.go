package nodeops

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
	"github.com/mscs-ops/terraform-provider-mscs/internal/labtest"
)

const (
	testLockDir  = `C:\WINNT\mscs-test.lock`
	testLockFile = testLockDir + `\owner.txt`
)

// lockFolders lists what the lock left in %SystemRoot% (the lock and any
// stale lock set aside).
func lockFolders(t *testing.T, l *lab.Lab) []string {
	t.Helper()
	res := labtest.Of(l).Run(t, "NODE2", `dir /b C:\WINNT`)
	var found []string
	for _, name := range splitLines(res.Stdout) {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(name)), "mscs-test.lock") {
			found = append(found, strings.TrimSpace(name))
		}
	}
	return found
}

// Two runs that both find the node's lock stale take it over at once: one
// wins, the other is refused with ErrLocked, whatever the interleaving; the
// winner's release leaves nothing behind. The stale locks: a dead run's
// that names its owner, one that names none, and one of a process of this
// machine that still runs but is no longer the process that took it (a
// killed terraform's lingering provider), which is taken over at once.
func TestLock_ConcurrentTakeovers(t *testing.T) {
	l := startScenario(t, "healthy")
	myHost, _, _ := strings.Cut(lockProcess, "/")
	stales := map[string]string{
		"old":      "echo owner=opsbox/4242/0a1b2c3d time=2026-01-01T00:00:00Z > " + testLockFile,
		"unnamed":  "rem",
		"marked":   "echo owner=opsbox/4242/0a1b2c3d time=2026-01-01T00:00:00Z > " + testLockFile + " && echo x > " + testLockDir + `\0a1b2c3d.run`,
		"orphaned": fmt.Sprintf("echo owner=%s/%d/0a1b2c3d time=%s proc=1.1 > %s", myHost, os.Getppid(), time.Now().UTC().Format(time.RFC3339), testLockFile),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Two runs, each with a client of its own, as two applies have.
	runs := []*Node{fastNode(t, l, "NODE2"), fastNode(t, l, "NODE2")}
	for name, write := range stales {
		for round := range 3 {
			labtest.Of(l).Run(t, "NODE2", "mkdir "+testLockDir+" && "+write)
			type outcome struct {
				release func() error
				err     error
			}
			out := make(chan outcome, 2)
			for _, n := range runs {
				go func() {
					release, err := n.lock(ctx, `C:\WINNT`, "test", 2*time.Hour)
					out <- outcome{release, err}
				}()
			}
			var won []func() error
			for range 2 {
				o := <-out
				switch {
				case o.err == nil:
					won = append(won, o.release)
				case !errors.Is(o.err, ErrLocked):
					t.Errorf("%s, round %d: %v", name, round, o.err)
				}
			}
			if len(won) != 1 {
				t.Fatalf("%s, round %d: %d runs took the lock, want 1", name, round, len(won))
			}
			if err := won[0](); err != nil {
				t.Fatal(err)
			}
			if left := lockFolders(t, l); len(left) != 0 {
				t.Fatalf("%s, round %d: left %v", name, round, left)
			}
		}
	}
}

// A run of this process whose context ended (its terraform was killed)
// still holds the lock while it releases it: the next run waits for that,
// then takes the lock, instead of being refused.
func TestLock_EndingRunIsWaitedFor(t *testing.T) {
	l := startScenario(t, "healthy")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	killed, kill := context.WithCancel(ctx)
	first := fastNode(t, l, "NODE2")
	release, err := first.lock(killed, `C:\WINNT`, "test", 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	kill()
	released := make(chan error, 1)
	go func() {
		// The killed run's last step returns, then it releases.
		time.Sleep(200 * time.Millisecond)
		released <- release()
	}()
	second := fastNode(t, l, "NODE2")
	release2, err := second.lock(ctx, `C:\WINNT`, "test", 2*time.Hour)
	if err != nil {
		t.Fatalf("the run after a killed one: %v", err)
	}
	if err := <-released; err != nil {
		t.Fatal(err)
	}
	if err := release2(); err != nil {
		t.Fatal(err)
	}
	if left := lockFolders(t, l); len(left) != 0 {
		t.Errorf("left %v", left)
	}
}

// A release that fails leaves the lock behind, and the run's error says so;
// a late release of a run whose lock was taken over removes nothing.
func TestLock_ReleaseSaysWhatItLeaves(t *testing.T) {
	l := startScenario(t, "healthy")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n := fastNode(t, l, "NODE2")
	if err := l.Control().AddFault(world.Fault{Node: "NODE2", Kind: "exit", Match: "rmdir /s /q " + testLockDir, ExitCode: 5, Stderr: "Access is denied.\r\n"}); err != nil {
		t.Fatal(err)
	}
	err := n.RunPhase(ctx, Phase{Name: "test", Words: "test", Spec: "x", Steps: []Step{{Name: "fail", Words: "fail",
		Run: func(context.Context) (Next, error) { return Continue, errors.New("NODE2: fail: it failed") }}}})
	if err == nil || !strings.Contains(err.Error(), "NODE2: fail: it failed; the node's lock "+testLockDir+" remains (") ||
		!strings.Contains(err.Error(), "the next run takes it over as stale") {
		t.Fatalf("got %v", err)
	}
	if left := lockFolders(t, l); len(left) != 1 {
		t.Fatalf("left %v, want the lock", left)
	}
	if err := l.Control().ClearFaults(); err != nil {
		t.Fatal(err)
	}
	// The run ended: its lock is stale at once for the next run, whose
	// takeover sets it aside; the late release of the first run (its mark
	// is not in the new lock) leaves the new lock alone.
	release, err := n.lock(ctx, `C:\WINNT`, "test", 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	labtest.Of(l).Run(t, "NODE2", `if exist `+testLockDir+`\00000000.run rmdir /s /q `+testLockDir)
	if left := lockFolders(t, l); len(left) != 2 {
		t.Fatalf("left %v, want the new lock and the old one set aside", left)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if left := lockFolders(t, l); len(left) != 0 {
		t.Errorf("left %v", left)
	}
}

// A run that judged a lock stale sets aside only that lock: when another
// run's live lock has taken its place by the time of the REN (a third run
// took over in between), it stays where it is, with its owner.
func TestLock_SetAsideNeverMovesALiveLock(t *testing.T) {
	l := startScenario(t, "healthy")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n := fastNode(t, l, "NODE2")
	stale := LockHolder{Owner: "opsbox/4242/0a1b2c3d", Since: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	const live = "owner=opsbox/5151/99887766 time=2026-12-07T06:00:00Z"
	labtest.Of(l).Run(t, "NODE2", "mkdir "+testLockDir+" && echo "+live+" > "+testLockFile+" && echo "+live+" > "+testLockDir+`\99887766.run`)
	aside, err := n.setAside(ctx, "take over", `C:\WINNT`, "mscs-test.lock", stale, true, "11223344")
	if err != nil {
		t.Fatal(err)
	}
	if got := lockFolders(t, l); len(got) != 1 || got[0] != "mscs-test.lock" {
		t.Fatalf("folders after the REN: %v, want the live lock only, in place", got)
	}
	if out := labtest.Of(l).Run(t, "NODE2", "type "+testLockFile).Stdout; !strings.Contains(out, "opsbox/5151/99887766") {
		t.Errorf("the live lock's owner: %q", out)
	}
	// The stale lock itself, with its mark, is set aside under the name
	// every run that judged it stale computes.
	labtest.Of(l).Run(t, "NODE2", "rmdir /s /q "+testLockDir+" && mkdir "+testLockDir+" && echo owner=opsbox/4242/0a1b2c3d time=2026-01-01T00:00:00Z > "+testLockFile+" && echo x > "+testLockDir+`\0a1b2c3d.run`)
	if again, err := n.setAside(ctx, "take over", `C:\WINNT`, "mscs-test.lock", stale, true, "11223344"); err != nil || again != aside {
		t.Fatalf("setAside = %q, %v; want %q", again, err, aside)
	}
	if got := lockFolders(t, l); len(got) != 1 || !strings.EqualFold(`C:\WINNT\`+got[0], aside) {
		t.Fatalf("folders after the REN: %v, want only %s", got, aside)
	}
}
