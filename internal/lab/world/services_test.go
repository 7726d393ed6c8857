package world

import (
	"strings"
	"testing"
)

func TestStartStartsStoppedDependenciesFirst(t *testing.T) {
	w, clock := newTestWorld(t, "healthy")
	run(t, w, "NODE2", "net stop IISADMIN /y")
	if r := run(t, w, "NODE2", "sc start W3SVC"); r.code != 0 {
		t.Fatal(r)
	}
	if r := run(t, w, "NODE2", "sc query IISADMIN"); !strings.Contains(r.out, "4  RUNNING") {
		t.Errorf("dependency IISADMIN not started:\n%s", r.out)
	}
	clock.Advance(emulated(2))
	if r := run(t, w, "NODE2", "sc query W3SVC"); !strings.Contains(r.out, "4  RUNNING") {
		t.Errorf("W3SVC:\n%s", r.out)
	}
}

func TestStartFailsWhenDependencyCannotStart(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	run(t, w, "NODE2", "net stop IISADMIN /y")
	run(t, w, "NODE2", "sc config IISADMIN start= disabled")
	expect(t, run(t, w, "NODE2", "sc start W3SVC"), "[SC] StartService FAILED 1068:\r\n\r\nThe dependency service or group failed to start.\r\n\r\n", 1068)
}

func TestRebootCancelsPendingTransition(t *testing.T) {
	w, clock := newTestWorld(t, "healthy")
	run(t, w, "NODE2", "sc stop ClusSvc")
	if err := w.Reboot("NODE2"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(emulated(90))
	// The stop issued before the reboot must not complete after it.
	expect(t, run(t, w, "NODE2", "sc query ClusSvc"), scQueryRunning, 0)
}
