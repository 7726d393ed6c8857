package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// These run the real terraform CLI against the provider but need no lab: every
// case must fail at plan time, and the endpoints point at a port nothing
// listens on, so a command that escaped would fail differently (as
// unreachable, naming a node) instead of with the expected message.
// The acceptance tests repeat the important ones against the lab and check
// its command log stays empty.

const closedEndpoint = "https://127.0.0.1:1/wsman"

func providerBlock(extra string) string {
	return fmt.Sprintf(`
provider "mscs" {
  nodes = {
    NODE1 = { endpoint = %q }
    NODE2 = { endpoint = %q }
  }
  username = "LAB\\Administrator"
  password = "s3cret-Pa55"
  %s
}
`, closedEndpoint, closedEndpoint, extra)
}

func serviceConfig(providerExtra, node string) string {
	return providerBlock(providerExtra) + fmt.Sprintf(`
resource "mscs_cluster_node_service" "test" {
  node         = %q
  state        = "running"
  startup_type = "automatic"
}
`, node)
}

func TestPlanErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		config string
		want   string
	}{
		{"unknown node", serviceConfig("", "NODE3"),
			`Node "NODE3" is not in the provider's nodes \(configured: NODE1, NODE2\)`},
		{"node with cmd metacharacters", serviceConfig("", "NODE2&calc"),
			`node "NODE2&calc" is not a valid node name`},
		{"node with percent expansion", serviceConfig("", "%COMPUTERNAME%"),
			`node "%COMPUTERNAME%" cannot be quoted safely`},
		{"service name with cmd metacharacters", providerBlock("") + `
resource "mscs_cluster_node_service" "test" {
  node         = "NODE2"
  service_name = "ClusSvc\" & net stop \"W3SVC"
  state        = "running"
  startup_type = "automatic"
}`, `service_name .*W3SVC.* cannot be quoted safely`},
		{"disabled but running", providerBlock("") + `
resource "mscs_cluster_node_service" "test" {
  node         = "NODE2"
  state        = "running"
  startup_type = "disabled"
}`, `A disabled service cannot run`},
		{"state not in the list", providerBlock("") + `
resource "mscs_cluster_node_service" "test" {
  node         = "NODE2"
  state        = "paused"
  startup_type = "manual"
}`, `value must be one of: \["running" "stopped"\]`},
		{"malformed endpoint", `
provider "mscs" {
  nodes    = { NODE1 = { endpoint = "node1:5986" } }
  username = "u"
  password = "p"
}
data "mscs_cluster" "test" {}`, `Malformed WinRM endpoint`},
		{"basic over http", `
provider "mscs" {
  nodes    = { NODE1 = { endpoint = "http://127.0.0.1:1/wsman" } }
  auth     = "basic"
  username = "u"
  password = "p"
}
data "mscs_cluster" "test" {}`, `Node NODE1 would receive the password in clear text`},
		{"empty password", `
provider "mscs" {
  nodes    = { NODE1 = { endpoint = "https://127.0.0.1:1/wsman" } }
  username = "u"
  password = ""
}
data "mscs_cluster" "test" {}`, `Empty password`},
		{"bracketed IPv6 host", `
provider "mscs" {
  nodes    = { NODE1 = { host = "[::1]" } }
  username = "u"
  password = "p"
}
data "mscs_cluster" "test" {}`, `nodes\["NODE1"\].host "\[::1\]": an IPv6 address is given without brackets here \(::1\)`},
		{"host with a space", `
provider "mscs" {
  nodes    = { NODE1 = { host = "node 1.lab" } }
  username = "u"
  password = "p"
}
data "mscs_cluster" "test" {}`, `nodes\["NODE1"\].host "node 1.lab": "node 1" is not a host name label`},
		{"timeout that is no duration", providerBlock("") + `
resource "mscs_cluster_node_service" "test" {
  node         = "NODE2"
  state        = "running"
  startup_type = "automatic"
  timeouts     = { create = "ten minutes" }
}`, `timeouts.create = "ten minutes" is not a positive duration`},
		{"install timeout that is no duration", providerBlock("") + `
resource "mscs_optionpack_install" "test" {
  node              = "NODE2"
  working_node      = "NODE1"
  install_method    = "typical"
  service_pack      = "3"
  timeouts          = { read = "-5m" }
}`, `timeouts.read = "-5m" is not a positive duration`},
		{"data source through an unknown node", providerBlock("") + `
data "mscs_cluster" "test" { node = "NODE9" }`, `Node "NODE9" is not in the provider's nodes`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // no lab, no environment: each case is a terraform of its own
			runTestCase(t, resource.TestCase{
				IsUnitTest:               true, // as resource.UnitTest: without TF_ACC too
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      tc.config,
					PlanOnly:    true,
					ExpectError: wrapped(tc.want),
				}},
			})
		})
	}
}
