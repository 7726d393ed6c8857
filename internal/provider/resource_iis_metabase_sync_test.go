package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
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

const syncAddr = "mscs_iis_metabase_sync.test"

// syncStep is a step of testdata/metabase with the lab's variables and vars.
func (l *testLab) syncStep(vars map[string]string) resource.TestStep {
	v := l.variables()
	for k, val := range vars {
		v[k] = config.StringVariable(val)
	}
	return resource.TestStep{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		ConfigDirectory:          config.StaticDirectory("testdata/metabase"),
		ConfigVariables:          v,
	}
}

// expectSynced checks the lab: NODE2's metabase and MTS packages are
// NODE1's, MTS replication is set on both, and (with move) the Web Group's
// IIS instances come online on NODE2 when the group moves there.
func (l *testLab) expectSynced(t *testing.T, move bool) statecheck.StateCheck {
	return l.Check("NODE2 synced from NODE1, the Web Group online on NODE2", func() error {
		s, err := l.Snapshot()
		if err != nil {
			return err
		}
		n1, n2 := s.Node("NODE1").Metabase, s.Node("NODE2").Metabase
		if !reflect.DeepEqual(n1.Instances, n2.Instances) || !reflect.DeepEqual(n1.Packages, n2.Packages) {
			return fmt.Errorf("NODE2's metabase %+v\ndiffers from NODE1's %+v", n2, n1)
		}
		if n1.ReplicationShare != "C$" || n1.RemoteServerName != "NODE2" || n2.RemoteServerName != "NODE1" {
			return fmt.Errorf("MTS replication: NODE1 %q %q, NODE2 %q", n1.ReplicationShare, n1.RemoteServerName, n2.RemoteServerName)
		}
		if !move {
			return nil
		}
		for _, r := range []string{"Web Server", "FTP Server", "MSDTC"} {
			l.Run(t, "NODE1", `cluster res "`+r+`" /prop RestartAction=1`)
		}
		l.Run(t, "NODE1", `cluster group "Web Group" /move:NODE2`)
		s, err = l.Snapshot()
		if err != nil {
			return err
		}
		for _, r := range s.Cluster.Resources {
			if r.Group == "Web Group" && r.State != "Online" {
				return fmt.Errorf("%s is %s after moving the Web Group to NODE2", r.Name, r.State)
			}
		}
		if g := s.Cluster.Group("Web Group"); g.Owner != "NODE2" {
			return fmt.Errorf("the Web Group is on %s", g.Owner)
		}
		return nil
	})
}

// iissyncRuns checks that IISSYNC ran only on NODE1, after the MTS
// replication settings on both nodes, since *from.
func (l *testLab) iissyncRuns(from *int) statecheck.StateCheck {
	return l.Check("IISSYNC on NODE1 only, after MTS replication", func() error {
		cmds, err := l.CommandsSince(*from)
		if err != nil {
			return err
		}
		replication := map[string]bool{}
		syncs := 0
		for _, c := range cmds {
			prog, args := strings.ToLower(c.Program), strings.ToLower(c.Args)
			switch {
			case prog == "reg" && strings.HasPrefix(args, "add") && strings.Contains(args, "replicationshare"):
				replication[c.Node] = true
			case prog == "iissync":
				if c.Node != "NODE1" || !replication["NODE1"] || !replication["NODE2"] {
					return fmt.Errorf("iissync on %s with replication set on %v", c.Node, replication)
				}
				syncs++
			}
		}
		if syncs != 1 {
			return fmt.Errorf("%d iissync runs", syncs)
		}
		return nil
	})
}

// A fresh metabase on NODE2: IISSYNC from NODE1 only, after the MTS
// replication settings; NODE2 then matches and its IIS instances come
// online there; the next plan is empty, and an import plans nothing.
func TestAccMetabaseSync_freshTarget(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "metabase-fresh")
	var from int
	step := l.syncStep(nil)
	step.PreConfig = l.Mark(t, &from)
	step.ConfigPlanChecks = resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}
	step.ConfigStateChecks = []statecheck.StateCheck{
		statecheck.ExpectKnownValue(syncAddr, tfjsonpath.New("id"), knownvalue.StringExact("NODE1/NODE2")),
		statecheck.ExpectKnownValue(syncAddr, tfjsonpath.New("status"), knownvalue.Int64Exact(0)),
		statecheck.ExpectKnownValue(syncAddr, tfjsonpath.New("differences"), knownvalue.ListExact([]knownvalue.Check{})),
		statecheck.ExpectKnownValue(syncAddr, tfjsonpath.New("matched").AtSliceIndex(1), knownvalue.StringExact("W3SVC/1")),
		l.iissyncRuns(&from),
		l.expectSynced(t, true),
		l.ExpectNoIncidents(),
	}
	imported := importVerified(l.syncStep(nil), syncAddr, "NODE1/NODE2", "status", "matched", "steps", "timeouts", "differences")
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{step, imported}})
}

// The wrong way round is refused at plan time, only reads reaching a node;
// so are hostile share and server names, a sync to itself, and a blank
// name in accept_loss.
func TestAccMetabaseSync_refusedPlans(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "metabase-fresh")
	var mark int
	var steps []resource.TestStep
	for _, c := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"source_node": "NODE2", "target_node": "NODE1"}, `(?s)source_node.*this would copy NODE2's metabase over\s+NODE1's`},
		{map[string]string{"replication_share": `C$ & del C:\x`}, `(?s)replication_share.*must be a share name`},
		{map[string]string{"remote_server_name": "bad name!"}, `(?s)remote_server_name`},
		{map[string]string{"target_node": "NODE1"}, `(?s)IISSYNC to itself`},
	} {
		s := l.syncStep(c.vars)
		s.ExpectError = wrapped(c.want)
		steps = append(steps, s)
	}
	for _, blank := range []string{"", " Payroll"} {
		s := acceptLoss(l.syncStep(nil), blank)
		s.ExpectError = wrapped(`accept_loss.* must be a server instance's path \(W3SVC/2\) or an MTS package's name or GUID, not blank`)
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

// Each decoded IISSYNC failure fails the apply with its status and meaning;
// the next apply completes once the cause is gone.
func TestAccMetabaseSync_decodedFailures(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		fault world.Fault
		want  string
	}{
		{"metabase in use", world.Fault{Node: "NODE2", Kind: "metabase_in_use"}, `status 3 .*inaccessible`},
		{"bad share", world.Fault{Node: "NODE1", Kind: "bad_replication_share"}, `status 2148598794 .*replication share is\s+invalid`},
		{"rpc", world.Fault{Node: "NODE1", Kind: "exit", Match: "iissync NODE2", ExitCode: 1722, Count: 1}, `status 1722 .*RPC server is unavailable`},
		{"not configured", world.Fault{Node: "NODE1", Kind: "exit", Match: "iissync NODE2", ExitCode: -2147467259, Count: 1},
			`status 2147500037 .*MTS replication is not configured`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			l := inProcessLab(t, "metabase-fresh")
			failing := l.syncStep(nil)
			failing.PreConfig = func() { l.AddFault(t, c.fault) }
			failing.ExpectError = wrapped(`(?s)` + c.want)
			fixed := l.syncStep(nil)
			fixed.PreConfig = func() {
				if err := l.Control.ClearFaults(); err != nil {
					t.Fatal(err)
				}
			}
			fixed.ConfigStateChecks = []statecheck.StateCheck{l.expectSynced(t, true), l.ExpectNoIncidents()}
			runTestCase(t, resource.TestCase{Steps: []resource.TestStep{failing, fixed}})
		})
	}
}

// A site changed on the working node after the sync: the plan shows the
// difference and syncs again; the apply repairs it.
func TestAccMetabaseSync_drift(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "metabase-fresh")
	drifted := l.syncStep(nil)
	drifted.PreConfig = func() {
		l.Run(t, "NODE1", `cscript //nologo C:\WINNT\System32\inetsrv\adminsamples\adsutil.vbs set w3svc/1/ServerComment Changed`)
	}
	drifted.ConfigPlanChecks = resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(syncAddr, plancheck.ResourceActionUpdate)}}
	drifted.ConfigStateChecks = []statecheck.StateCheck{
		statecheck.ExpectKnownValue(syncAddr, tfjsonpath.New("differences"), knownvalue.ListExact([]knownvalue.Check{})),
		l.Check("NODE2 has the change", func() error {
			s, err := l.Snapshot()
			if err != nil {
				return err
			}
			for _, in := range s.Node("NODE2").Metabase.Instances {
				if in.Path == "W3SVC/1" && in.ServerComment != "Changed" {
					return fmt.Errorf("NODE2's W3SVC/1 is %q", in.ServerComment)
				}
			}
			return nil
		}),
		l.ExpectNoIncidents(),
	}
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{l.syncStep(nil), drifted}})
}

// payrollGUID is the MTS package only NODE2 has in the loss tests, added as
// a package's install leaves it in the MTS catalog (FORMATS.md).
const payrollGUID = "{7E0C21B4-1D2F-4C55-9A61-2B7D3F40A001}"

// addPackage adds the MTS package name (GUID guid) to node's catalog with
// reg add, as the lab's registry holds MTS packages.
func (l *testLab) addPackage(t *testing.T, node, guid, name string) {
	t.Helper()
	line := `reg add "HKLM\SOFTWARE\Microsoft\Transaction Server\Packages\` + guid + `" /v Name /t REG_SZ /d ` + name + ` /f`
	if res := l.Run(t, node, line); res.ExitCode != 0 {
		t.Fatalf("%s on %s: %+v", line, node, res)
	}
}

// acceptLoss is step with accept_loss set to names.
func acceptLoss(step resource.TestStep, names ...string) resource.TestStep {
	var v []config.Variable
	for _, n := range names {
		v = append(v, config.StringVariable(n))
	}
	step.ConfigVariables["accept_loss"] = config.SetVariable(v...)
	return step
}

// noIISSync checks that no IISSYNC ran since *from.
func (l *testLab) noIISSync(from *int) error {
	cmds, err := l.CommandsSince(*from)
	if err != nil {
		return err
	}
	for _, c := range cmds {
		if strings.EqualFold(c.Program, "iissync") {
			return fmt.Errorf("iissync ran on %s: %s", c.Node, c.Args)
		}
	}
	return nil
}

// NODE2 has an MTS package NODE1 lacks (Payroll), which IISSYNC would
// delete: the plan refuses, naming Payroll and accept_loss, with only reads
// reaching the nodes. Accepted, the plan's steps and warning name the loss,
// IISSYNC runs once from NODE1, NODE2 then matches NODE1 (Payroll gone), and
// no incident; accept_loss dropped afterwards runs nothing. (In a process
// of its own: the warnings are read from TF_LOG.)
func TestAccMetabaseSync_targetLosesPackage(t *testing.T) {
	if ownProcess(t) {
		return
	}
	l := inProcessLab(t, "metabase-fresh")
	logFile := filepath.Join(t.TempDir(), "terraform.log")
	setProcessEnv(t, "TF_LOG", "WARN", "TF_LOG_PATH", logFile)
	l.addPackage(t, "NODE2", payrollGUID, "Payroll")
	var mark, from int
	refused := l.syncStep(nil)
	refused.PreConfig = l.Mark(t, &mark)
	refused.PlanOnly = true // refused by the plan, not by apply's own check
	refused.ExpectError = wrapped(`accept_loss.* NODE2 would lose what only it has: MTS package "Payroll" ` + regexp.QuoteMeta(payrollGUID) +
		`.* accept_loss = \["Payroll"\]\. Nothing was run on any node`)
	accepted := acceptLoss(l.syncStep(nil), "Payroll")
	accepted.PreConfig = func() {
		if err := l.OnlyQueriesSince(&mark)(); err != nil {
			t.Fatalf("the refused plan: %v", err)
		}
		l.Mark(t, &from)()
	}
	accepted.ConfigPlanChecks = resource.ConfigPlanChecks{
		PreApply: []plancheck.PlanCheck{plancheck.ExpectKnownValue(syncAddr, tfjsonpath.New("steps").AtSliceIndex(2),
			knownvalue.StringRegexp(regexp.MustCompile(`^NODE1: iissync NODE2 .*; deletes there, as accept_loss accepts: MTS package "Payroll" `+
				regexp.QuoteMeta(payrollGUID)+`\)$`)))},
		PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
	}
	accepted.ConfigStateChecks = []statecheck.StateCheck{
		l.iissyncRuns(&from),
		l.expectSynced(t, false),
		l.ExpectNoIncidents(),
	}
	// accept_loss dropped once the loss is done: an update that runs nothing.
	var after int
	dropped := l.syncStep(nil)
	dropped.PreConfig = l.Mark(t, &after)
	dropped.ConfigPlanChecks = resource.ConfigPlanChecks{
		PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(syncAddr, plancheck.ResourceActionUpdate)},
		PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
	}
	dropped.ConfigStateChecks = []statecheck.StateCheck{
		l.ExpectOnlyQueriesSince("dropping accept_loss", &after),
		statecheck.ExpectKnownValue(syncAddr, tfjsonpath.New("status"), knownvalue.Int64Exact(0)),
		statecheck.ExpectKnownValue(syncAddr, tfjsonpath.New("differences"), knownvalue.ListExact([]knownvalue.Check{})),
	}
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{refused, accepted, dropped}})
	data, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if want := "NODE2 loses what only it has, as accept_loss accepts:"; !strings.Contains(string(data), want) ||
		!strings.Contains(string(data), payrollGUID) {
		t.Errorf("the plan's warnings lack %q naming Payroll %s", want, payrollGUID)
	}
}

// worldChange is a plan check that changes the lab between a plan and its
// apply (Terraform applies the saved plan after the PreApply checks).
type worldChange func()

func (w worldChange) CheckPlan(context.Context, plancheck.CheckPlanRequest, *plancheck.CheckPlanResponse) {
	w()
}

// A loss that appears after the plan (Payroll added on NODE2 between the
// plan and its apply) is refused at apply before the phase's first change:
// no lock, no journal, no replication setting, no IISSYNC. (Terraform's
// final plan at apply reads the nodes again and refuses first; the phase's
// own check, which would refuse next, is TestSyncMetabase_lossRefused-
// BeforeAnyChange in nodeops.) The next apply, which accepts it, syncs; no
// incident.
func TestAccMetabaseSync_lossAfterPlanRefusedAtApply(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "metabase-fresh")
	var mark, from int
	late := l.syncStep(nil)
	late.ConfigPlanChecks = resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{worldChange(func() {
		l.addPackage(t, "NODE2", payrollGUID, "Payroll")
		l.Mark(t, &mark)()
	})}}
	late.ExpectError = wrapped(`accept_loss.* NODE2 would lose what only it has: MTS package "Payroll" ` + regexp.QuoteMeta(payrollGUID) +
		`.* Nothing was run on any node`)
	accepted := acceptLoss(l.syncStep(nil), "Payroll")
	accepted.PreConfig = func() {
		if err := l.OnlyQueriesSince(&mark)(); err != nil {
			t.Fatalf("the refused apply: %v", err)
		}
		if err := l.noIISSync(&mark); err != nil {
			t.Fatal(err)
		}
		if err := l.NoIncidents(); err != nil {
			t.Fatal(err)
		}
		l.Mark(t, &from)()
	}
	accepted.ConfigStateChecks = []statecheck.StateCheck{l.iissyncRuns(&from), l.expectSynced(t, false), l.ExpectNoIncidents()}
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{late, accepted}})
}
