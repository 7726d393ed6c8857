package lab

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/masterzen/winrm"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
)

// controlRequest sends a raw request to the control API and returns the
// status and body, so the wire format itself is under test.
func controlRequest(t *testing.T, l *Lab, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, l.ControlURL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	// 405 comes from net/http's router, in its own format.
	if len(data) > 0 && resp.StatusCode != http.StatusMethodNotAllowed && resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, path, resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode, string(data)
}

func TestControlAPIReads(t *testing.T) {
	l := startLab(t, Options{})

	status, body := controlRequest(t, l, "GET", "/incidents", "")
	if status != 200 || strings.TrimSpace(body) != "[]" {
		t.Errorf("GET /incidents = %d %s, want 200 []", status, body)
	}
	status, body = controlRequest(t, l, "GET", "/commands", "")
	if status != 200 || strings.TrimSpace(body) != "[]" {
		t.Errorf("GET /commands = %d %s, want 200 []", status, body)
	}
	status, body = controlRequest(t, l, "GET", "/commands?node=NODE9", "")
	if status != 404 || !strings.Contains(body, `"error"`) {
		t.Errorf("GET /commands?node=NODE9 = %d %s, want 404 with an error", status, body)
	}
	status, body = controlRequest(t, l, "GET", "/state", "")
	if status != 200 || !json.Valid([]byte(body)) || !strings.Contains(body, "NODE1") || !strings.Contains(body, "Web Group") {
		t.Errorf("GET /state = %d %.200s, want the world as JSON", status, body)
	}
	status, _ = controlRequest(t, l, "POST", "/state", "")
	if status != http.StatusMethodNotAllowed {
		t.Errorf("POST /state = %d, want 405", status)
	}
}

// The command log past a mark, and its length, as the tests' checks read
// them after each step.
func TestControlAPICommandsFrom(t *testing.T) {
	l := startLab(t, Options{})
	mustRun(t, newClient(t, l, "NODE1", httpsNTLM, l.Password()), "hostname & ver")
	mustRun(t, newClient(t, l, "NODE2", httpsNTLM, l.Password()), "hostname")
	ctl := l.Control()
	all, err := ctl.Commands("")
	if err != nil || len(all) != 3 {
		t.Fatalf("the log: %v, %v; want hostname, ver, hostname", all, err)
	}
	if n, err := ctl.CommandCount(); err != nil || n != 3 {
		t.Errorf("CommandCount = %d, %v; want 3", n, err)
	}
	for from, want := range map[int][]world.CommandRecord{0: all, 1: all[1:], 3: nil, 9: nil} {
		got, err := ctl.CommandsFrom("", from)
		if err != nil || len(got) != len(want) || len(want) > 0 && got[0].Seq != want[0].Seq {
			t.Errorf("CommandsFrom(%d) = %v, %v; want %v", from, got, err, want)
		}
	}
	if got, err := ctl.CommandsFrom("NODE1", 1); err != nil || len(got) != 1 || got[0].Program != "ver" {
		t.Errorf("CommandsFrom(NODE1, 1) = %v, %v; want NODE1's ver", got, err)
	}
	for _, bad := range []string{"-1", "x"} {
		status, body := controlRequest(t, l, "GET", "/commands?from="+bad, "")
		if status != http.StatusBadRequest || !strings.Contains(body, "from=") {
			t.Errorf("GET /commands?from=%s = %d %s, want 400 naming from", bad, status, body)
		}
	}
}

func TestControlAPIFaultInput(t *testing.T) {
	l := startLab(t, Options{})
	for _, body := range []string{
		``,
		`{`,
		`[]`,
		`{"node":"NODE1","kind":"http500"} {}`,
		`{"node":"NODE1","kind":"http500","colour":"red"}`,
		`{"node":"NODE1","kind":"meteor"}`,
		`{"node":"NODE9","kind":"http500"}`,
		`"http500"`,
	} {
		status, resp := controlRequest(t, l, "POST", "/faults", body)
		var e struct{ Error string }
		if status != 400 || json.Unmarshal([]byte(resp), &e) != nil || e.Error == "" {
			t.Errorf("POST /faults %q = %d %s, want 400 with a JSON error", body, status, resp)
		}
	}
	// None of the rejected faults took effect.
	c := newClient(t, l, "NODE1", httpsBasic, l.Password())
	mustRun(t, c, "hostname")

	if status, body := controlRequest(t, l, "POST", "/faults", `[{"node":"NODE1","kind":"http500","count":1},{"node":"NODE2","kind":"delay","delay_ms":1}]`); status != 204 {
		t.Errorf("POST /faults with an array = %d %s, want 204", status, body)
	}
	if status, body := controlRequest(t, l, "DELETE", "/faults", ""); status != 204 {
		t.Errorf("DELETE /faults = %d %s, want 204", status, body)
	}
	mustRun(t, c, "hostname")
}

func TestFaultRefuse(t *testing.T) {
	l := startLab(t, Options{})
	ctl := l.Control()
	c := newClient(t, l, "NODE2", httpsNTLM, l.Password())
	if err := ctl.AddFault(world.Fault{Node: "NODE2", Kind: "refuse"}); err != nil {
		t.Fatal(err)
	}
	_, _, _, err := c.RunCmdWithContext(t.Context(), "hostname")
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("hostname on a refusing node: err %v, want connection refused", err)
	}
	// The other node is unaffected.
	mustRun(t, newClient(t, l, "NODE1", httpsNTLM, l.Password()), "hostname")

	if err := ctl.ClearFaults(); err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, c, "hostname"); out != "NODE2\r\n" {
		t.Errorf("hostname after DELETE /faults = %q", out)
	}
}

func TestFaultHTTP500(t *testing.T) {
	l := startLab(t, Options{})
	c := newClient(t, l, "NODE1", httpsBasic, l.Password())
	if err := l.Control().AddFault(world.Fault{Node: "NODE1", Kind: "http500", Count: 1}); err != nil {
		t.Fatal(err)
	}
	_, _, _, err := c.RunCmdWithContext(t.Context(), "hostname")
	// masterzen/winrm reads the SOAP fault of the 500 answer.
	var fault *winrm.ExecuteCommandError
	if !errors.As(err, &fault) || !strings.Contains(fault.Body, "InternalError") {
		t.Fatalf("hostname with an http500 fault: err %v, want the wsman:InternalError fault", err)
	}
	// Count 1 is used up: the next request goes through.
	mustRun(t, c, "hostname")
}

func TestFaultExit(t *testing.T) {
	l := startLab(t, Options{})
	c := newClient(t, l, "NODE1", httpsNTLM, l.Password())
	err := l.Control().AddFault(world.Fault{Node: "NODE1", Kind: "exit", Match: "sc query", ExitCode: 1053, Stderr: "injected failure", Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, c, "hostname") // not matching: unaffected
	r := run(t, c, "sc query ClusSvc")
	if r.code != 1053 || !strings.Contains(r.stderr, "injected failure") {
		t.Errorf("matching command = %+v, want exit 1053 with the injected stderr", r)
	}
	wantContains(t, "the next sc query", mustRun(t, c, "sc query ClusSvc"), "RUNNING")

	records, err := l.Control().Commands("NODE1")
	if err != nil {
		t.Fatal(err)
	}
	var codes []int
	for _, rec := range records {
		codes = append(codes, rec.ExitCode)
	}
	if len(codes) != 3 || codes[1] != 1053 {
		t.Errorf("logged exit codes = %v, want [0 1053 0]", codes)
	}
}

func TestControlReboot(t *testing.T) {
	// Scale 1: the reboot takes the scenario's full emulated time, far longer
	// than the test, so the node is still down when it looks.
	l := startLab(t, Options{TimeScale: 1})
	if status, body := controlRequest(t, l, "POST", "/nodes/NODE9/reboot", ""); status != 404 {
		t.Errorf("reboot of an unknown node = %d %s, want 404", status, body)
	}
	if err := l.Control().Reboot("node2"); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, l, "NODE2", httpsNTLM, l.Password())
	if _, _, _, err := c.RunCmdWithContext(t.Context(), "hostname"); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("hostname on a rebooting node: err %v, want connection refused", err)
	}
	mustRun(t, newClient(t, l, "NODE1", httpsNTLM, l.Password()), "hostname")
}

// Corrupting IIS out of band: its services stop with 1067 and die again on
// a start; a node without the Option Pack answers 409.
func TestControlCorruptIIS(t *testing.T) {
	l := startLab(t, Options{Scenario: "rebuilt-node"})
	if status, _ := controlRequest(t, l, "POST", "/nodes/NODE2/corrupt-iis", ""); status != http.StatusConflict {
		t.Errorf("corrupt-iis on a node without the Option Pack = %d, want 409", status)
	}
	if status, _ := controlRequest(t, l, "POST", "/nodes/NODE9/corrupt-iis", ""); status != http.StatusNotFound {
		t.Errorf("corrupt-iis on an unknown node = %d, want 404", status)
	}
	if err := l.Control().CorruptIIS("node1"); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, l, "NODE1", httpsNTLM, l.Password())
	out := run(t, c, "sc query W3SVC").stdout
	if !strings.Contains(out, "1  STOPPED") || !strings.Contains(out, "WIN32_EXIT_CODE    : 1067  (0x42b)") {
		t.Errorf("W3SVC after corrupt-iis:\n%s", out)
	}
	if r := run(t, c, "net start W3SVC"); r.code == 0 {
		t.Errorf("a corrupt W3SVC started: %+v", r)
	}
}

// worldState fetches GET /state through the Go client.
func worldState(t *testing.T, l *Lab) world.Snapshot {
	t.Helper()
	state, err := l.Control().State()
	if err != nil {
		t.Fatal(err)
	}
	return state
}

// node is the snapshot's node named name.
func node(t *testing.T, s world.Snapshot, name string) world.NodeSnapshot {
	t.Helper()
	n := s.Node(name)
	if n == nil {
		t.Fatalf("GET /state has no node %s", name)
	}
	return *n
}

// groupOwner is the group's owner node in GET /state.
func groupOwner(t *testing.T, s world.Snapshot, group string) string {
	t.Helper()
	g := s.Cluster.Group(group)
	if g == nil {
		t.Fatalf("GET /state has no group %s", group)
	}
	return g.Owner
}

func TestFaultDropAndDelay(t *testing.T) {
	l := startLab(t, Options{})
	c := newClient(t, l, "NODE2", httpsNTLM, l.Password())
	ctl := l.Control()

	if err := ctl.AddFault(world.Fault{Node: "NODE2", Kind: "drop", Count: 1}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.RunCmdWithContext(t.Context(), "hostname"); err == nil {
		t.Fatal("hostname succeeded though its connection was dropped")
	}
	mustRun(t, c, "hostname")

	// A delayed request still succeeds; the fault is used up by it.
	if err := ctl.AddFault(world.Fault{Node: "NODE2", Kind: "delay", DelayMS: 5, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if faults := worldState(t, l).Faults; faults == nil {
		t.Fatal("GET /state lists no fault after adding a delay")
	}
	mustRun(t, c, "hostname")
	if faults := worldState(t, l).Faults; faults != nil {
		t.Errorf("faults after the delayed request = %v, want none left", faults)
	}
}

// A lost answer: the command runs, the client's connection drops before
// the answer carrying the end arrives; the next command is answered.
func TestFaultLostAnswer(t *testing.T) {
	l := startLab(t, Options{})
	ctl := l.Control()
	for _, mode := range []authMode{httpsNTLM, httpSealed} {
		c := newClient(t, l, "NODE2", mode, l.Password())
		dir := `C:\TEMP\` + mode.name
		if err := ctl.AddFault(world.Fault{Node: "NODE2", Kind: "lost", Match: "mkdir " + dir, Count: 1}); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := c.RunCmdWithContext(t.Context(), "mkdir "+dir); err == nil {
			t.Fatalf("%s: mkdir answered though its answer was lost", mode.name)
		}
		if out := mustRun(t, c, "if exist "+dir+" echo found"); out != "found\r\n" {
			t.Errorf("%s: the command whose answer was lost did not run (%q)", mode.name, out)
		}
		if faults := worldState(t, l).Faults; faults != nil {
			t.Errorf("%s: faults left after the lost answer: %v", mode.name, faults)
		}
	}
}

func TestFaultSlowReboot(t *testing.T) {
	l := startLab(t, Options{}) // the default scale: a normal reboot is over in moments
	ctl := l.Control()
	// A million emulated seconds outlasts the test at any scale.
	if err := ctl.AddFault(world.Fault{Node: "NODE2", Kind: "slow_reboot", RebootSeconds: 1e6}); err != nil {
		t.Fatal(err)
	}
	if err := ctl.Reboot("NODE2"); err != nil {
		t.Fatal(err)
	}
	node2 := node(t, worldState(t, l), "NODE2")
	if node2.Status != "rebooting" || node2.Reachable {
		t.Errorf("NODE2 in GET /state = status %v, reachable %v; want rebooting and unreachable", node2.Status, node2.Reachable)
	}
	c := newClient(t, l, "NODE2", httpsNTLM, l.Password())
	if _, _, _, err := c.RunCmdWithContext(t.Context(), "hostname"); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("hostname during a slow reboot: err %v, want connection refused", err)
	}
}

// After a reboot the endpoint listens again on the same port (the client
// keeps the URL it had), driven by the world's timer alone.
func TestRebootComesBack(t *testing.T) {
	l := startLab(t, Options{})
	if err := l.Control().Reboot("NODE2"); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, l, "NODE2", httpsNTLM, l.Password())
	// The deadline only guards against a hang.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if _, _, _, err := c.RunCmdWithContext(t.Context(), "hostname"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("NODE2 did not come back after its reboot")
		}
	}
	wantContains(t, "sc query after the reboot", mustRun(t, c, "sc query ClusSvc"), "RUNNING")
}

// A reboot drops the node's WinRM shells, as Windows does: a command in a
// shell opened before it fails (the shell-not-found fault, TestDropShells in
// wsman). A network fault
// that only makes the node unreachable keeps them.
func TestRebootDropsShells(t *testing.T) {
	l := startLab(t, Options{})
	ctl := l.Control()
	c := newClient(t, l, "NODE2", httpsNTLM, l.Password())
	openShell := func() *winrm.Shell {
		sh, err := c.CreateShell()
		if err != nil {
			t.Fatal(err)
		}
		return sh
	}
	runIn := func(sh *winrm.Shell) error {
		cmd, err := sh.ExecuteWithContext(t.Context(), "hostname")
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, cmd.Stdout)
		cmd.Wait()
		return cmd.Error()
	}
	waitReachable := func() {
		for i := 0; !l.world.Reachable("NODE2"); i++ {
			if i > 1000 {
				t.Fatal("NODE2 never came back")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	kept := openShell()
	if err := ctl.AddFault(world.Fault{Node: "NODE2", Kind: "refuse"}); err != nil {
		t.Fatal(err)
	}
	if err := ctl.ClearFaults(); err != nil {
		t.Fatal(err)
	}
	waitReachable()
	if err := runIn(kept); err != nil {
		t.Fatalf("a shell did not survive a network fault: %v", err)
	}

	dropped := openShell()
	if err := ctl.Reboot("NODE2"); err != nil {
		t.Fatal(err)
	}
	for i := 0; l.world.Up("NODE2"); i++ { // the reboot starts
		if i > 1000 {
			t.Fatal("NODE2 never went down")
		}
		time.Sleep(time.Millisecond)
	}
	waitReachable()
	if n := l.handlerOf["NODE2"].OpenShells(); n != 0 {
		t.Fatalf("NODE2 holds %d shells after its reboot", n)
	}
	if err := runIn(dropped); err == nil {
		t.Fatal("a command ran in a shell from before the reboot")
	}
	if err := runIn(openShell()); err != nil {
		t.Fatalf("a new shell after the reboot: %v", err)
	}
}
