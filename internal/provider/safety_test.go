package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
)

// otherClusterLab starts a second in-process lab from scenario whose cluster
// is named clusterName: a cluster of its own, with nodes of the same names.
func otherClusterLab(t *testing.T, scenario, clusterName string) *testLab {
	t.Helper()
	sc, err := world.LoadScenario(scenario)
	if err != nil {
		t.Fatal(err)
	}
	sc.Cluster.Name = clusterName
	data, err := json.Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "other-cluster.json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return inProcessLab(t, file)
}

// withoutProvider is config without the lab's provider block it starts with,
// to put another provider block in front.
func (l *testLab) withoutProvider(config string) string {
	return strings.TrimPrefix(config, l.providerConfig("", nil))
}

// expectUntouched checks, after a refused plan, that no node of l ran
// anything but read-only commands since mark, that the lab recorded no
// incident, and that the cluster service still runs on both nodes.
func (l *testLab) expectUntouched(t *testing.T, mark int) {
	t.Helper()
	if l.Control == nil {
		return
	}
	if err := l.OnlyQueriesSince(&mark)(); err != nil {
		t.Errorf("a refused configuration changed a node: %v", err)
	}
	if err := l.NoIncidents(); err != nil {
		t.Error(err)
	}
	for _, n := range l.Names() {
		if s, st, err := l.Service(n, "ClusSvc"); err != nil || s != "RUNNING" || st != "auto" {
			t.Errorf("ClusSvc on %s is %s/%s (%v), want RUNNING/auto", n, s, st, err)
		}
	}
}

// NODE1's and NODE2's endpoints swapped (a typo in tfvars): the data source
// of the working node, and the install without a data source, are refused at
// plan time, naming the node key, the endpoint and what answered there.
// Nothing but reads reaches either machine.
func TestAccSafety_swappedEndpoints(t *testing.T) {
	t.Parallel()
	l := newScenarioLab(t, "rebuilt-node")
	if l.Control == nil {
		t.Skip("needs two endpoints of the in-process lab to swap") // a real lab is not re-wired
	}
	swapped := map[string]string{"NODE1": l.Nodes["NODE2"], "NODE2": l.Nodes["NODE1"]}
	provider := l.providerConfig("", swapped)
	mark := l.CommandCount(t)
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: provider + l.withoutProvider(recoveryConfig(l, "")),
				ExpectError: wrapped(fmt.Sprintf(`the machine at node NODE1's endpoint \(%s\) is NODE2, member of cluster CLUSTER1, not NODE1`,
					regexp.QuoteMeta(l.Nodes["NODE2"]))),
			},
			{
				Config: provider + l.withoutProvider(installConfig(l, "custom", node1Components, "")),
				ExpectError: wrapped(fmt.Sprintf(`the machine at node NODE2's endpoint \(%s\) is NODE1, member of cluster CLUSTER1, not NODE2`,
					regexp.QuoteMeta(l.Nodes["NODE1"]))),
			},
		},
	})
	l.expectUntouched(t, mark)
}

// NODE2's endpoint leads to a node named NODE2 of another cluster: refused at
// plan time, whichever node the resource acts on, and with cluster_name set
// even when the provider knows that node alone.
func TestAccSafety_otherClusterNode(t *testing.T) {
	if ownProcess(t) {
		return
	}
	l := newScenarioLab(t, "rebuilt-node")
	if l.Control == nil {
		t.Skip("needs a second in-process lab for the other cluster")
	}
	other := otherClusterLab(t, "rebuilt-node", "CLUSTER2")
	l.useEnvCredentials(t)
	nodes := fmt.Sprintf(`provider "mscs" {
  nodes = {
    NODE1 = { endpoint = %q, ca_cert = file(%q) }
    NODE2 = { endpoint = %q, ca_cert = file(%q) }
  }
}
`, l.Nodes["NODE1"], l.CAFile, other.Nodes["NODE2"], other.CAFile)
	alone := fmt.Sprintf(`provider "mscs" {
  cluster_name = "CLUSTER1"
  nodes = {
    NODE2 = { endpoint = %q, ca_cert = file(%q) }
  }
}
`, other.Nodes["NODE2"], other.CAFile)
	body := l.withoutProvider(installConfig(l, "custom", node1Components, ""))
	mark, otherMark := l.CommandCount(t), other.CommandCount(t)
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      nodes + body,
				ExpectError: wrapped(`node NODE2's endpoint .* is NODE2, member of cluster CLUSTER2, but the machine at NODE1's is NODE1, member of cluster CLUSTER1: the nodes are not members of one cluster`),
			},
			{
				Config:      nodes + serviceResource("NODE1", "stopped", "manual"),
				ExpectError: wrapped(`node NODE1's endpoint .* is NODE1, member of cluster CLUSTER1, but the machine at NODE2's is NODE2, member of cluster CLUSTER2`),
			},
			{
				Config:      alone + body,
				ExpectError: wrapped(`node NODE2's endpoint .* is NODE2, member of cluster CLUSTER2, not a member of the provider's cluster_name CLUSTER1`),
			},
		},
	})
	l.expectUntouched(t, mark)
	other.expectUntouched(t, otherMark)
}

// Node keys that differ only in case would alias one node: refused at plan
// time before any command.
func TestAccSafety_aliasedNodeKeys(t *testing.T) {
	if ownProcess(t) {
		return
	}
	l := newScenarioLab(t, "rebuilt-node")
	l.useEnvCredentials(t)
	config := fmt.Sprintf(`provider "mscs" {
  nodes = {
    NODE1 = { endpoint = %q }
    NODE2 = { endpoint = %q }
    node2 = { endpoint = %q }
  }
  ca_cert = file(%q)
}
`, l.Nodes["NODE1"], l.Nodes["NODE2"], l.Nodes["NODE1"], l.CAFile) + serviceResource("node2", "running", "automatic")
	mark := l.CommandCount(t)
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      config,
			ExpectError: wrapped(`The nodes "NODE2" and "node2" differ only in case`),
		}},
	})
	if err := l.NoCommandsSince(&mark)(); err != nil {
		t.Fatal(err)
	}
}

// Safety rule 3 does not depend on how many nodes the provider has: with
// NODE2 alone, or three nodes and no working_node, the plan fails and says to
// set working_node; a working node that can't be read fails it too; and a
// service pack other than the working node's is refused before any change.
func TestAccSafety_rule3NeedsTheWorkingNode(t *testing.T) {
	if ownProcess(t) {
		return
	}
	l := newScenarioLab(t, "rebuilt-node")
	l.useEnvCredentials(t)
	withoutFTP := []string{"fp_extensions", "iis_common", "iis_doc_common", "iis_inetmgr", "iis_www", "mts_core", "mts_mmc", "wsh_core"}
	node2Alone := fmt.Sprintf(`provider "mscs" {
  cluster_name = "CLUSTER1"
  nodes = {
    NODE2 = { endpoint = %q }
  }
  ca_cert = file(%q)
}
`, l.Nodes["NODE2"], l.CAFile)
	threeNodes := l.providerConfig("", map[string]string{})
	threeNodes = strings.Replace(threeNodes, "  nodes = {\n", fmt.Sprintf("  nodes = {\n    NODE3 = { endpoint = %q }\n", closedPortEndpoint(t)), 1)
	install := func(comps []string, extra string) string {
		return l.withoutProvider(installConfig(l, "custom", comps, extra))
	}
	mark := l.CommandCount(t)
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: node2Alone + install(withoutFTP, ""), ExpectError: wrapped(`No working node to copy the install from`)},
			{Config: threeNodes + install(withoutFTP, ""), ExpectError: wrapped(`do not say which node that is: set working_node`)},
			{Config: threeNodes + install(node1Components, "  working_node = \"NODE3\"\n"),
				ExpectError: wrapped(`Cannot read the working node's Option Pack \(safety rule 3\)`)},
			{Config: l.providerConfig("", nil) + strings.Replace(install(node1Components, ""), `service_pack      = "4"`, `service_pack      = "5"`, 1),
				ExpectError: wrapped(`NODE1 runs service pack "4" .* service_pack = "5" on NODE2`)},
		},
	})
	l.expectUntouched(t, mark)
}

// warnings collects the plan's warnings terraform logged into file (TF_LOG=WARN).
func warningsLogged(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// NODE1's cluster service is stopped, so NODE2 is the only node Up and owns
// every group. Stopping NODE2's cluster service (the install's first step, or
// mscs_cluster_node_service) is refused at plan time; with
// allow_cluster_outage the plan names the groups going offline, the apply
// runs, and starting NODE2's cluster service again is said to form the
// cluster alone.
func TestAccSafety_onlyNodeUp(t *testing.T) {
	if ownProcess(t) {
		return
	}
	l := newScenarioLab(t, "rebuilt-node")
	if l.Control == nil {
		t.Skip("needs the in-process lab: it stops a real node's cluster service")
	}
	l.useEnvCredentials(t)
	logFile := filepath.Join(t.TempDir(), "provider.log")
	setProcessEnv(t, "TF_LOG", "WARN", "TF_LOG_PATH", logFile)
	if res := l.Run(t, "NODE1", "net stop ClusSvc"); res.ExitCode != 0 {
		t.Fatalf("net stop ClusSvc on NODE1: %+v", res)
	}
	waitFor(t, "NODE1 Down", func() (bool, error) {
		s, err := l.ClusterState("NODE1")
		return s == "Down", err
	})
	mark := l.CommandCount(t)
	var from int
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      recoveryConfig(l, ""),
				ExpectError: wrapped(`NODE2 is the only node Up in the cluster and owns Cluster Group, Web Group: stopping its cluster service would take them offline for the whole install, in which NODE2 reboots 2 times, and until`),
			},
			{
				Config:      l.providerConfigFromEnv("", nil) + serviceResource("NODE2", "stopped", "manual"),
				ExpectError: wrapped(`Stopping the cluster service of the only node Up`),
			},
			{
				PreConfig: func() {
					if err := l.OnlyQueriesSince(&mark)(); err != nil {
						t.Fatalf("a refused plan changed a node: %v", err)
					}
					from = l.CommandCount(t)
				},
				Config: recoveryConfig(l, "  allow_cluster_outage = true\n"),
				ConfigStateChecks: []statecheck.StateCheck{
					l.expectInstalledLikeNode1(),
					l.ExpectKBSteps("NODE2", &from, "stop ClusSvc", "setup", "reboot", "SP", "reboot", "start ClusSvc"),
					l.ExpectNoIncidents(),
				},
			},
		},
	})
	logged := warningsLogged(t, logFile)
	for _, want := range []string{
		"NODE2 is the only node Up and owns Cluster Group, Web Group: stopping its cluster service takes them offline for the whole install, in which NODE2 reboots 2 times, and until",
		"starting the cluster service on NODE2 makes it form the cluster by itself",
		"Stopping the cluster service of NODE2 takes groups Cluster Group, Web Group offline",
		"NODE2 forms the cluster alone",
	} {
		if !strings.Contains(logged, want) {
			t.Errorf("the plan's warnings lack %q", want)
		}
	}
}

// The service pack re-apply after setup fails: the install is not finished.
// Import refuses it, mscs_cluster_node_service refuses to start the cluster
// service on it, and the configuration's apply finishes it with no rule 4
// incident.
func TestAccSafety_unfinishedInstall(t *testing.T) {
	t.Parallel()
	l := newScenarioLab(t, "rebuilt-node")
	if l.Control == nil {
		t.Skip("needs the lab's control API to inject the fault")
	}
	install := installConfig(l, "custom", node1Components, "")
	service := l.providerConfig("", nil) + serviceResource("NODE2", "running", "automatic")
	var from int
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					l.AddFault(t, world.Fault{Node: "NODE2", Kind: "exit", Match: "update.exe", ExitCode: 1, Count: 1})
				},
				Config:      install,
				ExpectError: wrapped(`step "re-apply the service pack after Option Pack setup"`),
			},
			{
				// A journal that cannot be read may be an unfinished run's:
				// import fails, it does not take the install as finished.
				PreConfig: func() {
					l.AddFault(t, world.Fault{Node: "NODE2", Kind: "exit", Match: `type C:\WINNT\mscs-optionpack.log`, ExitCode: 5, Stderr: "Access is denied.\r\n"})
				},
				Config:        install,
				ResourceName:  installAddr,
				ImportState:   true,
				ImportStateId: "NODE2",
				ExpectError:   wrapped(`Cannot read the Option Pack journal on node NODE2.*read the install journal.*exited with code 5 \(access is denied\)`),
			},
			{
				PreConfig: func() {
					if err := l.Control.ClearFaults(); err != nil {
						t.Fatal(err)
					}
				},
				Config:        install,
				ResourceName:  installAddr,
				ImportState:   true,
				ImportStateId: "NODE2",
				ExpectError:   wrapped(`Nothing finished to import on node NODE2 .* an install or removal did not finish \(its journal stops after step "setup-reboot"\)`),
			},
			{
				Config:      service,
				ExpectError: wrapped(`an Option Pack run stopped after its step "setup-reboot": starting the cluster service before the install and the service pack re-apply finish breaks safety rule 4`),
			},
			{
				PreConfig: l.Mark(t, &from),
				Config:    recoveryConfig(l, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					l.expectInstalledLikeNode1(),
					l.ExpectKBSteps("NODE2", &from, "SP", "reboot", "start ClusSvc"),
					l.ExpectClusterState("NODE2", "Up"),
					l.ExpectNoIncidents(),
				},
			},
		},
	})
}

// Apply does what the plan showed: a replacement with reinstall = "always"
// (-replace, here a taint; without it a healthy install is adopted, see
// adopt_test.go) and a node whose IIS was corrupted again both reinstall,
// the KB's way; a finished journal makes neither a no-op.
func TestAccSafety_reinstallWhenPlanned(t *testing.T) {
	t.Parallel()
	l := newScenarioLab(t, "rebuilt-node")
	if l.Control == nil {
		t.Skip("needs the lab's control API to corrupt IIS")
	}
	config := installConfig(l, "custom", node1Components, "")
	reinstall := []string{"RemoveAll", "reboot", "SP", "reboot", "setup", "reboot", "SP", "reboot"}
	var from int
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config, ConfigStateChecks: []statecheck.StateCheck{l.expectInstalledLikeNode1()}},
			{
				PreConfig: l.Mark(t, &from),
				Config:    installConfig(l, "custom", node1Components, "  reinstall = \"always\"\n"),
				Taint:     []string{installAddr},
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(installAddr, plancheck.ResourceActionDestroyBeforeCreate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					l.expectInstalledLikeNode1(),
					l.ExpectKBSteps("NODE2", &from, reinstall...),
					l.ExpectNoIncidents(),
				},
			},
			{
				PreConfig: func() {
					if err := l.Control.CorruptIIS("NODE2"); err != nil {
						t.Fatal(err)
					}
					from = l.CommandCount(t)
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(installAddr, plancheck.ResourceActionCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					l.expectInstalledLikeNode1(),
					l.ExpectKBSteps("NODE2", &from, reinstall...),
					l.ExpectNoIncidents(),
				},
			},
		},
	})
}

// The first apply on a corrupted IIS is interrupted right after Remove All,
// before its journal line: the next apply still reboots and re-applies the
// service pack before setup (no rule 4 incident).
func TestAccSafety_interruptedAfterRemoveAll(t *testing.T) {
	t.Parallel()
	l := newScenarioLab(t, "corrupted-iis")
	if l.Control == nil {
		t.Skip("needs the lab's control API to inject the fault")
	}
	config := installConfig(l, "custom", node1Components, "")
	var from int
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					from = l.CommandCount(t)
					l.AddFault(t, world.Fault{Node: "NODE2", Kind: "exit", Match: "echo step=removeall spec", ExitCode: 112,
						Stderr: "There is not enough space on the disk.\r\n", Count: 1})
				},
				Config:      config,
				ExpectError: wrapped(`record step removeall in the install journal`),
			},
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					l.expectInstalledLikeNode1(),
					l.ExpectKBSteps("NODE2", &from, "stop ClusSvc", "RemoveAll", "reboot", "SP", "reboot", "setup", "reboot", "SP", "reboot"),
					l.ExpectNoIncidents(),
				},
			},
		},
	})
}

// Checks that run before the first change: an installer path that names no
// file fails the plan; a node another run holds fails the apply at once,
// naming the holder, before the cluster service is touched.
func TestAccSafety_refusedBeforeFirstChange(t *testing.T) {
	t.Parallel()
	l := newScenarioLab(t, "rebuilt-node")
	if l.Control == nil {
		t.Skip("needs the in-process lab: it locks a node out of band")
	}
	config := installConfig(l, "custom", node1Components, "")
	typo := strings.Replace(config, `UPDATE\\update.exe`, `UPDATE\\updat.exe`, 1)
	mark := l.CommandCount(t)
	var from int
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      typo,
				ExpectError: wrapped(`service_pack_path = "C:\\\\SP4\\\\I386\\\\UPDATE\\\\updat.exe" does not exist on NODE2`),
			},
			{
				PreConfig: func() {
					if err := l.OnlyQueriesSince(&mark)(); err != nil {
						t.Fatalf("a refused plan changed a node: %v", err)
					}
					l.Run(t, "NODE2", `mkdir C:\WINNT\mscs-optionpack.lock`)
					l.Run(t, "NODE2", `echo owner=opsbox/4242/0a1b2c3d time=`+time.Now().UTC().Format(time.RFC3339)+` > C:\WINNT\mscs-optionpack.lock\owner.txt`)
					from = l.CommandCount(t)
				},
				Config:      config,
				ExpectError: wrapped(`another run is working on the node: opsbox/4242/0a1b2c3d holds its lock since`),
			},
		},
	})
	if err := l.CheckKBSteps("NODE2", from); err != nil {
		t.Error(err)
	}
	if s, st, err := l.Service("NODE2", "ClusSvc"); err != nil || s != "RUNNING" || st != "auto" {
		t.Errorf("after the refused apply ClusSvc on NODE2 is %s/%s (%v)", s, st, err)
	}
}

// A failing command whose output holds the password: the diagnostic and the
// provider's TRACE log show *** instead.
func TestAccSafety_outputWithPasswordScrubbed(t *testing.T) {
	if ownProcess(t) {
		return
	}
	l := newScenarioLab(t, "rebuilt-node")
	if l.Control == nil {
		t.Skip("needs the lab's control API to inject the fault")
	}
	l.useEnvCredentials(t)
	logFile := filepath.Join(t.TempDir(), "provider.log")
	setProcessEnv(t, "TF_LOG", "TRACE", "TF_LOG_PATH", logFile)
	l.AddFault(t, world.Fault{Node: "NODE2", Kind: "exit", Match: "sc config", ExitCode: 5,
		Stderr: "[SC] ChangeServiceConfig FAILED 5:\r\n\r\nAccess is denied for LAB\\Administrator/" + l.Password + ".\r\n", Count: 1})
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      l.providerConfigFromEnv("", nil) + serviceResource("NODE2", "stopped", "manual"),
			ExpectError: wrapped(`Access is denied for LAB\\Administrator/\*\*\*\.`),
		}},
	})
	if logs := warningsLogged(t, logFile); strings.Contains(logs, l.Password) {
		t.Errorf("the password appears in the provider's TRACE log %s", logFile)
	}
}
