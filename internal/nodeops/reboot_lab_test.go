package nodeops

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// shutdownWatch is a node's runner that notes what became of each shutdown
// it sent, and can run a hook (a lab fault) just before the first one.
type shutdownWatch struct {
	winrm.Runner
	before func()
	mu     sync.Mutex
	errs   []error // one per shutdown sent
}

func (s *shutdownWatch) Run(ctx context.Context, line string, readOnly bool) (winrm.Result, error) {
	shutdown := line == rebootLine
	s.mu.Lock()
	if shutdown && len(s.errs) == 0 && s.before != nil {
		s.before()
	}
	s.mu.Unlock()
	res, err := s.Runner.Run(ctx, line, readOnly)
	if shutdown {
		s.mu.Lock()
		s.errs = append(s.errs, err)
		s.mu.Unlock()
	}
	return res, err
}

// shutdownsRun counts the shutdown commands the node's cmd ran.
func shutdownsRun(t *testing.T, l *lab.Lab, node string) int {
	t.Helper()
	n := 0
	for _, c := range l.World().Commands(node) {
		if c.Program == "shutdown" {
			n++
		}
	}
	return n
}

func bootTimeOf(t *testing.T, l *lab.Lab, node string) time.Time {
	t.Helper()
	st, err := l.Control().State()
	if err != nil {
		t.Fatal(err)
	}
	n := st.Node(node)
	if n == nil {
		t.Fatalf("no node %s in the lab's state", node)
	}
	return n.BootTime
}

// Every request of the node is late (a WAN link): the node reboots before
// the answer to shutdown is out, and the connection drops. The boot time
// says it rebooted: the reboot completes, shutdown sent once.
func TestReboot_AnswerLostOnASlowLink(t *testing.T) {
	t.Parallel() // its own lab or fakes; it mostly waits (polls, emulated reboots and moves)
	l := startScenario(t, "healthy")
	n := fastNode(t, l, "NODE2")
	w := &shutdownWatch{Runner: n.R}
	n.R = w
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	booted := bootTimeOf(t, l, "NODE2")
	// Twice the lab's 10 emulated seconds between shutdown and the node
	// going down (80 ms at this scale): the answer is always late.
	if err := l.Control().AddFault(world.Fault{Node: "NODE2", Kind: "delay", DelayMS: 160}); err != nil {
		t.Fatal(err)
	}
	if err := n.Reboot(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if len(w.errs) != 1 || !errors.Is(w.errs[0], winrm.ErrOutcomeUnknown) {
		t.Fatalf("shutdowns sent and their outcome: %v; want one, its answer lost", w.errs)
	}
	if got := shutdownsRun(t, l, "NODE2"); got != 1 {
		t.Errorf("NODE2 ran shutdown %d times, want 1", got)
	}
	if !bootTimeOf(t, l, "NODE2").After(booted) {
		t.Errorf("NODE2 did not reboot")
	}
	if inc := l.World().Incidents(); len(inc) != 0 {
		t.Errorf("incidents: %+v", inc)
	}
}

// The request carrying shutdown is dropped before the node runs it: the
// answer is lost and the node stays up with its boot time. After the grace
// shutdown goes again, once, and the node reboots once.
func TestReboot_LostShutdownSentAgain(t *testing.T) {
	t.Parallel() // its own lab or fakes; it mostly waits (polls, emulated reboots and moves)
	l := startScenario(t, "healthy")
	n := fastNode(t, l, "NODE2")
	w := &shutdownWatch{Runner: n.R, before: func() {
		if err := l.Control().AddFault(world.Fault{Node: "NODE2", Kind: "drop", Count: 1}); err != nil {
			t.Error(err)
		}
	}}
	n.R = w
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	booted := bootTimeOf(t, l, "NODE2")
	if err := n.Reboot(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if len(w.errs) != 2 || !errors.Is(w.errs[0], winrm.ErrOutcomeUnknown) {
		t.Fatalf("shutdowns sent and their outcome: %v; want two, the first's answer lost", w.errs)
	}
	if got := shutdownsRun(t, l, "NODE2"); got != 1 {
		t.Errorf("NODE2 ran shutdown %d times, want 1 (the dropped one never reached it)", got)
	}
	if !bootTimeOf(t, l, "NODE2").After(booted) {
		t.Errorf("NODE2 did not reboot")
	}
}
