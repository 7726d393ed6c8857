package nodeops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

func TestBatchLine(t *testing.T) {
	got := batchLine([]string{"hostname", "if exist C:\\x echo found", "sc query A && sc qc A"})
	want := `hostname 2>&1 & echo --- end of part --- & (if exist C:\x echo found) 2>&1 & echo --- end of part --- & (sc query A && sc qc A) 2>&1`
	if got != want {
		t.Errorf("batchLine =\n%s\nwant\n%s", got, want)
	}
}

// Each part comes back with the exit code its own text shows; the last
// with the line's, whatever its text.
func TestReadBatch_PartsExitCodes(t *testing.T) {
	parts := []string{"cluster node /status", "sc query X && sc qc X", "reg query HKLM\\Nothing", "frob", "cluster group /status"}
	f := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{batchLine(parts): {{Stdout: "" +
		"System error 1722 has occurred (0x000006ba).\r\nThe RPC server is unavailable.\r\n" + partEnd + " \r\n" +
		"[SC] EnumQueryServicesStatus:OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n" + partEnd + " \r\n" +
		"ERROR: The system was unable to find the specified registry key or value.\r\n" + partEnd + " \r\n" +
		"'frob' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n" + partEnd + " \r\n" +
		"Listing status for all available resource groups:\r\n", ExitCode: 5}}}}
	results, err := (&Node{R: f}).readBatch(context.Background(), "read", parts...)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{1722, 1060, 1, 9009, 5} {
		if results[i].ExitCode != want {
			t.Errorf("part %d (%s): exit code %d, want %d", i, parts[i], results[i].ExitCode, want)
		}
	}
	if len(f.lines) != 1 || !f.readOnly[0] {
		t.Errorf("ran %v (read-only %v), want one read-only line", f.lines, f.readOnly)
	}
	// A part's failure is worded with its own command line.
	err = (&Node{R: f}).checkPart("list the cluster nodes", parts[0], results[0], win32)
	var se *StepError
	if !errors.As(err, &se) || se.Command != "cluster node /status" || se.ExitCode != 1722 {
		t.Errorf("checkPart = %v", err)
	}
	// A name that merely contains a failure's words is no failure.
	if code := partExit("Group                Node            Status\r\n-------------------- --------------- ------\r\nSystem error 5 has occurred  NODE1 Online\r\n"); code != 0 {
		t.Errorf("a group named like a failure gives exit code %d", code)
	}
}

// A line that splits into fewer parts than it ran is an error, not a
// misattributed answer.
func TestReadBatch_MissingPart(t *testing.T) {
	parts := []string{"hostname", "ver"}
	f := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{batchLine(parts): ok("NODE2\r\n")}}
	if _, err := (&Node{R: f}).readBatch(context.Background(), "read", parts...); err == nil || !strings.Contains(err.Error(), "1 parts of output for 2 commands") {
		t.Errorf("err = %v", err)
	}
}

// Parts beyond maxBatchLine go in further command lines, sent together,
// and come back in order.
func TestReadBatch_Chunks(t *testing.T) {
	f := &fakeRunner{node: "NODE1", answers: map[string][]winrm.Result{}}
	var parts []string
	for i := range 100 {
		line := fmt.Sprintf(`cluster group "Group number %03d" /listowners`, i)
		parts = append(parts, line)
		f.answers[line] = ok(fmt.Sprintf("Listing preferred owners for resource group 'Group number %03d':\r\n\r\nPreferred Owner Nodes\r\n---------------------\r\nNODE%d\r\n", i, i))
	}
	results, err := (&Node{R: f}).readBatch(context.Background(), "read", parts...)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.lines) < 2 || len(f.lines) > 5 {
		t.Errorf("%d command lines for 100 parts", len(f.lines))
	}
	for _, l := range f.lines {
		if len(l) > maxBatchLine {
			t.Errorf("a command line of %d characters", len(l))
		}
	}
	for i, r := range results {
		if !strings.HasSuffix(strings.TrimSpace(r.Stdout), fmt.Sprintf("NODE%d", i)) {
			t.Fatalf("part %d came back as %q", i, r.Stdout)
		}
	}
}

// sc config && sc control: the failure is put on the command that failed.
func TestConfigureService_Attribution(t *testing.T) {
	cfgOK := winrm.Result{Stdout: "[SC] ChangeServiceConfig SUCCESS\r\n"}
	for name, tc := range map[string]struct {
		config, control winrm.Result
		want            string // "" for success; else the command the error names
	}{
		"both succeed":    {cfgOK, winrm.Result{Stdout: kbSCQueryRunning}, ""},
		"config refused":  {winrm.Result{Stdout: "[SC] OpenService FAILED 5:\r\n\r\nAccess is denied.\r\n", ExitCode: 5}, winrm.Result{}, "sc config ClusSvc start= demand"},
		"stop refused":    {cfgOK, winrm.Result{Stdout: "[SC] ControlService FAILED 1051:\r\n", ExitCode: 1051}, "sc stop ClusSvc"},
		"already stopped": {cfgOK, winrm.Result{Stdout: "[SC] ControlService FAILED 1062:\r\n", ExitCode: 1062}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			f := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{
				"sc config ClusSvc start= demand": {tc.config}, "sc stop ClusSvc": {tc.control}}}
			err := (&Node{R: f, Poll: time.Millisecond}).ConfigureService(context.Background(), "ClusSvc", StartManual, "stop")
			var se *StepError
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("err = %v", err)
			case tc.want != "" && (!errors.As(err, &se) || se.Command != tc.want):
				t.Errorf("err = %v, want one naming %q", err, tc.want)
			}
			if len(f.lines) != 1 || f.lines[0] != "sc config ClusSvc start= demand && sc stop ClusSvc" || f.readOnly[0] {
				t.Errorf("ran %v", f.lines)
			}
		})
	}
}

// Against the lab's cmd and cluster.exe: a batch through a node whose
// cluster service is stopped puts cluster.exe's 1722 on the node listing,
// and the lab's command log has each part as a command of its own.
func TestReadBatch_AgainstLab(t *testing.T) {
	l := startLab(t)
	n2 := labNode(t, l, "NODE2")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := n2.ConfigureService(ctx, ClusterService, StartManual, "stop"); err != nil {
		t.Fatal(err)
	}
	if _, err := n2.WaitForState(ctx, ClusterService, StateStopped); err != nil {
		t.Fatal(err)
	}
	_, _, _, nodesErr, err := n2.clusterStatus(ctx, "list the cluster nodes and groups")
	var se *StepError
	if err != nil || !errors.As(nodesErr, &se) || se.ExitCode != 1722 || se.Command != "cluster node /status" {
		t.Fatalf("clusterStatus: %v, %v", nodesErr, err)
	}
	cmds, err := l.Control().Commands("NODE2")
	if err != nil {
		t.Fatal(err)
	}
	var last []string
	for _, c := range cmds[len(cmds)-3:] {
		last = append(last, strings.TrimSpace(c.Program+" "+c.Args))
	}
	if strings.Join(last, "|") != "cluster node /status|echo "+partEnd+"|cluster group /status" {
		t.Errorf("the lab logged %q for the listing batch", last)
	}
	// A quoted ")" or "&" does not end a part's parentheses or the part.
	if _, err := n2.R.Run(ctx, `mkdir "C:\a (b) & c"`, false); err != nil {
		t.Fatal(err)
	}
	found, err := n2.FilesExist(ctx, `C:\a (b) & c`, `C:\No Such (Folder)`, `C:\WINNT\system32`)
	if err != nil || !found[0] || found[1] || !found[2] {
		t.Fatalf("FilesExist = %v, %v", found, err)
	}
}

// Nothing to read sends nothing: a cluster without Network Name or IIS
// resources asks for no /priv table.
func TestReadBatch_NoParts(t *testing.T) {
	f := &fakeRunner{node: "NODE1", answers: map[string][]winrm.Result{}}
	n := &Node{R: f}
	results, err := n.readBatch(context.Background(), "read", []string{}...)
	if err != nil || len(results) != 0 {
		t.Errorf("readBatch() = %v, %v", results, err)
	}
	tables, err := n.resourceTables(context.Background(), nil, "/priv", "read the private properties")
	if err != nil || len(tables) != 0 {
		t.Errorf("resourceTables(none) = %v, %v", tables, err)
	}
	if len(f.lines) != 0 {
		t.Errorf("ran %q", f.lines)
	}
}

// A missing program as the line's last command makes the line exit 1 (its
// ERRORLEVEL, 9009, stays inside the line): the last part reads as the
// others do, from cmd's text, and its failure says what it is.
func TestReadBatch_LastPartNotRecognized(t *testing.T) {
	parts := []string{"hostname", "frob /x"}
	f := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{batchLine(parts): {{Stdout: "NODE2\r\n" + partEnd + " \r\n" +
		"'frob' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", ExitCode: 1}}}}
	results, err := (&Node{R: f}).readBatch(context.Background(), "read", parts...)
	if err != nil {
		t.Fatal(err)
	}
	if results[0].ExitCode != 0 || results[1].ExitCode != 9009 {
		t.Errorf("exit codes %d, %d; want 0, 9009", results[0].ExitCode, results[1].ExitCode)
	}
	// Alone, the line exits 1; the failure still names the missing program.
	err = (&Node{R: f}).checkPart("run frob", "frob /x", winrm.Result{Stderr: "'frob' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", ExitCode: 1}, win32)
	var se *StepError
	if !errors.As(err, &se) || se.ExitCode != 1 || se.Meaning != "the program is not installed on the node" {
		t.Errorf("checkPart = %#v", err)
	}
}

// partExit finds each tool's failure line in every form its pattern takes
// (case, the NT 4.0 forms), also after a long part that succeeded: the
// literal each pattern is first looked for by does not hide a match.
func TestPartExitForms(t *testing.T) {
	long := strings.Repeat("HKEY_LOCAL_MACHINE\\SOFTWARE\\X    Value    REG_SZ    some text: with a colon\r\n", 2000)
	for out, want := range map[string]int{
		"System error 1722 has occurred (0x000006ba).\r\nThe RPC server is unavailable.\r\n":                  1722,
		"System error 5 has occurred.\r\n\r\nAccess is denied.\r\n":                                           5,
		"[SC] OpenService FAILED 1060:\r\n\r\nThe specified service does not exist.\r\n":                      1060,
		"[SC]EnumQueryServicesStatus:OpenService failed 1060\r\n":                                             1060, // NT 4.0 Resource Kit
		"[SC] EnumQueryServicesStatus:OpenService failed 1060\r\n":                                            1060,
		"ERROR: The system was unable to find the specified registry key or value.\r\n":                       1,
		"Error: The system was unable to find the specified registry key or value.\r\n":                       1,
		"  error: Access is denied.\r\n":                                                                      1,
		"'frob' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n": exitNotRecognized,
		"The user name could not be found.\r\n\r\nMore help is available by typing NET HELPMSG 2221.\r\n":     2,
		"Service: IISADMIN  STATE: 4 RUNNING  (this ERROR: is mid-line)\r\n":                                  0,
	} {
		for _, text := range []string{out, long + out} {
			if got := partExit(text); got != want {
				t.Errorf("partExit(%.60q) = %d, want %d", text[len(text)-len(out):], got, want)
			}
		}
	}
}
