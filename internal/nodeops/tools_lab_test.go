package nodeops

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/labtest"
)

// The tools a phase runs, read before anything runs: reg.exe and
// showpriv.exe deleted from NODE2 are named with where an administrator
// gets them; cluster.exe is found along the PATH (%SystemRoot%\cluster),
// setup.exe at its configured path; and only reads were sent. Whether
// SystemRoot comes from cmd's set in the same batch or, known already from
// the node's identity, is not read again.
func TestMissingTools(t *testing.T) {
	for _, known := range []bool{false, true} {
		t.Run(map[bool]string{false: "SystemRoot read", true: "SystemRoot known"}[known], func(t *testing.T) {
			t.Parallel()
			testMissingTools(t, known)
		})
	}
}

func testMissingTools(t *testing.T, rootKnown bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l := startScenario(t, "metabase-fresh")
	n := labNode(t, l, "NODE2")
	if rootKnown {
		if _, err := n.Identity(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{`C:\WINNT\system32\reg.exe`, `C:\WINNT\system32\showpriv.exe`} {
		if res, err := n.R.Run(ctx, "del "+f, false); err != nil || res.ExitCode != 0 {
			t.Fatalf("del %s: %+v, %v", f, res, err)
		}
	}
	before := len(l.World().Commands("NODE2"))
	err := n.CheckTools(ctx, ToolCluster, ToolReg, ToolSC, ToolNet, ToolShowpriv, ToolNtrights,
		Tool{`C:\NTOP\nothere.exe`, "the Option Pack CD"})
	var me *MissingToolsError
	if !errors.As(err, &me) {
		t.Fatalf("got %v, want the missing tools", err)
	}
	var names []string
	for _, m := range me.Missing {
		names = append(names, m.Name)
	}
	if got := strings.Join(names, ", "); got != `reg.exe, showpriv.exe, C:\NTOP\nothere.exe` {
		t.Errorf("missing: %s", got)
	}
	if msg := err.Error(); !strings.Contains(msg, "showpriv.exe (from the Windows NT 4.0 Resource Kit)") || !strings.Contains(msg, "NODE2") {
		t.Errorf("error: %v", err)
	}
	sent := l.World().Commands("NODE2")[before:]
	if len(sent) == 0 {
		t.Error("no command logged")
	}
	readRoot := false
	for _, c := range sent {
		if !labtest.IsReadOnly(c) {
			t.Errorf("not a read: %s %s", c.Program, c.Args)
		}
		readRoot = readRoot || (c.Program == "set" && strings.TrimSpace(c.Args) == "SystemRoot")
	}
	if readRoot == rootKnown {
		t.Errorf("with SystemRoot known: %t, `set SystemRoot` sent: %t", rootKnown, readRoot)
	}
	if err := n.CheckTools(ctx, ToolCluster, ToolSC, ToolNet, ToolNtrights); err != nil {
		t.Errorf("all there: %v", err)
	}
}

// The metabase sync's and MSDTC's facts read their tools first: IISSYNC
// deleted from the working node, msdtc.exe from the rebuilt one, each is
// named, and nothing but reads was sent.
func TestPhaseFacts_MissingTools(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l := startScenario(t, "healthy")
	c := labCluster(t, l)
	for _, cmd := range []string{`del C:\WINNT\System32\inetsrv\iissync.exe`} {
		if res, err := c.Nodes[0].R.Run(ctx, cmd, false); err != nil || res.ExitCode != 0 {
			t.Fatalf("%s: %+v, %v", cmd, res, err)
		}
	}
	if res, err := c.Nodes[1].R.Run(ctx, `del C:\WINNT\System32\msdtc.exe`, false); err != nil || res.ExitCode != 0 {
		t.Fatalf("del msdtc.exe: %+v, %v", res, err)
	}
	before := len(l.World().Commands(""))
	var me *MissingToolsError
	_, err := c.ReadSyncFacts(ctx, syncSpec())
	if !errors.As(err, &me) || me.Node != "NODE1" || len(me.Missing) != 1 || me.Missing[0] != ToolIISSync {
		t.Errorf("sync: %v", err)
	}
	_, err = c.ReadMSDTCFacts(ctx, dtcSpec())
	if !errors.As(err, &me) || me.Node != "NODE2" || len(me.Missing) != 1 || me.Missing[0] != ToolMSDTC {
		t.Errorf("msdtc: %v", err)
	}
	for _, c := range l.World().Commands("")[before:] {
		if !labtest.IsReadOnly(c) {
			t.Errorf("not a read: %s %s", c.Program, c.Args)
		}
	}
}

// The Option Pack phase's reboots come after its first change: a node
// without shutdown.exe is refused before anything runs, naming it.
func TestInstallOptionPack_MissingShutdown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l := startScenario(t, "rebuilt-node")
	c := labCluster(t, l)
	spec := specLikeNode1(t, ctx, c.Nodes[0])
	if res, err := c.Nodes[1].R.Run(ctx, `del C:\WINNT\system32\shutdown.exe`, false); err != nil || res.ExitCode != 0 {
		t.Fatalf("del shutdown.exe: %+v, %v", res, err)
	}
	before := len(l.World().Commands(""))
	_, err := c.Nodes[1].InstallOptionPack(ctx, spec, nil)
	var me *MissingToolsError
	if !errors.As(err, &me) || me.Node != "NODE2" || len(me.Missing) != 1 || me.Missing[0] != ToolShutdown {
		t.Fatalf("got %v, want shutdown.exe missing", err)
	}
	for _, c := range l.World().Commands("")[before:] {
		// The run's lock is taken and released around its checks.
		if !labtest.IsReadOnly(c) && !strings.Contains(c.Args, "mscs-optionpack.lock") && !strings.HasPrefix(strings.ToLower(c.Program), "mkdir") {
			t.Errorf("not a read: %s %s", c.Program, c.Args)
		}
	}
}
