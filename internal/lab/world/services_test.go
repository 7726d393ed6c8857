package world

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/cmdshell"
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

// rebootingReader reboots the node when net.exe reads its answer, so the
// command races the reboot.
type rebootingReader struct {
	w    *World
	node string
	done bool
}

func (r *rebootingReader) Read(p []byte) (int, error) {
	if r.done {
		return 0, io.EOF
	}
	r.done = true
	if err := r.w.Reboot(r.node); err != nil {
		return 0, err
	}
	return copy(p, "y\r\n"), nil
}

func TestCommandRacingARebootFails(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	h := w.Host("NODE2", `LAB\Administrator`, "", nil)
	var out, errOut bytes.Buffer
	code := cmdshell.Run(context.Background(), h, "net stop IISADMIN", &rebootingReader{w: w, node: "NODE2"}, &out, &errOut)
	if code != 2 || errOut.String() != "System error 1115 has occurred.\r\n\r\nA system shutdown is in progress.\r\n\r\n" {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
}
