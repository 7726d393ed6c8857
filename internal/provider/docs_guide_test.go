package provider

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
)

var (
	guideWarningRe = regexp.MustCompile(`(?m)^Warning: (.+)$`)
	guideStepRe    = regexp.MustCompile(`(?m)^\s+\+ ("NODE\d: .*"),$`)
)

// The guide "Recover a node" (and the index's example of warnings) quotes
// the plan of examples/recovery against the rebuilt-node lab: every warning it quotes is one the recovery's plans give
// (the plan, or the apply's plans of the phases checked at apply), and every
// step it quotes is one the plans list. A warning or step reworded in the
// provider fails here until the guide says it as the provider does.
func TestAccDocs_recoverGuideQuotesThePlan(t *testing.T) {
	if ownProcess(t) {
		return
	}
	var guide string
	for _, page := range []string{"guides/recover-a-node.md", "index.md"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "docs", page))
		if err != nil {
			t.Fatal(err)
		}
		guide += string(data)
	}
	var warnings, steps []string
	for _, m := range guideWarningRe.FindAllStringSubmatch(guide, -1) {
		warnings = append(warnings, m[1])
	}
	for _, m := range guideStepRe.FindAllStringSubmatch(guide, -1) {
		s, err := strconv.Unquote(m[1])
		if err != nil {
			t.Fatalf("the guide's step %s: %v", m[1], err)
		}
		steps = append(steps, s)
	}
	if len(warnings) < 5 || len(steps) < 15 {
		t.Fatalf("the guide quotes %d warnings and %d steps; the test expects the plan's", len(warnings), len(steps))
	}

	l := inProcessLab(t, "rebuilt-node")
	logFile := filepath.Join(t.TempDir(), "terraform.log")
	setProcessEnv(t, "TF_LOG", "WARN", "TF_LOG_PATH", logFile)
	example, vars := recoveryExample(t, l, nil)
	planned := map[string]bool{}
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		ConfigDirectory:          example,
		ConfigVariables:          vars,
		ConfigPlanChecks:         resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{planStepsCheck{planned}}},
		ConfigStateChecks:        []statecheck.StateCheck{stateSteps(planned), l.ExpectNoIncidents()},
	}}})
	logged := warningsLogged(t, logFile)
	for _, w := range warnings {
		if !strings.Contains(logged, w) {
			t.Errorf("the guide quotes the warning %q, which no plan of the recovery gave", w)
		}
	}
	for _, s := range steps {
		if !planned[s] {
			t.Errorf("the guide quotes the step %q, which no plan of the recovery listed", s)
		}
	}
}

// planStepsCheck collects every resource's planned steps (those known in
// the plan) into into.
type planStepsCheck struct{ into map[string]bool }

func (c planStepsCheck) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, _ *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if after, ok := rc.Change.After.(map[string]any); ok {
			collectSteps(after["steps"], c.into)
		}
	}
}

// stateSteps collects every resource's steps in state (the apply's plan of
// each phase) into into.
type stateStepsCheck struct{ into map[string]bool }

func stateSteps(into map[string]bool) statecheck.StateCheck { return stateStepsCheck{into} }

func (c stateStepsCheck) CheckState(_ context.Context, req statecheck.CheckStateRequest, _ *statecheck.CheckStateResponse) {
	for _, r := range rootResources(req.State) {
		collectSteps(r.AttributeValues["steps"], c.into)
	}
}

func collectSteps(v any, into map[string]bool) {
	list, _ := v.([]any)
	for _, s := range list {
		if str, ok := s.(string); ok {
			into[str] = true
		}
	}
}

// The chain as the index writes it out, with the provider configured for the
// lab and its web check pointed at the lab's site, recovers NODE2 in every
// built-in scenario (a rebuilt node, a corrupted IIS, a standalone MSDTC, a
// fresh metabase, a healthy node), with no incident and an empty plan after:
// a user who copies it from the docs alone gets a recovery.
func TestAccDocs_chainRecoversEveryScenario(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "index.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- applied to every built-in lab scenario by TestAccDocs_chainRecoversEveryScenario -->\n```terraform\n(.*?)\n```").FindSubmatch(data)
	if m == nil {
		t.Fatal("docs/index.md has no chain marked for this test")
	}
	const docsURL = "http://webvs.lab.example/"
	chain := string(m[1])
	if !strings.Contains(chain, docsURL) {
		t.Fatalf("the chain's web check is not %s:\n%s", docsURL, chain)
	}
	for _, scenario := range world.BuiltinScenarios() {
		t.Run(scenario, func(t *testing.T) {
			t.Parallel() // a lab of its own
			l := inProcessLab(t, scenario)
			config := l.providerConfig("", nil) + strings.Replace(chain, docsURL, l.Sites["10.0.0.20"]+"/", 1)
			runTestCase(t, resource.TestCase{Steps: []resource.TestStep{{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Config:                   config,
				ConfigPlanChecks:         resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: []statecheck.StateCheck{
					l.expectInstalledLikeNode1(),
					l.expectMSDTC(),
					l.expectGrants(),
					l.expectAfterFailover(),
					l.ExpectNoIncidents(),
				},
			}}})
		})
	}
}

// docsPhasePages are the resource pages in the KB's order, the order an
// operator following them page by page applies their examples in.
var docsPhasePages = []string{"optionpack_install", "cluster_node_service", "msdtc_clustered", "iis_metabase_sync", "iis_cluster_accounts", "failover_test"}

// exampleUsageRe is a resource page's "Example Usage" block, as make docs
// writes it from examples/resources/<type>/resource.tf.
var exampleUsageRe = regexp.MustCompile("(?s)\n## Example Usage\n\n```terraform\n(.*?)\n```")

// exampleUsage is the Example Usage block of docs/<page>.
func exampleUsage(t *testing.T, page string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", filepath.FromSlash(page)))
	if err != nil {
		t.Fatal(err)
	}
	m := exampleUsageRe.FindSubmatch(data)
	if m == nil {
		t.Fatalf("docs/%s has no Example Usage block", page)
	}
	return string(m[1])
}

// Every page's example, applied as an operator reading the pages one after
// the other would: in a fresh lab of each built-in scenario, the data
// sources' examples (only reads reach the nodes), then the first resource
// page's example alone, then with the next page's added, and so on,
// each apply followed by an empty plan; at the end NODE2 is recovered as
// the index's chain recovers it, with no incident. The chain test
// (TestAccDocs_chainRecoversEveryScenario) applies the index's block; this
// one applies every page's, as written but for the lab's address of the
// site the failover test checks.
func TestAccDocs_pageExamplesRecoverEveryScenario(t *testing.T) {
	t.Parallel()
	const docsURL = "http://webvs/"
	var examples []string
	for _, page := range docsPhasePages {
		examples = append(examples, exampleUsage(t, "resources/"+page+".md"))
	}
	dataExamples := exampleUsage(t, "data-sources/cluster.md") + "\n" + exampleUsage(t, "data-sources/node.md") + "\n"
	if !strings.Contains(examples[len(examples)-1], docsURL) {
		t.Fatalf("the failover test's example does not check %s:\n%s", docsURL, examples[len(examples)-1])
	}
	for _, scenario := range world.BuiltinScenarios() {
		t.Run(scenario, func(t *testing.T) {
			t.Parallel() // a lab of its own
			l := inProcessLab(t, scenario)
			config := l.providerConfig("", nil)
			// The data sources' pages first, together: they only read.
			var mark int
			runTestCase(t, resource.TestCase{Steps: []resource.TestStep{{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				PreConfig:                l.Mark(t, &mark),
				Config:                   config + "\n" + dataExamples,
				ConfigPlanChecks:         resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks:        []statecheck.StateCheck{l.ExpectOnlyQueriesSince("the data sources' examples", &mark), l.ExpectNoIncidents()},
			}}})
			var steps []resource.TestStep
			for i, example := range examples {
				config += "\n" + strings.Replace(example, docsURL, l.Sites["10.0.0.20"]+"/", 1) + "\n"
				step := resource.TestStep{
					ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
					Config:                   config,
					ConfigPlanChecks:         resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
					ConfigStateChecks:        []statecheck.StateCheck{l.ExpectNoIncidents()},
				}
				if i == len(examples)-1 {
					step.ConfigStateChecks = []statecheck.StateCheck{
						l.expectInstalledLikeNode1(),
						l.expectMSDTC(),
						l.expectGrants(),
						l.expectAfterFailover(),
						l.ExpectNoIncidents(),
					}
				}
				steps = append(steps, step)
			}
			runTestCase(t, resource.TestCase{Steps: steps})
		})
	}
}
