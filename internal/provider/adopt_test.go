package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// stringsCheck is a knownvalue check of a list of strings by a function.
type stringsCheck struct {
	what string
	f    func([]string) error
}

func (c stringsCheck) CheckValue(v any) error {
	list, ok := v.([]any)
	if !ok {
		return fmt.Errorf("%s: not a list: %v", c.what, v)
	}
	var s []string
	for _, e := range list {
		s = append(s, fmt.Sprint(e))
	}
	return c.f(s)
}

func (c stringsCheck) String() string { return c.what }

// An Option Pack installed on NODE2 as NODE1 has it and healthy (metabase-
// fresh) is adopted: the plan says so and lists nothing that runs, apply
// sends no command that changes a node (the cluster service keeps running),
// ran_steps is empty, and the next plan is empty.
func TestAccOptionpackInstall_adoptsHealthyInstall(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "metabase-fresh")
	var from int
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		PreConfig:                l.Mark(t, &from),
		Config:                   recoveryConfig(l, ""),
		ConfigPlanChecks: resource.ConfigPlanChecks{
			PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(installAddr, tfjsonpath.New("adopted"), knownvalue.Bool(true)),
				plancheck.ExpectKnownValue(installAddr, tfjsonpath.New("steps"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.StringExact("NODE2: adopted: already installed as NODE1 has it; nothing runs")})),
			},
			PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
		},
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue(installAddr, tfjsonpath.New("adopted"), knownvalue.Bool(true)),
			statecheck.ExpectKnownValue(installAddr, tfjsonpath.New("ran_steps"), knownvalue.ListSizeExact(0)),
			statecheck.ExpectKnownValue(installAddr, tfjsonpath.New("reinstall"), knownvalue.StringExact("when_needed")),
			// The cluster service already running and automatic: adopted too.
			statecheck.ExpectKnownValue("mscs_cluster_node_service.rebuilt", tfjsonpath.New("ran_steps"), knownvalue.ListSizeExact(0)),
			l.ExpectOnlyQueriesSince("the adopted install and the cluster service already running change nothing", &from),
			l.ExpectService("NODE2", "ClusSvc", "RUNNING", "auto"),
			l.ExpectNoIncidents(),
		},
	}}})
}

// reinstall = "always" runs the KB's reinstall on the same healthy node
// (Remove All, the service pack, setup, reboots); a value it does not know
// is a plan-time error naming the attribute, with nothing run.
func TestAccOptionpackInstall_reinstallAlways(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "metabase-fresh")
	var from, bad int
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		PreConfig:                l.Mark(t, &bad),
		Config:                   recoveryConfig(l, "  reinstall = \"sometimes\"\n"),
		PlanOnly:                 true,
		ExpectError:              regexp.MustCompile(`(?s)reinstall.*when_needed.*always`),
	}, {
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		PreConfig: func() {
			if err := l.NoCommandsSince(&bad)(); err != nil {
				t.Fatalf("the refused plan: %v", err)
			}
			from = l.CommandCount(t)
		},
		Config: recoveryConfig(l, "  reinstall = \"always\"\n"),
		ConfigPlanChecks: resource.ConfigPlanChecks{
			PreApply: []plancheck.PlanCheck{plancheck.ExpectKnownValue(installAddr, tfjsonpath.New("adopted"), knownvalue.Bool(false))},
		},
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue(installAddr, tfjsonpath.New("adopted"), knownvalue.Bool(false)),
			statecheck.ExpectKnownValue(installAddr, tfjsonpath.New("ran_steps"), stringsCheck{"Remove All ran", func(s []string) error {
				if !strings.Contains(strings.Join(s, "\n"), "NODE2: Remove All of the Option Pack present") {
					return fmt.Errorf("ran_steps %q", s)
				}
				return nil
			}}),
			statecheck.ExpectKnownValue("mscs_cluster_node_service.rebuilt", tfjsonpath.New("ran_steps"), stringsCheck{"the start ran", func(s []string) error {
				if !strings.Contains(strings.Join(s, "\n"), "NODE2: start ClusSvc") {
					return fmt.Errorf("ran_steps %q", s)
				}
				return nil
			}}),
			l.ExpectKBSteps("NODE2", &from, "stop ClusSvc", "RemoveAll", "reboot", "SP", "reboot", "setup", "reboot", "SP", "reboot", "start ClusSvc"),
			l.ExpectNoIncidents(),
		},
	}}})
}

// A corrupted IIS (the KB's case) is never adopted: the plan and apply run
// the KB's reinstall.
func TestAccOptionpackInstall_corruptedIISNotAdopted(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "corrupted-iis")
	var from int
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		PreConfig:                l.Mark(t, &from),
		Config:                   recoveryConfig(l, ""),
		ConfigPlanChecks: resource.ConfigPlanChecks{
			PreApply: []plancheck.PlanCheck{plancheck.ExpectKnownValue(installAddr, tfjsonpath.New("adopted"), knownvalue.Bool(false))},
		},
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue(installAddr, tfjsonpath.New("adopted"), knownvalue.Bool(false)),
			l.ExpectKBSteps("NODE2", &from, "stop ClusSvc", "RemoveAll", "reboot", "SP", "reboot", "setup", "reboot", "SP", "reboot", "start ClusSvc"),
			l.ExpectNoIncidents(),
		},
	}}})
}

// examples/recovery on a node whose Option Pack is already as NODE1's and
// healthy (only a later phase is needed) adopts the install: no Remove All,
// setup, service pack, reboot or stop of the cluster service on NODE2, and
// an empty plan after.
func TestAccRecovery_adoptsHealthyInstall(t *testing.T) {
	t.Parallel()
	for _, scenario := range []string{"msdtc-standalone", "metabase-fresh"} {
		t.Run(scenario, func(t *testing.T) {
			t.Parallel()
			l := inProcessLab(t, scenario)
			example, vars := recoveryExample(t, l, nil)
			var from int
			runTestCase(t, resource.TestCase{Steps: []resource.TestStep{{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				PreConfig:                l.Mark(t, &from),
				ConfigDirectory:          example,
				ConfigVariables:          vars,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectKnownValue(installAddr, tfjsonpath.New("adopted"), knownvalue.Bool(true))},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(installAddr, tfjsonpath.New("ran_steps"), knownvalue.ListSizeExact(0)),
					statecheck.ExpectKnownValue("mscs_cluster_node_service.rebuilt", tfjsonpath.New("ran_steps"), knownvalue.ListSizeExact(0)),
					// No stop or start of the cluster service, Remove All, setup,
					// service pack or reboot on NODE2.
					l.ExpectKBSteps("NODE2", &from),
					l.expectGrants(),
					l.expectAfterFailover(),
					l.ExpectNoIncidents(),
				},
			}}})
		})
	}
}
