package provider

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
)

// After a completed recovery NODE2 is rebuilt again (the lab reinstalls it
// from scratch): one plan of examples/recovery shows every phase again, and
// one apply recovers it, with the site answering from NODE2 during the
// failover test and the group back on NODE1 after.
func TestAccRecovery_rebuiltAgain(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "rebuilt-node")
	example, vars := recoveryExample(t, l, nil)
	step := func() resource.TestStep {
		return resource.TestStep{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, ConfigDirectory: example, ConfigVariables: vars}
	}
	first := step()
	first.ConfigStateChecks = []statecheck.StateCheck{l.expectAfterFailover(), l.ExpectNoIncidents()}
	again := step()
	var from int
	again.PreConfig = func() {
		if err := l.Control.RebuildNode("NODE2"); err != nil {
			t.Fatal(err)
		}
		from = l.CommandCount(t)
	}
	again.ConfigPlanChecks = resource.ConfigPlanChecks{
		PreApply: []plancheck.PlanCheck{
			plancheck.ExpectResourceAction(installAddr, plancheck.ResourceActionCreate),
			plancheck.ExpectResourceAction("mscs_cluster_node_service.rebuilt", plancheck.ResourceActionReplace),
			plancheck.ExpectResourceAction("mscs_msdtc_clustered.rebuilt", plancheck.ResourceActionReplace),
			plancheck.ExpectResourceAction("mscs_iis_metabase_sync.rebuilt", plancheck.ResourceActionCreate),
			plancheck.ExpectResourceAction("mscs_iis_cluster_accounts.rebuilt", plancheck.ResourceActionReplace),
			plancheck.ExpectResourceAction("mscs_failover_test.rebuilt", plancheck.ResourceActionReplace),
		},
		PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
	}
	again.ConfigStateChecks = []statecheck.StateCheck{
		l.ExpectKBSteps("NODE2", &from, "stop ClusSvc", "setup", "reboot", "SP", "reboot", "start ClusSvc"),
		l.msdtcOrder(&from, manualOrder...),
		l.iissyncRuns(&from),
		l.expectMSDTC(),
		l.expectSynced(t, false),
		l.expectGrants(),
		l.expectAfterFailover(),
		l.ExpectNoIncidents(),
	}
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{first, again}})
}

// Nodes that allow a WinRM shell only 15 commands, as Windows Server 2008 R2
// does: the whole recovery completes, the KB's steps each run once in order,
// and nothing breaks a safety rule. The client learns the quota from the
// first refusal (a command refused is never run) and rotates its shells.
func TestAccRecovery_operationsQuota(t *testing.T) {
	t.Parallel()
	recoverUnder(t, lab.Options{Scenario: "rebuilt-node", MaxOperationsPerShell: 15})
}

// Nodes that drop a shell idle for 200 ms and answer a request naming it
// with an empty HTTP 400, as Windows has been seen to: the client's idle
// lanes lose their shells throughout the recovery, which completes all the
// same, each KB step once.
func TestAccRecovery_idleShellsDropped(t *testing.T) {
	t.Parallel()
	recoverUnder(t, lab.Options{Scenario: "rebuilt-node", ShellIdleTimeout: 200 * time.Millisecond, IdleDropEmpty400: true})
}

// recoverUnder applies examples/recovery against a lab started with opts
// and checks the whole KB ran once, in order, with no incident.
func recoverUnder(t *testing.T, opts lab.Options) {
	t.Helper()
	recoverIn(t, inProcessLabWith(t, opts))
}

// recoverIn is recoverUnder in a lab the test started (and faulted) itself.
func recoverIn(t *testing.T, l *testLab) {
	t.Helper()
	recoverExample(t, l, nil, nil, nil)
}

// A cluster in another domain whose IIS runs as accounts of other names
// (CORP\IUSR_WEBFARM, CORP\IWAM_WEBFARM): examples/recovery, unchanged,
// recovers it, granting those accounts on the rebuilt node (the site answers
// from NODE2 during the failover test, which it could not with the
// accounts' grants missing), with an empty plan after.
func TestAccRecovery_otherDomainAndIISAccounts(t *testing.T) {
	t.Parallel()
	sc, err := world.LoadScenario("rebuilt-node")
	if err != nil {
		t.Fatal(err)
	}
	sc.Name, sc.Domain = "rebuilt-node-corp", "CORP"
	sc.IISAccounts = &world.IISAccountsSpec{Anonymous: "IUSR_WEBFARM", WAM: "IWAM_WEBFARM"}
	for i, a := range sc.Accounts {
		sc.Accounts[i].User = strings.NewReplacer("IUSR_CLUSTER", "IUSR_WEBFARM", "IWAM_CLUSTER", "IWAM_WEBFARM").Replace(a.User)
	}
	data, err := json.Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "corp.json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	l := inProcessLabWith(t, lab.Options{Scenario: file})
	if l.Username != `CORP\Administrator` {
		t.Fatalf("the lab's user is %s", l.Username)
	}
	example, vars := recoveryExample(t, l, nil)
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		ConfigDirectory:          example,
		ConfigVariables:          vars,
		ConfigPlanChecks:         resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
		ConfigStateChecks: []statecheck.StateCheck{
			l.expectGrantsTo(`CORP\IUSR_WEBFARM`, `CORP\IWAM_WEBFARM`),
			l.expectAfterFailover(),
			l.ExpectNoIncidents(),
		},
	}}})
}
