package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
)

// After a recovery, importing every resource of the chain into a fresh state
// plans no change: what the node cannot tell from its registry (the paths of
// setup and the service pack, the working node) the install recorded on it,
// so nothing diffs but the triggers, which set on an imported phase only
// record them (an update that runs nothing). The import itself only reads.
func TestAccImport_recoveryPlansNoChange(t *testing.T) {
	t.Parallel()
	l := newScenarioLab(t, "rebuilt-node")
	// examples/recovery itself, then the same with import blocks.
	example, vars := recoveryExample(t, l, nil)
	// A configuration with its own provider block names the provider per step.
	runTestCase(t, resource.TestCase{
		Steps: []resource.TestStep{{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, ConfigDirectory: example, ConfigVariables: vars}},
	})
	imports := `
import {
  to = mscs_optionpack_install.rebuilt
  id = "NODE2"
}

import {
  to = mscs_cluster_node_service.rebuilt
  id = "NODE2/ClusSvc"
}

import {
  to = mscs_msdtc_clustered.rebuilt
  id = "NODE2"
}

import {
  to = mscs_iis_metabase_sync.rebuilt
  id = "NODE1/NODE2"
}

import {
  to = mscs_iis_cluster_accounts.rebuilt
  id = "NODE2"
}

import {
  to = mscs_failover_test.rebuilt
  id = "NODE2"
}
`
	withImports, _ := recoveryExample(t, l, map[string]string{"imports.tf": imports})
	var mark int
	runTestCase(t, resource.TestCase{
		Steps: []resource.TestStep{{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			PreConfig:                l.Mark(t, &mark),
			ConfigDirectory:          withImports,
			ConfigVariables:          vars,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(installAddr, plancheck.ResourceActionNoop),
					// The triggers (and the failover test's checks) are
					// configuration only: an in-place update that runs
					// nothing, not a replacement.
					plancheck.ExpectResourceAction("mscs_cluster_node_service.rebuilt", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("mscs_msdtc_clustered.rebuilt", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("mscs_iis_metabase_sync.rebuilt", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("mscs_iis_cluster_accounts.rebuilt", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("mscs_failover_test.rebuilt", plancheck.ResourceActionUpdate),
				},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				l.Check("commands of the import", l.OnlyQueriesSince(&mark)),
				l.ExpectNoIncidents(),
			},
		}},
	})
}
