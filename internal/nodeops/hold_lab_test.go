package nodeops

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
)

// rpcDown is what cluster.exe and msdtc.exe answer when the cluster can't
// be reached.
const rpcDown = "System error 1722 has occurred.\r\n\r\nThe RPC server is unavailable.\r\n"

// cutAt is a progress that, when a step's words contain at, makes every
// cluster.exe and msdtc.exe command on both nodes fail from then on, the
// restore's too: what a run killed there leaves (its restore never runs).
func cutAt(t *testing.T, l *lab.Lab, at string) Progress {
	t.Helper()
	cut := false
	return func(step string) {
		if cut || !strings.Contains(step, at) {
			return
		}
		cut = true
		for _, node := range []string{"NODE1", "NODE2"} {
			for _, match := range []string{"cluster", "msdtc -"} {
				if err := l.Control().AddFault(world.Fault{Node: node, Kind: "exit", Match: match, ExitCode: 1722, Stderr: rpcDown}); err != nil {
					t.Error(err)
				}
			}
		}
	}
}

func recordExists(t *testing.T, ctx context.Context, n *Node, path string) bool {
	t.Helper()
	found, err := n.FileExists(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// A failover test killed while "Affect the group" is off leaves its record
// on the working node; the next run restores the values recorded before the
// test (2, and an administrator's 1 stays 1), not the 1s it finds, and
// deletes the record once read back. restore_affect_the_group = true sets 2
// everywhere, also after a kill.
func TestFailoverTest_KilledRunIsRestoredFromTheRecord(t *testing.T) {
	t.Parallel() // a lab of its own
	l := startScenario(t, "healthy")
	c := labCluster(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const record = `C:\WINNT\mscs-failover.hold`
	if err := c.Nodes[0].ResourceSetProp(ctx, "FTP Server", "RestartAction", "1"); err != nil {
		t.Fatal(err) // an administrator's choice before the recovery
	}
	before := restartActions(t, ctx, c.Nodes[0])
	if !reflect.DeepEqual(before, map[string]int{"MSDTC": 2, "Web Server": 2, "FTP Server": 1}) {
		t.Fatalf("scenario: %v", before)
	}
	spec := FailoverSpec{Node: "NODE2", MoveTimeout: 10 * time.Second}
	f, err := c.ReadFailoverFacts(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	steps := PlanFailover(f, spec, nil)
	if last := steps[len(steps)-1]; !strings.Contains(last, "FTP Server (1) had \"Affect the group\" off before, and keep it") {
		t.Errorf("the plan must name the administrator's 1: %q", last)
	}

	_, err = c.FailoverTest(ctx, spec, cutAt(t, l, "move group Web Group to NODE2"))
	var left *LeftError
	if !errors.As(err, &left) || !strings.Contains(err.Error(), record+" on NODE1, and the next apply restores them from it") ||
		!strings.Contains(err.Error(), "the record holds RestartAction FTP Server 1, MSDTC 2, Web Server 2; group Web Group on NODE1") {
		t.Fatalf("a killed test must say what it left: %v", err)
	}
	if err := l.Control().ClearFaults(); err != nil {
		t.Fatal(err)
	}
	for r, v := range restartActions(t, ctx, c.Nodes[0]) {
		if v != RestartNoFailover {
			t.Fatalf("the kill left %s at %d, want 1 (the state under test)", r, v)
		}
	}
	if !recordExists(t, ctx, c.Nodes[0], record) {
		t.Fatal("no record on the working node")
	}
	// The next plan reads the record, not the 1s.
	if f, err = c.ReadFailoverFacts(ctx, spec); err != nil || f.Held == nil || !reflect.DeepEqual(f.Held.Restart, before) {
		t.Fatalf("facts after the kill: %+v, %v", f.Held, err)
	}
	steps = PlanFailover(f, spec, nil)
	if last := steps[len(steps)-1]; !strings.Contains(last, "as an interrupted test recorded them in "+record+" on NODE1") || !strings.Contains(last, "FTP Server (1)") {
		t.Errorf("plan after the kill: %q", last)
	}
	if _, err := c.FailoverTest(ctx, spec, nil); err != nil {
		t.Fatal(err)
	}
	checkRestored(t, ctx, l, c.Nodes[0], before, record, map[string]string{"Web Group": "NODE1"})

	// restore_affect_the_group = true: 2 everywhere, also after a kill,
	// and the plan says which resource it turns on.
	spec.RestoreAffect = true
	if f, err = c.ReadFailoverFacts(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if steps := PlanFailover(f, spec, nil); !strings.Contains(steps[len(steps)-1], "FTP Server (1) had it off, which this turns on") {
		t.Errorf("plan with restore_affect_the_group: %q", steps[len(steps)-1])
	}
	if _, err := c.FailoverTest(ctx, spec, cutAt(t, l, "move group Web Group to NODE1")); err == nil {
		t.Fatal("the cut run succeeded")
	}
	if err := l.Control().ClearFaults(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FailoverTest(ctx, spec, nil); err != nil {
		t.Fatal(err)
	}
	checkRestored(t, ctx, l, c.Nodes[0], map[string]int{"MSDTC": 2, "Web Server": 2, "FTP Server": 2}, record, nil)
}

// MSDTC killed after its resource was deleted, or after msdtc -remove on
// one node: the cluster has no MSDTC resource, yet the next run's facts
// and plan come from the record on the working node, and the run completes
// the reinstall as planned: MSDTC online and clustered on both nodes,
// RestartAction and the owner as before, the record gone, no incident.
func TestReclusterMSDTC_ResumesAfterAKill(t *testing.T) {
	t.Parallel() // its own lab or fakes; it mostly waits (polls, emulated reboots and moves)
	for _, tc := range []struct {
		name, at, resumeAfter string
		resource              bool     // the kill left an MSDTC resource (-install made it)
		want                  []string // the resumed run's changes
		planned               []string // steps its plan lists
	}{
		{"after the resource delete", "msdtc -remove on NODE1", "delete", false, []string{"NODE1: msdtc -remove", "NODE2: msdtc -remove",
			"NODE1: msdtc -install", "NODE2: msdtc -join", "NODE1: cluster /online", "NODE2: cluster /move:node2", "NODE1: cluster /move:node1"},
			[]string{"NODE1: msdtc -remove", "NODE2: msdtc -remove", "NODE1: msdtc -install"}},
		{"after msdtc -remove on the working node", "msdtc -remove on NODE2", "remove-working", false, []string{"NODE2: msdtc -remove",
			"NODE1: msdtc -install", "NODE2: msdtc -join", "NODE1: cluster /online", "NODE2: cluster /move:node2", "NODE1: cluster /move:node1"},
			[]string{"NODE2: msdtc -remove", "NODE1: msdtc -install"}},
		{"after msdtc -install", "msdtc -join on NODE2", "install", true, []string{"NODE2: msdtc -join",
			"NODE1: cluster /online", "NODE2: cluster /move:node2", "NODE1: cluster /move:node1"},
			[]string{"NODE2: msdtc -join", "NODE1: set RestartAction 1 on MSDTC and bring it online"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := startScenario(t, "msdtc-standalone")
			c := labCluster(t, l)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			const record = `C:\WINNT\mscs-msdtc.hold`
			if err := c.Nodes[0].ResourceSetProp(ctx, "FTP Server", "RestartAction", "1"); err != nil {
				t.Fatal(err)
			}
			before := restartActions(t, ctx, c.Nodes[0])
			_, err := c.ReclusterMSDTC(ctx, dtcSpec(), cutAt(t, l, tc.at))
			if err == nil || !strings.Contains(err.Error(), record+" on NODE1, and the next apply restores them from it") {
				t.Fatalf("a killed run must say what it left: %v", err)
			}
			if err := l.Control().ClearFaults(); err != nil {
				t.Fatal(err)
			}
			if ra := restartActions(t, ctx, c.Nodes[0]); (ra["MSDTC"] != 0) != tc.resource || ra["Web Server"] != 1 || ra["FTP Server"] != 1 {
				t.Fatalf("the kill left %v, want the instances at 1 (an MSDTC resource: %v)", ra, tc.resource)
			}
			// The plan reads the record and the journal: the group, and the
			// steps the resumed run runs.
			spec := dtcSpec()
			f, err := c.ReadMSDTCFacts(ctx, spec)
			if err != nil || f.Group != "Web Group" || (f.Resource != "") != tc.resource || f.Held == nil || f.ResumeAfter != tc.resumeAfter {
				t.Fatalf("facts after the kill: group %q resource %q held %+v resume after %q: %v", f.Group, f.Resource, f.Held, f.ResumeAfter, err)
			}
			plan := strings.Join(PlanMSDTC(f, spec), "\n")
			absent := []string{"the KB's test", "delete it", "if MSDTC did not come online"}
			if tc.resource {
				absent = append(absent, "msdtc -remove", "msdtc -install")
			}
			for _, s := range absent {
				if strings.Contains(plan, s) {
					t.Errorf("the resumed plan lists %q:\n%s", s, plan)
				}
			}
			for _, s := range append(tc.planned, "NODE1: restore RestartAction on FTP Server, MSDTC, Web Server to the values an earlier run recorded in "+record,
				"FTP Server stays 1, as found before the recovery") {
				if !strings.Contains(plan, s) {
					t.Errorf("the resumed plan lacks %q:\n%s", s, plan)
				}
			}
			mark := len(l.World().Commands(""))
			res, err := c.ReclusterMSDTC(ctx, spec, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := msdtcSteps(l.World().Commands("")[mark:]); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("resumed run:\n got %v\nwant %v", got, tc.want)
			}
			if res.Resource != "MSDTC" {
				t.Errorf("result %+v", res)
			}
			if after := restartActions(t, ctx, c.Nodes[0]); !reflect.DeepEqual(after, before) {
				t.Errorf("RestartAction after: %v, before: %v", after, before)
			}
			for _, n := range c.Nodes {
				if st, err := n.MSDTCState(ctx); err != nil || st.Mode != DTCClustered {
					t.Errorf("%s: %+v %v", n.R.Node(), st, err)
				}
			}
			rs, err := c.Nodes[0].ClusterResources(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				if r.Name == "MSDTC" && (r.State != "Online" || r.OwnerNode != "NODE1") {
					t.Errorf("MSDTC is %s on %s", r.State, r.OwnerNode)
				}
			}
			if recordExists(t, ctx, c.Nodes[0], record) {
				t.Error("the record is left behind")
			}
			if inc := l.World().Incidents(); len(inc) != 0 {
				t.Errorf("incidents: %+v", inc)
			}
		})
	}
}

// A cluster that can't be read is an error, never "no MSDTC resource" nor
// "not online": at the facts (the plan), and during the KB's test, where
// reading "not online" would lead to the reinstall.
func TestReclusterMSDTC_UnreadableClusterIsAnError(t *testing.T) {
	t.Parallel() // a lab of its own
	l := startScenario(t, "corrupted-iis")
	c := labCluster(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	before := restartActions(t, ctx, c.Nodes[0])
	for _, node := range []string{"NODE1", "NODE2"} {
		if err := l.Control().AddFault(world.Fault{Node: node, Kind: "exit", Match: "cluster res /status", ExitCode: 1722, Stderr: rpcDown}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.ReadMSDTCFacts(ctx, dtcSpec())
	var se *SpecError
	if err == nil || errors.As(err, &se) || !strings.Contains(err.Error(), "cluster res /status") {
		t.Errorf("facts of an unreadable cluster: %v", err)
	}
	if err := l.Control().ClearFaults(); err != nil {
		t.Fatal(err)
	}

	// During the test's wait: the listing fails from its second run on
	// (the first names the resource).
	spec := dtcSpec()
	spec.TestTimeout = time.Second
	cut := func(step string) {
		if strings.Contains(step, "see whether MSDTC comes online") {
			if err := l.Control().AddFault(world.Fault{Node: "NODE1", Kind: "exit", Match: "cluster res /status", Nth: 2, ExitCode: 1722, Stderr: rpcDown}); err != nil {
				t.Error(err)
			}
		}
	}
	_, err = c.ReclusterMSDTC(ctx, spec, cut)
	if err == nil || !strings.Contains(err.Error(), "whether MSDTC came online on NODE2 is not known") {
		t.Fatalf("a wait that cannot read the cluster: %v", err)
	}
	if err := l.Control().ClearFaults(); err != nil {
		t.Fatal(err)
	}
	for _, s := range msdtcSteps(l.World().Commands("")) {
		if strings.Contains(s, "msdtc") || strings.Contains(s, "/delete") {
			t.Errorf("an unreadable wait led to %s", s)
		}
	}
	if after := restartActions(t, ctx, c.Nodes[0]); !reflect.DeepEqual(after, before) {
		t.Errorf("RestartAction after: %v, before: %v", after, before)
	}
	if g, err := c.Nodes[0].groupOf(ctx, "Web Group"); err != nil || g.OwnerNode != "NODE1" {
		t.Errorf("Web Group after: %+v, %v", g, err)
	}
	if recordExists(t, ctx, c.Nodes[0], `C:\WINNT\mscs-msdtc.hold`) {
		t.Error("the record is left behind after a verified restore")
	}
	if inc := l.World().Incidents(); len(inc) != 0 {
		t.Errorf("incidents: %+v", inc)
	}
}

// The record is written with echo and read back with type on a node: names
// with cmd.exe's operators in them come back as they were.
func TestHolder_KeepsTrickyNamesOnANode(t *testing.T) {
	l := startScenario(t, "healthy")
	c := labCluster(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h, err := newHolder(ctx, "failover", "the failover test", c.Nodes[0], c.Nodes[0])
	if err != nil {
		t.Fatal(err)
	}
	found := Hold{Phase: "failover", Groups: []HeldGroup{{Name: `R&D <Web> | "Sales" ^ 100%`, Owner: "NODE1", Online: true}},
		Restart: map[string]int{`R&D Server`: 1, `~Odd~`: 2}}
	if err := h.keep(ctx, found); err != nil {
		t.Fatal(err)
	}
	again, err := newHolder(ctx, "failover", "the failover test", c.Nodes[0], c.Nodes[0])
	if err != nil {
		t.Fatal(err)
	}
	rec, err := again.read(ctx)
	if err != nil || rec == nil || !reflect.DeepEqual(*rec, found) {
		t.Fatalf("read back %+v, %v; want %+v", rec, err, found)
	}
}
