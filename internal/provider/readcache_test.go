package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
)

// A no-op plan of examples/recovery after a recovery reads each node's
// facts once (issue 27): in the lab's command log, the plan (the refresh
// plan of a plan-only step, which reads every data source and refreshes
// and plans every phase) sends at most 40 command lines, reaches both
// nodes, sends no simple command twice to the same node (each fact read
// once), changes nothing (no incident) and is empty. Its time over a WAN
// link is BenchmarkPlanRecoveryWAN's.
func TestAccRecoveryExample_noOpPlanReadsOnce(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "rebuilt-node")
	example, vars := recoveryExample(t, l, nil)
	var before int
	mark := logCheck(func() error {
		recs, err := l.Control.Commands("")
		before = len(recs)
		return err
	})
	count := logCheck(func() error {
		recs, err := l.Control.Commands("")
		if err != nil {
			return err
		}
		if inc, err := l.Control.Incidents(); err != nil || len(inc) > 0 {
			return fmt.Errorf("lab incidents: %v %v", inc, err)
		}
		return readOnce(recs[before:], 40)
	})
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		ConfigDirectory:          example,
		ConfigVariables:          vars,
		ConfigStateChecks:        []statecheck.StateCheck{l.ExpectNoIncidents()},
	}, {
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		ConfigDirectory:          example,
		ConfigVariables:          vars,
		PlanOnly:                 true,
		ConfigPlanChecks: resource.ConfigPlanChecks{
			PostApplyPreRefresh:  []plancheck.PlanCheck{mark},
			PostApplyPostRefresh: []plancheck.PlanCheck{count, plancheck.ExpectEmptyPlan()},
		},
	}}})
}

// readOnce checks a plan's command log: no more command lines than most, both
// nodes reached, and no simple command sent twice to one node (the echo
// between a batch's parts and `echo found` of the tool checks aside: they
// are how batches and checks print, not reads), nor one fact read by two
// commands: a registry key read whole and a value of it read on its own,
// or SystemRoot from cmd's set besides the registry's CurrentVersion key.
func readOnce(recs []world.CommandRecord, most int) error {
	lines := map[int]bool{}
	nodes := map[string]bool{}
	sent := map[string]int{} // node + command -> command line it went in
	var twice []string
	keys := map[string]string{} // node + registry key -> how it was read: "whole" or "/v"
	for _, r := range recs {
		lines[r.Run] = true
		nodes[r.Node] = true
		if strings.EqualFold(r.Program, "echo") {
			continue
		}
		args := strings.TrimSpace(r.Args)
		key := r.Node + " " + r.Program + " " + args
		if run, ok := sent[key]; ok && run != r.Run {
			twice = append(twice, key)
		}
		sent[key] = r.Run
		if q, ok := strings.CutPrefix(args, "query "); ok && strings.EqualFold(r.Program, "reg") {
			k, _, value := strings.Cut(q, " /v ")
			how := map[bool]string{true: "/v", false: "whole"}[value]
			k = r.Node + " " + strings.ToUpper(strings.Trim(strings.TrimSpace(k), `"`))
			if prev, ok := keys[k]; ok && prev != how {
				twice = append(twice, k+" (whole and by value)")
			}
			keys[k] = how
		}
	}
	for n := range nodes {
		_, set := sent[n+" set SystemRoot"]
		if _, reg := keys[n+` HKLM\SOFTWARE\MICROSOFT\WINDOWS NT\CURRENTVERSION`]; set && reg {
			twice = append(twice, n+" SystemRoot (set and the registry)")
		}
	}
	switch {
	case len(lines) > most:
		return fmt.Errorf("the plan sent %d command lines; want at most %d", len(lines), most)
	case len(nodes) != 2:
		return fmt.Errorf("the plan reached nodes %v; want both", nodes)
	case len(twice) > 0:
		return fmt.Errorf("the plan read again: %q", twice)
	}
	return nil
}

// logCheck is a plan check that looks at the lab rather than the plan.
type logCheck func() error

func (f logCheck) CheckPlan(_ context.Context, _ plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	resp.Error = f()
}
