package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
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
	l, err := lab.Start(context.Background(), lab.Options{Scenario: file})
	if err != nil {
		t.Fatalf("starting the other cluster's lab: %v", err)
	}
	t.Cleanup(l.Close)
	tl := &testLab{nodes: map[string]string{}, http: map[string]string{}, username: l.Username(), password: l.Password(),
		caFile: l.CAFile(), caPEM: l.CAPEM()}
	for _, n := range l.Nodes() {
		tl.nodes[n.Name] = n.HTTPS
		tl.http[n.Name] = n.HTTP
	}
	c := l.Control()
	tl.control = &c
	return tl
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
	if l.control == nil {
		return
	}
	if err := l.expectOnlyQueriesSince(&mark)(); err != nil {
		t.Errorf("a refused configuration changed a node: %v", err)
	}
	if err := l.noIncidents(); err != nil {
		t.Error(err)
	}
	for _, n := range l.names() {
		if s, st, err := l.service(n, "ClusSvc"); err != nil || s != "RUNNING" || st != "auto" {
			t.Errorf("ClusSvc on %s is %s/%s (%v), want RUNNING/auto", n, s, st, err)
		}
	}
}

// NODE1's and NODE2's endpoints swapped (a typo in tfvars): the data source
// of the working node, and the install without a data source, are refused at
// plan time, naming the node key, the endpoint and what answered there.
// Nothing but reads reaches either machine.
func TestAccSafety_swappedEndpoints(t *testing.T) {
	l := newScenarioLab(t, "rebuilt-node")
	if l.control == nil {
		t.Skip("needs two endpoints of the in-process lab to swap") // a real lab is not re-wired
	}
	l.useEnvCredentials(t)
	swapped := map[string]string{"NODE1": l.nodes["NODE2"], "NODE2": l.nodes["NODE1"]}
	provider := l.providerConfig("", swapped)
	mark := l.commandCount(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: provider + l.withoutProvider(recoveryConfig(l, "")),
				ExpectError: wrapped(fmt.Sprintf(`the machine at node NODE1's endpoint \(%s\) is NODE2, member of cluster CLUSTER1, not NODE1`,
					regexp.QuoteMeta(l.nodes["NODE2"]))),
			},
			{
				Config: provider + l.withoutProvider(installConfig(l, "custom", node1Components, "")),
				ExpectError: wrapped(fmt.Sprintf(`the machine at node NODE2's endpoint \(%s\) is NODE1, member of cluster CLUSTER1, not NODE2`,
					regexp.QuoteMeta(l.nodes["NODE1"]))),
			},
		},
	})
	l.expectUntouched(t, mark)
}

// NODE2's endpoint leads to a node named NODE2 of another cluster: refused at
// plan time, whichever node the resource acts on, and with cluster_name set
// even when the provider knows that node alone.
func TestAccSafety_otherClusterNode(t *testing.T) {
	l := newScenarioLab(t, "rebuilt-node")
	if l.control == nil {
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
`, l.nodes["NODE1"], l.caFile, other.nodes["NODE2"], other.caFile)
	alone := fmt.Sprintf(`provider "mscs" {
  cluster_name = "CLUSTER1"
  nodes = {
    NODE2 = { endpoint = %q, ca_cert = file(%q) }
  }
}
`, other.nodes["NODE2"], other.caFile)
	body := l.withoutProvider(installConfig(l, "custom", node1Components, ""))
	mark, otherMark := l.commandCount(t), other.commandCount(t)
	resource.Test(t, resource.TestCase{
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
`, l.nodes["NODE1"], l.nodes["NODE2"], l.nodes["NODE1"], l.caFile) + serviceResource("node2", "running", "automatic")
	mark := l.commandCount(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      config,
			ExpectError: wrapped(`The nodes "NODE2" and "node2" differ only in case`),
		}},
	})
	if err := l.expectNoCommandsSince(&mark)(); err != nil {
		t.Fatal(err)
	}
}

// Safety rule 3 does not depend on how many nodes the provider has: with
// NODE2 alone, or three nodes and no working_node, the plan fails and says to
// set working_node; a working node that can't be read fails it too; and a
// service pack other than the working node's is refused before any change.
func TestAccSafety_rule3NeedsTheWorkingNode(t *testing.T) {
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
`, l.nodes["NODE2"], l.caFile)
	threeNodes := l.providerConfig("", map[string]string{})
	threeNodes = strings.Replace(threeNodes, "  nodes = {\n", fmt.Sprintf("  nodes = {\n    NODE3 = { endpoint = %q }\n", closedPortEndpoint(t)), 1)
	install := func(comps []string, extra string) string {
		return l.withoutProvider(installConfig(l, "custom", comps, extra))
	}
	mark := l.commandCount(t)
	resource.Test(t, resource.TestCase{
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
