package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
)

// recoveryExample is examples/recovery itself, as an operator runs it, for
// the tests of the whole chain: its .tf files copied byte for byte into a
// directory of the test's, beside an override file (Terraform's own
// mechanism) that points its required provider at the provider under test
// (the test harness serves it as hashicorp/mscs) and any extra files (import
// blocks); and the variables that point it at the lab, as terraform.tfvars
// does for an operator.
func recoveryExample(t *testing.T, l *testLab, extra map[string]string) (func(config.TestStepConfigRequest) string, config.Variables) {
	t.Helper()
	dir := t.TempDir()
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "recovery", "*.tf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("examples/recovery: %v (%d files)", err, len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	extra = mergeFiles(map[string]string{"provider_override.tf": `terraform {
  required_providers {
    mscs = {
      source = "hashicorp/mscs"
    }
  }
}
`}, extra)
	for name, content := range extra {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	vars := l.variables()
	var urls []config.Variable
	for _, u := range l.Sites {
		urls = append(urls, config.StringVariable(u+"/"))
	}
	vars["web_urls"] = config.ListVariable(urls...)
	return config.StaticDirectory(dir), vars
}

// variables point a configuration of testdata/ or examples/ at the lab: its
// nodes, credentials and CA (the variables nodes, username, password,
// ca_cert_file, as examples/recovery names them).
func (l *testLab) variables() config.Variables {
	nodes := map[string]config.Variable{}
	for name, url := range l.Nodes {
		nodes[name] = config.StringVariable(url)
	}
	vars := config.Variables{
		"nodes":    config.MapVariable(nodes),
		"username": config.StringVariable(l.Username),
		"password": config.StringVariable(l.Password),
	}
	if l.CAFile != "" {
		vars["ca_cert_file"] = config.StringVariable(l.CAFile)
	}
	return vars
}

func mergeFiles(a, b map[string]string) map[string]string {
	for k, v := range b {
		a[k] = v
	}
	return a
}

// examples/recovery's outputs hold after the recovery: a group that starts on
// the rebuilt node (the Cluster Group on NODE2; the rebuilt node cannot run
// the Web Group's IIS yet) ends on NODE1, where the install's stop of
// NODE2's cluster service fails it over, and the plan after the apply is
// empty all the same, outputs included (`terraform plan -detailed-exitcode`
// exits 0). An output read from the cluster as it is at each plan would
// change here (group_owners did, when it was read from mscs_cluster).
func TestAccRecoveryExample_outputsStableWhereverGroupsEnd(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "rebuilt-node")
	example, vars := recoveryExample(t, l, nil)
	runTestCase(t, resource.TestCase{Steps: []resource.TestStep{{
		PreConfig: func() {
			l.Run(t, "NODE1", `cluster group "Cluster Group" /move:NODE2`)
			if s, err := l.Snapshot(); err != nil || s.Cluster.Group("Cluster Group").Owner != "NODE2" {
				t.Fatalf("the Cluster Group did not move to NODE2 before the recovery: %v", err)
			}
		},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		ConfigDirectory:          example,
		ConfigVariables:          vars,
		ConfigPlanChecks:         resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
		ConfigStateChecks: []statecheck.StateCheck{
			l.expectAfterFailover(),
			l.Check("the Cluster Group ends on NODE1", func() error {
				s, err := l.Snapshot()
				if err != nil {
					return err
				}
				if g := s.Cluster.Group("Cluster Group"); g.Owner != "NODE1" {
					return fmt.Errorf("the Cluster Group is on %s", g.Owner)
				}
				return nil
			}),
			statecheck.ExpectKnownOutputValue("group_owners", knownvalue.MapExact(map[string]knownvalue.Check{
				"Web Group": knownvalue.StringExact("NODE1")})),
			l.ExpectNoIncidents(),
		},
	}}})
}
