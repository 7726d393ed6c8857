package world

import (
	"strings"
	"testing"
)

// resourceStates is each resource's "node=state" in the model (the nt4
// layout's listing prints Failed as Offline); via must be able to list it.
func resourceStates(t *testing.T, w *World, via string) map[string]string {
	t.Helper()
	if r := run(t, w, via, "cluster res"); r.code != 0 {
		t.Fatalf("cluster res: %+v", r)
	}
	w.lock()
	defer w.unlock()
	states := map[string]string{}
	for _, g := range w.cluster.groups {
		for _, r := range g.resources {
			states[r.name] = g.owner.name + "=" + r.state
		}
	}
	return states
}

func groupLine(t *testing.T, w *World, via, group string) string {
	t.Helper()
	r := run(t, w, via, `cluster group "`+group+`"`)
	if r.code != 0 {
		t.Fatalf("cluster group: %+v", r)
	}
	lines := strings.Split(strings.TrimSuffix(r.out, "\r\n"), "\r\n")
	return lines[len(lines)-1]
}

func TestStoppingClusterServiceFailsGroupsOverAndStartingRejoins(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	expect(t, run(t, w, "NODE1", "net stop ClusSvc"), "The Cluster Server service is stopping.\r\nThe Cluster Server service was stopped successfully.\r\n\r\n", 0)
	expect(t, run(t, w, "NODE2", "cluster node"), "Listing status for all available nodes:\r\n\r\n"+
		"Node           Node ID Status\r\n"+
		"-------------- ------- ---------------------\r\n"+
		"NODE1                1 Down\r\n"+
		"NODE2                2 Up\r\n", 0)
	expect(t, run(t, w, "NODE2", "cluster group"), groupsHeader+
		"Cluster Group        NODE2           Online\r\n"+
		"Web Group            NODE2           Online\r\n", 0)
	// The shared disk moved with its group.
	expect(t, run(t, w, "NODE2", `type S:\InetPub\wwwroot\default.htm`), "<html><body>WEBVS</body></html>\r\n", 0)
	if r := run(t, w, "NODE1", `type S:\InetPub\wwwroot\default.htm`); r.code == 0 {
		t.Errorf("S: still readable on NODE1: %+v", r)
	}
	expect(t, run(t, w, "NODE1", "net start ClusSvc"), "The Cluster Server service is starting.\r\nThe Cluster Server service was started successfully.\r\n\r\n", 0)
	if got := groupLine(t, w, "NODE1", "Web Group"); got != "Web Group            NODE2           Online" {
		t.Errorf("after rejoin: %q", got)
	}
	r := run(t, w, "NODE1", "cluster node NODE1")
	if !strings.HasSuffix(r.out, "NODE1                1 Up\r\n") {
		t.Errorf("NODE1 did not rejoin:\n%s", r.out)
	}
}

func TestClusterServiceStartPendingIsJoining(t *testing.T) {
	w, clock := newTestWorld(t, "healthy")
	run(t, w, "NODE2", "net stop ClusSvc")
	run(t, w, "NODE2", "sc start ClusSvc")
	if r := run(t, w, "NODE1", "cluster node NODE2"); !strings.HasSuffix(r.out, "NODE2                2 Joining\r\n") {
		t.Errorf("while START_PENDING:\n%s", r.out)
	}
	clock.Advance(emulated(2))
	if r := run(t, w, "NODE1", "cluster node NODE2"); !strings.HasSuffix(r.out, "NODE2                2 Up\r\n") {
		t.Errorf("after start:\n%s", r.out)
	}
}

func TestLastNodeLeavingTakesGroupsOfflineAndFirstBackTakesThemAll(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	run(t, w, "NODE2", "net stop ClusSvc")
	run(t, w, "NODE1", "net stop ClusSvc")
	if r := run(t, w, "NODE1", "cluster CLUSTER1 group"); r.code != 1722 {
		t.Errorf("cluster with no node up: %+v", r)
	}
	if r := run(t, w, "NODE1", `type S:\InetPub\wwwroot\default.htm`); r.code == 0 {
		t.Error("S: mounted with the cluster down")
	}
	run(t, w, "NODE2", "net start ClusSvc")
	expect(t, run(t, w, "NODE2", "cluster group"), groupsHeader+
		"Cluster Group        NODE2           Online\r\n"+
		"Web Group            NODE2           Online\r\n", 0)
}

func TestMoveToNodeWithoutIISFailsBackWithRestartAction2(t *testing.T) {
	w, _ := newTestWorld(t, "rebuilt-node")
	// The move itself succeeds; the IIS resources and MSDTC fail on NODE2 and,
	// with "Affect the group" on, fail the group back to NODE1.
	expect(t, run(t, w, "NODE1", `cluster group "Web Group" /move:NODE2`), "Moving resource group 'Web Group'...\r\n\r\n"+
		"Group                Node            Status\r\n"+
		"-------------------- --------------- ------\r\n"+
		"Web Group            NODE1           Online\r\n", 0)
}

func TestMoveWithRestartAction1StaysAndFails(t *testing.T) {
	w, _ := newTestWorld(t, "rebuilt-node")
	for _, r := range []string{"Web Server", "FTP Server", "MSDTC"} {
		expect(t, run(t, w, "NODE1", `cluster res "`+r+`" /prop RestartAction=1`), "", 0)
	}
	expect(t, run(t, w, "NODE1", `cluster group "Web Group" /move:NODE2`), "Moving resource group 'Web Group'...\r\n\r\n"+
		"Group                Node            Status\r\n"+
		"-------------------- --------------- ------\r\n"+
		"Web Group            NODE2           Partially Online\r\n", 0)
	states := resourceStates(t, w, "NODE1")
	for name, want := range map[string]string{
		"Web IP Address": "NODE2=Online", "WEBVS": "NODE2=Online", "Disk S:": "NODE2=Online",
		"Web Server": "NODE2=Failed", "FTP Server": "NODE2=Failed", "MSDTC": "NODE2=Failed",
		"Cluster Name": "NODE1=Online",
	} {
		if states[name] != want {
			t.Errorf("%s = %s, want %s", name, states[name], want)
		}
	}
	// Bringing MSDTC online there fails again, and says so.
	r := run(t, w, "NODE1", `cluster res "MSDTC" /online`)
	if r.code != 5038 || !strings.HasSuffix(r.out, "MSDTC                Web Group            NODE2           Offline\r\n") ||
		r.err != "System error 5038 has occurred (0x000013ae).\r\nA clustered resource failed.\r\n" {
		t.Errorf("online MSDTC on NODE2: %+v", r)
	}
	// Moving back brings everything online.
	if r := run(t, w, "NODE1", `cluster group "Web Group" /move:NODE1`); !strings.HasSuffix(r.out, "Web Group            NODE1           Online\r\n") {
		t.Errorf("move back:\n%s", r.out)
	}
}

func TestCorruptIISFailsOverBack(t *testing.T) {
	w, _ := newTestWorld(t, "corrupted-iis")
	if r := run(t, w, "NODE1", `cluster group "Web Group" /move:NODE2`); !strings.HasSuffix(r.out, "Web Group            NODE1           Online\r\n") {
		t.Errorf("move to corrupt NODE2:\n%s", r.out)
	}
	// MSDTC alone (clustered on both) can run on NODE2.
	run(t, w, "NODE1", `cluster res "Web Server" /prop RestartAction=0`)
	run(t, w, "NODE1", `cluster res "FTP Server" /prop RestartAction=0`)
	run(t, w, "NODE1", `cluster group "Web Group" /move:NODE2`)
	states := resourceStates(t, w, "NODE1")
	if states["MSDTC"] != "NODE2=Online" || states["Web Server"] != "NODE2=Failed" {
		t.Errorf("states: %v", states)
	}
}

func TestRestartActionOnResourceFailure(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	// 2: restarts in place when it can run there.
	expect(t, run(t, w, "NODE1", `cluster res "MSDTC" /fail`), "Failing resource 'MSDTC'...\r\n\r\n"+
		"Resource             Group                Node            Status\r\n"+
		"-------------------- -------------------- --------------- ------\r\n"+
		"MSDTC                Web Group            NODE1           Online\r\n", 0)
	// 0: stays failed, the group partially online.
	run(t, w, "NODE1", `cluster res "MSDTC" /prop RestartAction=0`)
	if r := run(t, w, "NODE1", `cluster res "MSDTC" /fail`); !strings.HasSuffix(r.out, "NODE1           Offline\r\n") || resourceStates(t, w, "NODE1")["MSDTC"] != "NODE1=Failed" {
		t.Errorf("RestartAction 0:\n%s", r.out)
	}
	if got := groupLine(t, w, "NODE1", "Web Group"); got != "Web Group            NODE1           Partially Online" {
		t.Errorf("group: %q", got)
	}
	// Bringing the group online retries it.
	if r := run(t, w, "NODE1", `cluster group "Web Group" /online`); r.code != 0 || !strings.HasSuffix(r.out, "NODE1           Online\r\n") {
		t.Errorf("group online: %+v", r)
	}
}

func TestStoppedServiceFailsResourceWhichRestartsOrFailsOver(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	// The resource restarts its service in place.
	run(t, w, "NODE1", "net stop W3SVC")
	if r := run(t, w, "NODE1", "sc query W3SVC"); !strings.Contains(r.out, "4  RUNNING") {
		t.Errorf("W3SVC not restarted by its resource:\n%s", r.out)
	}
	// A disabled service can't be restarted: the group fails over.
	run(t, w, "NODE1", "sc config W3SVC start= disabled")
	run(t, w, "NODE1", "net stop W3SVC")
	if got := groupLine(t, w, "NODE1", "Web Group"); got != "Web Group            NODE2           Online" {
		t.Errorf("after W3SVC disabled and stopped on NODE1: %q", got)
	}
	if got := groupLine(t, w, "NODE1", "Cluster Group"); got != "Cluster Group        NODE1           Online" {
		t.Errorf("Cluster Group moved too: %q", got)
	}
}

func TestNodeDownWithUnrunnableResourceLeavesGroupPartiallyOnline(t *testing.T) {
	w, _ := newTestWorld(t, "rebuilt-node")
	run(t, w, "NODE1", "net stop ClusSvc")
	if got := groupLine(t, w, "NODE2", "Web Group"); got != "Web Group            NODE2           Partially Online" {
		t.Errorf("Web Group on NODE2 without IIS: %q", got)
	}
	if got := groupLine(t, w, "NODE2", "Cluster Group"); got != "Cluster Group        NODE2           Online" {
		t.Errorf("Cluster Group: %q", got)
	}
}

func TestMoveErrors(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	run(t, w, "NODE2", "net stop ClusSvc")
	if r := run(t, w, "NODE1", `cluster group "Web Group" /move:NODE2`); r.code != 5050 || r.err != "System error 5050 has occurred (0x000013ba).\r\nThe cluster node is down.\r\n" {
		t.Errorf("move to a down node: %+v", r)
	}
	if r := run(t, w, "NODE1", `cluster group "Web Group" /move`); r.code != 5005 {
		t.Errorf("move with no other node: %+v", r)
	}
}

// NT 4.0's cluster.exe prints a failed resource as Offline (issue 25); the
// 2003 layout prints Failed.
func TestFailedResourceRowByLayout(t *testing.T) {
	for layout, want := range map[string]string{LayoutNT4: "Offline", Layout2003: "Failed"} {
		sc, err := LoadScenario("healthy")
		if err != nil {
			t.Fatal(err)
		}
		w, err := New(sc, Options{TimeScale: testScale, ToolLayout: layout})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Close)
		run(t, w, "NODE1", `cluster res "MSDTC" /prop RestartAction=0`)
		run(t, w, "NODE1", `cluster res "MSDTC" /fail`)
		r := run(t, w, "NODE1", `cluster res "MSDTC"`)
		if !strings.Contains(r.out, "MSDTC                Web Group            NODE1           "+want+"\r\n") {
			t.Errorf("%s: %q, want the row %s", layout, r.out, want)
		}
		if got := resourceStates(t, w, "NODE1")["MSDTC"]; got != "NODE1=Failed" {
			t.Errorf("%s: the model's MSDTC is %s", layout, got)
		}
	}
}
