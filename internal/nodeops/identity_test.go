package nodeops

import (
	"context"
	"errors"
	"testing"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
	"github.com/mscs-ops/terraform-provider-mscs/internal/labtest"
	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

const regNotFound = "\r\nERROR: The system was unable to find the specified registry key or value.\r\n"

func identityRunner(cluSvc, hive winrm.Result) *fakeRunner {
	return &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{
		`reg query HKLM\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName /v ComputerName`: ok(
			"\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ComputerName\r\n" +
				"    ComputerName    REG_SZ    NODE2\r\n\r\n"),
		`reg query HKLM\SYSTEM\CurrentControlSet\Services\ClusSvc\Parameters /v ClusterName`: {cluSvc},
		`reg query HKLM\Cluster /v ClusterName`:                                              {hive},
		// The key whole, as the version's read asks for it.
		`reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion"`: ok(
			"\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\r\n" +
				"    CurrentBuildNumber    REG_SZ    1381\r\n    CurrentVersion    REG_SZ    4.0\r\n" +
				"    CSDVersion    REG_SZ    Service Pack 6\r\n    SystemRoot    REG_SZ    C:\\WINNT\r\n\r\n"),
	}}
}

func TestIdentity(t *testing.T) {
	notFound := winrm.Result{Stderr: regNotFound, ExitCode: 1}
	for name, tc := range map[string]struct {
		cluSvc, hive winrm.Result
		want         Identity
	}{
		// XP/2003 reg.exe: four blanks between the columns.
		"service parameters": {winrm.Result{Stdout: "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\ClusSvc\\Parameters\r\n" +
			"    ClusterName    REG_SZ    CLUSTER1\r\n\r\n"}, notFound, Identity{"NODE2", "CLUSTER1", `C:\WINNT`}},
		// The NT Resource Kit's reg.exe separates with tabs; the cluster hive
		// of a later Windows holds the name when the service key does not.
		"cluster hive, tabs": {notFound, winrm.Result{Stdout: "\r\nHKEY_LOCAL_MACHINE\\Cluster\r\n\tClusterName\tREG_SZ\tcluster1 \r\n"},
			Identity{"NODE2", "cluster1", `C:\WINNT`}},
		"no cluster": {notFound, notFound, Identity{"NODE2", "", `C:\WINNT`}},
	} {
		t.Run(name, func(t *testing.T) {
			f := identityRunner(tc.cluSvc, tc.hive)
			n := &Node{R: f}
			id, err := n.Identity(context.Background())
			if err != nil || id != tc.want {
				t.Fatalf("Identity = %+v, %v; want %+v", id, err, tc.want)
			}
			// The journals' folder comes with it: no query of its own later.
			if root, err := n.systemRoot(context.Background()); err != nil || root != `C:\WINNT` || len(f.lines) != 1 {
				t.Errorf("systemRoot = %q, %v after %v", root, err, f.lines)
			}
			for i, ro := range f.readOnly {
				if !ro {
					t.Errorf("%q was not run read-only", f.lines[i])
				}
			}
		})
	}
}

func TestIdentity_NoComputerName(t *testing.T) {
	f := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{
		`reg query HKLM\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName /v ComputerName`: {{Stderr: regNotFound, ExitCode: 1}},
	}}
	if id, err := (&Node{R: f}).Identity(context.Background()); err == nil {
		t.Fatalf("Identity = %+v without a computer name", id)
	}
}

// Several reg queries in one command line: one round trip, each part read
// on its own; a part that failed otherwise than "not found" is an error
// naming that part's query, not the whole line's.
func TestRegQueriesOneLine(t *testing.T) {
	f := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{
		`reg query HKLM\A /v X`: ok("\r\nHKEY_LOCAL_MACHINE\\A\r\n    X    REG_SZ    one\r\n\r\n"),
		`reg query HKLM\B`:      {{Stderr: regNotFound, ExitCode: 1}},
		`reg query HKLM\C /v Y`: ok("\r\nHKEY_LOCAL_MACHINE\\C\r\n    Y    REG_DWORD    0x1\r\n\r\n"),
		`reg query HKLM\D`:      {{Stderr: "\r\nERROR: Access is denied.\r\n", ExitCode: 1}},
	}}
	n := &Node{R: f}
	a, err := n.regQueries(context.Background(), "read", regQ{`HKLM\A`, "X"}, regQ{`HKLM\B`, ""}, regQ{`HKLM\C`, "Y"})
	if err != nil || !a[0].found || a[0].key.Value("X") != "one" || a[1].found || !a[2].found || a[2].key.Value("Y") != "0x1" {
		t.Fatalf("%+v, %v", a, err)
	}
	if len(f.lines) != 1 || !f.readOnly[0] {
		t.Errorf("ran %q", f.lines)
	}
	_, err = n.regQueries(context.Background(), "read", regQ{`HKLM\A`, "X"}, regQ{`HKLM\D`, ""})
	var se *StepError
	if !errors.As(err, &se) || se.Command != `reg query HKLM\D` || se.ExitCode != 1 {
		t.Errorf("access denied: %v", err)
	}
}

// The lab tests' classifier counts the lines echoed between the parts of a
// batch and after a file as reads, as they are.
func TestBatchEchoesAreReads(t *testing.T) {
	if !labtest.IsReadOnly(world.CommandRecord{Program: "echo", Args: partEnd + " "}) {
		t.Error("labtest.IsReadOnly does not know partEnd, the line between the parts of a batch")
	}
	if !labtest.IsReadOnly(world.CommandRecord{Program: "echo", Args: fileEnd}) {
		t.Error("labtest.IsReadOnly does not know fileEnd, the line after a file type printed")
	}
}
