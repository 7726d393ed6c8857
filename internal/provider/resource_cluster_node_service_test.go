package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
)

const serviceAddr = "mscs_cluster_node_service.test"

func serviceResource(node, state, startup string) string {
	return fmt.Sprintf(`
resource "mscs_cluster_node_service" "test" {
  node         = %q
  state        = %q
  startup_type = %q
}
`, node, state, startup)
}

func expectService(state, startup, clusterState string) []statecheck.StateCheck {
	return []statecheck.StateCheck{
		statecheck.ExpectKnownValue(serviceAddr, tfjsonpath.New("id"), knownvalue.StringExact("NODE2/ClusSvc")),
		statecheck.ExpectKnownValue(serviceAddr, tfjsonpath.New("service_name"), knownvalue.StringExact("ClusSvc")),
		statecheck.ExpectKnownValue(serviceAddr, tfjsonpath.New("state"), knownvalue.StringExact(state)),
		statecheck.ExpectKnownValue(serviceAddr, tfjsonpath.New("startup_type"), knownvalue.StringExact(startup)),
		statecheck.ExpectKnownValue(serviceAddr, tfjsonpath.New("cluster_node_state"), knownvalue.StringExact(clusterState)),
	}
}

// The KB's order for a rebuilt node: stop the cluster service and set it to
// manual, later start it again and set it back to automatic. Then import.
func TestAccClusterNodeService_stopThenStart(t *testing.T) {
	t.Parallel()
	l := newTestLab(t)
	var mark int
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			// Destroy forgets: the node keeps its running cluster service.
			if l.Control == nil {
				return nil
			}
			if s, st, err := l.Service("NODE2", "ClusSvc"); err != nil || s != "RUNNING" || st != "auto" {
				return fmt.Errorf("after destroy ClusSvc on NODE2 is %s/%s (%v), want RUNNING/auto untouched", s, st, err)
			}
			// Destroy refreshes first (queries), but must change nothing.
			if err := l.OnlyQueriesSince(&mark)(); err != nil {
				return fmt.Errorf("destroy touched a node: %w", err)
			}
			return l.NoIncidents()
		},
		Steps: []resource.TestStep{
			{
				Config: l.providerConfig("", nil) + serviceResource("NODE2", "stopped", "manual"),
				ConfigStateChecks: append(expectService("stopped", "manual", "Down"),
					l.ExpectService("NODE2", "ClusSvc", "STOPPED", "demand"),
					l.ExpectClusterState("NODE2", "Down"),
					// NODE1 keeps serving: its cluster service is left alone.
					l.ExpectService("NODE1", "ClusSvc", "RUNNING", "auto"),
					l.ExpectNoIncidents()),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(serviceAddr, plancheck.ResourceActionCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				Config: l.providerConfig("", nil) + serviceResource("NODE2", "running", "automatic"),
				ConfigStateChecks: append(expectService("running", "automatic", "Up"),
					l.ExpectService("NODE2", "ClusSvc", "RUNNING", "auto"),
					l.ExpectClusterState("NODE2", "Up"),
					l.ExpectNoIncidents(),
					l.Check("the commands on NODE2", func() error {
						cmds, err := l.Control.Commands("NODE2")
						if err != nil {
							return err
						}
						var lines []string
						for _, c := range cmds {
							lines = append(lines, strings.ToLower(c.Program+" "+c.Args))
						}
						all := strings.Join(lines, "\n")
						for _, want := range []string{"sc config clussvc start= demand", "sc stop clussvc", "sc config clussvc start= auto", "sc start clussvc"} {
							if !strings.Contains(all, want) {
								return fmt.Errorf("no %q in NODE2's command log:\n%s", want, all)
							}
						}
						return nil
					})),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(serviceAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				ResourceName:      serviceAddr,
				ImportState:       true,
				ImportStateId:     "NODE2/ClusSvc",
				ImportStateVerify: true,
				// The steps are those of the last apply: an import ran none.
				ImportStateVerifyIgnore: []string{"steps", "ran_steps"},
			},
			{
				// Mark the log, so CheckDestroy can tell that destroy sent nothing.
				Config: l.providerConfig("", nil) + serviceResource("NODE2", "running", "automatic"),
				ConfigStateChecks: []statecheck.StateCheck{l.Check("mark the log", func() error {
					mark = l.CommandCount(t)
					return nil
				})},
			},
		},
	})
}

// Only the startup type changes: an in-place update that leaves the service
// running and the node Up.
func TestAccClusterNodeService_update(t *testing.T) {
	t.Parallel()
	l := newTestLab(t)
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:            l.providerConfig("", nil) + serviceResource("NODE2", "running", "automatic"),
				ConfigStateChecks: append(expectService("running", "automatic", "Up"), l.ExpectService("NODE2", "ClusSvc", "RUNNING", "auto")),
			},
			{
				Config: l.providerConfig("", nil) + serviceResource("NODE2", "running", "manual"),
				ConfigStateChecks: append(expectService("running", "manual", "Up"),
					l.ExpectService("NODE2", "ClusSvc", "RUNNING", "demand"),
					l.ExpectClusterState("NODE2", "Up"),
					l.ExpectNoIncidents()),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(serviceAddr, plancheck.ResourceActionUpdate),
						// The node's cluster state is not expected to change.
						plancheck.ExpectKnownValue(serviceAddr, tfjsonpath.New("cluster_node_state"), knownvalue.StringExact("Up")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

// Someone stops the cluster service at the node's console: plan shows it,
// apply starts it again.
func TestAccClusterNodeService_drift(t *testing.T) {
	t.Parallel()
	l := newTestLab(t)
	config := l.providerConfig("", nil) + serviceResource("NODE2", "running", "automatic")
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:            config,
				ConfigStateChecks: expectService("running", "automatic", "Up"),
			},
			{
				PreConfig: func() {
					if res := l.Run(t, "NODE2", "net stop ClusSvc"); res.ExitCode != 0 {
						t.Fatalf("net stop ClusSvc exited %d: %s%s", res.ExitCode, res.Stdout, res.Stderr)
					}
					if res := l.Run(t, "NODE2", "sc config ClusSvc start= demand"); res.ExitCode != 0 {
						t.Fatalf("sc config exited %d: %s%s", res.ExitCode, res.Stdout, res.Stderr)
					}
				},
				Config:             config,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(serviceAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(serviceAddr, tfjsonpath.New("state"), knownvalue.StringExact("running")),
						plancheck.ExpectUnknownValue(serviceAddr, tfjsonpath.New("cluster_node_state")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: append(expectService("running", "automatic", "Up"),
					l.ExpectService("NODE2", "ClusSvc", "RUNNING", "auto"),
					l.ExpectClusterState("NODE2", "Up"),
					l.ExpectNoIncidents()),
			},
		},
	})
}

// Bad input is stopped at plan time, against the lab: nothing reaches a node.
func TestAccClusterNodeService_planTimeErrors(t *testing.T) {
	t.Parallel()
	l := newTestLab(t)
	mark := l.CommandCount(t)
	cases := []struct {
		config string
		want   string
	}{
		{serviceResource("NODE2&net stop ClusSvc", "running", "automatic"), `is not a valid node name`},
		{serviceResource("%COMPUTERNAME%", "running", "automatic"), `cannot be quoted safely`},
		{serviceResource("NODE3", "running", "automatic"), `Node "NODE3" is not in the provider's nodes`},
		{`
resource "mscs_cluster_node_service" "test" {
  node         = "NODE2"
  service_name = "ClusSvc\" & net stop \"W3SVC"
  state        = "running"
  startup_type = "automatic"
}`, `service_name .* cannot be quoted safely`},
		// sc would take it for a switch, not a service name.
		{`
resource "mscs_cluster_node_service" "test" {
  node         = "NODE2"
  service_name = "/?"
  state        = "running"
  startup_type = "automatic"
}`, `(?s)service_name.*must be a Windows service name`},
	}
	var steps []resource.TestStep
	for _, tc := range cases {
		steps = append(steps, resource.TestStep{
			Config:      l.providerConfig("", nil) + tc.config,
			PlanOnly:    true,
			ExpectError: wrapped(tc.want),
		})
	}
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    steps,
	})
	if err := l.NoCommandsSince(&mark)(); err != nil {
		t.Fatal(err)
	}
	if err := l.NoIncidents(); err != nil {
		t.Fatal(err)
	}
}

func TestAccClusterNodeService_wrongCredentials(t *testing.T) {
	if ownProcess(t) {
		return
	}
	l := newTestLab(t)
	setProcessEnv(t, envUsername, l.Username, envPassword, "not-"+l.Password)
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      l.providerConfigFromEnv("", nil) + serviceResource("NODE2", "running", "automatic"),
			ExpectError: wrapped(`(?s)NODE2.*authentication failed \(401\)`),
		}},
	})
	if err := l.NoIncidents(); err != nil {
		t.Fatal(err)
	}
}

// A node nobody listens for, and (with a lab's control API) a node whose
// endpoint refuses connections: both errors name the node and its endpoint.
func TestAccClusterNodeService_unreachableNode(t *testing.T) {
	t.Parallel()
	l := newTestLab(t)
	steps := []resource.TestStep{{
		Config:      l.providerConfig("", map[string]string{"NODE2": closedPortEndpoint(t)}) + serviceResource("NODE2", "running", "automatic"),
		ExpectError: wrapped(`NODE2 unreachable at https://127\.0\.0\.1:\d+/wsman \(connection refused\)`),
	}}
	if l.Control != nil {
		t.Cleanup(func() { _ = l.Control.ClearFaults() })
		steps = append(steps, resource.TestStep{
			PreConfig: func() {
				if err := l.Control.AddFault(world.Fault{Node: "NODE2", Kind: "refuse"}); err != nil {
					t.Fatal(err)
				}
			},
			Config:      l.providerConfig("", nil) + serviceResource("NODE2", "running", "automatic"),
			ExpectError: wrapped(`NODE2 unreachable at ` + regexp.QuoteMeta(l.Nodes["NODE2"]) + ` \(connection refused\)`),
		})
	}
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    steps,
	})
	if err := l.NoIncidents(); err != nil {
		t.Fatal(err)
	}
}

// TF_LOG=DEBUG shows each command and its exit code per node, and never the
// password.
func TestAccClusterNodeService_logsWithoutSecrets(t *testing.T) {
	if ownProcess(t) {
		return
	}
	l := newTestLab(t)
	l.useEnvCredentials(t)
	logFile := filepath.Join(t.TempDir(), "provider.log")
	setProcessEnv(t, "TF_LOG", "DEBUG", "TF_LOG_PATH", logFile)
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:            l.providerConfigFromEnv("", nil) + serviceResource("NODE2", "stopped", "manual"),
			ConfigStateChecks: append(expectService("stopped", "manual", "Down"), l.ExpectNoIncidents()),
		}},
	})
	data, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	logs := string(data)
	if strings.Contains(logs, l.Password) {
		t.Fatalf("the password appears in the provider's log %s", logFile)
	}
	for _, want := range []string{`node=NODE2`, `exit_code=0`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the provider's log has no %s", want)
		}
	}
	// The stop goes in one command line with the startup type before it.
	if !regexp.MustCompile(`command="(sc config ClusSvc start= demand && )?sc stop ClusSvc"`).MatchString(logs) {
		t.Errorf("the provider's log has no command that stops ClusSvc")
	}
}

// A command that fails on the node fails the apply with a diagnostic naming
// the node, the step, the command, the exit code and its meaning; the next
// apply, with the fault gone, completes the work.
func TestAccClusterNodeService_failingCommand(t *testing.T) {
	t.Parallel()
	l := newTestLab(t)
	steps := []resource.TestStep{{
		Config:            l.providerConfig("", nil) + serviceResource("NODE2", "stopped", "manual"),
		ConfigStateChecks: expectService("stopped", "manual", "Down"),
	}}
	if l.Control != nil {
		t.Cleanup(func() { _ = l.Control.ClearFaults() })
		steps = append(steps,
			resource.TestStep{
				PreConfig: func() {
					err := l.Control.AddFault(world.Fault{Node: "NODE2", Kind: "exit", Match: "sc start", ExitCode: 1069,
						Stderr: "[SC] StartService FAILED 1069:\r\n\r\nThe service did not start due to a logon failure.\r\n", Count: 1})
					if err != nil {
						t.Fatal(err)
					}
				},
				Config:      l.providerConfig("", nil) + serviceResource("NODE2", "running", "automatic"),
				ExpectError: wrapped(`Node NODE2, step ".*": command "sc start ClusSvc" exited with code 1069 \(`),
			},
			resource.TestStep{
				Config: l.providerConfig("", nil) + serviceResource("NODE2", "running", "automatic"),
				ConfigStateChecks: append(expectService("running", "automatic", "Up"),
					l.ExpectService("NODE2", "ClusSvc", "RUNNING", "auto"),
					l.ExpectNoIncidents()),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			})
	}
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    steps,
	})
}

// A service the node does not have is an apply error that says so, and
// nothing is changed on the node.
func TestAccClusterNodeService_serviceNotInstalled(t *testing.T) {
	t.Parallel()
	l := newTestLab(t)
	mark := l.CommandCount(t)
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: l.providerConfig("", nil) + `
resource "mscs_cluster_node_service" "test" {
  node         = "NODE2"
  service_name = "W3SVC"
  state        = "running"
  startup_type = "automatic"
}`,
			// rebuilt-node: NODE2 has no Option Pack yet, so no web service.
			ExpectError: wrapped(`service "W3SVC" is not installed on the node`),
		}},
	})
	if err := l.OnlyQueriesSince(&mark)(); err != nil {
		t.Fatal(err)
	}
}

// Planning to stop the cluster service on the node that owns the groups warns
// that they will fail over, and changes nothing on the nodes.
func TestAccClusterNodeService_planWarnsAboutFailover(t *testing.T) {
	if ownProcess(t) {
		return
	}
	l := newTestLab(t)
	l.useEnvCredentials(t)
	logFile := filepath.Join(t.TempDir(), "provider.log")
	setProcessEnv(t, "TF_LOG", "WARN", "TF_LOG_PATH", logFile)
	mark := l.CommandCount(t)
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:             l.providerConfigFromEnv("", nil) + serviceResource("NODE1", "stopped", "manual"),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
		}},
	})
	data, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	// rebuilt-node: NODE1 owns both groups.
	if want := "NODE1 owns Cluster Group, Web Group: stopping its cluster service fails them over to NODE2."; !strings.Contains(string(data), want) {
		t.Errorf("the plan's warnings lack %q", want)
	}
	if err := l.OnlyQueriesSince(&mark)(); err != nil {
		t.Fatalf("plan changed a node: %v", err)
	}
	if l.Control != nil {
		if s, st, err := l.Service("NODE1", "ClusSvc"); err != nil || s != "RUNNING" || st != "auto" {
			t.Fatalf("after plan ClusSvc on NODE1 is %s/%s (%v), want RUNNING/auto", s, st, err)
		}
	}
}

// Import IDs that are malformed, name a node the provider does not know, or
// hold what cannot be quoted are refused before any command is sent.
func TestAccClusterNodeService_importErrors(t *testing.T) {
	t.Parallel()
	l := newTestLab(t)
	mark := l.CommandCount(t)
	config := l.providerConfig("", nil) + serviceResource("NODE2", "running", "automatic")
	var steps []resource.TestStep
	for id, want := range map[string]string{
		"NODE2":          `Expected NODE/service, e.g. NODE2/ClusSvc; got "NODE2"`,
		"NODE2/":         `Expected NODE/service`,
		"NODE9/ClusSvc":  `Node "NODE9" is not in the provider's nodes`,
		"NODE2/Clus%A%":  `Import ID "NODE2/Clus%A%", service_name: service_name "Clus%A%" cannot be quoted safely`,
		"NODE2/a/b":      `Expected NODE/service`,
		"NODE2&x/ClusSv": `Import ID "NODE2&x/ClusSv", node: node "NODE2&x" is not a valid node name`,
		// Import validates as the schema does (service names are never
		// switches, nor hold a backslash, nor exceed 256 characters).
		"NODE2/-ZQ":                           `Import ID "NODE2/-ZQ", service_name: .* must be a Windows service name`,
		`NODE2/a\b`:                           `Import ID .*, service_name: .* must be a Windows service name`,
		"NODE2/" + strings.Repeat("x", 10002): `Import ID .*, service_name: .* string length must be between 1 and 256`,
	} {
		steps = append(steps, resource.TestStep{
			Config:        config,
			ResourceName:  serviceAddr,
			ImportState:   true,
			ImportStateId: id,
			ExpectError:   wrapped(want),
		})
	}
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    steps,
	})
	if err := l.NoCommandsSince(&mark)(); err != nil {
		t.Fatal(err)
	}
}

// node matches the provider's keys without case, as Windows names do; the id
// spells the node as the provider's nodes do, and the next plan is empty.
func TestAccClusterNodeService_nodeNameCase(t *testing.T) {
	t.Parallel()
	l := newTestLab(t)
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: l.providerConfig("", nil) + serviceResource("node2", "running", "automatic"),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(serviceAddr, tfjsonpath.New("id"), knownvalue.StringExact("NODE2/ClusSvc")),
				statecheck.ExpectKnownValue(serviceAddr, tfjsonpath.New("node"), knownvalue.StringExact("node2")),
				l.ExpectService("NODE2", "ClusSvc", "RUNNING", "auto"),
			},
			ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
		}},
	})
}

// A node without sc.exe fails the plan naming it and where it comes from;
// only reads reach the node.
func TestAccClusterNodeService_missingTool(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "healthy")
	var mark int
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig: func() {
				l.Run(t, "NODE2", `del C:\WINNT\system32\sc.exe`)
				mark = l.CommandCount(t)
			},
			Config:      l.providerConfig("", nil) + serviceResource("NODE2", "stopped", "manual"),
			ExpectError: wrapped(`Tools missing on NODE2.*sc.exe \(from the Windows NT 4.0 Resource Kit\)`),
		}},
	})
	if err := l.OnlyQueriesSince(&mark)(); err != nil {
		t.Error(err)
	}
	if s, st, err := l.Service("NODE2", "ClusSvc"); err != nil || s != "RUNNING" || st != "auto" {
		t.Errorf("ClusSvc on NODE2 is %s/%s (%v), want RUNNING/auto untouched", s, st, err)
	}
}
