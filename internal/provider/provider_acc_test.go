package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// The connection settings against the lab: certificate verification, its
// opt-out, Basic over HTTPS, and NTLM-sealed plain HTTP with per-node
// overrides of the provider's settings.
func TestAccProvider_connectionSettings(t *testing.T) {
	if ownProcess(t) {
		return
	}
	l := newTestLab(t)
	l.useEnvCredentials(t)
	dataSource := `data "mscs_cluster" "test" { node = "NODE2" }`
	readThroughNODE2 := []statecheck.StateCheck{
		statecheck.ExpectKnownValue(clusterAddr, tfjsonpath.New("read_through"), knownvalue.StringExact("NODE2")),
		l.ExpectNoIncidents(),
	}
	nodes := func(endpoint map[string]string, extra string) string {
		s := "  nodes = {\n"
		for _, n := range l.Names() {
			s += fmt.Sprintf("    %s = { endpoint = %q %s }\n", n, endpoint[n], extra)
		}
		return s + "  }\n"
	}
	steps := []resource.TestStep{
		{
			// No ca_cert: the lab's certificate is not trusted, and the error says so.
			Config:      "provider \"mscs\" {\n" + nodes(l.Nodes, "") + "}\n" + dataSource,
			ExpectError: wrapped(`NODE2: .*TLS verification failed for NODE2`),
		},
		{
			Config:            "provider \"mscs\" {\n" + nodes(l.Nodes, "") + "  insecure = true\n}\n" + dataSource,
			ConfigStateChecks: readThroughNODE2,
		},
		{
			Config:            l.providerConfigFromEnv("  auth = \"basic\"\n", nil) + dataSource,
			ConfigStateChecks: readThroughNODE2,
		},
	}
	if len(l.HTTP) > 0 {
		steps = append(steps, resource.TestStep{
			// Each node's auth = "ntlm" overrides the provider's "basic": NTLM
			// seals every message, so plain HTTP needs no allow_unencrypted
			// (with basic it would be a plan-time error).
			Config:            "provider \"mscs\" {\n" + nodes(l.HTTP, "\n      auth = \"ntlm\"\n") + "  auth = \"basic\"\n  allow_unencrypted = false\n}\n" + dataSource,
			ConfigStateChecks: readThroughNODE2,
		})
	}
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    steps,
	})
}
