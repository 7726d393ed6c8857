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
	resource.Test(t, resource.TestCase{Steps: []resource.TestStep{step, imported}})
}

// The wrong way round is refused at plan time, only reads reaching a node;
// so are hostile share and server names, and a sync to itself.
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
	steps[0].PreConfig = l.Mark(t, &mark)
	resource.Test(t, resource.TestCase{Steps: steps})
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
			resource.Test(t, resource.TestCase{Steps: []resource.TestStep{failing, fixed}})
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
	resource.Test(t, resource.TestCase{Steps: []resource.TestStep{l.syncStep(nil), drifted}})
}
