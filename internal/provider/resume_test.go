package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
)

// The tests of a recovery that resumes with a plain `terraform apply`: a
// phase tied by triggers to an earlier phase of the same apply judges the
// nodes at apply (before its first change), not as the plan finds them;
// one whose inputs are all known still refuses at plan time.

// examples/recovery fails at a changing command of each phase: in the
// install (setup; the service pack after it), where the rebuilt node's
// cluster service is stopped and it is Down; the cluster service's start
// (the node has not rejoined); msdtc -join; IISSYNC; a grant. The fault is
// cleared and the same configuration applied again: no plan refuses a
// phase for a node Down that an earlier phase of the apply brings Up, and
// the apply finishes the recovery with no incident; the plan after changes
// no resource.
func TestAccRecovery_resumesAfterFailure(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		fault world.Fault
		want  string
		down  bool // NODE2 is not Up in the cluster after the failure
	}{
		{"Option Pack setup", world.Fault{Node: "NODE2", Kind: "exit", Match: "setup.exe", ExitCode: 1603, Count: 1, Stderr: "Setup failed.\r\n"},
			`Cannot install the Option Pack on node NODE2`, true},
		{"service pack after setup", world.Fault{Node: "NODE2", Kind: "exit", Match: "update.exe", ExitCode: 1, Count: 1},
			`step "re-apply the service pack after Option Pack setup"`, true},
		{"start of the cluster service", world.Fault{Node: "NODE2", Kind: "exit", Match: "start ClusSvc", ExitCode: 1053, Count: 1,
			Stderr: "[SC] StartService FAILED 1053:\r\n\r\nThe service did not respond to the start or control request in a timely fashion.\r\n"},
			`Cannot converge service ClusSvc on node NODE2`, true},
		{"msdtc -join", world.Fault{Node: "NODE2", Kind: "exit", Match: "msdtc -join", ExitCode: -1, Count: 1,
			Stderr: "MSDTC: the cluster could not be reached.\r\n"}, `step "msdtc -join"`, false},
		{"IISSYNC", world.Fault{Node: "NODE2", Kind: "metabase_in_use"}, `Cannot sync the metabase of NODE2`, false},
		{"a grant", world.Fault{Node: "NODE2", Kind: "exit", Match: "ntrights +r", ExitCode: 5, Count: 1, Stderr: "Access is denied.\r\n"},
			`Cannot grant the accounts on NODE2`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			resumeRecovery(t, c.fault, c.want, c.down)
		})
	}
}

func resumeRecovery(t *testing.T, fault world.Fault, want string, down bool) {
	l := inProcessLab(t, "rebuilt-node")
	example, vars := recoveryExample(t, l, nil)
	step := func() resource.TestStep {
		return resource.TestStep{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, ConfigDirectory: example, ConfigVariables: vars}
	}
	failing := step()
	failing.PreConfig = func() { l.AddFault(t, fault) }
	failing.ExpectError = wrapped(want)
	resumed := step()
	resumed.PreConfig = func() {
		if err := l.Control.ClearFaults(); err != nil {
			t.Fatal(err)
		}
		if st, err := l.ClusterState("NODE2"); err != nil || down == (st == "Up") {
			t.Fatalf("after the failure NODE2 is %q in the cluster (%v); the test expects it Down: %v", st, err, down)
		}
	}
	if down {
		// The phases after the failed one judge the nodes at apply, after
		// the phases before them: their steps are listed then.
		resumed.ConfigPlanChecks = resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
			plancheck.ExpectUnknownValue("mscs_msdtc_clustered.rebuilt", tfjsonpath.New("steps")),
			plancheck.ExpectUnknownValue("mscs_failover_test.rebuilt", tfjsonpath.New("steps")),
		}}
	}
	// examples/recovery's outputs come from state, not from the cluster
	// as read before the apply (NODE2 Down when down): the plan after the
	// resumed apply is empty (the step's own check), and stays so.
	settled := step()
	settled.ConfigPlanChecks = resource.ConfigPlanChecks{
		PreApply:             []plancheck.PlanCheck{noResourceChanges{}},
		PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
	}
	settled.ConfigStateChecks = []statecheck.StateCheck{l.ExpectNoIncidents()}
	resumed.ConfigStateChecks = []statecheck.StateCheck{
		l.expectInstalledLikeNode1(),
		l.ExpectClusterState("NODE2", "Up"),
		l.ExpectService("NODE2", "ClusSvc", "RUNNING", "auto"),
		l.expectMSDTC(),
		l.expectSynced(t, false),
		l.expectGrants(),
		l.expectAfterFailover(),
		l.ExpectNoIncidents(),
	}
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{failing, resumed, settled}})
}

// noResourceChanges fails a plan that changes any resource (outputs may).
type noResourceChanges struct{}

func (noResourceChanges) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	var changed []string
	for _, rc := range req.Plan.ResourceChanges {
		if !rc.Change.Actions.NoOp() {
			changed = append(changed, fmt.Sprintf("%s: %v", rc.Address, rc.Change.Actions))
		}
	}
	if len(changed) > 0 {
		resp.Error = fmt.Errorf("the plan changes %s", strings.Join(changed, ", "))
	}
}

// The MSDTC phase with inputs all known refuses at plan time a node that
// does not answer (powered off) and one that is not Up in the cluster,
// naming it; nothing but reads reaches a node. Tied to an earlier resource
// of the same apply (its id unknown in the plan), the same node Down plans
// (steps unknown: they are listed at apply), and apply refuses it when it
// plans the phase again with that resource done, before any change; so is
// a node that does not answer; once the node is Up again the apply
// completes.
func TestAccMSDTCClustered_nodeDownOrUnreachable(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "msdtc-standalone")
	var mark int
	var before map[string]string
	off := l.msdtcStep(nil)
	off.PreConfig = func() {
		mark = l.CommandCount(t)
		var err error
		if before, err = l.restartActions(); err != nil {
			t.Fatal(err)
		}
		l.AddFault(t, world.Fault{Node: "NODE2", Kind: "refuse"})
	}
	off.ExpectError = wrapped(`(?s)Node NODE2 does not answer.*NODE2 unreachable at .*both must answer and be Up.*Nothing was run on any node`)
	down := l.msdtcStep(nil)
	down.PreConfig = func() {
		if err := l.Control.ClearFaults(); err != nil {
			t.Fatal(err)
		}
		stopClusSvc(t, l, "NODE2")
		mark = l.CommandCount(t)
	}
	down.ExpectError = wrapped(`(?s)Node not Up in the cluster.*NODE2 is "Down" in the cluster.*Nothing was run on any node`)
	tied := l.msdtcStep(map[string]string{"tied": "true"})
	tied.PreConfig = func() {
		if err := l.OnlyQueriesSince(&mark)(); err != nil {
			t.Fatalf("a refused plan changed a node: %v", err)
		}
		mark = l.CommandCount(t)
	}
	// The plan leaves the nodes to the apply, which plans the phase again
	// once the earlier resource exists, and refuses there, before any
	// change.
	tied.ConfigPlanChecks = resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectUnknownValue(msdtcAddr, tfjsonpath.New("steps")),
	}}
	tied.ExpectError = wrapped(`(?s)Node not Up in the cluster.*NODE2 is "Down" in the cluster.*Nothing was run on any node`)
	// The same, tied again (the earlier resource replaced) with NODE2 not
	// answering at all: the plan leaves it to the apply, whose plan refuses.
	tiedOff := l.msdtcStep(map[string]string{"tied": "true"})
	tiedOff.Taint = []string{"terraform_data.earlier[0]"}
	tiedOff.PreConfig = func() { l.AddFault(t, world.Fault{Node: "NODE2", Kind: "refuse"}) }
	tiedOff.ConfigPlanChecks = resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectUnknownValue(msdtcAddr, tfjsonpath.New("steps")),
	}}
	tiedOff.ExpectError = wrapped(`(?s)Node NODE2 does not answer.*NODE2 unreachable at .*Nothing was run on any node`)
	resumed := l.msdtcStep(map[string]string{"tied": "true"})
	resumed.PreConfig = func() {
		if err := l.Control.ClearFaults(); err != nil {
			t.Fatal(err)
		}
		if err := l.noChangeSince(mark); err != nil {
			t.Errorf("the apply refused at its check changed the cluster: %v", err)
		}
		if got, err := l.restartActions(); err != nil || fmt.Sprint(got) != fmt.Sprint(before) {
			t.Errorf("RestartAction after the refused apply: %v (%v), want %v", got, err, before)
		}
		l.Run(t, "NODE2", "net start clussvc")
		l.waitUp(t, "NODE2")
	}
	resumed.ConfigStateChecks = []statecheck.StateCheck{l.expectMSDTC(), l.expectRestartActions(&before), l.ExpectNoIncidents()}
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{off, down, tied, tiedOff, resumed}})
}

// stopClusSvc stops node's cluster service out of band and waits until the
// cluster lists it Down.
func stopClusSvc(t *testing.T, l *testLab, node string) {
	t.Helper()
	l.Run(t, node, "net stop clussvc")
	waitFor(t, node+" Down", func() (bool, error) {
		st, err := l.ClusterState(node)
		return st == "Down", err
	})
}

// noChangeSince is nil when no command since from changed a node: reads
// only, and the run's own lock and journal on the rebuilt node (which a
// run takes before its read-only check).
func (l *testLab) noChangeSince(from int) error {
	cmds, err := l.CommandsSince(from)
	if err != nil {
		return err
	}
	var changed []string
	for _, c := range cmds {
		prog, args := strings.ToLower(c.Program), strings.ToLower(c.Args)
		switch {
		case prog == "cluster" && (strings.Contains(args, "/move") || strings.Contains(args, "/prop") && strings.Contains(args, "=") ||
			strings.Contains(args, "/delete") || strings.Contains(args, "/online") || strings.Contains(args, "/offline")):
			changed = append(changed, c.Node+": "+c.Program+" "+c.Args)
		case prog == "msdtc" || strings.HasSuffix(prog, "dtcsetup.exe") || prog == "sc" && !strings.HasPrefix(args, "query") && !strings.HasPrefix(args, "qc"):
			changed = append(changed, c.Node+": "+c.Program+" "+c.Args)
		}
	}
	if len(changed) > 0 {
		return fmt.Errorf("changes: %s", strings.Join(changed, "; "))
	}
	return nil
}

// The failover test refuses, before anything moves, a rebuilt node that
// cannot run the groups: at plan time when its inputs are known (no Option
// Pack on NODE2; IIS corrupted on NODE2), and, tied to an earlier resource
// of the same apply, when the apply plans it again with that resource done,
// before the first change (nodeops' own check at apply is
// TestFailoverTest_refusesNodeThatCannotHost).
// Nothing moves and no RestartAction changes; the error names the node and
// what it lacks.
func TestAccFailoverTest_refusesNodeThatCannotHost(t *testing.T) {
	t.Parallel()
	t.Run("no Option Pack", func(t *testing.T) {
		t.Parallel()
		l := inProcessLab(t, "rebuilt-node")
		refusedHost(t, l, `NODE2 has no Option Pack, as NODE1 has it \(custom:`)
	})
	t.Run("corrupt IIS", func(t *testing.T) {
		t.Parallel()
		l := inProcessLab(t, "healthy")
		if err := l.Control.CorruptIIS("NODE2"); err != nil {
			t.Fatal(err)
		}
		refusedHost(t, l, `on NODE2 W3SVC stopped with exit code 1067`)
	})
	t.Run("node Down", func(t *testing.T) {
		t.Parallel()
		l := inProcessLab(t, "healthy")
		stopClusSvc(t, l, "NODE2")
		refusedHost(t, l, `NODE2: check that both nodes are Up: NODE2 is Down in the cluster`)
	})
}

// refusedHost runs testdata/failover, known and tied, against a lab whose
// NODE2 cannot run the groups; lacks is the error's pattern, which names
// the node and what it lacks.
func refusedHost(t *testing.T, l *testLab, lacks string) {
	var mark int
	var before map[string]string
	atPlan := l.failoverStep(nil)
	atPlan.PreConfig = func() {
		mark = l.CommandCount(t)
		var err error
		if before, err = l.restartActions(); err != nil {
			t.Fatal(err)
		}
	}
	atPlan.ExpectError = wrapped(`(?s)The failover test cannot run on NODE2 now.*` + lacks + `.*nothing was moved.*Nothing was run on any node`)
	atApply := l.failoverStep(map[string]config.Variable{"tied": config.BoolVariable(true)})
	atApply.PreConfig = func() {
		if err := l.OnlyQueriesSince(&mark)(); err != nil {
			t.Fatalf("the refused plan changed a node: %v", err)
		}
	}
	atApply.ConfigPlanChecks = resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectUnknownValue(failoverAddr, tfjsonpath.New("steps")),
		// Triggers pending: what apply reads may differ.
		plancheck.ExpectUnknownValue(failoverAddr, tfjsonpath.New("groups")),
		plancheck.ExpectUnknownValue(failoverAddr, tfjsonpath.New("final_owner")),
	}}
	atApply.ExpectError = wrapped(`(?s)The failover test cannot run on NODE2 now.*` + lacks + `.*nothing was moved`)
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{atPlan, atApply}})
	if err := l.OnlyQueriesSince(&mark)(); err != nil {
		t.Errorf("the refused test changed a node: %v", err)
	}
	if got, err := l.restartActions(); err != nil || fmt.Sprint(got) != fmt.Sprint(before) {
		t.Errorf("RestartAction after the refused test: %v (%v), want %v", got, err, before)
	}
	s, err := l.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if g := s.Cluster.Group("Web Group"); g.Owner != "NODE1" || g.State != "Online" {
		t.Errorf("after the refused test the Web Group is %s on %s", g.State, g.Owner)
	}
}

// A record left by an earlier run (every IIS and MSDTC resource at 1, the
// values before at 2) while NODE2 cannot host: the plan shows the restore
// from the record, and apply restores it on NODE1 alone, deletes it, then
// refuses the test saying so; nothing moves.
func TestAccFailoverTest_restoresRecordWhenNodeCannotHost(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "healthy")
	for _, r := range []string{"Web Server", "FTP Server", "MSDTC"} {
		l.Run(t, "NODE1", `cluster res "`+r+`" /prop RestartAction=1`)
	}
	const record = `C:\WINNT\mscs-failover.hold`
	l.Run(t, "NODE1", `echo [mscs hold] > `+record+` && echo phase=failover >> `+record+
		` && echo group=NODE1 online Web Group >> `+record+` && echo restart=2 FTP Server >> `+record+
		` && echo restart=2 MSDTC >> `+record+` && echo restart=2 Web Server >> `+record+` && echo end >> `+record)
	if err := l.Control.CorruptIIS("NODE2"); err != nil {
		t.Fatal(err)
	}
	step := l.failoverStep(nil)
	step.ConfigPlanChecks = resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectKnownValue(failoverAddr, tfjsonpath.New("steps"), knownvalue.ListExact([]knownvalue.Check{
			knownvalue.StringRegexp(regexp.MustCompile(`^NODE1: restore from the record an earlier run left in C:\\WINNT\\mscs-failover\.hold`)),
		})),
	}}
	step.ExpectError = wrapped(`(?s)W3SVC stopped with exit code 1067.*the record an earlier run left in C:\\WINNT\\mscs-failover.hold on NODE1 was restored and read back.*nothing else was changed`)
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{step}})
	if got, err := l.restartActions(); err != nil || fmt.Sprint(got) != fmt.Sprint(map[string]string{"FTP Server": "2", "MSDTC": "2", "Web Server": "2"}) {
		t.Errorf("RestartAction after: %v (%v), want the recorded 2s", got, err)
	}
	if out := l.Run(t, "NODE1", `if exist `+record+` echo left`).Stdout; strings.Contains(out, "left") {
		t.Error("the record is left behind")
	}
	s, err := l.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if g := s.Cluster.Group("Web Group"); g.Owner != "NODE1" || g.State != "Online" {
		t.Errorf("the Web Group is %s on %s", g.State, g.Owner)
	}
}
