package provider

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// planWarnings runs steps (plan-only) with terraform's log at WARN and
// returns what it logged: the plan's warnings, summary and detail. It
// checks that the plans sent nothing but queries.
func planWarnings(t *testing.T, l *testLab, steps ...resource.TestStep) string {
	t.Helper()
	logFile := filepath.Join(t.TempDir(), "provider.log")
	setProcessEnv(t, "TF_LOG", "WARN", "TF_LOG_PATH", logFile)
	mark := l.CommandCount(t)
	for i := range steps {
		steps[i].PlanOnly, steps[i].ExpectNonEmptyPlan = true, true
		steps[i].ProtoV6ProviderFactories = testAccProtoV6ProviderFactories
	}
	runTestCase(t, resource.TestCase{Steps: steps})
	if err := l.OnlyQueriesSince(&mark)(); err != nil {
		t.Fatalf("a plan changed a node: %v", err)
	}
	return warningsLogged(t, logFile)
}

func expectLogged(t *testing.T, logged string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(logged, w) {
			t.Errorf("the plan's warnings lack %q", w)
		}
	}
}

// The failover test's plan warns that it moves the IIS groups to the
// rebuilt node and back, naming each group, the node and where it ends.
func TestAccPlanWarnings_failoverMovesGroups(t *testing.T) {
	if ownProcess(t) {
		return
	}
	l := inProcessLab(t, "healthy")
	logged := planWarnings(t, l, l.failoverStep(nil))
	expectLogged(t, logged,
		"The failover test moves group(s) Web Group to NODE2 and back",
		"Web Group: NODE1 -> NODE2 -> NODE1 (resources: ")
}

// Stopping the cluster service of a node that owns no group moves nothing,
// and the plan still says that the service stops, naming node and service;
// stopping it on the node that owns the groups names the node and the
// groups in the warning's summary.
func TestAccPlanWarnings_serviceStops(t *testing.T) {
	if ownProcess(t) {
		return
	}
	l := inProcessLab(t, "rebuilt-node")
	l.useEnvCredentials(t)
	logged := planWarnings(t, l,
		resource.TestStep{Config: l.providerConfigFromEnv("", nil) + serviceResource("NODE2", "stopped", "manual")},
		resource.TestStep{Config: l.providerConfigFromEnv("", nil) + serviceResource("NODE1", "stopped", "manual")})
	expectLogged(t, logged, "NODE2: service ClusSvc stops", "Apply stops ClusSvc on NODE2 and waits until it is STOPPED.",
		"Stopping the cluster service of NODE1 moves groups Cluster Group, Web Group")
	if strings.Contains(logged, "NODE1: service ClusSvc stops") {
		t.Error("the stop that moves groups is warned of twice")
	}
}
