package provider

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
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

const failoverAddr = "mscs_failover_test.test"

// failoverStep is a step of testdata/failover with the lab's variables,
// the Web Group's site URL, and vars.
func (l *testLab) failoverStep(vars map[string]config.Variable) resource.TestStep {
	v := l.variables()
	v["site_url"] = config.StringVariable(l.Sites["10.0.0.20"] + "/")
	for k, val := range vars {
		v[k] = val
	}
	return resource.TestStep{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		ConfigDirectory:          config.StaticDirectory("testdata/failover"),
		ConfigVariables:          v,
	}
}

// expectAfterFailover checks the lab: the site was served by NODE2 during
// the test, the Web Group is back online on NODE1, "Affect the group" on
// but on the resources an administrator had at 1 (keptAt1), which rule 6
// keeps at 1.
func (l *testLab) expectAfterFailover(keptAt1 ...string) statecheck.StateCheck {
	return l.Check("the site served from NODE2, the group back on NODE1", func() error {
		s, err := l.Snapshot()
		if err != nil {
			return err
		}
		served := false
		for _, r := range s.WebRequests {
			served = served || r.Node == "NODE2" && r.Status == 200
		}
		if !served {
			return fmt.Errorf("no request answered 200 by NODE2: %+v", s.WebRequests)
		}
		if g := s.Cluster.Group("Web Group"); g.Owner != "NODE1" || g.State != "Online" {
			return fmt.Errorf("the Web Group is %s on %s", g.State, g.Owner)
		}
		for _, r := range s.Cluster.Resources {
			if r.Type != "IIS Server Instance" && r.Type != "Distributed Transaction Coordinator" {
				continue
			}
			want := "2"
			if slices.Contains(keptAt1, r.Name) {
				want = "1"
			}
			if r.Properties["RestartAction"] != want {
				return fmt.Errorf("%s has RestartAction %s, want %s", r.Name, r.Properties["RestartAction"], want)
			}
		}
		return nil
	})
}

// The test on a recovered cluster: the Web Group to NODE2, the site checked
// there, back to its preferred owner, "Affect the group" on where it was on
// (Web Server, which an administrator had at 1, kept at 1); an empty plan
// after; import.
func TestAccFailoverTest_recovered(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "healthy")
	l.Run(t, "NODE1", `cluster res "Web Server" /prop RestartAction=1`)
	step := l.failoverStep(nil)
	step.ConfigPlanChecks = resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}
	step.ConfigStateChecks = []statecheck.StateCheck{
		statecheck.ExpectKnownValue(failoverAddr, tfjsonpath.New("groups"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("Web Group")})),
		statecheck.ExpectKnownValue(failoverAddr, tfjsonpath.New("seen_online").AtMapKey("Web Group"), knownvalue.ListExact([]knownvalue.Check{
			knownvalue.StringExact("NODE1"), knownvalue.StringExact("NODE2")})),
		statecheck.ExpectKnownValue(failoverAddr, tfjsonpath.New("check_results").AtSliceIndex(0), knownvalue.StringRegexp(regexp.MustCompile(`: 200 \(while the groups ran on NODE2\)$`))),
		l.expectAfterFailover("Web Server"),
		l.ExpectNoIncidents(),
	}
	imported := importVerified(l.failoverStep(nil), failoverAddr, "NODE2", "seen_online", "check_results", "steps", "timeouts", "http_checks")
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{step, imported}})
}

// A site answering 500 fails the test naming the URL; the group ends online
// on NODE1 with "Affect the group" on. Moving the group out of band after a
// test is drift that the next apply tests again.
func TestAccFailoverTest_failureAndDrift(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "healthy")
	failing := l.failoverStep(nil)
	failing.PreConfig = func() {
		if err := l.Control.SiteFault("10.0.0.20", "500"); err != nil {
			t.Fatal(err)
		}
	}
	failing.ExpectError = wrapped(`(?s)failover test failed on NODE2.*answered 500, want 200`)
	ok := l.failoverStep(nil)
	ok.PreConfig = func() {
		if err := l.Control.SiteFault("10.0.0.20", ""); err != nil {
			t.Fatal(err)
		}
		s, err := l.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		if g := s.Cluster.Group("Web Group"); g.Owner != "NODE1" || g.State != "Online" {
			t.Errorf("after the failed test the Web Group is %s on %s", g.State, g.Owner)
		}
	}
	drifted := l.failoverStep(nil)
	drifted.PreConfig = func() { l.Run(t, "NODE1", `cluster group "Web Group" /move:NODE2`) }
	drifted.ConfigPlanChecks = resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(failoverAddr, plancheck.ResourceActionUpdate)}}
	drifted.ConfigStateChecks = []statecheck.StateCheck{l.expectAfterFailover(), l.ExpectNoIncidents()}
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{failing, ok, drifted}})
}

// A failed test whose restore fails too says what it left ("Affect the
// group" still off on FTP Server, the record on NODE1); the next apply,
// unchanged, restores it from the record and tests again.
func TestAccFailoverTest_failedRestoreSaysWhatItLeft(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "healthy")
	failing := l.failoverStep(nil)
	failing.PreConfig = func() {
		if err := l.Control.SiteFault("10.0.0.20", "500"); err != nil {
			t.Fatal(err)
		}
		l.AddFault(t, world.Fault{Node: "NODE2", Kind: "exit", Match: "/prop RestartAction=2", ExitCode: 5, Count: 1,
			Stderr: "System error 5 has occurred.\r\n\r\nAccess is denied.\r\n"})
	}
	failing.ExpectError = wrapped(`answered 500, want 200.*"Affect the group" is still off on FTP Server \(RestartAction 1\); ` +
		`group Web Group is Online on NODE1; the values before are kept in C:\\WINNT\\mscs-failover.hold on NODE1, and the next apply restores them from it`)
	ok := l.failoverStep(nil)
	ok.PreConfig = func() {
		if err := l.Control.SiteFault("10.0.0.20", ""); err != nil {
			t.Fatal(err)
		}
		if err := l.Control.ClearFaults(); err != nil {
			t.Fatal(err)
		}
		if got, err := l.restartActions(); err != nil || !reflect.DeepEqual(got, map[string]string{"FTP Server": "1", "MSDTC": "2", "Web Server": "2"}) {
			t.Errorf("after the failed restore: %v, %v; want FTP Server at 1, the others restored", got, err)
		}
	}
	ok.ConfigPlanChecks = resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}
	ok.ConfigStateChecks = []statecheck.StateCheck{l.expectAfterFailover(), l.ExpectNoIncidents(),
		l.Check("the record deleted", func() error {
			if out := l.Run(t, "NODE1", `if exist C:\WINNT\mscs-failover.hold echo left`).Stdout; strings.Contains(out, "left") {
				return fmt.Errorf("the record is left behind")
			}
			return nil
		})}
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{failing, ok}})
}

// Bad URLs and unknown groups fail the plan on their attribute; nothing but
// reads reaches a node.
func TestAccFailoverTest_refusedPlans(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "healthy")
	var mark int
	var steps []resource.TestStep
	for _, c := range []struct {
		vars map[string]config.Variable
		want string
	}{
		{map[string]config.Variable{"site_url": config.StringVariable("http://user:secret@10.0.0.20/")}, `(?s)Credentials in a URL`},
		{map[string]config.Variable{"site_url": config.StringVariable("ftp://10.0.0.20/")}, `(?s)scheme must be http or https`},
		{map[string]config.Variable{"groups": config.ListVariable(config.StringVariable("No Group"))}, `(?s)groups.*no group "No Group"`},
	} {
		s := l.failoverStep(c.vars)
		s.ExpectError = wrapped(c.want)
		steps = append(steps, s)
	}
	steps[0].PreConfig = l.Mark(t, &mark)
	runTestCase(t, resource.TestCase{Steps: steps})
	if err := l.OnlyQueriesSince(&mark)(); err != nil {
		t.Error(err)
	}
}
