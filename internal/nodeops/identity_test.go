package nodeops

import (
	"context"
	"testing"

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
			"    ClusterName    REG_SZ    CLUSTER1\r\n\r\n"}, notFound, Identity{"NODE2", "CLUSTER1"}},
		// The NT Resource Kit's reg.exe separates with tabs; the cluster hive
		// of a later Windows holds the name when the service key does not.
		"cluster hive, tabs": {notFound, winrm.Result{Stdout: "\r\nHKEY_LOCAL_MACHINE\\Cluster\r\n\tClusterName\tREG_SZ\tcluster1 \r\n"},
			Identity{"NODE2", "cluster1"}},
		"no cluster": {notFound, notFound, Identity{"NODE2", ""}},
	} {
		t.Run(name, func(t *testing.T) {
			f := identityRunner(tc.cluSvc, tc.hive)
			id, err := (&Node{R: f}).Identity(context.Background())
			if err != nil || id != tc.want {
				t.Fatalf("Identity = %+v, %v; want %+v", id, err, tc.want)
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
