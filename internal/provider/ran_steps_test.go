package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// dtcCondition begins each reinstall step the plan lists conditionally.
const dtcCondition = "if MSDTC did not come online on NODE2 in the KB's test, then: "

// MSDTC clustered on both nodes: the plan lists the reinstall as steps that
// run only if the KB's test fails. After apply, ran_steps lists what ran:
// without the reinstall where MSDTC came online on NODE2 (no msdtc command
// in the lab's log, reinstalled false), with it, unconditional, where it did
// not (its log folder deleted from the shared disk: it cannot start
// anywhere, the reinstall creates the folder again); steps stay as planned.
func TestAccMSDTCClustered_ranSteps(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		online bool
	}{{"came online", true}, {"did not come online", false}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			l := inProcessLab(t, "metabase-fresh")
			planned := capturedSteps{}
			var from int
			step := l.msdtcStep(nil)
			step.PreConfig = func() {
				if !c.online {
					l.Run(t, "NODE1", `rmdir /s /q S:\MSDTCLog`)
				}
				from = l.CommandCount(t)
			}
			step.ConfigPlanChecks = resource.ConfigPlanChecks{
				PreApply:             []plancheck.PlanCheck{planned.planSteps()},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			}
			want := []string{"NODE1: delete MSDTC", "NODE1: msdtc -remove", "NODE2: msdtc -remove", "NODE1: msdtc -install", "NODE2: msdtc -join"}
			if c.online {
				want = nil
			}
			step.ConfigStateChecks = []statecheck.StateCheck{
				statecheck.ExpectKnownValue(msdtcAddr, tfjsonpath.New("reinstalled"), knownvalue.Bool(!c.online)),
				statecheck.ExpectKnownValue(msdtcAddr, tfjsonpath.New("steps"), stringsCheck{"steps as planned", func(s []string) error {
					if strings.Join(s, "\n") != strings.Join(planned[msdtcAddr], "\n") {
						return fmt.Errorf("steps %q, planned %q", s, planned[msdtcAddr])
					}
					return nil
				}}),
				statecheck.ExpectKnownValue(msdtcAddr, tfjsonpath.New("ran_steps"), stringsCheck{"the steps that ran", func(ran []string) error {
					var conditional, rest []string
					for _, s := range planned[msdtcAddr] {
						if strings.HasPrefix(s, dtcCondition) {
							conditional = append(conditional, strings.TrimPrefix(s, dtcCondition))
						} else {
							rest = append(rest, s)
						}
					}
					if len(conditional) < 5 || !strings.Contains(strings.Join(conditional, "\n"), "NODE1: msdtc -remove") {
						return fmt.Errorf("the plan did not list the reinstall as conditional: %q", planned[msdtcAddr])
					}
					// The conditional steps sit between the test and the restore.
					wantRan := rest
					if !c.online {
						wantRan = append(append(append([]string{}, rest[:len(rest)-1]...), conditional...), rest[len(rest)-1])
					}
					if strings.Join(ran, "\n") != strings.Join(wantRan, "\n") {
						return fmt.Errorf("ran_steps\n%q\nwant\n%q", ran, wantRan)
					}
					return nil
				}}),
				l.msdtcOrder(&from, want...),
				l.expectMSDTC(),
				l.ExpectNoIncidents(),
			}
			runTestCase(t, resource.TestCase{Steps: []resource.TestStep{step}})
		})
	}
}
