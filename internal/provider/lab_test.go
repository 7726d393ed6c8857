package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/wsman"
	"github.com/mscs-ops/terraform-provider-mscs/internal/labtest"
)

// testLab is the lab an acceptance test runs against (labtest.Lab: an
// in-process lab emulator, or a real lab named by MSCS_LAB_*), with what
// only the provider's tests need: the provider block for it.
type testLab struct{ *labtest.Lab }

func newTestLab(t *testing.T) *testLab {
	t.Helper()
	return newScenarioLab(t, "rebuilt-node")
}

// newScenarioLab is the test's lab: in process, started from scenario, unless
// MSCS_LAB_NODES names a real one.
func newScenarioLab(t *testing.T, scenario string) *testLab {
	t.Helper()
	return &testLab{labtest.Start(t, scenario)}
}

// inProcessLab starts an in-process lab from scenario (a built-in name or a
// scenario file) for the test, whatever the environment says.
func inProcessLab(t *testing.T, scenario string) *testLab {
	t.Helper()
	return &testLab{labtest.InProcess(t, scenario)}
}

// inProcessLabWith starts an in-process lab with options of the test's own
// (a tool layout, WinRM's quirks), closed when the test ends.
func inProcessLabWith(t *testing.T, opts lab.Options) *testLab {
	t.Helper()
	l, err := lab.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return &testLab{labtest.Of(l)}
}

// importVerified is step (the resource's configuration) as an import of
// addr by id, checked against the state the step before left, but for the
// attributes an import cannot know.
func importVerified(step resource.TestStep, addr, id string, ignore ...string) resource.TestStep {
	step.ResourceName = addr
	step.ImportState = true
	step.ImportStateId = id
	step.ImportStateVerify = true
	step.ImportStateVerifyIgnore = append(ignore, "ran_steps") // what the last apply ran: none for an import
	return step
}

// useEnvCredentials hands the credentials to the provider the way an
// operator would, through MSCS_USERNAME / MSCS_PASSWORD.
func (l *testLab) useEnvCredentials(t *testing.T) {
	setProcessEnv(t, envUsername, l.Username, envPassword, l.Password)
}

// providerConfig is a provider block for the lab, with its credentials (so
// that tests need no process-wide environment and can run in parallel),
// extra lines added and endpoint overrides (node -> URL) replacing the lab's.
// Tests of the MSCS_USERNAME / MSCS_PASSWORD fallback write their own block.
func (l *testLab) providerConfig(extra string, endpoints map[string]string) string {
	return l.providerBlock(extra, endpoints, true)
}

// providerConfigFromEnv is providerConfig without credentials: the provider
// takes them from MSCS_USERNAME / MSCS_PASSWORD (useEnvCredentials).
func (l *testLab) providerConfigFromEnv(extra string, endpoints map[string]string) string {
	return l.providerBlock(extra, endpoints, false)
}

func (l *testLab) providerBlock(extra string, endpoints map[string]string, credentials bool) string {
	var b strings.Builder
	b.WriteString("provider \"mscs\" {\n  nodes = {\n")
	for _, n := range l.Names() {
		ep := l.Nodes[n]
		if o, ok := endpoints[n]; ok {
			ep = o
		}
		fmt.Fprintf(&b, "    %s = { endpoint = %q }\n", n, ep)
	}
	b.WriteString("  }\n")
	if credentials {
		fmt.Fprintf(&b, "  username = %q\n  password = %q\n", l.Username, l.Password)
	}
	if l.CAFile != "" {
		fmt.Fprintf(&b, "  ca_cert = file(%q)\n", l.CAFile)
	}
	b.WriteString(extra)
	b.WriteString("}\n")
	return b.String()
}

// closedPortEndpoint returns an HTTPS endpoint on loopback where nothing
// listens, held for the test so that no parallel test's server takes it.
func closedPortEndpoint(t *testing.T) string {
	t.Helper()
	h, err := wsman.HoldPort("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return "https://" + h.Addr() + "/wsman"
}
