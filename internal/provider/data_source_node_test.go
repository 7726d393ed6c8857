package provider

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// mscs_node against the rebuilt-node lab: NODE1 with its Option Pack, NODE2
// without; every value compared with the lab's world.
func TestAccNodeDataSource(t *testing.T) {
	t.Parallel()
	l := newScenarioLab(t, "rebuilt-node")
	mark := l.CommandCount(t)
	service := func(name, display, state, startup string, exists bool) knownvalue.Check {
		return knownvalue.ObjectExact(map[string]knownvalue.Check{
			"name": knownvalue.StringExact(name), "display_name": knownvalue.StringExact(display),
			"state": knownvalue.StringExact(state), "startup_type": knownvalue.StringExact(startup),
			"exists": knownvalue.Bool(exists),
		})
	}
	runTestCase(t, resource.TestCase{
		Steps: []resource.TestStep{{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			ConfigDirectory:          config.TestNameDirectory(),
			ConfigVariables:          l.variables(),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.mscs_node.working", tfjsonpath.New("computer_name"), knownvalue.StringExact("NODE1")),
				statecheck.ExpectKnownValue("data.mscs_node.working", tfjsonpath.New("os_version"), knownvalue.StringExact("4.0")),
				statecheck.ExpectKnownValue("data.mscs_node.working", tfjsonpath.New("build"), knownvalue.StringExact("1381")),
				statecheck.ExpectKnownValue("data.mscs_node.working", tfjsonpath.New("csd_version"), knownvalue.StringExact("Service Pack 4")),
				statecheck.ExpectKnownValue("data.mscs_node.working", tfjsonpath.New("service_pack"), knownvalue.StringExact("4")),
				statecheck.ExpectKnownValue("data.mscs_node.working", tfjsonpath.New("option_pack_installed"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue("data.mscs_node.working", tfjsonpath.New("install_method"), knownvalue.StringExact("custom")),
				statecheck.ExpectKnownValue("data.mscs_node.working", tfjsonpath.New("components"), stringSet(node1Components)),
				statecheck.ExpectKnownValue("data.mscs_node.working", tfjsonpath.New("pending_reboot"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue("data.mscs_node.working", tfjsonpath.New("services"), knownvalue.ListExact([]knownvalue.Check{
					service("ClusSvc", "Cluster Server", "running", "automatic", true),
					service("MSDTC", "MSDTC", "running", "manual", true),
					service("IISADMIN", "IIS Admin Service", "running", "automatic", true),
					service("W3SVC", "World Wide Web Publishing Service", "running", "automatic", true),
					service("MSFTPSVC", "FTP Publishing Service", "running", "automatic", true),
				})),
				statecheck.ExpectKnownValue("data.mscs_node.rebuilt", tfjsonpath.New("option_pack_installed"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue("data.mscs_node.rebuilt", tfjsonpath.New("install_method"), knownvalue.StringExact("")),
				statecheck.ExpectKnownValue("data.mscs_node.rebuilt", tfjsonpath.New("components"), knownvalue.SetExact([]knownvalue.Check{})),
				statecheck.ExpectKnownValue("data.mscs_node.rebuilt", tfjsonpath.New("services").AtSliceIndex(2),
					service("IISADMIN", "", "", "", false)),
				l.Check("mscs_node against the lab's world", func() error {
					for _, name := range []string{"NODE1", "NODE2"} {
						n, err := l.Node(name)
						if err != nil {
							return err
						}
						if n.OSVersion != "4.0" || n.Build != "1381" || n.CSDVersion != "Service Pack 4" {
							return fmt.Errorf("%s is %s build %s %q in the lab", name, n.OSVersion, n.Build, n.CSDVersion)
						}
						if want := name == "NODE1"; n.OptionPack.Installed != want {
							return fmt.Errorf("%s's Option Pack installed = %t in the lab", name, n.OptionPack.Installed)
						}
					}
					n1, _ := l.Node("NODE1")
					got := append([]string(nil), n1.OptionPack.Components...)
					sort.Strings(got)
					if strings.Join(got, ",") != strings.Join(node1Components, ",") {
						return fmt.Errorf("NODE1 has %v in the lab", got)
					}
					return nil
				}),
				l.Check("mscs_node only reads", l.OnlyQueriesSince(&mark)),
			},
		}},
	})
}
