package nodeops

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
	"github.com/mscs-ops/terraform-provider-mscs/internal/labtest"
)

// The media of these tests lie in folders whose names hold cmd's special
// characters: & ( ) blanks, and @ ^ in the service pack's.
const (
	oddSetup       = `C:\Option Pack (EN)\setup.exe`
	oddServicePack = `C:\R&D\SP4 @^\update.exe`
)

// copyMedia copies NODE2's Option Pack and service pack media to the odd
// folders, over the lab's own cmd.exe.
func copyMedia(t *testing.T, ctx context.Context, n *Node) {
	t.Helper()
	line := `mkdir "C:\Option Pack (EN)" && copy C:\NTOPTPAK\EN\X86\WINNT.SRV\setup.exe "` + oddSetup + `"` +
		` && mkdir "C:\R&D\SP4 @^" && copy C:\SP4\I386\UPDATE\update.exe "` + oddServicePack + `"`
	if res, err := n.R.Run(ctx, "("+line+")", false); err != nil || res.ExitCode != 0 {
		t.Fatalf("copy the media: %v %+v", err, res)
	}
}

// ranProgram reports whether the command log holds program, exactly as named.
func ranProgram(cmds []world.CommandRecord, program string) bool {
	for _, c := range cmds {
		if c.Program == program {
			return true
		}
	}
	return false
}

// Setup and the service pack run from quoted paths with & ( ) @ ^ in them:
// the provider's lines hold under cmd's /C quote rule, which the lab applies
// to every line as WinRM's cmd shell does.
func TestInstallOptionPack_MediaPathsWithSpecialCharacters(t *testing.T) {
	t.Parallel() // a lab of its own
	l := startScenario(t, "rebuilt-node")
	n1, n2 := fastNode(t, l, "NODE1"), fastNode(t, l, "NODE2")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	spec := specLikeNode1(t, ctx, n1)
	spec.SetupPath, spec.ServicePackPath = oddSetup, oddServicePack
	copyMedia(t, ctx, n2)
	before := len(l.World().Commands("NODE2"))
	if _, err := n2.InstallOptionPack(ctx, spec, nil); err != nil {
		t.Fatal(err)
	}
	cmds := l.World().Commands("NODE2")[before:]
	if got, want := labtest.KBSteps(cmds), []string{"stop ClusSvc", "setup", "reboot", "SP", "reboot"}; !reflect.DeepEqual(got, want) {
		t.Errorf("KB steps on NODE2: %v\nwant %v", got, want)
	}
	for _, p := range []string{oddSetup, oddServicePack} {
		if !ranProgram(cmds, p) {
			t.Errorf("%s did not run: %+v", p, cmds)
		}
	}
	checkInstalledLikeNode1(t, ctx, l, n1, n2)
}

// The lines the provider sent before, a quoted path first, run something
// else under cmd's rule: the first quote and the line's last one go.
func TestProgramLine_OldFormRunsAnotherProgram(t *testing.T) {
	l := startScenario(t, "rebuilt-node")
	n2 := fastNode(t, l, "NODE2")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	copyMedia(t, ctx, n2)
	for _, c := range []struct {
		old, program, stderr string
	}{
		// & splits the line: C:\R is not a program; D\SP4 @^\update.exe is
		// looked for under the current folder.
		{`"` + oddServicePack + `" -u -z -n -q`, oddServicePack, `'C:\R' is not recognized as an internal or external command`},
		// The blank splits the path: D:\Option Pack (EN)\setup.exe fails alike.
		{`"` + oddSetup + `" /u:C:\WINNT\TEMP\install.txt /R:N`, oddSetup, `'C:\Option' is not recognized as an internal or external command`},
	} {
		before := len(l.World().Commands("NODE2"))
		res, err := n2.R.Run(ctx, c.old, false)
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode != 1 || !strings.Contains(res.Stderr, c.stderr) {
			t.Errorf("%s: exit %d, stderr %q; want 1 and %q", c.old, res.ExitCode, res.Stderr, c.stderr)
		}
		if ranProgram(l.World().Commands("NODE2")[before:], c.program) {
			t.Errorf("%s ran %s", c.old, c.program)
		}
		// The same program and arguments through programLine run it.
		args := strings.Fields(c.old[len(c.program)+2:])
		line, err := programLine(c.program, args...)
		if err != nil {
			t.Fatal(err)
		}
		before = len(l.World().Commands("NODE2"))
		if _, err := n2.R.Run(ctx, line, false); err != nil {
			t.Fatal(err)
		}
		if !ranProgram(l.World().Commands("NODE2")[before:], c.program) {
			t.Errorf("%s did not run %s", line, c.program)
		}
	}
	// The provider refuses to send a line that starts with a quote.
	if _, err := n2.run(ctx, "run update", `"`+oddServicePack+`" -u`, false, win32); err == nil || !strings.Contains(err.Error(), "starts with a double quote") {
		t.Errorf("a line starting with a quote: %v", err)
	}
}
