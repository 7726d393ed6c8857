package provider

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

const clusterAddr = "data.mscs_cluster.test"

// The data source against the lab's own view of the cluster: every node,
// group and resource the world holds, with the same owners and states.
func TestAccClusterDataSource_matchesLab(t *testing.T) {
	t.Parallel()
	l := newTestLab(t)
	runTestCase(t, resource.TestCase{
		Steps: []resource.TestStep{{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			ConfigDirectory:          config.TestNameDirectory(),
			ConfigVariables:          l.variables(),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(clusterAddr, tfjsonpath.New("read_through"), knownvalue.StringExact("NODE1")),
				statecheck.ExpectKnownValue(clusterAddr, tfjsonpath.New("nodes"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact("NODE1"), "state": knownvalue.StringExact("Up")}),
					knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact("NODE2"), "state": knownvalue.StringExact("Up")}),
				})),
				l.ExpectNoIncidents(),
				checkState(l.compareWithWorld),
			},
		}},
	})
}

// With NODE1 out of the cluster, the data source reads through NODE2; and
// `node` pins the node to read through.
func TestAccClusterDataSource_readsThroughAnUpNode(t *testing.T) {
	t.Parallel()
	l := newTestLab(t)
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: l.providerConfig("", nil) + `data "mscs_cluster" "test" { node = "NODE2" }`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(clusterAddr, tfjsonpath.New("read_through"), knownvalue.StringExact("NODE2")),
				},
			},
			{
				PreConfig: func() {
					if res := l.Run(t, "NODE1", "net stop ClusSvc"); res.ExitCode != 0 {
						t.Fatalf("net stop ClusSvc on NODE1 exited %d: %s%s", res.ExitCode, res.Stdout, res.Stderr)
					}
				},
				Config: l.providerConfig("", nil) + `data "mscs_cluster" "test" {}`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(clusterAddr, tfjsonpath.New("read_through"), knownvalue.StringExact("NODE2")),
					statecheck.ExpectKnownValue(clusterAddr, tfjsonpath.New("nodes").AtSliceIndex(0).AtMapKey("state"), knownvalue.StringExact("Down")),
					l.ExpectNoIncidents(),
					checkState(l.compareWithWorld),
				},
			},
			{
				Config:      l.providerConfig("", nil) + `data "mscs_cluster" "test" { node = "NODE1" }`,
				ExpectError: wrapped(`(?s)Cannot read the cluster.*NODE1`),
			},
		},
	})
}

// compareWithWorld checks every group and resource of the data source against
// the lab's world.
func (l *testLab) compareWithWorld(s *tfjson.State) error {
	if l.Control == nil {
		return nil
	}
	w, err := l.Snapshot()
	if err != nil {
		return err
	}
	resources := rootResources(s)
	i := slices.IndexFunc(resources, func(r *tfjson.StateResource) bool { return r.Address == clusterAddr })
	if i < 0 {
		return fmt.Errorf("%s not in state", clusterAddr)
	}
	a := flatAttributes(resources[i].AttributeValues)

	groups := w.Cluster.Groups
	sort.Slice(groups, func(i, j int) bool { return groups[i].Name < groups[j].Name })
	if a["groups.#"] != strconv.Itoa(len(groups)) {
		return fmt.Errorf("groups.# = %s, the lab has %d", a["groups.#"], len(groups))
	}
	owner := map[string]string{}
	for i, g := range groups {
		owner[g.Name] = g.Owner
		p := fmt.Sprintf("groups.%d.", i)
		if a[p+"name"] != g.Name || a[p+"owner_node"] != g.Owner || a[p+"state"] != g.State {
			return fmt.Errorf("group %d: %s/%s/%s, the lab has %s/%s/%s", i, a[p+"name"], a[p+"owner_node"], a[p+"state"], g.Name, g.Owner, g.State)
		}
		if a[p+"preferred_owners.#"] != strconv.Itoa(len(g.PreferredOwners)) {
			return fmt.Errorf("group %s: %s preferred owners, the lab has %v", g.Name, a[p+"preferred_owners.#"], g.PreferredOwners)
		}
		for j, o := range g.PreferredOwners {
			if got := a[fmt.Sprintf("%spreferred_owners.%d", p, j)]; got != o {
				return fmt.Errorf("group %s: preferred owner %d is %s, the lab has %s", g.Name, j, got, o)
			}
		}
	}

	res := w.Cluster.Resources
	sort.Slice(res, func(i, j int) bool { return res[i].Name < res[j].Name })
	if a["resources.#"] != strconv.Itoa(len(res)) {
		return fmt.Errorf("resources.# = %s, the lab has %d", a["resources.#"], len(res))
	}
	for i, r := range res {
		p := fmt.Sprintf("resources.%d.", i)
		state := r.State
		if state == "Failed" {
			// cluster.exe under the lab's default layout (nt4) prints a
			// failed resource as Offline, as NT 4.0 does (FORMATS.md).
			state = "Offline"
		}
		want := map[string]string{"name": r.Name, "group": r.Group, "type": r.Type, "state": state,
			"owner_node": owner[r.Group], "restart_action": r.Properties["RestartAction"]}
		for k, v := range want {
			if a[p+k] != v {
				return fmt.Errorf("resource %s: %s = %q, the lab has %q", r.Name, k, a[p+k], v)
			}
		}
	}
	return nil
}
