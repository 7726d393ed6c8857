package provider

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mscs-ops/terraform-provider-mscs/internal/nodeops"
	"github.com/mscs-ops/terraform-provider-mscs/internal/provider/planmodifiers"
	"github.com/mscs-ops/terraform-provider-mscs/internal/provider/validators"
)

var _ phaseResourceInterfaces = (*optionpackInstallResource)(nil)

// installTimeouts: an install reboots the node two to four times.
var installTimeouts = phaseTimeouts{apply: 90 * time.Minute, read: 5 * time.Minute, delete: 60 * time.Minute,
	applyWhat: "The whole install, which reboots the node two to four times", readWhat: "Reading the node's state",
	deleteWhat: "Remove All with `uninstall_on_destroy`"}

const (
	defaultRebootTimeout = "20m"
	// defaultSetupPath is where the Option Pack CD keeps the server setup
	// (\NTOPTPAK\EN\X86\WINNT.SRV), copied to the node's C: drive.
	defaultSetupPath = `C:\NTOPTPAK\EN\X86\WINNT.SRV\setup.exe`
)

var (
	installMethods = []string{nodeops.MethodMinimal, nodeops.MethodTypical, nodeops.MethodCustom}
)

// NewOptionpackInstallResource is the KB Q241573 phase that reinstalls the
// Windows NT 4.0 Option Pack (IIS 4.0) on one node exactly as the working
// node has it.
func NewOptionpackInstallResource() resource.Resource {
	return &optionpackInstallResource{phaseResource{typeName: "_optionpack_install", timeouts: installTimeouts,
		rules: rulesOf(validateInstall), destroyWarning: warnAboutUninstall}}
}

type optionpackInstallResource struct{ phaseResource }

// methodComponents is nodeops.MethodComponents in the shape DefaultSetFrom takes.
func methodComponents(method string) ([]string, bool) {
	c, err := nodeops.MethodComponents(method)
	return c, err == nil
}

func (r *optionpackInstallResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	minimal, _ := nodeops.MethodComponents(nodeops.MethodMinimal)
	typical, _ := nodeops.MethodComponents(nodeops.MethodTypical)
	componentNames := make([]validator.String, 0, 1)
	componentNames = append(componentNames, stringvalidator.OneOf(nodeops.KnownComponents...))
	resp.Schema = r.phaseSchema(ctx, "The Windows NT 4.0 Option Pack (IIS 4.0, MTS) installed on one cluster node with the "+
		"same install method and components as the working node, as KB Q241573 reinstalls it: cluster service "+
		"stopped and set to manual, any installation present removed (Remove All, reboot, service pack), "+
		"setup, reboot, service pack re-applied, reboot. Read removes the resource from state when the "+
		"Option Pack is gone from the node (a rebuilt node plans a create) and shows changed components as "+
		"drift. Destroy forgets the installation unless `uninstall_on_destroy` is set.",
		"The node's name as the provider's `nodes` spells it (`node` matches it without "+
			"case, as Windows does); also the import ID.",
		map[string]schema.Attribute{
			"node": nodeAttribute("NetBIOS name of the node to install on (the rebuilt or corrupted node). " +
				"Changing it installs on the new node and forgets the old one."),
			"install_method": schema.StringAttribute{
				MarkdownDescription: "Setup's install method, which must be the one the working node was installed " +
					"with (the KB's step 3): " + backticked(installMethods) + ". Copy it from the working node " +
					"with the `mscs_node` data source. Changing it reinstalls.",
				Required:      true,
				Validators:    []validator.String{stringvalidator.OneOf(installMethods...)},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"components": schema.SetAttribute{
				MarkdownDescription: "The Option Pack components to install, as setup's `[Components]` names them: " +
					backticked(nodeops.KnownComponents) + ". Required with `custom`, which installs exactly these " +
					"(list what they need too, e.g. `iis_common` and `mts_core` for `iis_www`, as the working " +
					"node shows them). With `minimal` and `typical` setup installs a fixed set and ignores the list: " +
					"leave it out (it is then planned as the method's set: minimal " + backticked(minimal) +
					"; typical " + backticked(typical) + ") or give exactly that set. Changing it reinstalls.",
				Optional:    true,
				Computed:    true,
				ElementType: types.StringType,
				Validators: []validator.Set{
					setvalidator.SizeAtLeast(1),
					setvalidator.ValueStringsAre(componentNames...),
				},
				PlanModifiers: []planmodifier.Set{
					planmodifiers.DefaultSetFrom(path.Root("install_method"), methodComponents,
						"the install method's fixed component set when none is configured"),
					setplanmodifier.RequiresReplace(),
				},
			},
			"service_pack": schema.StringAttribute{
				MarkdownDescription: "The Windows NT 4.0 service pack level the node runs and that is re-applied " +
					"after every Option Pack setup and Remove All when it is 4 or later (setup leaves older system " +
					"files behind; the cluster service fails to start until the SP is re-applied): " +
					backticked(nodeops.ServicePackLevels) + ". Read shows the node's level (CSDVersion, and the Q246009 " +
					"hotfix key for 6a). Changing it reinstalls.",
				Required:      true,
				Validators:    []validator.String{stringvalidator.OneOf(nodeops.ServicePackLevels...)},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"setup_path": optionalString("Path of the Option Pack's server `setup.exe` on the node (the CD's "+
				"`NTOPTPAK\\EN\\X86\\WINNT.SRV` folder, copied to a local drive). Default `"+defaultSetupPath+
				"`. Setup runs unattended from an unattend file the provider writes on the node, told not to "+
				"restart (`/R:N`): the provider reboots the node itself and waits for it. Changing it only "+
				"affects later installs and removals.", defaultSetupPath, validators.ExePath(), validators.SafeArg()),
			"service_pack_path": optionalString("Path on the node of the service pack's installer for "+
				"`service_pack`: an extracted `update.exe` (e.g. `C:\\SP4\\I386\\UPDATE\\update.exe`) or the "+
				"self-extracting `sp6i386.exe`; it runs as `-u -z -n -q` (unattended, no restart, no uninstall "+
				"folder, quiet). Required when `service_pack` is 4 or later, since the KB re-applies it; the "+
				"package's level must be `service_pack`. Changing it only affects later installs and removals.",
				"", validators.ExePath(), validators.SafeArg()),
			"working_node": workingNodeAttribute("The node whose installation is the template. When a plan " +
				"creates or replaces the installation, the provider reads this node's Option Pack (read-only) and " +
				"refuses a plan whose `install_method` or `components` differ from it (safety rule 3: the KB's " +
				"\"exact same installation method\"). The method is derived from the installed set (exactly the " +
				"minimal set reads as `minimal`, exactly the typical set as `typical`, anything else as `custom`)."),
			"uninstall_on_destroy": optionalFlag("What destroy does. `false` (default): it forgets the " +
				"installation and leaves the node as it is. `true`: it removes the Option Pack as the KB does " +
				"(cluster service stopped and set to manual, Remove All, reboot, service pack re-applied, reboot)."),
			"allow_cluster_outage": allowOutageAttribute("The plan then names the groups that go offline and for " +
				"how many reboots."),
			"reboot_timeout": optionalString("How long one reboot of the node may take, from `shutdown` until "+
				"the node answers again with a new boot time, e.g. `20m` (default). A reboot that overruns it fails "+
				"the apply at that step; the next apply resumes there.", defaultRebootTimeout, validators.Duration()),
			"reinstall": optionalString("When a create runs the KB's reinstall. `when_needed` (default): a node whose "+
				"Option Pack is already installed as the working node has it (the same method, components and service "+
				"pack), healthy (every IIS service of its components running, none dead as a corrupted IIS leaves them) "+
				"with nothing pending (no reboot, no unfinished run) and, from service pack 4, shown to have the service pack "+
				"re-applied after its setup (the cluster service running, or this provider's finished install of the same "+
				"declaration) is adopted: the plan says so, its `steps` say "+
				"\"nothing runs\", and apply changes nothing on the node. Any other node gets the KB's reinstall. "+
				"`always`: the KB's reinstall (Remove All, setup, service pack, reboots) whatever the node has. It decides "+
				"a create only: to reinstall a managed install now, set `always` and run `terraform apply -replace` on "+
				"this resource.", nodeops.ReinstallWhenNeeded, stringvalidator.OneOf(nodeops.ReinstallWhenNeeded, nodeops.ReinstallAlways)),
			"adopted": keptBool("Whether the create adopted the install the node had (see `reinstall`): nothing ran on " +
				"the node. Known in the plan when the plan could read the node."),
			"installed_components": keptStringSet("The components installed on the node, as its registry lists " +
				"them (OC Manager Subcomponents)."),
			"csd_version": keptString("The node's CSDVersion after the install, e.g. `Service Pack 4`."),
		})
}

// validateInstall is the install's plan rules that need no node.
func validateInstall(ctx context.Context, m *optionpackInstallModel) diag.Diagnostics {
	var diags diag.Diagnostics
	if !m.InstallMethod.IsUnknown() && !m.InstallMethod.IsNull() && !m.Components.IsUnknown() {
		method := m.InstallMethod.ValueString()
		fixed, isFixed := methodComponents(method)
		switch {
		case !isFixed && m.Components.IsNull():
			diags.AddAttributeError(path.Root("components"), "Missing components",
				"install_method = \"custom\" installs exactly the listed components: set components (copy them "+
					"from the working node with the mscs_node data source).")
		case isFixed && !m.Components.IsNull():
			declared, known := setStrings(ctx, m.Components)
			if known && !nodeops.SameComponents(declared, fixed) {
				diags.AddAttributeError(path.Root("components"), "Components contradict the install method",
					fmt.Sprintf("install_method = %q always installs %s (setup ignores [Components] for it), but "+
						"components lists %s. Leave components out, or use install_method = \"custom\".",
						method, strings.Join(fixed, ", "), strings.Join(declared, ", ")))
			}
		}
	}
	if !m.ServicePack.IsUnknown() && nodeops.ReappliesServicePack(m.ServicePack.ValueString()) && m.ServicePackPath.IsNull() {
		diags.AddAttributeError(path.Root("service_pack_path"), "Missing service pack installer",
			fmt.Sprintf("service_pack = %q is re-applied after Option Pack setup (KB Q241573), so the provider "+
				"needs its installer on the node: set service_pack_path, e.g. \"C:\\\\SP4\\\\I386\\\\UPDATE\\\\update.exe\".",
				m.ServicePack.ValueString()))
	}
	return append(diags, notWorkingNode(m.WorkingNode, m.Node, "Working node is the node being installed",
		"the template must be the other node, the one that kept serving.")...)
}

// ModifyPlan runs after the provider's Configure. It checks, read-only, the
// nodes the plan names (configured, and the machines the nodes meant), and
// for a plan that installs (create, or the create half of a replacement)
// everything apply would otherwise find out only after its first change: the
// working node's template (safety rule 3), the installation media on the
// node, and whether stopping its cluster service leaves another node Up. Its
// warnings say what apply will do: Remove All of a present install, the
// groups that fail over or go offline, or the resume of an unfinished run. An
// install already as the template has it and healthy (nodeops.AdoptInstall)
// is adopted instead: adopted is true, the steps say nothing runs, and
// neither the media nor the cluster service are checked, since apply touches
// neither. A destroy that uninstalls says so.
func (r *optionpackInstallResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var plan optionpackInstallModel
	ctx, cancel, ok := r.planStart(ctx, req, &resp.Diagnostics, &plan, planNodes{own: []string{"node"}, also: []string{"working_node"}})
	defer cancel()
	if !ok {
		return
	}
	node := plan.Node.ValueString()
	// Terraform plans a replacement a second time as a create (no prior
	// state); checking there only keeps the warnings from showing twice.
	if !req.State.Raw.IsNull() {
		return
	}
	resp.Diagnostics.Append(r.checkWorkingNode(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	n, _ := r.cluster.Node(node)
	if !triggersPending(ctx, req.Config) && !checkTools(ctx, &resp.Diagnostics, n, nodeops.InstallTools...) {
		return
	}
	spec, d := r.installSpec(ctx, &plan)
	if resp.Diagnostics.Append(d...); resp.Diagnostics.HasError() {
		return
	}
	facts, err := n.ReadInstallFacts(ctx, spec)
	if err != nil {
		resp.Diagnostics.Append(r.cluster.stepDiag("Cannot read the Option Pack on node "+node, node, err))
		return
	}
	// Tied to an earlier phase of this apply (triggers unknown), whether
	// another node is Up when the cluster service stops is read at apply,
	// right before the stop (nodeops refuses it there), not now.
	pending := triggersPending(ctx, req.Config)
	known := !plan.InstallMethod.IsUnknown() && !plan.Components.IsUnknown() && !plan.ServicePack.IsUnknown() && !plan.Reinstall.IsUnknown()
	if !pending && known && nodeops.AdoptInstall(facts, spec) {
		// Already as the working node has it, and healthy: nothing runs, so
		// nothing stops or moves either.
		resp.Diagnostics.AddWarning(fmt.Sprintf("Option Pack on %s adopted: nothing runs", node),
			fmt.Sprintf("%s already has the Option Pack installed as %s has it (%s: %s, service pack %s), its IIS "+
				"services running and nothing pending: the create adopts it and apply changes nothing on %s. To run "+
				"the KB's reinstall anyway (Remove All, setup, service pack, reboots), set reinstall = \"always\".",
				node, spec.WorkingNode, facts.OptionPack.Method, strings.Join(facts.OptionPack.Components, ", "),
				facts.ServicePack, node))
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("adopted"), true)...)
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("steps"), installSteps(node, nodeops.PlanInstallSteps(facts, spec), ""))...)
		return
	}
	// The media are needed only by an install that runs.
	if resp.Diagnostics.Append(r.checkMedia(ctx, n, &plan)...); resp.Diagnostics.HasError() {
		return
	}
	var planned []nodeops.PlannedStep
	reboots, most := -1, -1
	if known {
		planned = nodeops.PlanInstallSteps(facts, spec)
		reboots, most = nodeops.Reboots(planned)
	}
	moves := ""
	if !pending {
		var d diag.Diagnostics
		d, moves = r.checkClusterService(ctx, &plan, facts, rebootTimes(reboots, most))
		if resp.Diagnostics.Append(d...); resp.Diagnostics.HasError() {
			return
		}
	}
	present := facts.OptionPack
	switch {
	case facts.JournalStep != "":
		resp.Diagnostics.AddWarning(fmt.Sprintf("An unfinished install on %s resumes", node),
			fmt.Sprintf("A run on %s with the same settings stopped after its step %q (the journal %s): apply "+
				"resumes after that step.", node, facts.JournalStep, `%SystemRoot%\mscs-optionpack.log`))
	case present.Installed:
		why := "reinstall = \"always\""
		switch {
		case !known || pending:
			why = "unless apply, which knows the settings and the node then, adopts it as it is"
		case spec.Reinstall != nodeops.ReinstallAlways:
			why = "not adopted: " + strings.Join(facts.NotAdoptable(spec), "; ")
		}
		resp.Diagnostics.AddWarning(fmt.Sprintf("IIS present on %s will be removed (Remove All) before reinstalling", node),
			fmt.Sprintf("%s has the Option Pack installed (%s: %s; %s). Apply stops its cluster service, runs setup's "+
				"Remove All, reboots and re-applies the service pack before installing again: the KB's steps for a "+
				"corrupted IIS. Its IIS services are unavailable until the apply completes.",
				node, present.Method, strings.Join(present.Components, ", "), why))
	}
	warnInstallDisrupts(&resp.Diagnostics, node, pending || (facts.ClusterService.Exists && facts.ClusterService.State != nodeops.StateStopped), reboots, most)
	if !known {
		return // the steps are known at apply
	}
	if pending {
		deferChecks(&resp.Diagnostics, node, "that stopping its cluster service leaves another node Up (refused "+
			"unless allow_cluster_outage)")
		return
	}
	steps := installSteps(node, planned, moves)
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("steps"), steps)...)
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("adopted"), false)...)
}

// installSteps is the plan's list of what apply runs, each step naming its
// node (see nodeops.PlanInstallSteps); moves says what the stop of the cluster
// service moves, when the plan could read it.
func installSteps(node string, planned []nodeops.PlannedStep, moves string) []string {
	var steps []string
	for _, s := range planned {
		if s.Kind == nodeops.StepStopClusterService && moves != "" {
			s.Words += " (" + moves + ")"
		}
		steps = append(steps, node+": "+s.Words)
	}
	return steps
}

// checkMedia fails the plan when setup or the service pack's installer is
// not on the node (where the node answers): apply would otherwise stop the
// cluster service, and maybe remove IIS, before finding out.
func (r *optionpackInstallResource) checkMedia(ctx context.Context, n *nodeops.Node, plan *optionpackInstallModel) diag.Diagnostics {
	var diags diag.Diagnostics
	node := plan.Node.ValueString()
	var attrs, paths []string
	for _, a := range []struct {
		attr  string
		value types.String
	}{{"setup_path", plan.SetupPath}, {"service_pack_path", plan.ServicePackPath}} {
		if a.value.IsNull() || a.value.IsUnknown() || (a.attr == "service_pack_path" && !nodeops.ReappliesServicePack(plan.ServicePack.ValueString())) {
			continue
		}
		attrs, paths = append(attrs, a.attr), append(paths, a.value.ValueString())
	}
	if len(paths) == 0 {
		return nil
	}
	found, err := n.FilesExist(ctx, paths...)
	if err != nil {
		diags.Append(r.cluster.stepDiag("Cannot look for "+strings.Join(attrs, " and ")+" on node "+node, node, err))
		return diags
	}
	for i, attr := range attrs {
		if !found[i] {
			diags.AddAttributeError(path.Root(attr), "Installer not found on the node",
				fmt.Sprintf("%s = %q does not exist on %s. Apply would stop the cluster service before needing it; "+
					"copy the media to the node or fix the path. Nothing was changed on any node.", attr, paths[i], node))
		}
	}
	return diags
}

// checkClusterService says in the plan what stopping the node's cluster
// service does: its groups fail over to another node Up, or, with none,
// go offline, which is refused unless allow_cluster_outage accepts it.
// reboots words how often the install reboots the node (rebootTimes).
func (r *optionpackInstallResource) checkClusterService(ctx context.Context, plan *optionpackInstallModel, facts nodeops.InstallFacts, reboots string) (diag.Diagnostics, string) {
	if st := facts.ClusterService; !st.Exists || st.State == nodeops.StateStopped {
		return nil, ""
	}
	node := plan.Node.ValueString()
	howLong := "for the whole install"
	if reboots != "" {
		howLong += ", in which " + node + " reboots " + reboots + ","
	}
	return r.cluster.planStop(ctx, node, path.Root("allow_cluster_outage"), plan.AllowOutage.ValueBool(),
		howLong+" and until mscs_cluster_node_service starts it again")
}

// warnAboutUninstall: a destroy with uninstall_on_destroy removes IIS.
func warnAboutUninstall(ctx context.Context, prior tfsdk.State, diags *diag.Diagnostics) {
	var state optionpackInstallModel
	if diags.Append(prior.Get(ctx, &state)...); diags.HasError() || !state.UninstallOnDestroy.ValueBool() {
		return
	}
	node := state.Node.ValueString()
	diags.AddWarning(fmt.Sprintf("Destroy removes the Option Pack from %s", node),
		fmt.Sprintf("uninstall_on_destroy is true: destroy stops the cluster service on %s and sets it to manual, "+
			"which takes the node out of the cluster (its groups fail over), runs setup's Remove All, reboots, "+
			"re-applies the service pack and reboots again. IIS is gone from %s afterwards.", node, node))
}

// checkWorkingNode enforces safety rule 3 before anything runs: the planned
// method, components and service pack level equal the working node's. It
// only reads. A working node that can't be determined or read fails the plan:
// the rule never depends on how many nodes the provider knows.
func (r *optionpackInstallResource) checkWorkingNode(ctx context.Context, plan *optionpackInstallModel) diag.Diagnostics {
	var diags diag.Diagnostics
	if plan.WorkingNode.IsUnknown() || plan.InstallMethod.IsUnknown() || plan.Components.IsUnknown() || plan.ServicePack.IsUnknown() {
		return nil // checked again at apply, when they are known
	}
	node := plan.Node.ValueString()
	working, d := r.cluster.workingNode(plan.WorkingNode, node, "copy the install from",
		fmt.Sprintf("Safety rule 3 (%s) compares the install with the working node's", safetyRulesDoc))
	if diags.Append(d...); diags.HasError() {
		return diags
	}
	wn, _ := r.cluster.Node(working)
	template, err := wn.Template(ctx)
	if err != nil {
		d := r.cluster.stepDiag("Cannot read the working node's Option Pack (safety rule 3)", working, err)
		diags.AddAttributeError(path.Root("working_node"), d.Summary(), d.Detail()+
			"\n\nThe install is only planned against a working node the provider can read.")
		return diags
	}
	if !template.OptionPack.Installed {
		diags.AddAttributeError(path.Root("working_node"), "The working node has no Option Pack",
			fmt.Sprintf("Working node %s has no Option Pack installed, so it cannot be the template for %s (safety "+
				"rule 3). Set working_node to the node that kept serving IIS. Nothing was run on any node.", working, node))
		return diags
	}
	declared, _ := setStrings(ctx, plan.Components)
	switch {
	case plan.InstallMethod.ValueString() != template.OptionPack.Method:
		// The components differ too, necessarily: one error says both.
		diags.AddAttributeError(path.Root("install_method"), "Install method differs from the working node's",
			fmt.Sprintf("%s was installed %s (components %s); install_method = %q on %s would break KB Q241573's "+
				"rule of the exact same installation method (safety rule 3). Copy install_method and components "+
				"from data.mscs_node of %s. Nothing was run on any node.",
				working, template.OptionPack.Method, strings.Join(template.OptionPack.Components, ", "), plan.InstallMethod.ValueString(),
				node, working))
	case !nodeops.SameComponents(declared, template.OptionPack.Components):
		diags.AddAttributeError(path.Root("components"), "Components differ from the working node's",
			fmt.Sprintf("%s has %s; the plan installs %s on %s (%s). Differing components break the IIS cluster "+
				"resources on the rebuilt node (safety rule 3). Copy components from data.mscs_node of %s. Nothing "+
				"was run on any node.",
				working, strings.Join(template.OptionPack.Components, ", "), strings.Join(declared, ", "), node,
				nodeops.ComponentDiff(declared, template.OptionPack.Components), working))
	}
	if sp := plan.ServicePack.ValueString(); !strings.EqualFold(sp, template.ServicePack) {
		diags.AddAttributeError(path.Root("service_pack"), "Service pack differs from the working node's",
			fmt.Sprintf("%s runs service pack %q (CSDVersion %q); service_pack = %q on %s would leave the nodes at "+
				"different levels, and the re-applied service pack is the one that must match the cluster. Copy "+
				"service_pack from data.mscs_node of %s. Nothing was run on any node.",
				working, template.ServicePack, template.CSDVersion, sp, node, working))
	}
	return diags
}

func (r *optionpackInstallResource) installSpec(ctx context.Context, m *optionpackInstallModel) (nodeops.InstallSpec, diag.Diagnostics) {
	var diags diag.Diagnostics
	var components []string
	if m.InstallMethod.ValueString() == nodeops.MethodCustom {
		// The fixed sets of minimal and typical are setup's, not a list it takes.
		components, _ = setStrings(ctx, m.Components)
	}
	reboot, err := time.ParseDuration(m.RebootTimeout.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("reboot_timeout"), "Invalid duration", err.Error())
	}
	return nodeops.InstallSpec{
		Method:          m.InstallMethod.ValueString(),
		Components:      components,
		ServicePack:     m.ServicePack.ValueString(),
		SetupPath:       m.SetupPath.ValueString(),
		ServicePackPath: m.ServicePackPath.ValueString(),
		RebootTimeout:   reboot,
		AllowOutage:     m.AllowOutage.ValueBool(),
		Record:          installRecord(m),
		Reinstall:       m.Reinstall.ValueString(),
		WorkingNode:     r.templateNode(m),
		Adopt:           m.Adopted.ValueBool(),
	}, diags
}

// templateNode names the working node for the plan's words: the one
// configured, else the other node of a two-node provider (checkWorkingNode
// is what enforces it).
func (r *optionpackInstallResource) templateNode(m *optionpackInstallModel) string {
	if !m.WorkingNode.IsNull() && !m.WorkingNode.IsUnknown() {
		return r.cluster.configured(m.WorkingNode.ValueString())
	}
	return r.cluster.otherNode(m.Node.ValueString())
}

func (r *optionpackInstallResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.apply().create(ctx, req, resp)
}

// Update changes only what affects later operations (paths, reboot timeout,
// destroy behaviour, working node): everything that touches the node
// requires replacement.
func (r *optionpackInstallResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.apply().update(ctx, req, resp)
}

// apply installs (install); an update keeps what the last apply and Read
// found, since every setting that touches the node replaces.
func (r *optionpackInstallResource) apply() phaseApply[optionpackInstallModel] {
	return phaseApply[optionpackInstallModel]{run: r.install, keep: func(plan, state *optionpackInstallModel) {
		plan.ID, plan.InstalledComponents, plan.CSDVersion, plan.Adopted = state.ID, state.InstalledComponents, state.CSDVersion, state.Adopted
	}}
}

// install runs the phase for the plan and fills in what the node has after it.
func (r *optionpackInstallResource) install(ctx context.Context, plan *optionpackInstallModel, op operation) diag.Diagnostics {
	nodeName := plan.Node.ValueString()
	ctx, cancel, n, diags := r.begin(ctx, &plan.phaseModel, op, nodeName)
	defer cancel()
	if diags.HasError() {
		return diags
	}
	timeout, _ := r.operationTimeout(ctx, &plan.phaseModel, op)
	// The plan may have been made with values only known now (copied from a
	// data source read at apply): never run setup unchecked.
	diags.Append(r.checkWorkingNode(ctx, plan)...)
	spec, d := r.installSpec(ctx, plan)
	if diags.Append(d...); diags.HasError() {
		return diags
	}
	spec.LockMaxAge = timeout
	if plan.Steps.IsUnknown() {
		// Values known only now (copied from a data source read at apply):
		// the steps, and whether the install present is adopted, are
		// decided now, as the plan would have. (The plan decides both or
		// neither.)
		facts, err := n.ReadInstallFacts(ctx, spec)
		if err != nil {
			return append(diags, r.cluster.stepDiag("Cannot read the Option Pack on node "+nodeName, nodeName, err))
		}
		if plan.Adopted.IsUnknown() {
			plan.Adopted = types.BoolValue(nodeops.AdoptInstall(facts, spec))
			spec.Adopt = plan.Adopted.ValueBool()
		}
		plan.Steps = stringList(installSteps(nodeName, nodeops.PlanInstallSteps(facts, spec), ""))
	}
	if plan.Adopted.IsUnknown() {
		plan.Adopted = types.BoolValue(false) // steps known without it: the plan's reinstall
	}
	tflog.Info(ctx, "installing the Option Pack", map[string]any{"method": spec.Method, "components": spec.Components,
		"service_pack": spec.ServicePack, "adopted": spec.Adopt})
	res, err := n.InstallOptionPack(ctx, spec, r.progress(ctx, nodeName))
	if err != nil {
		diags.Append(r.cluster.stepDiag("Cannot install the Option Pack on node "+nodeName, nodeName, err))
		diags.AddWarning("The next apply resumes the install",
			fmt.Sprintf("The steps done so far are recorded on %s; the next apply checks each of them and goes on "+
				"from the one that failed.", nodeName))
		return diags
	}
	planned, _ := listStrings(ctx, plan.Steps)
	plan.RanSteps = stringList(nodeops.RanSteps(planned, res.RemovedAll)) // the plan's conditional Remove All ran
	if spec.Adopt {
		plan.RanSteps = stringList(nil) // the plan's one line says nothing runs
	}
	return append(diags, r.readInstalled(ctx, n, plan)...)
}

// progress logs each step of an install or removal as nodeops reaches it.
func (r *optionpackInstallResource) progress(ctx context.Context, node string) nodeops.Progress {
	return func(step string) {
		tflog.Info(ctx, "Option Pack step", map[string]any{"node": node, "step": step})
	}
}

// fill copies what the node reports into m. What the node has is what the
// plan compares with: changed components or another service pack level show
// as drift (and plan a reinstall). The install method is recorded nowhere on
// a node, so the configured one stays unless there is none (import).
func fill(ctx context.Context, m *optionpackInstallModel, id string, info nodeops.NodeInfo) diag.Diagnostics {
	installed, diags := types.SetValueFrom(ctx, types.StringType, info.OptionPack.Components)
	m.ID = types.StringValue(id)
	m.InstalledComponents = installed
	m.Components = installed
	m.ServicePack = types.StringValue(info.ServicePack)
	m.CSDVersion = types.StringValue(info.CSDVersion)
	if m.InstallMethod.IsNull() {
		m.InstallMethod = types.StringValue(info.OptionPack.Method)
	}
	return diags
}

// timeoutOps are the operations of the install's timeouts block.
var timeoutOps = []operation{opCreate, opRead, opDelete}

// installRecord is what the install records on the node for a later import:
// the settings of m that no registry value holds, by attribute name
// (timeouts as timeouts.create, ...). working_node only when configured.
func installRecord(m *optionpackInstallModel) nodeops.InstallRecord {
	rec := nodeops.InstallRecord{
		"uninstall_on_destroy": strconv.FormatBool(m.UninstallOnDestroy.ValueBool()),
		"allow_cluster_outage": strconv.FormatBool(m.AllowOutage.ValueBool()),
	}
	for name, v := range map[string]types.String{"setup_path": m.SetupPath, "service_pack_path": m.ServicePackPath,
		"working_node": m.WorkingNode, "reboot_timeout": m.RebootTimeout} {
		if !v.IsNull() && !v.IsUnknown() {
			rec[name] = v.ValueString()
		}
	}
	if !m.Timeouts.IsNull() && !m.Timeouts.IsUnknown() {
		for _, op := range timeoutOps {
			if v, ok := m.Timeouts.Attributes()[string(op)].(types.String); ok && !v.IsNull() && !v.IsUnknown() {
				rec["timeouts."+string(op)] = v.ValueString()
			}
		}
	}
	return rec
}

// fillFromRecord fills the settings the state lacks (an import) from what
// the install recorded on the node.
func fillFromRecord(m *optionpackInstallModel, rec nodeops.InstallRecord) {
	for name, attr := range map[string]*types.String{"setup_path": &m.SetupPath, "service_pack_path": &m.ServicePackPath,
		"working_node": &m.WorkingNode, "reboot_timeout": &m.RebootTimeout} {
		if v := rec[name]; attr.IsNull() && v != "" {
			*attr = types.StringValue(v)
		}
	}
	for name, attr := range map[string]*types.Bool{"uninstall_on_destroy": &m.UninstallOnDestroy, "allow_cluster_outage": &m.AllowOutage} {
		if b, err := strconv.ParseBool(rec[name]); attr.IsNull() && err == nil {
			*attr = types.BoolValue(b)
		}
	}
	if !m.Timeouts.IsNull() {
		return
	}
	attrTypes := map[string]attr.Type{}
	values := map[string]attr.Value{}
	found := false
	for _, op := range timeoutOps {
		name := string(op)
		attrTypes[name] = types.StringType
		values[name] = types.StringNull()
		if v := rec["timeouts."+name]; v != "" {
			values[name], found = types.StringValue(v), true
		}
	}
	if found {
		m.Timeouts = timeouts.Value{Object: types.ObjectValueMust(attrTypes, values)}
	}
}

// installGone says why the install's end state does not hold on the node
// ("" when it does): no Option Pack, an unfinished run (its journal), or IIS
// services that die (a corrupt install). Read then drops the resource, so
// the plan shows the install again; import refuses it. A journal that
// cannot be read is an error: it may be an unfinished run's.
func (r *optionpackInstallResource) installGone(ctx context.Context, n *nodeops.Node, info nodeops.NodeInfo) (string, error) {
	if !info.OptionPack.Installed {
		return "the Option Pack is not installed", nil
	}
	journal, err := n.OptionPackJournal(ctx)
	if err != nil {
		return "", err
	}
	if journal.Unfinished {
		return fmt.Sprintf("an install or removal did not finish (its journal stops after step %q)", journal.Step), nil
	}
	if info.OptionPack.PendingReboot {
		return "a change of setup or a service pack waits for a reboot", nil
	}
	if problems := nodeops.IISProblems(info.OptionPack, info.Services); len(problems) > 0 {
		return "IIS is broken: " + strings.Join(problems, "; "), nil
	}
	return "", nil
}

// readInstalled reads the node after an install, which nodeops verified: a
// missing Option Pack there is an error, not a removal.
func (r *optionpackInstallResource) readInstalled(ctx context.Context, n *nodeops.Node, m *optionpackInstallModel) diag.Diagnostics {
	nodeName := m.Node.ValueString()
	info, err := n.Info(ctx)
	if err != nil {
		return diag.Diagnostics{r.cluster.stepDiag("Cannot read the Option Pack on node "+nodeName, nodeName, err)}
	}
	if !info.OptionPack.Installed {
		return diag.Diagnostics{diag.NewErrorDiagnostic("The Option Pack is not installed on node "+nodeName,
			fmt.Sprintf("After the install %s reports no Option Pack (no InetStp MajorVersion in its registry).", nodeName))}
	}
	return fill(ctx, m, r.cluster.configured(nodeName), info)
}

func (r *optionpackInstallResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	readPhase(ctx, &r.phaseResource, &resp.State, &resp.Diagnostics, r.read)
}

// read reads what the node has installed. The install is gone (installGone)
// from a rebuilt node, one uninstalled or corrupted out of band, or one
// whose run did not finish: the plan shows that the install has to be done
// (or finished) again.
func (r *optionpackInstallResource) read(ctx context.Context, m *optionpackInstallModel, n *nodeops.Node) (string, diag.Diagnostics) {
	nodeName := m.Node.ValueString()
	info, err := n.Info(ctx)
	if err != nil {
		return "", diag.Diagnostics{r.cluster.stepDiag("Cannot read the Option Pack on node "+nodeName, nodeName, err)}
	}
	gone, err := r.installGone(ctx, n, info)
	if err != nil {
		return "", diag.Diagnostics{r.cluster.stepDiag("Cannot read the Option Pack journal on node "+nodeName, nodeName, err)}
	}
	if gone != "" {
		return gone, nil
	}
	// An imported resource has only its id and node (no install method):
	// what the install recorded on the node fills the settings no registry
	// value holds, and the rest get their defaults. A managed one keeps its
	// configuration's settings as they are.
	imported := m.InstallMethod.IsNull()
	diags := fill(ctx, m, r.cluster.configured(nodeName), info)
	if imported {
		rec, err := n.ReadInstallRecord(ctx)
		if err != nil {
			return "", append(diags, r.cluster.stepDiag("Cannot read the install record on node "+nodeName, nodeName, err))
		}
		fillFromRecord(m, rec)
	}
	if m.SetupPath.IsNull() {
		m.SetupPath = types.StringValue(defaultSetupPath)
	}
	if m.UninstallOnDestroy.IsNull() {
		m.UninstallOnDestroy = types.BoolValue(false)
	}
	if m.RebootTimeout.IsNull() {
		m.RebootTimeout = types.StringValue(defaultRebootTimeout)
	}
	if m.AllowOutage.IsNull() {
		m.AllowOutage = types.BoolValue(false)
	}
	if m.Reinstall.IsNull() {
		m.Reinstall = types.StringValue(nodeops.ReinstallWhenNeeded)
	}
	if m.Adopted.IsNull() {
		m.Adopted = types.BoolValue(false)
	}
	return "", diags
}

// Delete forgets the installation unless uninstall_on_destroy asks for the
// KB's removal: a production node is never torn down because a resource left
// the configuration.
func (r *optionpackInstallResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m optionpackInstallModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	nodeName := m.Node.ValueString()
	if !m.UninstallOnDestroy.ValueBool() {
		r.forget(ctx, req.State, "forgetting the Option Pack install; the node is left untouched")
		return
	}
	ctx, cancel, n, diags := r.begin(ctx, &m.phaseModel, opDelete, nodeName)
	defer cancel()
	if resp.Diagnostics.Append(diags...); resp.Diagnostics.HasError() {
		return
	}
	timeout, _ := r.operationTimeout(ctx, &m.phaseModel, opDelete)
	if m.SetupPath.IsNull() {
		m.SetupPath = types.StringValue(defaultSetupPath)
	}
	if m.RebootTimeout.IsNull() {
		m.RebootTimeout = types.StringValue(defaultRebootTimeout)
	}
	spec, d := r.installSpec(ctx, &m)
	if resp.Diagnostics.Append(d...); resp.Diagnostics.HasError() {
		return
	}
	spec.LockMaxAge = timeout
	tflog.Info(ctx, "removing the Option Pack (uninstall_on_destroy)", map[string]any{"step": "delete"})
	if err := n.RemoveOptionPack(ctx, spec, r.progress(ctx, nodeName)); err != nil {
		resp.Diagnostics.Append(r.cluster.stepDiag("Cannot remove the Option Pack from node "+nodeName, nodeName, err))
	}
}

// ImportState takes the node's name; Read fills the method, components and
// service pack from the node. The paths of setup and the service pack cannot
// be read back: set them in the configuration.
func (r *optionpackInstallResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	attrs := []string{"node"}
	parts, diags := importID(ctx, r, r.cluster, req.ID, "NODE", "NODE2", attrs...)
	if resp.Diagnostics.Append(diags...); resp.Diagnostics.HasError() {
		return
	}
	node := parts[0]
	// An install that did not finish (setup done, the service pack after it
	// not) must not be imported as finished: the next apply would start the
	// cluster service on it. The configuration's apply finishes it instead.
	if r.cluster != nil {
		ctx = r.cluster.logContext(ctx, "node", node)
		n, _ := r.cluster.Node(node)
		info, err := n.Info(ctx)
		if err != nil {
			resp.Diagnostics.Append(r.cluster.stepDiag("Cannot read the Option Pack on node "+node, node, err))
			return
		}
		gone, err := r.installGone(ctx, n, info)
		if err != nil {
			resp.Diagnostics.Append(r.cluster.stepDiag("Cannot read the Option Pack journal on node "+node, node, err))
			return
		}
		if gone != "" {
			resp.Diagnostics.AddError("Nothing finished to import on node "+node,
				fmt.Sprintf("The Option Pack install on %s cannot be imported: %s. Put mscs_optionpack_install in the "+
					"configuration and run terraform apply: it resumes an unfinished run (or reinstalls) the KB's way.", node, gone))
			return
		}
	}
	resp.Diagnostics.Append(setImported(ctx, &resp.State, req.ID, attrs, parts)...)
}
