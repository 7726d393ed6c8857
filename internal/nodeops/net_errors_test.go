package nodeops

import (
	"context"
	"strings"
	"testing"

	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// oneAnswer answers every command with res.
type oneAnswer struct{ res winrm.Result }

func (o oneAnswer) Node() string { return "NODE2" }
func (o oneAnswer) Run(context.Context, string, bool) (winrm.Result, error) {
	return o.res, nil
}

// net.exe exits 2 whatever failed: the failure is worded from its own
// lines (FORMATS.md, net.exe), never as Win32 error 2.
func TestNetFailureWorded(t *testing.T) {
	const add = `net localgroup Guests LAB\IUSR_CLUSTER /add`
	for _, c := range []struct {
		name, line string
		res        winrm.Result
		codes      Codes
		want       string // "" = accepted
	}{
		{"NT 4.0: both lines on stderr", add,
			winrm.Result{Stderr: "System error 5 has occurred.\r\n\r\nAccess is denied.\r\n\r\n", ExitCode: 2}, win32,
			"`" + add + "` exited 2 (System error 5: access is denied)"},
		{"2003: the System error line on stdout, its text on stderr", add,
			winrm.Result{Stdout: "System error 5 has occurred.\r\n\r\n", Stderr: "Access is denied.\r\n\r\n", ExitCode: 2}, win32,
			"`" + add + "` exited 2 (System error 5: access is denied)"},
		{"a code the provider does not word: the node's text", add,
			winrm.Result{Stdout: "System error 1789 has occurred.\r\n\r\n", Stderr: "The trust relationship between this workstation and the primary domain failed.\r\n\r\n", ExitCode: 2}, win32,
			"exited 2 (System error 1789: The trust relationship between this workstation and the primary domain failed.)"},
		{"a NET message", `net user IUSR_X /domain`,
			winrm.Result{Stdout: "The request will be processed at a domain controller for domain LAB.\r\n\r\n",
				Stderr: "The user name could not be found.\r\n\r\nMore help is available by typing NET HELPMSG 2221.\r\n\r\n", ExitCode: 2}, win32,
			"exited 2 (NET HELPMSG 2221: The user name could not be found.)"},
		{"net's own code accepted: already a member", add,
			winrm.Result{Stderr: "System error 1378 has occurred.\r\n\r\nThe specified account name is already a member of the local group.\r\n\r\n", ExitCode: 2},
			okCodes(1378), ""},
		{"net's own code not accepted", add,
			winrm.Result{Stderr: "System error 1376 has occurred.\r\n\r\nThe specified local group does not exist.\r\n\r\n", ExitCode: 2},
			okCodes(1378), "exited 2 (System error 1376: The specified local group does not exist.)"},
		{"another tool's 2 stays Win32's", `C:\WINNT\system32\sc.exe stop X`,
			winrm.Result{Stderr: "x\r\n", ExitCode: 2}, win32, "exited 2 (the system cannot find the file specified)"},
		{"a System error line in another tool's output is its own business", `cluster res X /status`,
			winrm.Result{Stderr: "System error 5007 has occurred (0x0000138f).\r\n", ExitCode: 5007}, win32, "exited 5007 (the cluster resource could not be found)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := &Node{R: oneAnswer{c.res}}
			_, err := n.run(context.Background(), "grant", c.line, false, c.codes)
			switch {
			case c.want == "" && err != nil:
				t.Fatal(err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("got  %v\nwant %s", err, c.want)
			}
		})
	}
	// A batched net part: its hint line is a failure, worded the same way.
	out := "The user name could not be found.\r\n\r\nMore help is available by typing NET HELPMSG 2221.\r\n\r\n"
	if code := partExit(out); code != 2 {
		t.Errorf("partExit of a NET HELPMSG hint = %d, want 2", code)
	}
	n := &Node{R: oneAnswer{}}
	if err := n.checkPart("look up", `net user X /domain`, winrm.Result{Stdout: out, ExitCode: partExit(out)}, win32); err == nil ||
		!strings.Contains(err.Error(), "(NET HELPMSG 2221: The user name could not be found.)") {
		t.Errorf("batched: %v", err)
	}
}
