package world

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/cmdshell"
)

// fakeClock is the injected clock: emulated time moves only when a test says.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testScale makes a 2 s service transition 2 ms of lab time, so net.exe's
// wait is short; the fake clock decides everything else.
const testScale = 0.001

func newTestWorld(t *testing.T, scenario string) (*World, *fakeClock) {
	t.Helper()
	sc, err := LoadScenario(scenario)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Date(1999, 10, 1, 9, 0, 0, 0, time.UTC)}
	w, err := New(sc, Options{TimeScale: testScale, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w, clock
}

// emulated converts emulated seconds into the fake clock's lab time.
func emulated(seconds float64) time.Duration {
	return time.Duration(seconds * testScale * float64(time.Second))
}

// result is what a command line produced.
type result struct {
	out, err string
	code     int
}

// run types line at a cmd prompt on node as LAB\Administrator.
func run(t *testing.T, w *World, node, line string) result {
	t.Helper()
	h := w.Host(node, `LAB\Administrator`, "", nil)
	var out, errOut bytes.Buffer
	code := cmdshell.Run(context.Background(), h, line, strings.NewReader(""), &out, &errOut)
	return result{out.String(), errOut.String(), code}
}

// expect compares a command's output and exit code with what the real tool prints.
func expect(t *testing.T, got result, wantOut string, wantCode int) {
	t.Helper()
	if got.out != wantOut {
		t.Errorf("stdout:\n got %q\nwant %q", got.out, wantOut)
	}
	if got.code != wantCode {
		t.Errorf("exit code %d, want %d (stderr %q)", got.code, wantCode, got.err)
	}
}

func TestNewBuildsNodesInScenarioOrder(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	if got := strings.Join(w.NodeNames(), ","); got != "NODE1,NODE2" {
		t.Errorf("NodeNames = %s", got)
	}
	if w.Domain() != "LAB" {
		t.Errorf("Domain = %s", w.Domain())
	}
	for _, n := range w.NodeNames() {
		if !w.Reachable(n) {
			t.Errorf("%s not reachable", n)
		}
	}
	if w.Reachable("NODE3") {
		t.Error("unknown node reachable")
	}
}

func TestPasswordDomainAndLocalAccounts(t *testing.T) {
	sc, err := LoadScenario("healthy")
	if err != nil {
		t.Fatal(err)
	}
	sc.Accounts = append(sc.Accounts, Account{User: "backup", Password: "local-pw", Node: "NODE2"})
	w, err := New(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, c := range []struct {
		node, user, domain, want string
		ok                       bool
	}{
		{"NODE1", "Administrator", "LAB", "Recover-Q241573", true},
		{"NODE2", "administrator", "lab", "Recover-Q241573", true},
		{"NODE1", "Administrator", "OTHER", "", false},
		{"NODE2", "backup", "NODE2", "local-pw", true},
		{"NODE2", "backup", "", "local-pw", true},
		{"NODE1", "backup", "NODE1", "", false},
		{"NODE2", "backup", "LAB", "", false},
	} {
		got, ok := w.Password(c.node, c.user, c.domain)
		if got != c.want || ok != c.ok {
			t.Errorf("Password(%s, %s, %s) = %q, %v; want %q, %v", c.node, c.user, c.domain, got, ok, c.want, c.ok)
		}
	}
}

func TestRebootTakesScaledTimeAndReportsReachability(t *testing.T) {
	w, clock := newTestWorld(t, "healthy")
	var mu sync.Mutex
	var notes []string
	w.OnReachability(func(node string, reachable bool) {
		mu.Lock()
		defer mu.Unlock()
		notes = append(notes, node+"="+map[bool]string{true: "up", false: "down"}[reachable])
	})
	if err := w.Reboot("NODE1"); err != nil {
		t.Fatal(err)
	}
	if w.Reachable("NODE1") {
		t.Fatal("NODE1 reachable while rebooting")
	}
	if err := w.Reboot("NODE1"); err == nil {
		t.Error("second reboot during a reboot accepted")
	}
	// The cluster failed NODE1's groups over to NODE2 at once.
	expect(t, run(t, w, "NODE2", "cluster group"), "Listing status for all available resource groups:\r\n\r\n"+
		"Group                Node            Status\r\n"+
		"-------------------- --------------- ------\r\n"+
		"Cluster Group        NODE2           Online\r\n"+
		"Web Group            NODE2           Online\r\n", 0)
	// A command that reaches the rebooting node fails.
	r := run(t, w, "NODE1", "hostname")
	if r.code != 1115 || r.err != "A system shutdown is in progress.\r\n" {
		t.Errorf("command on rebooting node: %+v", r)
	}
	clock.Advance(emulated(89))
	if w.Reachable("NODE1") {
		t.Fatal("NODE1 back before reboot_seconds (90)")
	}
	clock.Advance(emulated(1))
	if !w.Reachable("NODE1") {
		t.Fatal("NODE1 not back after reboot_seconds")
	}
	expect(t, run(t, w, "NODE1", "sc query ClusSvc"), scQueryRunning, 0)
	expect(t, run(t, w, "NODE1", "cluster node NODE1"), "Listing status for node 'NODE1':\r\n\r\n"+
		"Node           Node ID Status\r\n"+
		"-------------- ------- ---------------------\r\n"+
		"NODE1                1 Up\r\n", 0)
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(notes, " "); got != "NODE1=down NODE1=up" {
		t.Errorf("reachability notes = %q", got)
	}
}

func TestRebootRestoresServicesPerStartType(t *testing.T) {
	w, clock := newTestWorld(t, "healthy")
	expect(t, run(t, w, "NODE2", "sc config ClusSvc start= demand"), "[SC] ChangeServiceConfig SUCCESS\r\n", 0)
	expect(t, run(t, w, "NODE2", "sc config W3SVC start= disabled"), "[SC] ChangeServiceConfig SUCCESS\r\n", 0)
	if err := w.Reboot("NODE2"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(emulated(90))
	for svc, want := range map[string]string{"ClusSvc": "STOPPED", "W3SVC": "STOPPED", "IISADMIN": "RUNNING", "MSFTPSVC": "RUNNING", "MSDTC": "STOPPED"} {
		r := run(t, w, "NODE2", "sc query "+svc)
		if !strings.Contains(r.out, "  "+want+"\r\n") {
			t.Errorf("%s after reboot:\n%s", svc, r.out)
		}
	}
	r := run(t, w, "NODE1", "cluster node NODE2")
	if !strings.HasSuffix(r.out, "NODE2                2 Down\r\n") {
		t.Errorf("NODE2 with ClusSvc demand after reboot:\n%s", r.out)
	}
}

func TestSlowRebootFault(t *testing.T) {
	w, clock := newTestWorld(t, "healthy")
	if err := w.AddFault(Fault{Node: "NODE2", Kind: "slow_reboot", RebootSeconds: 600}); err != nil {
		t.Fatal(err)
	}
	if err := w.Reboot("NODE2"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(emulated(599))
	if w.Reachable("NODE2") {
		t.Fatal("slow reboot ended early")
	}
	clock.Advance(emulated(1))
	if !w.Reachable("NODE2") {
		t.Fatal("slow reboot did not end")
	}
	// The fault applied to one reboot only.
	if err := w.Reboot("NODE2"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(emulated(90))
	if !w.Reachable("NODE2") {
		t.Fatal("second reboot took longer than reboot_seconds")
	}
}

func TestRebootCompletesOnRealTimer(t *testing.T) {
	sc, err := LoadScenario("healthy")
	if err != nil {
		t.Fatal(err)
	}
	sc.RebootSeconds = 1
	w, err := New(sc, Options{TimeScale: 0.001})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	back := make(chan string, 2)
	w.OnReachability(func(node string, reachable bool) {
		if reachable {
			back <- node
		}
	})
	if err := w.Reboot("NODE2"); err != nil {
		t.Fatal(err)
	}
	// No one queries the world: the timer alone must bring the node back.
	if node := <-back; node != "NODE2" {
		t.Errorf("came back: %s", node)
	}
}

func TestExitFaultHitsNthMatchingCommand(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	if err := w.AddFault(Fault{Node: "NODE2", Kind: "exit", Match: "SC START", Nth: 2, Count: 1, ExitCode: 1053, Stderr: "[SC] StartService FAILED 1053:\r\n"}); err != nil {
		t.Fatal(err)
	}
	run(t, w, "NODE2", "net stop ClusSvc")
	if r := run(t, w, "NODE2", "sc start ClusSvc"); r.code != 0 {
		t.Fatalf("first matching command hit: %+v", r)
	}
	run(t, w, "NODE2", "sc stop ClusSvc")
	r := run(t, w, "NODE2", "sc start ClusSvc")
	if r.code != 1053 || r.err != "[SC] StartService FAILED 1053:\r\n" || r.out != "" {
		t.Fatalf("second matching command: %+v", r)
	}
	if r := run(t, w, "NODE2", "sc start ClusSvc"); r.code != 1056 {
		t.Fatalf("fault with count 1 hit again: %+v", r)
	}
	log := w.Commands("NODE2")
	if last := log[len(log)-2]; last.ExitCode != 1053 || last.Program != "sc" || last.Args != "start ClusSvc" {
		t.Errorf("faulted command logged as %+v", last)
	}
}

// Exit faults hit cmd.exe's internal commands too: a journal line that
// cannot be written.
func TestExitFaultHitsInternalCommands(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	if err := w.AddFault(Fault{Node: "NODE2", Kind: "exit", Match: "echo step=b", Count: 1, ExitCode: 112, Stderr: "There is not enough space on the disk.\r\n"}); err != nil {
		t.Fatal(err)
	}
	run(t, w, "NODE2", `echo step=a > C:\TEMP\j.log`)
	r := run(t, w, "NODE2", `echo step=b >> C:\TEMP\j.log`)
	if r.code != 112 || r.err != "There is not enough space on the disk.\r\n" {
		t.Fatalf("faulted echo: %+v", r)
	}
	run(t, w, "NODE2", `echo step=b >> C:\TEMP\j.log`)
	if r := run(t, w, "NODE2", `type C:\TEMP\j.log`); r.out != "step=a \r\nstep=b \r\n" {
		t.Errorf("journal after the fault: %q", r.out)
	}
	log := w.Commands("NODE2")
	if c := log[1]; c.Program != "echo" || c.ExitCode != 112 {
		t.Errorf("faulted echo logged as %+v", c)
	}
}

// A lost fault lets the Nth matching command run and marks its line's
// answer lost; other lines are untouched.
func TestLostFaultRunsTheCommandAndMarksTheLine(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	if err := w.AddFault(Fault{Node: "NODE2", Kind: "lost", Match: "mkdir c:\\temp\\", Nth: 2, Count: 1}); err != nil {
		t.Fatal(err)
	}
	line := func(cmd string) (result, bool) {
		h := w.Host("NODE2", `LAB\Administrator`, "", nil)
		var out, errOut bytes.Buffer
		code := cmdshell.Run(context.Background(), h, cmd, strings.NewReader(""), &out, &errOut)
		l, ok := h.(LostAnswerHost)
		if !ok {
			t.Fatal("World.Host's host is no LostAnswerHost")
		}
		return result{out.String(), errOut.String(), code}, l.AnswerLost()
	}
	if r, lost := line(`mkdir C:\TEMP\a`); r.code != 0 || lost {
		t.Fatalf("first matching line: %+v, lost %v", r, lost)
	}
	if r, lost := line(`mkdir C:\TEMP\b & echo made`); r.code != 0 || !lost || r.out != "made\r\n" {
		t.Fatalf("second matching line: %+v, lost %v; want it run to its end and lost", r, lost)
	}
	if r, lost := line(`mkdir C:\TEMP\c`); r.code != 0 || lost {
		t.Fatalf("fault with count 1 hit again: %+v, lost %v", r, lost)
	}
	if r := run(t, w, "NODE2", `if exist C:\TEMP\b echo found`); r.out != "found\r\n" {
		t.Errorf("the command whose answer was lost did not run: %+v", r)
	}
}

// Each command line gets its own Run number, shared by its simple
// commands, and OnCommand sees each command as it is logged.
func TestCommandLogRunsAndObservers(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	var seen []CommandRecord
	w.OnCommand(func(c CommandRecord) {
		// Called outside the lock: the world may be asked again.
		_ = w.Commands(c.Node)
		seen = append(seen, c)
	})
	run(t, w, "NODE2", "hostname & ver")
	run(t, w, "NODE1", "hostname")
	log := w.Commands("")
	if len(log) != 3 || len(seen) != 3 {
		t.Fatalf("log %+v, observed %+v; want 3 commands each", log, seen)
	}
	if log[0].Run != log[1].Run || log[2].Run == log[0].Run || log[0].Run == 0 {
		t.Errorf("runs %d %d %d: want the first two alike, the third apart", log[0].Run, log[1].Run, log[2].Run)
	}
	for i := range log {
		if seen[i] != log[i] {
			t.Errorf("observed %+v, logged %+v", seen[i], log[i])
		}
	}
}

func TestHTTPFaultsAreConsumedPerCount(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	if err := w.AddFault(Fault{Node: "node1", Kind: "http500", Count: 2}); err != nil {
		t.Fatal(err)
	}
	if err := w.AddFault(Fault{Node: "NODE1", Kind: "bogus"}); err == nil {
		t.Error("unknown kind accepted")
	}
	if err := w.AddFault(Fault{Node: "NODE9", Kind: "drop"}); err == nil {
		t.Error("unknown node accepted")
	}
	for i := 0; i < 2; i++ {
		if f := w.NextHTTPFault("NODE1"); f == nil || f.Kind != "http500" {
			t.Fatalf("request %d: fault %+v", i, f)
		}
	}
	if f := w.NextHTTPFault("NODE1"); f != nil {
		t.Fatalf("fault outlived its count: %+v", f)
	}
	if f := w.NextHTTPFault("NODE2"); f != nil {
		t.Fatalf("fault on the wrong node: %+v", f)
	}
}

func TestRefuseFaultUntilCleared(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	var notes []string
	w.OnReachability(func(node string, reachable bool) {
		notes = append(notes, node+map[bool]string{true: "+", false: "-"}[reachable])
	})
	if err := w.AddFault(Fault{Node: "NODE2", Kind: "refuse"}); err != nil {
		t.Fatal(err)
	}
	if w.Reachable("NODE2") || !w.Reachable("NODE1") {
		t.Fatal("refuse fault not applied to NODE2 alone")
	}
	w.ClearFaults()
	if !w.Reachable("NODE2") {
		t.Fatal("refuse outlived ClearFaults")
	}
	if got := strings.Join(notes, " "); got != "NODE2- NODE2+" {
		t.Errorf("notes = %q", got)
	}
}

func TestCommandLogIsGlobalAndPerNode(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	run(t, w, "NODE1", "hostname")
	run(t, w, "NODE2", "sc query NoSuchService")
	run(t, w, "NODE1", "ver")
	all := w.Commands("")
	if len(all) != 3 {
		t.Fatalf("log: %+v", all)
	}
	for i, c := range all {
		if c.Seq <= 0 || i > 0 && c.Seq <= all[i-1].Seq {
			t.Errorf("sequence not increasing: %+v", all)
		}
	}
	n2 := w.Commands("node2")
	if len(n2) != 1 || n2[0].Program != "sc" || n2[0].Args != "query NoSuchService" || n2[0].ExitCode != 1060 || n2[0].User != `LAB\Administrator` {
		t.Errorf("NODE2 log: %+v", n2)
	}
}

func TestIncidentRecorded(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	w.Incident("NODE2", 1, "setup.exe /u:C:\\u.txt while ClusSvc RUNNING", "IIS cluster resources corrupted on both nodes")
	got := w.Incidents()
	if len(got) != 1 || got[0].Rule != 1 || got[0].Node != "NODE2" || got[0].Seq == 0 || got[0].Time.IsZero() {
		t.Errorf("incidents: %+v", got)
	}
}

func TestStateIsJSONFriendly(t *testing.T) {
	w, _ := newTestWorld(t, "rebuilt-node")
	data, err := jsonMarshal(w.State())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"name":"NODE2"`, `"msdtc":"standalone"`, `"cluster_state":"Up"`, `"name":"Web Group","owner":"NODE1","state":"Online"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("state lacks %s", want)
		}
	}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// LabWaits counts the time some state change was under way once, however
// many ran at once: a reboot, then two services stopping together.
func TestLabWaitsIsTheUnionOfPendingChanges(t *testing.T) {
	w, clock := newTestWorld(t, "healthy")
	if got := w.State().LabWaits; got != 0 {
		t.Fatalf("a fresh world waited %v", got)
	}
	if err := w.Reboot("NODE1"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(emulated(100))
	run(t, w, "NODE2", "sc stop W3SVC")
	clock.Advance(emulated(1))
	run(t, w, "NODE2", "sc stop MSFTPSVC")
	clock.Advance(emulated(10))
	if got, want := w.State().LabWaits, emulated(90)+emulated(3); got != want {
		t.Errorf("after a reboot of 90 s and two stops of 2 s one second apart: %v, want %v", got, want)
	}
}
