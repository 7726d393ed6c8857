package world

import (
	"strings"
	"testing"
)

// dtcResourceState is the MSDTC resource's state and owner ("" when there
// is no MSDTC resource).
func dtcResourceState(w *World) (state, owner string) {
	w.lock()
	defer w.unlock()
	if r := w.cluster.dtcResource(); r != nil {
		return r.state, r.group.owner.name
	}
	return "", ""
}

// runOK runs a command that must exit 0, whatever it prints.
func runOK(t *testing.T, w *World, node, line string) {
	t.Helper()
	if r := run(t, w, node, line); r.code != 0 {
		t.Fatalf("%s: %+v", line, r)
	}
}

func dtcMode(w *World, node string) string {
	w.lock()
	defer w.unlock()
	return w.node(node).dtc.mode
}

// The KB's manual method, in its order, on a standalone NODE2: MSDTC ends
// clustered on both nodes and comes online on each; no incident.
func TestMSDTCManualMethod(t *testing.T) {
	w, _ := newTestWorld(t, "msdtc-standalone")
	if dtcMode(w, "NODE2") != dtcStandalone || canRunOn(w, "MSDTC", "NODE2") {
		t.Fatal("the scenario's NODE2 MSDTC is not standalone")
	}
	// The KB's test first: "Affect the group" off, the group moved, MSDTC
	// fails on NODE2 and stays there (no failback), moved back.
	for _, r := range []string{"MSDTC", "Web Server", "FTP Server"} {
		mustRun(t, w, "NODE1", `cluster res "`+r+`" /prop RestartAction=1`)
	}
	runOK(t, w, "NODE1", `cluster group "Web Group" /move:NODE2`)
	if st, owner := dtcResourceState(w); st != resFailed || owner != "NODE2" {
		t.Fatalf("MSDTC on the standalone NODE2: %s on %s, want Failed on NODE2", st, owner)
	}
	runOK(t, w, "NODE1", `cluster group "Web Group" /move:NODE1`)

	// Delete the resource (it must be offline: 5019 while online).
	r := run(t, w, "NODE1", `cluster res "MSDTC" /delete`)
	if r.code != 5019 || !strings.Contains(r.err, "because the cluster resource is online") {
		t.Errorf("deleting an online resource: %+v", r)
	}
	runOK(t, w, "NODE1", `cluster res "MSDTC" /offline`)
	expect(t, run(t, w, "NODE1", `cluster res "MSDTC" /delete`), "Deleting resource 'MSDTC'...\r\n", 0)
	if r := run(t, w, "NODE1", `cluster res "MSDTC" /delete`); r.code != 5007 {
		t.Errorf("deleting a deleted resource: %+v", r)
	}
	mustRun(t, w, "NODE1", "msdtc -remove")
	mustRun(t, w, "NODE2", "msdtc -remove")
	if dtcMode(w, "NODE1") != dtcAbsent || queryState(t, w, "NODE2", "MSDTC") != "MISSING" {
		t.Errorf("after -remove: NODE1 %s, NODE2's service %s", dtcMode(w, "NODE1"), queryState(t, w, "NODE2", "MSDTC"))
	}
	// -install on the owner, with the folder on the group's disk.
	expect(t, run(t, w, "NODE1", `msdtc -install -d C:\WINNT\system32 -l S:\MSDTCLog -v WEBVS`), "", 0)
	if st, _ := dtcResourceState(w); st != resOffline {
		t.Errorf("the new MSDTC resource is %q, want Offline", st)
	}
	if r := run(t, w, "NODE1", `cluster res "MSDTC" /prop`); !strings.Contains(r.out, "Distributed Transaction Coordinator") || !strings.Contains(r.out, "RestartAction                  2 (0x2)") {
		t.Errorf("the new resource's properties:\n%s", r.out)
	}
	mustRun(t, w, "NODE2", "msdtc -join")
	runOK(t, w, "NODE1", `cluster res "MSDTC" /prop RestartAction=1`)
	runOK(t, w, "NODE1", `cluster res "MSDTC" /online`)
	for _, node := range []string{"NODE2", "NODE1"} {
		runOK(t, w, "NODE1", `cluster group "Web Group" /move:`+node)
		if st, owner := dtcResourceState(w); st != resOnline || owner != node {
			t.Errorf("MSDTC after the move to %s: %s on %s", node, st, owner)
		}
	}
	if r := run(t, w, "NODE1", `reg query HKLM\SOFTWARE\Microsoft\MSDTC\Cluster /v LogPath`); !strings.Contains(r.out, `S:\MSDTCLog`) {
		t.Errorf("the clustered MSDTC's registry: %+v", r)
	}
	if got := incidentRules(w); len(got) != 0 {
		t.Errorf("incidents: %+v", w.Incidents())
	}
}

// msdtc.exe's command lines: what it refuses, and how it exits then.
func TestMSDTCCommandLines(t *testing.T) {
	w, _ := newTestWorld(t, "msdtc-standalone")
	for _, line := range []string{"msdtc", "msdtc -uninstall", "msdtc -resetlog", `msdtc -install -d C:\WINNT\system32 -l S:\MSDTCLog`, "msdtc - install"} {
		r := run(t, w, "NODE1", line)
		if r.code != msdtcFailed || !strings.HasPrefix(r.err, "Usage: msdtc") {
			t.Errorf("%s: %+v, want the usage and -1", line, r)
		}
	}
	if r := run(t, w, "NODE1", `msdtc -install -d C:\WINNT\system32 -l S:\MSDTCLog -v WEBVS`); r.code != msdtcFailed || !strings.Contains(r.err, "already has an MSDTC resource") {
		t.Errorf("-install with a resource there: %+v", r)
	}
	runOK(t, w, "NODE1", `cluster res "MSDTC" /offline`)
	runOK(t, w, "NODE1", `cluster res "MSDTC" /delete`)
	if r := run(t, w, "NODE1", `msdtc -install -d C:\WINNT\system32 -l S:\MSDTCLog -v NOSUCH`); r.code != msdtcFailed || !strings.Contains(r.err, "NOSUCH") {
		t.Errorf("-install with an unknown virtual server: %+v", r)
	}
	if r := run(t, w, "NODE2", "msdtc -join"); r.code != msdtcFailed || !strings.Contains(r.err, "no clustered MSDTC to join") {
		t.Errorf("-join before -install: %+v", r)
	}
	// cluster.exe's /create.
	r := run(t, w, "NODE1", `cluster res "MSDTC" /create /group:"Web Group" /type:"Distributed Transaction Coordinator"`)
	if r.code != 0 || !strings.Contains(r.out, "Creating resource 'MSDTC'...") || !strings.Contains(r.out, "Offline") {
		t.Errorf("/create: %+v", r)
	}
	if r := run(t, w, "NODE1", `cluster res "MSDTC" /create /group:"Web Group" /type:"Distributed Transaction Coordinator"`); r.code != 5010 {
		t.Errorf("/create of an existing resource: %+v", r)
	}
	if r := run(t, w, "NODE1", `cluster res "X" /create /group:"No Group" /type:"Generic Service"`); r.code != 5013 {
		t.Errorf("/create in a missing group: %+v", r)
	}
	if got := incidentRules(w); len(got) != 0 {
		t.Errorf("incidents: %+v", w.Incidents())
	}
}

// Safety rules 5 and 6 as the lab records them, with their damage.
func TestMSDTCIncidents(t *testing.T) {
	prepare := func(t *testing.T) *World {
		w, _ := newTestWorld(t, "msdtc-standalone")
		runOK(t, w, "NODE1", `cluster res "MSDTC" /offline`)
		runOK(t, w, "NODE1", `cluster res "MSDTC" /delete`)
		mustRun(t, w, "NODE1", "msdtc -remove")
		mustRun(t, w, "NODE2", "msdtc -remove")
		return w
	}
	for _, c := range []struct {
		name string
		run  func(t *testing.T, w *World)
	}{
		{"-install on the node that does not own the group", func(t *testing.T, w *World) {
			mustRun(t, w, "NODE2", `msdtc -install -d C:\WINNT\system32 -l S:\MSDTCLog -v WEBVS`)
		}},
		{"-install with a log folder that does not exist", func(t *testing.T, w *World) {
			mustRun(t, w, "NODE1", `msdtc -install -d C:\WINNT\system32 -l S:\NoSuchLog -v WEBVS`)
		}},
		{"-install with a log folder off the shared disk", func(t *testing.T, w *World) {
			mustRun(t, w, "NODE1", `msdtc -install -d C:\WINNT\system32 -l C:\WINNT\System32\DTCLog -v WEBVS`)
		}},
		{"-join on the node that ran -install", func(t *testing.T, w *World) {
			mustRun(t, w, "NODE1", `msdtc -install -d C:\WINNT\system32 -l S:\MSDTCLog -v WEBVS`)
			mustRun(t, w, "NODE1", "msdtc -join")
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := prepare(t)
			c.run(t, w)
			if got := incidentRules(w); len(got) != 1 || got[0] != 5 {
				t.Fatalf("incidents %v, want one of rule 5", w.Incidents())
			}
			if canRunOn(w, "MSDTC", "NODE1") || canRunOn(w, "MSDTC", "NODE2") {
				t.Error("MSDTC can still run after the damage")
			}
		})
	}

	t.Run("-remove on the working node with the resource online", func(t *testing.T) {
		w, _ := newTestWorld(t, "msdtc-standalone")
		mustRun(t, w, "NODE1", "msdtc -remove")
		if got := incidentRules(w); len(got) != 1 || got[0] != 5 {
			t.Fatalf("incidents %v, want one of rule 5", w.Incidents())
		}
		if st, _ := dtcResourceState(w); st != resFailed {
			t.Errorf("the MSDTC resource is %s, want Failed", st)
		}
	})

	t.Run("a move with Affect the group on fails back", func(t *testing.T) {
		w, _ := newTestWorld(t, "msdtc-standalone")
		runOK(t, w, "NODE1", `cluster group "Web Group" /move:NODE2`)
		if _, owner := dtcResourceState(w); owner != "NODE1" {
			t.Errorf("the group is on %s, want it failed back to NODE1", owner)
		}
		inc := w.Incidents()
		if len(inc) != 1 || inc[0].Rule != 6 || !strings.Contains(inc[0].What, "MSDTC") || !strings.Contains(inc[0].Damage, "wrong node") {
			t.Errorf("incidents %+v, want one of rule 6 naming MSDTC", inc)
		}
	})
}

// dtcsetup.exe: refused while the resource is online and on the other node
// first; on the owner then the other node, MSDTC clustered at its version.
func TestDTCSetup(t *testing.T) {
	w, _ := newTestWorld(t, "msdtc-standalone")
	const dtcsetup = `C:\TEMP\DTC\dtcsetup.exe`
	if r := run(t, w, "NODE1", dtcsetup); r.code != 1 || !strings.Contains(r.err, "stop the Microsoft DTC cluster resource") {
		t.Errorf("dtcsetup with the resource online: %+v", r)
	}
	runOK(t, w, "NODE1", `cluster res "MSDTC" /offline`)
	if r := run(t, w, "NODE2", dtcsetup); r.code != 1 || !strings.Contains(r.err, "owns the Microsoft DTC cluster resource first") {
		t.Errorf("dtcsetup on the other node first: %+v", r)
	}
	runOK(t, w, "NODE1", dtcsetup)
	runOK(t, w, "NODE2", dtcsetup)
	w.lock()
	version := w.node("NODE2").dtc.version
	w.unlock()
	if dtcMode(w, "NODE2") != dtcClustered || version != "1998.11.10.0" {
		t.Errorf("NODE2 after dtcsetup: %s %s", dtcMode(w, "NODE2"), version)
	}
	runOK(t, w, "NODE1", `cluster res "MSDTC" /prop RestartAction=1`)
	runOK(t, w, "NODE1", `cluster res "MSDTC" /online`)
	runOK(t, w, "NODE1", `cluster group "Web Group" /move:NODE2`)
	if st, owner := dtcResourceState(w); st != resOnline || owner != "NODE2" {
		t.Errorf("MSDTC after dtcsetup, moved to NODE2: %s on %s", st, owner)
	}
}
