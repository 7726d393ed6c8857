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
// so nothing diffs, and mscs_cluster_node_service's replace_triggered_by has
// nothing to trigger on. The import itself only reads.
func TestAccImport_recoveryPlansNoChange(t *testing.T) {
	l := newScenarioLab(t, "rebuilt-node")
	l.useEnvCredentials(t)
	// As examples/recovery has it: the working node named.
	config := recoveryConfig(l, "  working_node      = \"NODE1\"\n")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    []resource.TestStep{{Config: config}},
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
`
	var mark int
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig: l.mark(t, &mark),
			Config:    config + imports,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(installAddr, plancheck.ResourceActionNoop),
					plancheck.ExpectResourceAction("mscs_cluster_node_service.rebuilt", plancheck.ResourceActionNoop),
				},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				l.checkLab("commands of the import", l.expectOnlyQueriesSince(&mark)),
				l.expectNoIncidents(),
			},
		}},
	})
}
