package provider

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
	"github.com/mscs-ops/terraform-provider-mscs/internal/labtest"
)

const msdtcAddr = "mscs_msdtc_clustered.test"

// msdtcStep is a step of testdata/msdtc with the lab's variables and vars.
func (l *testLab) msdtcStep(vars map[string]string) resource.TestStep {
	v := l.variables()
	for k, val := range vars {
		v[k] = config.StringVariable(val)
	}
	return resource.TestStep{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		ConfigDirectory:          config.StaticDirectory("testdata/msdtc"),
		ConfigVariables:          v,
	}
}

// restartActions is each IIS Server Instance's and MSDTC's RestartAction in
// the lab's world.
func (l *testLab) restartActions() (map[string]string, error) {
	s, err := l.Snapshot()
	if err != nil {
		return nil, err
	}
	got := map[string]string{}
	for _, r := range s.Cluster.Resources {
		if r.Type == "IIS Server Instance" || r.Type == "Distributed Transaction Coordinator" {
			got[r.Name] = r.Properties["RestartAction"]
		}
	}
	return got, nil
}

// expectRestartActions checks the RestartAction values against *want.
func (l *testLab) expectRestartActions(want *map[string]string) statecheck.StateCheck {
	return l.Check("RestartAction restored", func() error {
		got, err := l.restartActions()
		if err == nil && !reflect.DeepEqual(got, *want) {
			err = fmt.Errorf("RestartAction %v, want %v as before", got, *want)
		}
		return err
	})
}

// expectMSDTC checks the lab: MSDTC clustered on both nodes, its resource
// online on NODE1, which owns the Web Group as before.
func (l *testLab) expectMSDTC() statecheck.StateCheck {
	return l.Check("MSDTC clustered, online on NODE1", func() error {
		s, err := l.Snapshot()
		if err != nil {
			return err
		}
		for _, n := range []string{"NODE1", "NODE2"} {
			if m := s.Node(n).MSDTC; m != "clustered" {
				return fmt.Errorf("%s's MSDTC is %s", n, m)
			}
		}
		if g := s.Cluster.Group("Web Group"); g.Owner != "NODE1" {
			return fmt.Errorf("Web Group is on %s", g.Owner)
		}
		for _, r := range s.Cluster.Resources {
			if r.Type == "Distributed Transaction Coordinator" && r.State != "Online" {
				return fmt.Errorf("%s is %s", r.Name, r.State)
			}
		}
		return nil
	})
}

// msdtcOrder checks the KB's order in the command log since *from: the
// MSDTC resource deleted before either -remove, -remove on NODE1 then NODE2,
// -install on NODE1 (the owner) before -join on NODE2.
func (l *testLab) msdtcOrder(from *int, want ...string) statecheck.StateCheck {
	return l.Check("the KB's MSDTC order", func() error {
		cmds, err := l.CommandsSince(*from)
		if err != nil {
			return err
		}
		got := labtest.MSDTCSteps(cmds)
		if !reflect.DeepEqual(got, want) && (len(got) > 0 || len(want) > 0) {
			return fmt.Errorf("MSDTC steps %v\nwant %v", got, want)
		}
		return nil
	})
}

var manualOrder = []string{"NODE1: delete MSDTC", "NODE1: msdtc -remove", "NODE2: msdtc -remove", "NODE1: msdtc -install", "NODE2: msdtc -join"}

// A standalone MSDTC on NODE2 (the full-rebuild case): the test fails, the
// manual method reinstalls it on both nodes in the KB's order, MSDTC comes
// online on both, every RestartAction is as before (one of them 0), the group
// back on NODE1; the next plan is empty, and an import plans nothing.
func TestAccMSDTCClustered_standaloneNode(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "msdtc-standalone")
	l.Run(t, "NODE1", `cluster res "FTP Server" /prop RestartAction=0`)
	var from int
	var before map[string]string
	step := l.msdtcStep(nil)
	step.PreConfig = func() {
		from = l.CommandCount(t)
		var err error
		if before, err = l.restartActions(); err != nil {
			t.Fatal(err)
		}
	}
	step.ConfigPlanChecks = resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}
	step.ConfigStateChecks = []statecheck.StateCheck{
		statecheck.ExpectKnownValue(msdtcAddr, tfjsonpath.New("reinstalled"), knownvalue.Bool(true)),
		statecheck.ExpectKnownValue(msdtcAddr, tfjsonpath.New("group"), knownvalue.StringExact("Web Group")),
		statecheck.ExpectKnownValue(msdtcAddr, tfjsonpath.New("network_name"), knownvalue.StringExact("WEBVS")),
		statecheck.ExpectKnownValue(msdtcAddr, tfjsonpath.New("log_path"), knownvalue.StringExact(`S:\MSDTCLog`)),
		statecheck.ExpectKnownValue(msdtcAddr, tfjsonpath.New("resource_name"), knownvalue.StringExact("MSDTC")),
		statecheck.ExpectKnownValue(msdtcAddr, tfjsonpath.New("clustered_nodes"), knownvalue.ListExact([]knownvalue.Check{
			knownvalue.StringExact("NODE1"), knownvalue.StringExact("NODE2")})),
		statecheck.ExpectKnownValue(msdtcAddr, tfjsonpath.New("online_on"), knownvalue.ListExact([]knownvalue.Check{
			knownvalue.StringExact("NODE1"), knownvalue.StringExact("NODE2")})),
		l.expectMSDTC(),
		l.msdtcOrder(&from, manualOrder...),
		l.expectRestartActions(&before),
		l.ExpectNoIncidents(),
	}
	imported := importVerified(l.msdtcStep(nil), msdtcAddr, "NODE2", "reinstalled", "online_on", "steps", "timeouts", "working_node")
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{step, imported}})
}

// corrupted-iis: MSDTC stayed clustered through the reinstall, so the test
// passes: only moves, no msdtc command.
func TestAccMSDTCClustered_testPasses(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "corrupted-iis")
	var from int
	step := l.msdtcStep(nil)
	step.PreConfig = l.Mark(t, &from)
	step.ConfigStateChecks = []statecheck.StateCheck{
		statecheck.ExpectKnownValue(msdtcAddr, tfjsonpath.New("reinstalled"), knownvalue.Bool(false)),
		statecheck.ExpectKnownValue(msdtcAddr, tfjsonpath.New("online_on"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("NODE2")})),
		l.expectMSDTC(),
		l.msdtcOrder(&from),
		l.ExpectNoIncidents(),
	}
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{step}})
}

// Tied to an earlier phase (triggers unknown) with reinstall = "always":
// the plan leaves steps unknown, since the earlier phases may change the
// facts they are planned from before the apply; the apply reinstalls
// MSDTC in the KB's order though its test would pass (corrupted-iis keeps
// it clustered).
func TestAccMSDTCClustered_tiedAlways(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "corrupted-iis")
	var from int
	step := l.msdtcStep(map[string]string{"tied": "true", "reinstall": "always"})
	step.PreConfig = l.Mark(t, &from)
	step.ConfigPlanChecks = resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectUnknownValue(msdtcAddr, tfjsonpath.New("steps")),
	}}
	step.ConfigStateChecks = []statecheck.StateCheck{
		statecheck.ExpectKnownValue(msdtcAddr, tfjsonpath.New("reinstalled"), knownvalue.Bool(true)),
		l.expectMSDTC(),
		l.msdtcOrder(&from, manualOrder...),
		l.ExpectNoIncidents(),
	}
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{step}})
}

// The dtcsetup method: MSDTC offline, dtcsetup on NODE1 (the owner), then
// on NODE2; and a log folder missing from the shared disk in the manual
// method is created before msdtc -install.
func TestAccMSDTCClustered_dtcsetupAndMissingLog(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "msdtc-standalone")
	var from int
	step := l.msdtcStep(map[string]string{"method": "dtcsetup", "dtcsetup_path": `C:\TEMP\DTC\dtcsetup.exe`})
	step.PreConfig = l.Mark(t, &from)
	step.ConfigStateChecks = []statecheck.StateCheck{l.expectMSDTC(), l.msdtcOrder(&from, "NODE1: dtcsetup", "NODE2: dtcsetup"), l.ExpectNoIncidents()}

	l2 := inProcessLab(t, "msdtc-standalone")
	if res := l2.Run(t, "NODE1", `rmdir /s /q S:\MSDTCLog`); res.ExitCode != 0 {
		t.Fatalf("rmdir: %+v", res)
	}
	var from2 int
	step2 := l2.msdtcStep(nil)
	step2.PreConfig = l2.Mark(t, &from2)
	step2.ConfigStateChecks = []statecheck.StateCheck{
		l2.expectMSDTC(),
		l2.Check("the log folder created", func() error {
			cmds, err := l2.CommandsSince(from2)
			if err != nil {
				return err
			}
			for _, c := range cmds {
				if strings.EqualFold(c.Program, "mkdir") && strings.Contains(c.Args, `S:\MSDTCLog`) {
					return nil
				}
			}
			return fmt.Errorf("no mkdir of S:\\MSDTCLog")
		}),
		l2.ExpectNoIncidents(),
	}
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{step}})
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{step2}})
}

// msdtcFailingStep is the MSDTC step whose command match fails once on
// node (exit -1, as msdtc.exe does when it can't reach the cluster), after
// noting every RestartAction into before.
func (l *testLab) msdtcFailingStep(t *testing.T, before *map[string]string, node, match string) resource.TestStep {
	step := l.msdtcStep(nil)
	step.PreConfig = func() {
		var err error
		if *before, err = l.restartActions(); err != nil {
			t.Fatal(err)
		}
		l.AddFault(t, world.Fault{Node: node, Kind: "exit", Match: match, ExitCode: -1, Count: 1,
			Stderr: "MSDTC: the cluster could not be reached.\r\n"})
	}
	return step
}

// msdtc -join fails halfway: the apply fails naming it, every RestartAction
// is back at once, and the next apply completes from there.
func TestAccMSDTCClustered_failureThenResume(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "msdtc-standalone")
	var before map[string]string
	failing := l.msdtcFailingStep(t, &before, "NODE2", "msdtc -join")
	failing.ExpectError = wrapped(`(?s)Node NODE2, step "msdtc -join".*0xffffffff`)
	restored := l.msdtcStep(nil)
	restored.PlanOnly = true
	restored.ExpectNonEmptyPlan = true
	restored.PreConfig = func() {
		got, err := l.restartActions()
		if err != nil || !reflect.DeepEqual(got, before) {
			t.Errorf("RestartAction after the failure: %v, %v; want %v", got, err, before)
		}
	}
	resumed := l.msdtcStep(nil)
	resumed.ConfigStateChecks = []statecheck.StateCheck{l.expectMSDTC(), l.expectRestartActions(&before), l.ExpectNoIncidents()}
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{failing, restored, resumed}})
}

// msdtc -remove fails on NODE1 after the MSDTC resource was deleted: the
// error says what is left (the resource gone, the record on NODE1), and the
// next apply, unchanged, takes the group from the record instead of refusing
// ("no group holds a Distributed Transaction Coordinator resource"), plans
// the steps left and completes the reinstall with every RestartAction as
// before.
func TestAccMSDTCClustered_resumesAfterTheResourceIsDeleted(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "msdtc-standalone")
	var before map[string]string
	failing := l.msdtcFailingStep(t, &before, "NODE1", "msdtc -remove")
	failing.ExpectError = wrapped(`msdtc -remove.*resource MSDTC does not exist now.*mscs-msdtc.hold on NODE1, and the next apply restores them from it`)
	var from int
	resumed := l.msdtcStep(nil)
	resumed.PreConfig = func() {
		from = l.CommandCount(t)
		got, err := l.restartActions()
		if _, ok := got["MSDTC"]; err != nil || ok {
			t.Errorf("after the failure: %v, %v; want no MSDTC resource", got, err)
		}
	}
	resumed.ConfigPlanChecks = resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}
	resumed.ConfigStateChecks = []statecheck.StateCheck{l.expectMSDTC(), l.expectRestartActions(&before), l.ExpectNoIncidents(),
		l.msdtcOrder(&from, "NODE1: msdtc -remove", "NODE2: msdtc -remove", "NODE1: msdtc -install", "NODE2: msdtc -join"),
		statecheck.ExpectKnownValue(msdtcAddr, tfjsonpath.New("steps").AtSliceIndex(1), knownvalue.StringExact("NODE1: msdtc -remove"))}
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{failing, resumed}})
}

// NODE2's MSDTC removed out of band: drift, the plan replaces the resource,
// and the apply reclusters it.
func TestAccMSDTCClustered_drift(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "corrupted-iis")
	drifted := l.msdtcStep(nil)
	drifted.PreConfig = func() { l.Run(t, "NODE2", "msdtc -remove") }
	drifted.ConfigPlanChecks = resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(msdtcAddr, plancheck.ResourceActionReplace)}}
	drifted.ConfigStateChecks = []statecheck.StateCheck{
		statecheck.ExpectKnownValue(msdtcAddr, tfjsonpath.New("reinstalled"), knownvalue.Bool(true)),
		l.expectMSDTC(), l.ExpectNoIncidents()}
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{l.msdtcStep(nil), drifted}})
}

// Settings that do not fit the cluster fail the plan on their attribute,
// and nothing but reads reaches a node.
func TestAccMSDTCClustered_refusedPlans(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "msdtc-standalone")
	var mark int
	var steps []resource.TestStep
	for _, c := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"log_path": `Q:\MSDTCLog`}, `(?s)log_path.*Q:\\MSDTCLog is not on a disk of group Web Group`},
		{map[string]string{"network_name": "Web IP Address"}, `(?s)network_name.*"Web IP Address" is not a Network Name resource`},
		{map[string]string{"group": "No Such Group"}, `(?s)group.*the cluster has no group "No Such Group"`},
		{map[string]string{"working_node": "NODE2"}, `(?s)Working node is the rebuilt node`},
		{map[string]string{"log_path": `S:\`}, `(?s)log_path.*must be a folder on a local drive`},
		{map[string]string{"method": "dtcsetup"}, `(?s)Missing dtcsetup.exe.*set dtcsetup_path`},
		{map[string]string{"method": "dtcsetup", "dtcsetup_path": `C:\NOPE\dtcsetup.exe`}, `(?s)dtcsetup_path C:\\NOPE\\dtcsetup.exe does not exist`},
	} {
		s := l.msdtcStep(c.vars)
		s.ExpectError = wrapped(c.want)
		steps = append(steps, s)
	}
	steps[0].PreConfig = l.Mark(t, &mark)
	runTestCase(t, resource.TestCase{Steps: steps})
	if err := l.OnlyQueriesSince(&mark)(); err != nil {
		t.Error(err)
	}
	if err := l.NoIncidents(); err != nil {
		t.Error(err)
	}
}
