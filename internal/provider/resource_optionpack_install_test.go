package provider

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
	"github.com/mscs-ops/terraform-provider-mscs/internal/labtest"
	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

const installAddr = "mscs_optionpack_install.rebuilt"

// node1Components is NODE1's install in every built-in scenario: the KB's
// example of a Custom install (Typical with Index Server and SMTP unchecked,
// FTP checked).
var node1Components = []string{"fp_extensions", "iis_common", "iis_doc_common", "iis_ftp", "iis_inetmgr",
	"iis_www", "mts_core", "mts_mmc", "wsh_core"}

// recoveryConfig is the chain so far, as examples/recovery has it: the
// working node read through mscs_node, the install on NODE2 copied from it,
// and the cluster service started again after it. extra goes into the
// install's block.
func recoveryConfig(l *testLab, extra string) string {
	return l.providerConfig("", nil) + fmt.Sprintf(`
data "mscs_node" "working" {
  node = "NODE1"
}

resource "mscs_optionpack_install" "rebuilt" {
  node              = "NODE2"
  install_method    = data.mscs_node.working.install_method
  components        = data.mscs_node.working.components
  service_pack      = data.mscs_node.working.service_pack
  service_pack_path = "C:\\SP4\\I386\\UPDATE\\update.exe"
%s}

resource "mscs_cluster_node_service" "rebuilt" {
  node         = "NODE2"
  state        = "running"
  startup_type = "automatic"

  depends_on = [mscs_optionpack_install.rebuilt]
  lifecycle {
    replace_triggered_by = [mscs_optionpack_install.rebuilt.id]
  }
}
`, extra)
}

// installConfig is the install alone, with literal values.
func installConfig(l *testLab, method string, components []string, extra string) string {
	comps := ""
	if components != nil {
		comps = fmt.Sprintf("  components        = [%s]\n", quotedList(components))
	}
	return l.providerConfig("", nil) + fmt.Sprintf(`
resource "mscs_optionpack_install" "rebuilt" {
  node              = "NODE2"
  install_method    = %q
%s  service_pack      = "4"
  service_pack_path = "C:\\SP4\\I386\\UPDATE\\update.exe"
%s}
`, method, comps, extra)
}

func expectInstallState(components []string) []statecheck.StateCheck {
	return []statecheck.StateCheck{
		statecheck.ExpectKnownValue(installAddr, tfjsonpath.New("id"), knownvalue.StringExact("NODE2")),
		statecheck.ExpectKnownValue(installAddr, tfjsonpath.New("install_method"), knownvalue.StringExact("custom")),
		statecheck.ExpectKnownValue(installAddr, tfjsonpath.New("components"), stringSet(components)),
		statecheck.ExpectKnownValue(installAddr, tfjsonpath.New("installed_components"), stringSet(components)),
		statecheck.ExpectKnownValue(installAddr, tfjsonpath.New("service_pack"), knownvalue.StringExact("4")),
		statecheck.ExpectKnownValue(installAddr, tfjsonpath.New("csd_version"), knownvalue.StringExact("Service Pack 4")),
	}
}

// expectInstalledLikeNode1 checks the lab's NODE2: NODE1's components, SP4
// re-applied (no stale system files), nothing pending, IIS services running.
func (l *testLab) expectInstalledLikeNode1() statecheck.StateCheck {
	return l.Check("NODE2's Option Pack", func() error {
		n1, err := l.Node("NODE1")
		if err != nil {
			return err
		}
		n2, err := l.Node("NODE2")
		if err != nil {
			return err
		}
		want, got := append([]string(nil), n1.OptionPack.Components...), append([]string(nil), n2.OptionPack.Components...)
		sort.Strings(want)
		sort.Strings(got)
		switch {
		case !n2.OptionPack.Installed || n2.OptionPack.Corrupt:
			return fmt.Errorf("NODE2's Option Pack: %+v", n2.OptionPack)
		case !reflect.DeepEqual(got, want):
			return fmt.Errorf("NODE2 has %v, NODE1 %v", got, want)
		case n2.CSDVersion != "Service Pack 4" || n2.StaleSystemFiles:
			return fmt.Errorf("NODE2 at %q, stale system files %t: the SP was not re-applied after setup", n2.CSDVersion, n2.StaleSystemFiles)
		case n2.PendingOptionPack != nil || n2.PendingCSDVersion != "" || n2.IISMismatch:
			return fmt.Errorf("NODE2: pending option pack %v, pending SP %q, IIS mismatch %t", n2.PendingOptionPack != nil, n2.PendingCSDVersion, n2.IISMismatch)
		}
		for _, s := range n2.Services {
			if (s.Name == "IISADMIN" || s.Name == "W3SVC" || s.Name == "MSFTPSVC") && s.State != "RUNNING" {
				return fmt.Errorf("%s on NODE2 is %s", s.Name, s.State)
			}
		}
		return nil
	})
}

// A rebuilt node (no Option Pack): the install copies NODE1's method,
// components and service pack, runs the KB's steps in order, and the cluster
// service comes back afterwards. Then import.
func TestAccOptionpackInstall_rebuiltNode(t *testing.T) {
	t.Parallel()
	l := newScenarioLab(t, "rebuilt-node")
	var from int
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			// Destroy forgets: NODE2 keeps its Option Pack.
			if l.Control == nil {
				return nil
			}
			n2, err := l.Node("NODE2")
			if err != nil || !n2.OptionPack.Installed {
				return fmt.Errorf("after destroy NODE2's Option Pack is %+v (%v); destroy must only forget", n2.OptionPack, err)
			}
			return l.NoIncidents()
		},
		Steps: []resource.TestStep{
			{
				PreConfig: l.Mark(t, &from),
				Config:    recoveryConfig(l, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(installAddr, plancheck.ResourceActionCreate),
						plancheck.ExpectKnownValue(installAddr, tfjsonpath.New("components"), stringSet(node1Components)),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: append(expectInstallState(node1Components),
					l.expectInstalledLikeNode1(),
					l.ExpectKBSteps("NODE2", &from, "stop ClusSvc", "setup", "reboot", "SP", "reboot", "start ClusSvc"),
					l.ExpectService("NODE2", "ClusSvc", "RUNNING", "auto"),
					l.ExpectClusterState("NODE2", "Up"),
					l.ExpectService("NODE1", "ClusSvc", "RUNNING", "auto"),
					l.ExpectNoIncidents()),
			},
			{
				ResourceName:      installAddr,
				ImportState:       true,
				ImportStateId:     "NODE2",
				ImportStateVerify: true,
				// Where setup and the SP were is nowhere on the node. The
				// steps are those of the last apply: an import ran none.
				ImportStateVerifyIgnore: []string{"setup_path", "service_pack_path", "steps", "ran_steps"},
			},
		},
	})
}

// A corrupted IIS: the plan warns (see TestOptionpackInstallPlan_warnsOfRemoveAll),
// the apply removes it first (Remove All, reboot, SP, reboot) and ends as on a
// rebuilt node.
func TestAccOptionpackInstall_corruptedIIS(t *testing.T) {
	t.Parallel()
	l := newScenarioLab(t, "corrupted-iis")
	var from int
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig: l.Mark(t, &from),
			Config:    recoveryConfig(l, ""),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(installAddr, plancheck.ResourceActionCreate)},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: append(expectInstallState(node1Components),
				l.expectInstalledLikeNode1(),
				l.ExpectKBSteps("NODE2", &from, "stop ClusSvc", "RemoveAll", "reboot", "SP", "reboot",
					"setup", "reboot", "SP", "reboot", "start ClusSvc"),
				l.ExpectService("NODE2", "ClusSvc", "RUNNING", "auto"),
				l.ExpectClusterState("NODE2", "Up"),
				l.ExpectNoIncidents()),
		}},
	})
}

// An administrator removes the Option Pack at the console (cluster service
// stopped first, as the KB says): Remove All through an unattend file, setup
// restarts the node. The plan shows the install again; apply redoes it.
func TestAccOptionpackInstall_drift(t *testing.T) {
	t.Parallel()
	l := newScenarioLab(t, "rebuilt-node")
	if l.Control == nil {
		t.Skip("drift needs the lab's control API to wait for the reboot")
	}
	config := installConfig(l, "custom", node1Components, "")
	var from int
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:            config,
				ConfigStateChecks: append(expectInstallState(node1Components), l.expectInstalledLikeNode1()),
			},
			{
				PreConfig: func() {
					for _, line := range []string{
						`sc query ClusSvc`,
						`echo [Version]> C:\removeall.txt`,
						`echo Signature = "$Windows NT$">> C:\removeall.txt`,
						`echo [Global]>> C:\removeall.txt`,
						`echo MaintanenceMode = RemoveAll>> C:\removeall.txt`,
						`C:\NTOPTPAK\EN\X86\WINNT.SRV\setup.exe /u:C:\removeall.txt`,
					} {
						res := l.Run(t, "NODE2", line)
						if res.ExitCode != 0 {
							t.Fatalf("%s on NODE2 exited %d: %s%s", line, res.ExitCode, res.Stdout, res.Stderr)
						}
						if strings.HasPrefix(line, "sc query") && !strings.Contains(res.Stdout, "STOPPED") {
							t.Fatalf("the install left ClusSvc running:\n%s", res.Stdout)
						}
					}
					// Setup without /R:N restarts the node itself.
					waitFor(t, "NODE2 rebooted without the Option Pack", func() (bool, error) {
						n, err := l.Node("NODE2")
						return err == nil && n.Reachable && n.Status == "up" && !n.OptionPack.Installed, err
					})
				},
				Config:             config,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				PreConfig: l.Mark(t, &from),
				Config:    config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(installAddr, plancheck.ResourceActionCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: append(expectInstallState(node1Components),
					l.expectInstalledLikeNode1(),
					// Removed at the console without the SP re-applied: the
					// KB re-applies it before setup (rule 4).
					l.ExpectKBSteps("NODE2", &from, "SP", "reboot", "setup", "reboot", "SP", "reboot"),
					l.ExpectNoIncidents()),
			},
		},
	})
}

// Setup fails once: the apply fails naming node, step, command and exit code;
// the next apply resumes and completes with zero incidents. Destroy with
// uninstall_on_destroy then removes the Option Pack the KB's way.
func TestAccOptionpackInstall_setupFails(t *testing.T) {
	t.Parallel()
	l := newScenarioLab(t, "rebuilt-node")
	if l.Control == nil {
		t.Skip("needs the lab's control API to inject the fault")
	}
	t.Cleanup(func() { _ = l.Control.ClearFaults() })
	config := installConfig(l, "custom", node1Components, "  uninstall_on_destroy = true\n")
	var from int
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			n2, err := l.Node("NODE2")
			if err != nil {
				return err
			}
			if n2.OptionPack.Installed || n2.StaleSystemFiles || n2.PendingOptionPack != nil {
				return fmt.Errorf("after destroy with uninstall_on_destroy NODE2 has %+v, stale files %t", n2.OptionPack, n2.StaleSystemFiles)
			}
			return l.NoIncidents()
		},
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					if err := l.Control.AddFault(world.Fault{Node: "NODE2", Kind: "exit", Match: "setup.exe", ExitCode: 1, Count: 1}); err != nil {
						t.Fatal(err)
					}
				},
				Config:      config,
				ExpectError: wrapped(`Cannot install the Option Pack on node NODE2 .*Node NODE2, step "install the Option Pack": command ".*setup\.exe[^"]*" exited with code 1`),
			},
			{
				PreConfig: l.Mark(t, &from),
				Config:    config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: append(expectInstallState(node1Components),
					l.expectInstalledLikeNode1(),
					l.ExpectKBSteps("NODE2", &from, "setup", "reboot", "SP", "reboot"),
					l.ExpectNoIncidents()),
			},
		},
	})
}

// A reboot overruns reboot_timeout: the apply fails at that step; once the
// node answers again the next apply picks up after it.
func TestAccOptionpackInstall_rebootOverruns(t *testing.T) {
	t.Parallel()
	l := newScenarioLab(t, "rebuilt-node")
	if l.Control == nil {
		t.Skip("needs the lab's control API to slow the reboot")
	}
	t.Cleanup(func() { _ = l.Control.ClearFaults() })
	var from int
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					// 600 emulated seconds: 3 s in the lab, against a timeout of 1 s.
					if err := l.Control.AddFault(world.Fault{Node: "NODE2", Kind: "slow_reboot", RebootSeconds: 600}); err != nil {
						t.Fatal(err)
					}
				},
				Config:      installConfig(l, "custom", node1Components, "  reboot_timeout = \"1s\"\n"),
				ExpectError: wrapped(`Cannot install the Option Pack on node NODE2 .*reboot after Option Pack setup.* did not come back rebooted within 1s`),
			},
			{
				PreConfig: func() {
					l.waitUp(t, "NODE2")
					from = l.CommandCount(t)
				},
				Config: installConfig(l, "custom", node1Components, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: append(expectInstallState(node1Components),
					l.expectInstalledLikeNode1(),
					// Setup and its reboot are done: only the SP and its reboot remain.
					l.ExpectKBSteps("NODE2", &from, "SP", "reboot"),
					l.ExpectNoIncidents()),
			},
		},
	})
}

// A plan whose components or method differ from NODE1's is refused at plan
// time (safety rule 3), and nothing but read-only queries reaches NODE2.
func TestAccOptionpackInstall_differsFromWorkingNode(t *testing.T) {
	t.Parallel()
	l := newScenarioLab(t, "rebuilt-node")
	mark := l.CommandCount(t)
	withSMTP := append([]string{"iis_smtp"}, node1Components[1:]...) // +iis_smtp -fp_extensions
	runTestCase(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      installConfig(l, "custom", withSMTP, ""),
				PlanOnly:    true,
				ExpectError: wrapped(`Components differ from the working node's .*NODE1 has .*\(\+iis_smtp -fp_extensions\)`),
			},
			{
				Config:      installConfig(l, "typical", nil, ""),
				PlanOnly:    true,
				ExpectError: wrapped(`Install method differs from the working node's .*NODE1 was installed custom`),
			},
			{
				Config:      installConfig(l, "custom", node1Components, "  working_node = \"NODE3\"\n"),
				PlanOnly:    true,
				ExpectError: wrapped(`Node "NODE3" is not in the provider's nodes`),
			},
		},
	})
	if l.Control == nil {
		return
	}
	cmds, err := l.CommandsSince(mark)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cmds {
		if c.Node == "NODE2" && !labtest.IsReadOnly(c) {
			t.Errorf("a refused plan ran %s %s on NODE2", c.Program, c.Args)
		}
	}
	if err := l.NoIncidents(); err != nil {
		t.Fatal(err)
	}
}

// Bad input never reaches a node: names, paths and levels are refused at
// plan time with the attribute named.
func TestAccOptionpackInstall_planTimeErrors(t *testing.T) {
	t.Parallel()
	l := newScenarioLab(t, "rebuilt-node")
	mark := l.CommandCount(t)
	cases := []struct{ config, want string }{
		{installConfig(l, "custom", nil, ""), `install_method = "custom" installs exactly the listed components`},
		{installConfig(l, "minimal", []string{"iis_common"}, ""), `Components contradict the install method`},
		{installConfig(l, "custom", []string{"iis_www", "iis_gopher"}, ""), `value must be one of`},
		{installConfig(l, "custom", node1Components, "  setup_path = \"C:\\\\NT OP\\\\%PATH%\\\\setup.exe\"\n"), `setup_path .* cannot be quoted safely`},
		{installConfig(l, "custom", node1Components, "  setup_path = \"setup.exe\"\n"), `Invalid program path`},
		{installConfig(l, "custom", node1Components, "  working_node = \"NODE2\"\n"), `Working node is the node being installed`},
		{strings.Replace(installConfig(l, "custom", node1Components, ""), `service_pack      = "4"`, `service_pack      = "7"`, 1), `service_pack value must be one of`},
		{strings.Replace(installConfig(l, "custom", node1Components, ""), `service_pack_path = "C:\\SP4\\I386\\UPDATE\\update.exe"`, "", 1), `Missing service pack installer`},
	}
	var steps []resource.TestStep
	for _, tc := range cases {
		steps = append(steps, resource.TestStep{Config: tc.config, PlanOnly: true, ExpectError: wrapped(tc.want)})
	}
	runTestCase(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps})
	if err := l.NoCommandsSince(&mark)(); err != nil {
		t.Fatal(err)
	}
}

// The plan of an install on a node with IIS present warns that Remove All
// comes first; on a rebuilt node it does not. Both warn that the cluster
// service stops and how often the node reboots (twice more for the Remove
// All's own reboots). ModifyPlan is called directly so the warnings
// themselves can be read.
func TestOptionpackInstallPlan_warnsOfRemoveAll(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		warn     bool
		disrupts string
	}{
		{"corrupted-iis", true, "NODE2: the cluster service (ClusSvc) stops and NODE2 reboots 4 times"},
		{"rebuilt-node", false, "NODE2: the cluster service (ClusSvc) stops and NODE2 reboots 2 times"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			l := newScenarioLab(t, tc.scenario)
			if l.Control == nil && !tc.warn {
				t.Skip("a real lab is in whatever state it is in")
			}
			diags := planInstall(t, l, node1Components)
			if diags.HasError() {
				t.Fatalf("plan: %v", diags)
			}
			var warnings []string
			for _, d := range diags.Warnings() {
				warnings = append(warnings, d.Summary())
			}
			want := "IIS present on NODE2 will be removed (Remove All) before reinstalling"
			if got := slices.Contains(warnings, want); got != tc.warn {
				t.Errorf("warnings %q; want the Remove All warning: %t", warnings, tc.warn)
			}
			if !slices.Contains(warnings, tc.disrupts) {
				t.Errorf("warnings %q lack %q", warnings, tc.disrupts)
			}
			if n := len(warnings); n != map[bool]int{true: 2, false: 1}[tc.warn] {
				t.Errorf("warnings %q: %d, want only these", warnings, n)
			}
		})
	}
}

func TestOptionpackInstallPlan_refusesAnotherInstallThanNode1(t *testing.T) {
	l := newScenarioLab(t, "rebuilt-node")
	diags := planInstall(t, l, append([]string{"iis_smtp"}, node1Components...))
	if !diags.HasError() {
		t.Fatal("a plan with iis_smtp, which NODE1 lacks, passed")
	}
	var paths []string
	for _, d := range diags.Errors() {
		if d.Summary() != "Components differ from the working node's" || !strings.Contains(d.Detail(), "(+iis_smtp)") {
			t.Errorf("error %q: %s", d.Summary(), d.Detail())
		}
		paths = append(paths, fmt.Sprint(d))
	}
	if len(paths) != 1 {
		t.Errorf("%d errors: %q", len(paths), paths)
	}
}

// A destroy of an install with uninstall_on_destroy says in the plan that it
// removes the Option Pack and takes the node out of the cluster; without it,
// nothing.
func TestOptionpackInstallPlan_destroyWarnsOfUninstall(t *testing.T) {
	ctx := context.Background()
	r := installResource(t, &cluster{})
	var sch fwresource.SchemaResponse
	r.Schema(ctx, fwresource.SchemaRequest{}, &sch)
	typ, ok := sch.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatalf("schema type %v", sch.Schema.Type())
	}
	for _, uninstall := range []bool{true, false} {
		values := map[string]tftypes.Value{}
		for name, at := range typ.AttributeTypes {
			values[name] = tftypes.NewValue(at, nil)
		}
		values["node"] = tftypes.NewValue(tftypes.String, "NODE2")
		values["uninstall_on_destroy"] = tftypes.NewValue(tftypes.Bool, uninstall)
		req := fwresource.ModifyPlanRequest{
			Plan:  tfsdk.Plan{Schema: sch.Schema, Raw: tftypes.NewValue(typ, nil)},
			State: tfsdk.State{Schema: sch.Schema, Raw: tftypes.NewValue(typ, values)},
		}
		resp := fwresource.ModifyPlanResponse{Plan: req.Plan}
		r.ModifyPlan(ctx, req, &resp)
		warned := len(resp.Diagnostics.Warnings()) == 1 && resp.Diagnostics.Warnings()[0].Summary() == "Destroy removes the Option Pack from NODE2" &&
			strings.Contains(resp.Diagnostics.Warnings()[0].Detail(), "takes the node out of the cluster")
		if warned != uninstall || resp.Diagnostics.HasError() {
			t.Errorf("uninstall_on_destroy = %t: %v", uninstall, resp.Diagnostics)
		}
	}
}

// installCluster is a provider's cluster for the lab's nodes.
func (l *testLab) installCluster(t *testing.T) *cluster {
	t.Helper()
	var configs []winrm.Config
	for _, name := range l.Names() {
		configs = append(configs, l.ClientConfig(t, name))
	}
	c, err := newCluster(configs, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, client := range c.clients {
			_ = client.Close(context.Background())
		}
	})
	return c
}

// planInstall runs the resource's ModifyPlan for creating an install of
// components (custom, SP4) on NODE2, against the lab, and returns its
// diagnostics.
func planInstall(t *testing.T, l *testLab, components []string) diag.Diagnostics {
	t.Helper()
	ctx := context.Background()
	r := installResource(t, l.installCluster(t))
	var sch fwresource.SchemaResponse
	r.Schema(ctx, fwresource.SchemaRequest{}, &sch)
	typ, ok := sch.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatalf("schema type %v", sch.Schema.Type())
	}
	values := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		values[name] = tftypes.NewValue(at, nil)
	}
	str := func(v string) tftypes.Value { return tftypes.NewValue(tftypes.String, v) }
	var elems []tftypes.Value
	for _, c := range components {
		elems = append(elems, str(c))
	}
	values["node"] = str("NODE2")
	values["install_method"] = str("custom")
	values["components"] = tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, elems)
	values["service_pack"] = str("4")
	values["setup_path"] = str(defaultSetupPath)
	values["service_pack_path"] = str(`C:\SP4\I386\UPDATE\update.exe`)
	values["reboot_timeout"] = str(defaultRebootTimeout)
	values["uninstall_on_destroy"] = tftypes.NewValue(tftypes.Bool, false)
	for _, computed := range []string{"id", "installed_components", "csd_version"} {
		values[computed] = tftypes.NewValue(typ.AttributeTypes[computed], tftypes.UnknownValue)
	}
	plan := tfsdk.Plan{Schema: sch.Schema, Raw: tftypes.NewValue(typ, values)}
	req := fwresource.ModifyPlanRequest{
		Plan:  plan,
		State: tfsdk.State{Schema: sch.Schema, Raw: tftypes.NewValue(typ, nil)},
	}
	resp := fwresource.ModifyPlanResponse{Plan: plan}
	r.ModifyPlan(ctx, req, &resp)
	return resp.Diagnostics
}

// installResource is the install resource as the provider builds it,
// configured with c.
func installResource(t *testing.T, c *cluster) *optionpackInstallResource {
	t.Helper()
	r, ok := NewOptionpackInstallResource().(*optionpackInstallResource)
	if !ok {
		t.Fatalf("NewOptionpackInstallResource is a %T", NewOptionpackInstallResource())
	}
	r.cluster = c
	return r
}
