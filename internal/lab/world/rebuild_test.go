package world

import (
	"strings"
	"testing"
)

// A recovered NODE2 rebuilt again: no Option Pack, no metabase, MSDTC
// standalone, rejoined; refused while it owns a group.
func TestRebuildNode(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	runOK(t, w, "NODE1", `cluster group "Web Group" /move:NODE2`)
	if err := w.RebuildNode("NODE2"); err == nil || !strings.Contains(err.Error(), "owns group Web Group") {
		t.Fatalf("rebuilding an owner: %v", err)
	}
	runOK(t, w, "NODE1", `cluster group "Web Group" /move:NODE1`)
	if err := w.RebuildNode("NODE2"); err != nil {
		t.Fatal(err)
	}
	n := w.State().Node("NODE2")
	if n.OptionPack.Installed || len(n.Metabase.Instances) != 0 || n.MSDTC != "standalone" || n.ClusterState != "Up" {
		t.Errorf("rebuilt NODE2: %+v", n)
	}
	if canRunOn(w, "Web Server", "NODE2") || canRunOn(w, "MSDTC", "NODE2") {
		t.Error("the rebuilt NODE2 can run the Web Group's resources")
	}
	if r := run(t, w, "NODE2", `if exist C:\NTOPTPAK\EN\X86\WINNT.SRV\setup.exe echo found`); r.out != "found\r\n" {
		t.Errorf("the media is not back on C: %+v", r)
	}
}
