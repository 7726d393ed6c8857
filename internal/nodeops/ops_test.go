package nodeops

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// fakeRunner answers command lines with canned tool output and records them.
type fakeRunner struct {
	mu       sync.Mutex // a Runner is used concurrently (the listowners of many groups)
	node     string
	answers  map[string][]winrm.Result // successive answers per line; the last repeats
	errs     map[string]error
	lines    []string
	readOnly []bool
	onRun    func(line string)
}

func (f *fakeRunner) Node() string { return f.node }

func (f *fakeRunner) Run(ctx context.Context, line string, readOnly bool) (winrm.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lines = append(f.lines, line)
	f.readOnly = append(f.readOnly, readOnly)
	if f.onRun != nil {
		f.onRun(line)
	}
	if err := f.errs[line]; err != nil {
		return winrm.Result{}, err
	}
	if _, ok := f.answers[line]; !ok && isCompound(line) {
		return compoundLine(line, func(part string) (winrm.Result, error) { return f.answer(part), nil })
	}
	return f.answer(line), nil
}

// isCompound tells a line of several commands (&&, or & with echo between
// parts) from one command.
func isCompound(line string) bool {
	return !isFileRead(line) && (strings.Contains(line, " && ") || strings.Contains(line, " & echo "))
}

// isFileRead reports readFileLine's line, which the fakes answer whole.
func isFileRead(line string) bool {
	return strings.HasPrefix(line, "if exist ") && strings.HasSuffix(line, " && echo "+fileEnd+")")
}

// compoundLine answers a line of commands joined by & (with 2>&1 and echo
// between them, and parts in parentheses) or by &&, as cmd runs it, each
// command through run.
func compoundLine(line string, run func(part string) (winrm.Result, error)) (winrm.Result, error) {
	if !strings.Contains(line, " & ") {
		return andLine(line, run)
	}
	var r winrm.Result
	for _, part := range strings.Split(line, " & ") {
		if text, ok := strings.CutPrefix(part, "echo "); ok {
			r.Stdout += text + "\r\n"
			r.ExitCode = 0
			continue
		}
		cmd, merged := strings.CutSuffix(part, " 2>&1")
		if inner, ok := strings.CutPrefix(cmd, "("); ok { // a batch's part (nodeops.batchLine)
			cmd = strings.TrimSuffix(inner, ")")
		}
		pr, err := andLine(cmd, run)
		if err != nil {
			return winrm.Result{}, err
		}
		r.Stdout += pr.Stdout
		if merged {
			r.Stdout += pr.Stderr
		} else {
			r.Stderr += pr.Stderr
		}
		r.ExitCode = pr.ExitCode
	}
	return r, nil
}

// andLine answers `A && B ...` as cmd runs it: each part as if run alone,
// the next only after a success; the output of all, the exit code of the
// last run.
func andLine(line string, run func(part string) (winrm.Result, error)) (winrm.Result, error) {
	if isFileRead(line) {
		return run(line)
	}
	var r winrm.Result
	for _, part := range strings.Split(line, " && ") {
		pr, err := run(part)
		if err != nil {
			return winrm.Result{}, err
		}
		r.Stdout, r.Stderr, r.ExitCode = r.Stdout+pr.Stdout, r.Stderr+pr.Stderr, pr.ExitCode
		if pr.ExitCode != 0 {
			break
		}
	}
	return r, nil
}

// answer is the next answer to line, or cmd's "not recognized" for a line
// the test did not expect.
func (f *fakeRunner) answer(line string) winrm.Result {
	as, ok := f.answers[line]
	if !ok {
		return winrm.Result{Stderr: fmt.Sprintf("'%s' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", line), ExitCode: 1}
	}
	r := as[0]
	if len(as) > 1 {
		f.answers[line] = as[1:]
	}
	return r
}

func ok(out string) []winrm.Result { return []winrm.Result{{Stdout: out}} }

func scQuery(state string) winrm.Result {
	return winrm.Result{Stdout: strings.Replace(kbSCQueryRunning, "4  RUNNING", state, 1)}
}

func TestQueryService(t *testing.T) {
	f := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{
		"sc query ClusSvc": ok(kbSCQueryRunning),
		"sc qc ClusSvc":    ok(strings.Replace(scQCClusSvc, "2   AUTO_START", "3   DEMAND_START", 1)),
	}}
	st, err := (&Node{R: f}).QueryService(context.Background(), "ClusSvc")
	if err != nil {
		t.Fatal(err)
	}
	want := ServiceStatus{Name: "ClusSvc", DisplayName: "Cluster Server", State: StateRunning, StartType: StartManual, Exists: true}
	if st != want {
		t.Errorf("got %+v, want %+v", st, want)
	}
	// One command line for both, read-only.
	if !reflect.DeepEqual(f.lines, []string{"sc query ClusSvc && sc qc ClusSvc"}) || !reflect.DeepEqual(f.readOnly, []bool{true}) {
		t.Errorf("ran %q, read-only %v", f.lines, f.readOnly)
	}
}

// sc qc failing after sc query succeeded: the failure is sc qc's, and the
// status is not half-read.
func TestQueryService_ConfigFails(t *testing.T) {
	f := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{
		"sc query ClusSvc": ok(kbSCQueryRunning),
		"sc qc ClusSvc":    {{Stdout: "[SC] OpenService FAILED 5:\r\n\r\nAccess is denied.\r\n\r\n", ExitCode: 5}},
	}}
	_, err := (&Node{R: f}).QueryService(context.Background(), "ClusSvc")
	var se *StepError
	if !errors.As(err, &se) || se.ExitCode != 5 {
		t.Errorf("got %v", err)
	}
	query, qc := splitSCQueryQC(kbSCQueryRunning + scQCClusSvc)
	if query != kbSCQueryRunning || qc != scQCClusSvc {
		t.Errorf("split at the wrong place:\n%q\n%q", query, qc)
	}
}

func TestQueryService_NotInstalled(t *testing.T) {
	f := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{
		"sc query W3SVC": {{Stdout: scNotFound, ExitCode: 1060}},
	}}
	st, err := (&Node{R: f}).QueryService(context.Background(), "W3SVC")
	if err != nil || st.Exists || st.Name != "W3SVC" {
		t.Errorf("got %+v, %v; want not existing, no error", st, err)
	}
}

func TestStopService_Idempotent(t *testing.T) {
	f := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{
		"sc stop ClusSvc":  {{Stdout: "[SC] ControlService FAILED 1062:\r\n\r\nThe service has not been started.\r\n", ExitCode: 1062}},
		"sc start ClusSvc": {{Stdout: "[SC] StartService FAILED 1056:\r\n\r\nAn instance of the service is already running.\r\n", ExitCode: 1056}},
	}}
	n := &Node{R: f}
	if err := n.StopService(context.Background(), "ClusSvc"); err != nil {
		t.Errorf("stop of a stopped service: %v", err)
	}
	if err := n.StartService(context.Background(), "ClusSvc"); err != nil {
		t.Errorf("start of a running service: %v", err)
	}
	if !reflect.DeepEqual(f.readOnly, []bool{false, false}) {
		t.Errorf("start/stop marked read-only: %v", f.readOnly)
	}
}

func TestStopService_FailureReadsWell(t *testing.T) {
	f := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{
		"sc stop ClusSvc": {{Stdout: "[SC] ControlService FAILED 1061:\r\n\r\nThe service cannot accept control messages at this time.\r\n", ExitCode: 1061}},
	}}
	// START_PENDING: a stop cannot be accepted and the service is not on its way down.
	f.answers["sc query ClusSvc"] = []winrm.Result{scQuery("2  START_PENDING")}
	f.answers["sc qc ClusSvc"] = ok(scQCClusSvc)
	err := (&Node{R: f}).StopService(context.Background(), "ClusSvc")
	want := "NODE2: stop the cluster service: `sc stop ClusSvc` exited 1061 (the service cannot accept control messages at this time)"
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	var se *StepError
	if !errors.As(err, &se) || !strings.Contains(se.Output, "FAILED 1061") {
		t.Errorf("StepError output missing: %#v", err)
	}
}

func TestStopService_AlreadyStopping(t *testing.T) {
	f := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{
		"sc stop ClusSvc":  {{Stdout: "[SC] ControlService FAILED 1061:\r\n\r\nThe service cannot accept control messages at this time.\r\n", ExitCode: 1061}},
		"sc query ClusSvc": {scQuery("3  STOP_PENDING")},
		"sc qc ClusSvc":    ok(scQCClusSvc),
	}}
	if err := (&Node{R: f}).StopService(context.Background(), "ClusSvc"); err != nil {
		t.Errorf("stop of a stopping service: %v", err)
	}
}

func TestStepError_Example(t *testing.T) {
	e := &StepError{Node: "NODE2", Step: "stop the cluster service", Command: "sc stop ClusSvc", ExitCode: 1062, Meaning: "the service has not been started"}
	if got := e.Error(); got != "NODE2: stop the cluster service: `sc stop ClusSvc` exited 1062 (the service has not been started)" {
		t.Error(got)
	}
	e = &StepError{Node: "NODE1", Step: "x", Command: "y", ExitCode: 7, Output: "\r\nfirst\r\n\r\nsecond\r\n"}
	if got := e.Error(); got != "NODE1: x: `y` exited 7: first / second" {
		t.Error(got)
	}
}

func TestStartService_NotInstalled(t *testing.T) {
	f := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{
		"sc start MSDTC": {{Stdout: scNotFound, ExitCode: 1060}},
	}}
	err := (&Node{R: f}).StartService(context.Background(), "MSDTC")
	if !errors.Is(err, ErrServiceNotFound) {
		t.Errorf("got %v, want ErrServiceNotFound", err)
	}
}

func TestSetStartType(t *testing.T) {
	f := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{
		"sc config ClusSvc start= demand": ok("[SC] ChangeServiceConfig SUCCESS\r\n"),
	}}
	n := &Node{R: f}
	if err := n.SetStartType(context.Background(), "ClusSvc", StartManual); err != nil {
		t.Fatal(err)
	}
	if err := n.SetStartType(context.Background(), "ClusSvc", StartBoot); err == nil {
		t.Error("Boot accepted")
	}
	if len(f.lines) != 1 {
		t.Errorf("ran %v", f.lines)
	}
}

func TestWaitForState_Reaches(t *testing.T) {
	f := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{
		"sc query ClusSvc": {scQuery("3  STOP_PENDING"), scQuery("3  STOP_PENDING"), scQuery("1  STOPPED")},
		"sc qc ClusSvc":    ok(scQCClusSvc),
	}}
	st, err := (&Node{R: f}).WaitForState(context.Background(), "ClusSvc", StateStopped)
	if err != nil || st.State != StateStopped {
		t.Fatalf("got %+v, %v", st, err)
	}
	// One command per check, the configuration with each: nothing after the last.
	if len(f.lines) != 3 || f.lines[2] != "sc query ClusSvc && sc qc ClusSvc" {
		t.Errorf("polled %v, want three `sc query ClusSvc && sc qc ClusSvc`", f.lines)
	}
	if st.StartType == "" {
		t.Errorf("no startup type: %+v", st)
	}
}

func TestWaitForState_DeadlineSaysLastState(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	polls := 0
	f := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{
		"sc query ClusSvc": {scQuery("3  STOP_PENDING")},
		"sc qc ClusSvc":    ok(scQCClusSvc),
	}, onRun: func(line string) {
		if strings.HasPrefix(line, "sc query") {
			if polls++; polls == 2 {
				cancel()
			}
		}
	}}
	_, err := (&Node{R: f}).WaitForState(ctx, "ClusSvc", StateStopped)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "last seen StopPending") || !strings.Contains(err.Error(), "NODE2") {
		t.Errorf("got %v", err)
	}
}

func TestClusterGroups(t *testing.T) {
	f := &fakeRunner{node: "NODE1", answers: map[string][]winrm.Result{
		"cluster group /status":                     ok(kbGroupStatus + "  Web Group            NODE2           Offline\r\n"),
		`cluster group "Cluster Group" /listowners`: ok("Listing preferred owners for resource group 'Cluster Group':\r\n\r\nPreferred Owner Nodes\r\n---------------------\r\nNODE1\r\nNODE2\r\n"),
		`cluster group "Web Group" /listowners`:     ok("Listing preferred owners for resource group 'Web Group':\r\n\r\nPreferred Owner Nodes\r\n---------------------\r\nNODE2\r\n"),
	}}
	got, err := (&Node{R: f}).ClusterGroups(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []ClusterGroup{
		{Name: "Cluster Group", OwnerNode: "NODE1", State: "Online", PreferredOwners: []string{"NODE1", "NODE2"}},
		{Name: "Web Group", OwnerNode: "NODE2", State: "Offline", PreferredOwners: []string{"NODE2"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestClusterResources(t *testing.T) {
	rows := func(r, typ string, action int) string {
		return fmt.Sprintf("   %-20s %-30s %s\r\n   %-20s %-30s %d (0x%x)\r\n   %-20s %-30s 3 (0x3)\r\n   %-20s %-30s 900000 (0xdbba0)\r\n",
			r, "Type", typ, r, "RestartAction", action, action, r, "RestartThreshold", r, "RestartPeriod")
	}
	// One `cluster res /prop` for every resource, not one per resource.
	f := &fakeRunner{node: "NODE1", answers: map[string][]winrm.Result{
		"cluster res /status": ok(kbResourceStatus + "  Web Site             Web Group            NODE1           Online\r\n"),
		"cluster res /prop": ok("Listing properties for all resources:\r\n\r\n" +
			"T  Resource             Name                           Value\r\n" +
			"-- -------------------- ------------------------------ -----------------------\r\n" +
			rows("MSDTC", "Distributed Transaction Coordinator", 1) + rows("Web Site", "IIS Server Instance", 2)),
	}}
	got, err := (&Node{R: f}).ClusterResources(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []ClusterResource{
		{Name: "MSDTC", Group: "Web Group", OwnerNode: "NODE1", State: "Online", Type: "Distributed Transaction Coordinator", RestartAction: 1, RestartThreshold: 3, RestartPeriod: 900000},
		{Name: "Web Site", Group: "Web Group", OwnerNode: "NODE1", State: "Online", Type: "IIS Server Instance", RestartAction: 2, RestartThreshold: 3, RestartPeriod: 900000},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestClusterNodes_ClusterServiceDown(t *testing.T) {
	f := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{
		"cluster node /status": {{Stdout: "System error 1722 has occurred (0x000006ba).\r\nThe RPC server is unavailable.\r\n", ExitCode: 1722}},
	}}
	_, err := (&Node{R: f}).ClusterNodes(context.Background())
	var se *StepError
	if !errors.As(err, &se) || se.ExitCode != 1722 || !strings.Contains(err.Error(), "RPC server is unavailable") || !strings.Contains(err.Error(), "NODE2: list the cluster nodes") {
		t.Errorf("got %v", err)
	}
}

func TestGroupMoveAndSetProp(t *testing.T) {
	f := &fakeRunner{node: "NODE1", answers: map[string][]winrm.Result{
		`cluster group "Web Group" /move:NODE2`:          ok("Moving resource group 'Web Group'...\r\n"),
		`cluster group "Web Group" /move:"NODE2&del"`:    ok(""),
		"cluster res MSDTC /prop RestartAction=1":        ok(""),
		`cluster res "Web Site" /prop Description="a b"`: ok(""),
	}}
	n := &Node{R: f}
	ctx := context.Background()
	if err := n.GroupMove(ctx, "Web Group", "NODE2"); err != nil {
		t.Error(err)
	}
	if err := n.ResourceSetProp(ctx, "MSDTC", "RestartAction", "1"); err != nil {
		t.Error(err)
	}
	if err := n.ResourceSetProp(ctx, "Web Site", "Description", "a b"); err != nil {
		t.Error(err)
	}
	// Refused values never reach the node.
	if err := n.GroupMove(ctx, "Web Group", "NODE2&del"); err != nil {
		t.Errorf("quotable node name refused: %v", err)
	}
	for _, bad := range []func() error{
		func() error { return n.GroupMove(ctx, "Web%PATH%", "NODE2") },
		func() error { return n.ResourceSetProp(ctx, "MSDTC", "Restart Action", "1") },
		func() error { return n.ResourceSetProp(ctx, "MSDTC", "RestartAction", "1\r\ndel x") },
	} {
		if err := bad(); err == nil {
			t.Error("bad input accepted")
		}
	}
	want := []string{`cluster group "Web Group" /move:NODE2`, "cluster res MSDTC /prop RestartAction=1", `cluster res "Web Site" /prop Description="a b"`, `cluster group "Web Group" /move:"NODE2&del"`}
	if !reflect.DeepEqual(f.lines, want) {
		t.Errorf("ran  %q\nwant %q", f.lines, want)
	}
	for _, ro := range f.readOnly {
		if ro {
			t.Error("a mutating command was marked read-only")
		}
	}
}

func TestTransportErrorNamesStep(t *testing.T) {
	f := &fakeRunner{node: "NODE2", errs: map[string]error{"sc stop ClusSvc": errors.New("NODE2 unreachable at https://n2:5986/wsman (connection refused)")}}
	err := (&Node{R: f}).StopService(context.Background(), "ClusSvc")
	if err == nil || !strings.HasPrefix(err.Error(), "NODE2: stop the cluster service: NODE2 unreachable") {
		t.Errorf("got %v", err)
	}
}

// Each tool's exit codes are worded with its own meanings: a code IISSYNC
// gives another sense than Windows does must not read as the Win32 error.
func TestRunCodes(t *testing.T) {
	r := &fakeRunner{node: "NODE1", answers: map[string][]winrm.Result{"tool": {{ExitCode: 3}, {ExitCode: 1722}, {ExitCode: 5}}}}
	n := &Node{R: r}
	own := Codes{Meanings: map[int]string{3: "the target's metabase is in use"}, OwnOnly: true}
	for _, c := range []struct {
		codes       Codes
		code        int
		wantMeaning string
	}{
		{own, 3, "the target's metabase is in use"},
		{own, 1722, ""}, // OwnOnly: not the Win32 RPC error
		{Codes{Meanings: own.Meanings}, 5, "access is denied"},
	} {
		_, err := n.run(context.Background(), "sync", "tool", false, c.codes)
		var se *StepError
		if !errors.As(err, &se) || se.ExitCode != c.code || se.Meaning != c.wantMeaning {
			t.Errorf("exit %d: %v; want meaning %q", c.code, err, c.wantMeaning)
		}
	}
	r.answers["tool"] = []winrm.Result{{ExitCode: 1056}}
	if _, err := n.run(context.Background(), "start", "tool", false, okCodes(1056)); err != nil {
		t.Errorf("an accepted code failed: %v", err)
	}
}
