package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
)

const accountsAddr = "mscs_iis_cluster_accounts.test"

// accountsStep is a step of testdata/accounts with the lab's variables and vars.
func (l *testLab) accountsStep(vars map[string]config.Variable) resource.TestStep {
	v := l.variables()
	for k, val := range vars {
		v[k] = val
	}
	return resource.TestStep{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		ConfigDirectory:          config.StaticDirectory("testdata/accounts"),
		ConfigVariables:          v,
	}
}

// expectGrants checks the lab's world: NODE2 holds every grant of the
// cluster's domain accounts, and still its local defaults.
func (l *testLab) expectGrants() statecheck.StateCheck {
	return l.expectGrantsTo(`LAB\IUSR_CLUSTER`, `LAB\IWAM_CLUSTER`)
}

// expectGrantsTo is expectGrants for the IIS accounts iusr and iwam
// (DOMAIN\user).
func (l *testLab) expectGrantsTo(iusr, iwam string) statecheck.StateCheck {
	return l.Check("every grant on NODE2", func() error {
		s, err := l.Snapshot()
		if err != nil {
			return err
		}
		a := s.Node("NODE2").Accounts
		has := func(list []string, acct string) bool {
			for _, x := range list {
				if strings.EqualFold(x, acct) {
					return true
				}
			}
			return false
		}
		for _, acct := range []string{iusr, iwam} {
			for what, list := range map[string][]string{"Log on locally": a.Rights["SeInteractiveLogonRight"],
				"network logon": a.Rights["SeNetworkLogonRight"], "Guests": a.Groups["Guests"], "DCOM access": a.DCOMAccess, "DCOM launch": a.DCOMLaunch} {
				if !has(list, acct) {
					return fmt.Errorf("NODE2: %s lacks %s (%v)", acct, what, list)
				}
			}
		}
		if !has(a.Groups["MTS Trusted Impersonators"], iwam) || !has(a.Groups["Guests"], "IUSR_NODE2") {
			return fmt.Errorf("NODE2's groups: %v", a.Groups)
		}
		return nil
	})
}

// grantCommands counts the commands since *from that change a grant.
func (l *testLab) grantCommands(from int) (int, error) {
	cmds, err := l.CommandsSince(from)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range cmds {
		prog, args := strings.ToLower(c.Program), strings.TrimSpace(strings.ToLower(c.Args)) // a batched read keeps the blank before its &
		if prog == "ntrights" || prog == "dcomperm" && !strings.HasSuffix(args, "list") || prog == "net" && (strings.Contains(args, "/add") || strings.Contains(args, "/del")) {
			n++
		}
	}
	return n, nil
}

// The accounts from the working node's metabase get every grant on the
// fresh NODE2, only the missing ones are added (one made out of band is
// not), the plan lists them; an import plans nothing.
func TestAccClusterAccounts_grants(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "metabase-fresh")
	var from int
	step := l.accountsStep(nil)
	step.PreConfig = func() {
		l.Run(t, "NODE2", `net localgroup Guests LAB\IUSR_CLUSTER /add`)
		from = l.CommandCount(t)
	}
	step.ConfigPlanChecks = resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}
	step.ConfigStateChecks = []statecheck.StateCheck{
		statecheck.ExpectKnownValue(accountsAddr, tfjsonpath.New("iusr_account"), knownvalue.StringExact(`LAB\IUSR_CLUSTER`)),
		statecheck.ExpectKnownValue(accountsAddr, tfjsonpath.New("iwam_account"), knownvalue.StringExact(`LAB\IWAM_CLUSTER`)),
		statecheck.ExpectKnownValue(accountsAddr, tfjsonpath.New("impersonators_group"), knownvalue.StringExact("MTS Trusted Impersonators")),
		statecheck.ExpectKnownValue(accountsAddr, tfjsonpath.New("missing"), knownvalue.ListExact([]knownvalue.Check{})),
		l.expectGrants(),
		l.Check("only the missing grants added", func() error {
			n, err := l.grantCommands(from)
			if err == nil && n != 10 {
				err = fmt.Errorf("%d grant commands, want the 10 missing", n)
			}
			return err
		}),
		l.ExpectNoIncidents(),
	}
	imported := importVerified(l.accountsStep(nil), accountsAddr, "NODE2", "steps", "timeouts")
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{step, imported}})
}

// A grant removed out of band: drift the plan shows, which apply repairs;
// a dcomperm that "succeeds" without changing anything is caught.
func TestAccClusterAccounts_driftAndNoop(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "metabase-fresh")
	drifted := l.accountsStep(nil)
	drifted.PreConfig = func() { l.Run(t, "NODE2", `ntrights -r SeNetworkLogonRight -u LAB\IWAM_CLUSTER`) }
	drifted.ConfigPlanChecks = resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(accountsAddr, plancheck.ResourceActionUpdate)}}
	drifted.ConfigStateChecks = []statecheck.StateCheck{l.expectGrants(), l.ExpectNoIncidents()}

	l2 := inProcessLab(t, "metabase-fresh")
	noop := l2.accountsStep(nil)
	noop.PreConfig = func() { l2.AddFault(t, world.Fault{Node: "NODE2", Kind: "dcomperm_noop"}) }
	noop.ExpectError = wrapped(`(?s)verify the grants.*still lacks.*DCOM default access`)
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{l.accountsStep(nil), drifted}})
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{noop}})
}

// revoke_on_destroy revokes the two accounts' grants, keeping the local
// defaults (and the DCOM launch entries the 1996 dcomperm cannot remove).
func TestAccClusterAccounts_revokeOnDestroy(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "metabase-fresh")
	step := l.accountsStep(map[string]config.Variable{"revoke_on_destroy": config.BoolVariable(true)})
	runTestCase(t, resource.TestCase{
		Steps: []resource.TestStep{step},
		CheckDestroy: func(*terraform.State) error {
			s, err := l.Snapshot()
			if err != nil {
				return err
			}
			a := s.Node("NODE2").Accounts
			for _, x := range append(a.Groups["Guests"], a.Rights["SeNetworkLogonRight"]...) {
				if strings.Contains(x, "CLUSTER") {
					return fmt.Errorf("NODE2 still grants %s", x)
				}
			}
			for _, local := range []string{"IUSR_NODE2", "IWAM_NODE2"} {
				found := false
				for _, x := range a.Groups["Guests"] {
					found = found || x == local
				}
				if !found {
					return fmt.Errorf("the local default %s left Guests", local)
				}
			}
			return nil
		},
	})
}

// Hostile or malformed names, and an account the domain does not have, fail
// the plan on their attribute; nothing but reads reaches a node.
func TestAccClusterAccounts_refusedPlans(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "metabase-fresh")
	var mark int
	var steps []resource.TestStep
	for _, c := range []struct {
		vars map[string]config.Variable
		want string
	}{
		{map[string]config.Variable{"iusr_account": config.StringVariable("IUSR_CLUSTER")}, `(?s)iusr_account.*must be DOMAIN\\name`},
		{map[string]config.Variable{"iwam_account": config.StringVariable(`LAB\IWAM & del x`)}, `(?s)iwam_account`},
		{map[string]config.Variable{"impersonators_group": config.StringVariable(`MTS | x`)}, `(?s)impersonators_group.*must be a local group name`},
		{map[string]config.Variable{"iusr_account": config.StringVariable(`LAB\IWAM_CLUSTER`), "iwam_account": config.StringVariable(`LAB\IWAM_CLUSTER`)}, `(?s)One account for both`},
		{map[string]config.Variable{"iusr_account": config.StringVariable(`LAB\NOBODY`)}, `(?s)No such domain account.*iusr_account.*LAB\\NOBODY does not exist`},
	} {
		s := l.accountsStep(c.vars)
		s.ExpectError = wrapped(c.want)
		steps = append(steps, s)
	}
	steps[0].PreConfig = l.Mark(t, &mark)
	runTestCase(t, resource.TestCase{Steps: steps})
	if err := l.OnlyQueriesSince(&mark)(); err != nil {
		t.Error(err)
	}
}

// A tool the phase runs missing on the node (ntrights.exe, which would run
// only after net.exe's first grant) fails the plan naming it and where an
// administrator gets it; nothing but reads reaches a node.
func TestAccClusterAccounts_missingTool(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "metabase-fresh")
	var mark int
	s := l.accountsStep(nil)
	s.PreConfig = func() {
		l.Run(t, "NODE2", `del C:\WINNT\system32\ntrights.exe`)
		mark = l.CommandCount(t)
	}
	s.ExpectError = wrapped(`Tools missing on NODE2.*ntrights.exe \(from the Windows NT 4.0 Resource Kit Supplement 3\)`)
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{s}})
	if err := l.OnlyQueriesSince(&mark)(); err != nil {
		t.Error(err)
	}
	cmds, err := l.CommandsSince(mark)
	if err != nil || len(cmds) == 0 {
		t.Errorf("the plan read nothing: %v", err)
	}
}
