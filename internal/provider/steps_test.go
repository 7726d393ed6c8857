package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
)

// capturedSteps keeps the steps each resource's plan listed.
type capturedSteps map[string][]string

// planSteps is a plan check that records the planned `steps` of every
// resource, and fails when a resource that changes has none known, unless
// its triggers are unknown: an earlier phase of the apply runs first, and
// the apply lists its steps when it plans it again.
func (c capturedSteps) planSteps() plancheck.PlanCheck { return c }

func (c capturedSteps) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		// terraform_data is Terraform's own, with no steps to list.
		if rc.Mode != "managed" || rc.Change.Actions.NoOp() || rc.Type == "terraform_data" {
			continue
		}
		after, _ := rc.Change.After.(map[string]any)
		if unknown, _ := rc.Change.AfterUnknown.(map[string]any); unknown["steps"] == true && unknown["triggers"] != nil {
			continue
		}
		list, ok := after["steps"].([]any)
		if !ok || len(list) == 0 {
			resp.Error = fmt.Errorf("%s: the plan lists no steps (%v)", rc.Address, after["steps"])
			return
		}
		for _, s := range list {
			c[rc.Address] = append(c[rc.Address], fmt.Sprint(s))
		}
	}
}

// stepKB reduces a planned step to the lab's KB step it runs ("" for the
// steps that are checks, waits or settings: kbSteps does not count them).
func stepKB(step string) string {
	_, what, _ := strings.Cut(step, ": ")
	switch {
	case strings.HasPrefix(what, "stop the cluster service"), strings.HasPrefix(what, "stop ClusSvc"):
		return "stop ClusSvc"
	case strings.HasPrefix(what, "start ClusSvc"):
		return "start ClusSvc"
	case strings.HasPrefix(what, "Remove All"):
		return "RemoveAll"
	case strings.HasPrefix(what, "Option Pack setup"):
		return "setup"
	case strings.HasPrefix(what, "reboot"):
		return "reboot"
	case strings.HasPrefix(what, "re-apply service pack"):
		return "SP"
	}
	return ""
}

// The plan lists, per node and in order, what apply runs: the recovery chain
// on both scenarios, its planned steps against the lab's command log; and
// again with the nodes printing the tools' output as Windows XP and 2003 do
// (sc.exe's and reg.exe 3.0's layouts, cluster.exe's typed properties).
func TestAccSteps_planListsWhatApplyRuns(t *testing.T) {
	t.Parallel()
	// MSDTC: standalone on the rebuilt node, reinstalled on both nodes in the
	// KB's order; clustered through the corrupted IIS's reinstall, so the
	// test passes and nothing is reinstalled.
	msdtc := map[string][]string{"rebuilt-node": manualOrder, "corrupted-iis": nil}
	for _, run := range []struct{ scenario, layout string }{
		{"rebuilt-node", ""}, {"corrupted-iis", ""}, {"rebuilt-node", world.Layout2003}, {"corrupted-iis", world.Layout2003},
	} {
		scenario := run.scenario
		name := scenario
		if run.layout != "" {
			name += "/layout-" + run.layout
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var l *testLab
			if run.layout == "" {
				l = newScenarioLab(t, scenario)
			} else {
				l = inProcessLabWith(t, lab.Options{Scenario: scenario, ToolLayout: run.layout})
			}
			planned := capturedSteps{}
			var from int
			example, vars := recoveryExample(t, l, nil)
			runTestCase(t, resource.TestCase{
				// A configuration with its own provider block names the
				// provider per step.
				Steps: []resource.TestStep{{
					ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
					PreConfig:                l.Mark(t, &from),
					ConfigDirectory:          example,
					ConfigVariables:          vars,
					ConfigPlanChecks: resource.ConfigPlanChecks{
						PreApply:             []plancheck.PlanCheck{planned.planSteps()},
						PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
					},
					ConfigStateChecks: []statecheck.StateCheck{
						l.Check("the planned steps against the command log", func() error {
							var want []string
							for _, addr := range []string{installAddr, "mscs_cluster_node_service.rebuilt"} {
								for _, s := range planned[addr] {
									if !strings.HasPrefix(s, "NODE2: ") {
										return fmt.Errorf("%s: step %q does not name its node", addr, s)
									}
									if kb := stepKB(s); kb != "" {
										want = append(want, kb)
									}
								}
							}
							if len(want) < 5 {
								return fmt.Errorf("planned %v", planned)
							}
							if err := l.CheckKBSteps("NODE2", from, want...); err != nil {
								return fmt.Errorf("%w\nplanned steps: %q", err, planned)
							}
							return nil
						}),
						l.expectMSDTC(),
						l.msdtcOrder(&from, msdtc[scenario]...),
						l.iissyncRuns(&from),
						l.expectSynced(t, false),
						l.expectGrants(),
						l.expectAfterFailover(),
						statecheck.ExpectKnownValue("mscs_msdtc_clustered.rebuilt", tfjsonpath.New("reinstalled"),
							knownvalue.Bool(msdtc[scenario] != nil)),
						l.ExpectNoIncidents(),
					},
				}},
			})
			if len(planned[installAddr]) == 0 {
				t.Fatal("no install steps were planned")
			}
			t.Logf("planned on %s: %q", scenario, planned)
		})
	}
}
