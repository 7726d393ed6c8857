package nodeops

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
)

func labCluster(t *testing.T, l *lab.Lab) *Cluster {
	t.Helper()
	return &Cluster{Nodes: []*Node{fastNode(t, l, "NODE1"), fastNode(t, l, "NODE2")}, Poll: 20 * time.Millisecond}
}

func dtcSpec() MSDTCSpec {
	return MSDTCSpec{Node: "NODE2", WorkingNode: "NODE1", Method: DTCMethodManual, Reinstall: ReinstallWhenNeeded,
		TestTimeout: 5 * time.Second, DTCSetupPaths: map[string]string{"NODE1": `C:\TEMP\DTC\dtcsetup.exe`, "NODE2": `C:\TEMP\DTC\dtcsetup.exe`}}
}

// msdtcSteps reduces a command log to the MSDTC phase's changes.
func msdtcSteps(cmds []world.CommandRecord) []string {
	var steps []string
	for _, c := range cmds {
		prog, args := strings.ToLower(c.Program), strings.ToLower(c.Args)
		switch {
		case prog == "msdtc":
			steps = append(steps, c.Node+": msdtc "+strings.Fields(args)[0])
		case strings.HasSuffix(prog, "dtcsetup.exe"):
			steps = append(steps, c.Node+": dtcsetup")
		case prog == "cluster" && (strings.Contains(args, "/move") || strings.Contains(args, "/delete") || strings.Contains(args, "/online")):
			f := strings.Fields(args)
			steps = append(steps, c.Node+": cluster "+f[len(f)-1])
		}
	}
	return steps
}

func restartActions(t *testing.T, ctx context.Context, n *Node) map[string]int {
	t.Helper()
	rs, err := n.ClusterResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range rs {
		if r.Type == dtcResourceType || r.Type == iisResourceType {
			got[r.Name] = r.RestartAction
		}
	}
	return got
}

// checkRestored checks what a restore under safety rule 6 leaves: every
// RestartAction as want, the record (when named) gone, each group of
// online Online on its node, and no incident.
func checkRestored(t *testing.T, ctx context.Context, l *lab.Lab, n *Node, want map[string]int, record string, online map[string]string) {
	t.Helper()
	for group, node := range online {
		if g, err := n.groupOf(ctx, group); err != nil || g.OwnerNode != node || g.State != "Online" {
			t.Errorf("%s after: %+v, %v; want Online on %s", group, g, err, node)
		}
	}
	if after := restartActions(t, ctx, n); !reflect.DeepEqual(after, want) {
		t.Errorf("RestartAction after: %v, want %v", after, want)
	}
	if record != "" && recordExists(t, ctx, n, record) {
		t.Errorf("the record %s is left behind", record)
	}
	if inc := l.World().Incidents(); len(inc) != 0 {
		t.Errorf("incidents: %+v", inc)
	}
}

// A standalone MSDTC on NODE2: the test fails, the manual method reinstalls
// MSDTC on both nodes in the KB's order, and every RestartAction ends as it
// was (one of them 0 before), the group back on NODE1.
func TestReclusterMSDTC_Manual(t *testing.T) {
	l := startScenario(t, "msdtc-standalone")
	c := labCluster(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Nodes[0].ResourceSetProp(ctx, "FTP Server", "RestartAction", "0"); err != nil {
		t.Fatal(err)
	}
	before := restartActions(t, ctx, c.Nodes[0])
	res, err := c.ReclusterMSDTC(ctx, dtcSpec(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Reinstalled || res.Resource != "MSDTC" || !reflect.DeepEqual(res.OnlineOn, []string{"NODE1", "NODE2"}) {
		t.Errorf("result %+v", res)
	}
	want := []string{"NODE2: cluster /move:node2", "NODE1: cluster /move:node1", "NODE1: cluster /delete",
		"NODE1: msdtc -remove", "NODE2: msdtc -remove", "NODE1: msdtc -install", "NODE2: msdtc -join", "NODE1: cluster /online",
		"NODE2: cluster /move:node2", "NODE1: cluster /move:node1"}
	got := msdtcSteps(l.World().Commands(""))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("steps:\n got %v\nwant %v", got, want)
	}
	order := strings.Join(got, ", ")
	for _, pair := range [][2]string{{"/delete", "NODE1: msdtc -remove"}, {"NODE1: msdtc -remove", "NODE2: msdtc -remove"},
		{"NODE2: msdtc -remove", "NODE1: msdtc -install"}, {"NODE1: msdtc -install", "NODE2: msdtc -join"}} {
		if i, j := strings.Index(order, pair[0]), strings.Index(order, pair[1]); i < 0 || j < 0 || i > j {
			t.Errorf("%q must come before %q: %s", pair[0], pair[1], order)
		}
	}
	if after := restartActions(t, ctx, c.Nodes[0]); !reflect.DeepEqual(after, before) {
		t.Errorf("RestartAction after: %v, before: %v", after, before)
	}
	for _, n := range c.Nodes {
		if st, err := n.MSDTCState(ctx); err != nil || st.Mode != DTCClustered || st.LogPath != `S:\MSDTCLog` {
			t.Errorf("%s: %+v %v", n.R.Node(), st, err)
		}
	}
	if g, _ := c.Nodes[0].groupOf(ctx, "Web Group"); g.OwnerNode != "NODE1" {
		t.Errorf("Web Group ends on %s", g.OwnerNode)
	}
	if inc := l.World().Incidents(); len(inc) != 0 {
		t.Errorf("incidents: %+v", inc)
	}
	// Again: the test passes, nothing is reinstalled.
	mark := len(l.World().Commands(""))
	res, err = c.ReclusterMSDTC(ctx, dtcSpec(), nil)
	if err != nil || res.Reinstalled {
		t.Fatalf("second run: %+v, %v", res, err)
	}
	for _, s := range msdtcSteps(l.World().Commands("")[mark:]) {
		if strings.Contains(s, "msdtc") {
			t.Errorf("second run ran %s", s)
		}
	}
}

// corrupted-iis keeps MSDTC clustered: the test passes, only moves.
func TestReclusterMSDTC_TestPasses(t *testing.T) {
	l := startScenario(t, "corrupted-iis")
	c := labCluster(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := c.ReclusterMSDTC(ctx, dtcSpec(), nil)
	if err != nil || res.Reinstalled || !reflect.DeepEqual(res.OnlineOn, []string{"NODE2"}) {
		t.Fatalf("%+v, %v", res, err)
	}
	if got := msdtcSteps(l.World().Commands("")); !reflect.DeepEqual(got, []string{"NODE2: cluster /move:node2", "NODE1: cluster /move:node1"}) {
		t.Errorf("steps %v", got)
	}
	if inc := l.World().Incidents(); len(inc) != 0 {
		t.Errorf("incidents: %+v", inc)
	}
}

// The dtcsetup method; and a failure halfway (msdtc -join exits -1 in the
// manual method) restores RestartAction at once, and the next run completes.
func TestReclusterMSDTC_DTCSetupAndResume(t *testing.T) {
	t.Parallel() // a lab of its own
	l := startScenario(t, "msdtc-standalone")
	c := labCluster(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	spec := dtcSpec()
	spec.Method = DTCMethodDTCSetup
	if res, err := c.ReclusterMSDTC(ctx, spec, nil); err != nil || !res.Reinstalled {
		t.Fatalf("dtcsetup: %+v, %v", res, err)
	}
	got := strings.Join(msdtcSteps(l.World().Commands("")), ", ")
	if !strings.Contains(got, "NODE1: dtcsetup, NODE2: dtcsetup") {
		t.Errorf("dtcsetup order: %s", got)
	}

	l2 := startScenario(t, "msdtc-standalone")
	c2 := labCluster(t, l2)
	before := restartActions(t, ctx, c2.Nodes[0])
	if err := l2.Control().AddFault(world.Fault{Node: "NODE2", Kind: "exit", Match: "msdtc -join", ExitCode: -1, Count: 1,
		Stderr: "MSDTC: the cluster could not be reached.\r\n"}); err != nil {
		t.Fatal(err)
	}
	_, err := c2.ReclusterMSDTC(ctx, dtcSpec(), nil)
	if err == nil || !strings.Contains(err.Error(), "msdtc -join") || !strings.Contains(err.Error(), "0xffffffff") {
		t.Fatalf("got %v, want the -join failure", err)
	}
	if after := restartActions(t, ctx, c2.Nodes[0]); !reflect.DeepEqual(after, before) {
		t.Errorf("RestartAction after the failure: %v, before: %v", after, before)
	}
	res, err := c2.ReclusterMSDTC(ctx, dtcSpec(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := c2.Nodes[1].MSDTCState(ctx); st.Mode != DTCClustered {
		t.Errorf("NODE2 after the resumed run: %+v (%+v)", st, res)
	}
	// The resumed run starts at -join, after the test: it reinstalled.
	if !res.Reinstalled {
		t.Errorf("the resumed run reports no reinstall: %+v", res)
	}
	if got := msdtcSteps(l2.World().Commands("")); !strings.Contains(strings.Join(got, ", "), "NODE2: msdtc -join, NODE2: msdtc -join") {
		t.Errorf("the resumed run did not run -join again after the failed one: %v", got)
	}
	checkRestored(t, ctx, l2, c2.Nodes[0], before, "", nil)
}

// A run killed with "Affect the group" off leaves its record on the working
// node: the next run takes the former values from it, not the 1s it finds,
// and restores them.
func TestReclusterMSDTC_RestoresAKilledRunsValues(t *testing.T) {
	l := startScenario(t, "corrupted-iis")
	c := labCluster(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	before := restartActions(t, ctx, c.Nodes[0])
	// What a killed run leaves: its record, and RestartAction 1 everywhere.
	rec := Hold{Phase: "msdtc", Groups: []HeldGroup{{Name: "Web Group", Owner: "NODE1", Online: true}}, Restart: map[string]int{},
		DTC: &HeldDTC{Group: "Web Group", Resource: "MSDTC"}}
	for name, v := range before {
		rec.Restart[name] = v
		if err := c.Nodes[0].ResourceSetProp(ctx, name, "RestartAction", "1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Nodes[0].writeFile(ctx, "a killed run's record", `C:\WINNT`, `C:\WINNT\mscs-msdtc.hold`, rec.lines()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReclusterMSDTC(ctx, dtcSpec(), nil); err != nil {
		t.Fatal(err)
	}
	if after := restartActions(t, ctx, c.Nodes[0]); !reflect.DeepEqual(after, before) {
		t.Errorf("RestartAction after: %v, want the recorded %v", after, before)
	}
	if found, err := c.Nodes[0].FileExists(ctx, `C:\WINNT\mscs-msdtc.hold`); err != nil || found {
		t.Errorf("the record is left behind: %v %v", found, err)
	}
}

// The run follows the plan's decision (spec.Planned): MSDTC clustered on
// both nodes passes the KB's test, so a plan conditional on it reinstalls
// nothing, while a plan that showed the reinstall unconditional gets it
// even though the test passes. Either way the result lists the steps of
// the facts the run acted on.
func TestReclusterMSDTC_FollowsThePlan(t *testing.T) {
	for _, tc := range []struct {
		name      string
		planned   func(f MSDTCFacts) []string
		reinstall bool
	}{
		{"plan conditional on the test", func(f MSDTCFacts) []string { return PlanMSDTC(f, dtcSpec()) }, false},
		{"plan with the reinstall unconditional", func(f MSDTCFacts) []string {
			always := dtcSpec()
			always.Reinstall = ReinstallAlways
			return PlanMSDTC(f, always)
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := startScenario(t, "corrupted-iis")
			c := labCluster(t, l)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			spec := dtcSpec()
			f, err := c.ReadMSDTCFacts(ctx, spec)
			if err != nil {
				t.Fatal(err)
			}
			spec.Planned = tc.planned(f)
			res, err := c.ReclusterMSDTC(ctx, spec, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Reinstalled != tc.reinstall {
				t.Errorf("reinstalled %v, want %v", res.Reinstalled, tc.reinstall)
			}
			ranMSDTC := slices.ContainsFunc(msdtcSteps(l.World().Commands("")), func(s string) bool { return strings.Contains(s, "msdtc -") })
			if ranMSDTC != tc.reinstall {
				t.Errorf("msdtc ran %v, want %v: %v", ranMSDTC, tc.reinstall, msdtcSteps(l.World().Commands("")))
			}
			if !reflect.DeepEqual(res.Steps, PlanMSDTC(f, dtcSpec())) {
				t.Errorf("result's steps\n%q\nwant\n%q", res.Steps, PlanMSDTC(f, dtcSpec()))
			}
			if inc := l.World().Incidents(); len(inc) != 0 {
				t.Errorf("incidents: %+v", inc)
			}
		})
	}
}
