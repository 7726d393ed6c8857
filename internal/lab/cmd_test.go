package lab

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildLabCommand builds cmd/mscs-lab into a temporary folder.
func buildLabCommand(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mscs-lab")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/mscs-ops/terraform-provider-mscs/cmd/mscs-lab").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestLabCommandServe(t *testing.T) {
	bin := buildLabCommand(t)
	readyFile := filepath.Join(t.TempDir(), "lab.json")
	cmd := exec.Command(bin, "serve", "--scenario", "rebuilt-node", "--ready-file", readyFile)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			if err := <-exited; err != nil {
				t.Logf("the lab process, killed: %v", err)
			}
		}
	})

	info := waitReadyFile(t, readyFile, exited, &stderr)
	if len(info.Nodes) != 2 || info.Username != `LAB\Administrator` {
		t.Fatalf("ready file = %+v", info)
	}
	caPEM, err := os.ReadFile(info.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	c := clientFor(t, info.Nodes[1].HTTPS, caPEM, info.Username, info.Password, httpsNTLM)
	if out := mustRun(t, c, "hostname"); out != "NODE2\r\n" {
		t.Errorf("hostname = %q", out)
	}
	records, err := (Control{URL: info.ControlURL}).Commands("NODE2")
	if err != nil || len(records) != 1 || records[0].Program != "hostname" {
		t.Errorf("command log over the control API = %+v (err %v)", records, err)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-exited; err != nil {
		t.Fatalf("mscs-lab after SIGTERM: %v\nstderr:\n%s", err, &stderr)
	}
	log := stderr.String()
	wantContains(t, "mscs-lab's log", log, info.Nodes[0].HTTPS, info.Nodes[1].HTTP, info.ControlURL, "shutting down")
	if strings.Contains(log, info.Password) {
		t.Errorf("the password appears in mscs-lab's log:\n%s", log)
	}
	if _, err := os.Stat(readyFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ready file left behind after exit (stat err %v)", err)
	}
	if _, err := os.Stat(info.CAFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("temporary CA file left behind after exit (stat err %v)", err)
	}
}

// waitReadyFile waits for the lab process to write its ready file, failing
// the test if the process exits first. The deadline only guards against a
// hang; it asserts nothing about speed.
func waitReadyFile(t *testing.T, path string, exited <-chan error, stderr *bytes.Buffer) ReadyInfo {
	t.Helper()
	deadline := time.After(2 * time.Minute)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			t.Fatalf("mscs-lab exited before it was ready: %v\n%s", err, stderr)
		case <-deadline:
			t.Fatalf("no ready file after 2 minutes\n%s", stderr)
		case <-tick.C:
			if info, err := ReadReadyFile(path); err == nil {
				return info
			}
		}
	}
}

func TestLabCommandUsage(t *testing.T) {
	bin := buildLabCommand(t)
	for _, tc := range []struct {
		args     []string
		exitCode int
		want     string
	}{
		{nil, 2, "Usage:"},
		{[]string{"launch"}, 2, `unknown command "launch"`},
		{[]string{"serve", "--no-such-flag"}, 2, "flag provided but not defined"},
		{[]string{"serve", "extra"}, 2, "serve takes no arguments"},
		{[]string{"serve", "--scenario", "no-such-scenario"}, 1, "no-such-scenario"},
		{[]string{"scenarios"}, 0, "rebuilt-node"},
		{[]string{"help"}, 0, "mscs-lab serve"},
	} {
		out, err := exec.Command(bin, tc.args...).CombinedOutput()
		code := 0
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			code = exitErr.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.exitCode || !strings.Contains(string(out), tc.want) {
			t.Errorf("mscs-lab %q: exit %d, output:\n%s\nwant exit %d and %q", tc.args, code, out, tc.exitCode, tc.want)
		}
	}
	out, err := exec.Command(bin, "scenarios").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"healthy", "rebuilt-node", "corrupted-iis"} {
		if !strings.Contains(string(out), name) {
			t.Errorf("mscs-lab scenarios lacks %s:\n%s", name, out)
		}
	}
}
