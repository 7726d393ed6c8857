package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mscs-ops/terraform-provider-mscs/internal/nodeops"
	"github.com/mscs-ops/terraform-provider-mscs/internal/provider/validators"
)

var _ phaseResourceInterfaces = (*msdtcClusteredResource)(nil)

// msdtcTimeouts: a reinstall reboots nothing, but moves the group twice and
// waits for MSDTC online on both nodes.
var msdtcTimeouts = phaseTimeouts{apply: 30 * time.Minute, read: 5 * time.Minute,
	applyWhat: "The whole phase", readWhat: "Reading the cluster and both nodes"}

// logFolderRe is a folder on a local drive, not the drive's root.
var logFolderRe = regexp.MustCompile(`(?i)^[a-z]:\\([^\\/:*?"<>|]+\\)*[^\\/:*?"<>|]+$`)

// NewMSDTCClusteredResource is the KB Q241573 phase that reclusters MSDTC:
// the KB's test on the rebuilt node, and when MSDTC does not come online
// there, its reinstall clustered on both nodes.
func NewMSDTCClusteredResource() resource.Resource {
	return &msdtcClusteredResource{phaseResource{typeName: "_msdtc_clustered", timeouts: msdtcTimeouts,
		rules: rulesOf(validateMSDTC)}}
}

type msdtcClusteredResource struct{ phaseResource }

func (r *msdtcClusteredResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	fromCluster := func(desc string) schema.StringAttribute {
		a := optionalKeptString(desc, validators.SafeArg())
		a.PlanModifiers = append(a.PlanModifiers, stringplanmodifier.RequiresReplace())
		return a
	}
	logPath := fromCluster("The clustered MSDTC's log folder on the group's shared disk, e.g. `S:\\MSDTCLog` " +
		"(`msdtc -install`'s `-l`). Default: `MSDTCLog` on the group's Physical Disk (named after its drive, " +
		"`Disk S:`). A folder whose drive is not a disk of the group is a plan-time error; a missing folder is " +
		"created before `msdtc -install`.")
	logPath.Validators = append(logPath.Validators, stringvalidator.RegexMatches(logFolderRe,
		"must be a folder on a local drive of the node, e.g. S:\\MSDTCLog"))
	// Computed: the plan shows which node it is when the provider's two
	// nodes decide it, and an import reads it back the same way.
	workingNode := workingNodeAttribute("The node that kept serving: it owns the group during the phase and runs " +
		"`msdtc -install`.")
	workingNode.Computed = true
	workingNode.PlanModifiers = []planmodifier.String{stringplanmodifier.UseStateForUnknown(), stringplanmodifier.RequiresReplace()}
	resp.Schema = r.phaseSchema(ctx, "MSDTC clustered on both nodes, as KB Q241573's \"Reclustering IIS 4.0\" leaves it: "+
		"with \"Affect the group\" off on the group's MSDTC and IIS Server Instance resources, the group is "+
		"moved to the rebuilt node to see whether MSDTC comes online there (the KB's test) and back; when it "+
		"does not, MSDTC is removed and reinstalled clustered on both nodes (the manual method, or "+
		"dtcsetup.exe), brought online and checked on the rebuilt node too. Every RestartAction is restored "+
		"to its value before, and the group ends on the node that owned it. Read checks that the MSDTC "+
		"resource is online and both nodes' MSDTC is clustered; a node whose MSDTC is not (rebuilt again) "+
		"plans a replacement. Destroy forgets: MSDTC is never torn down.",
		"The rebuilt node's name as the provider's `nodes` spells it; also the import ID.",
		map[string]schema.Attribute{
			"node": nodeAttribute("NetBIOS name of the rebuilt node, where MSDTC is tested and joins (`msdtc " +
				"-join`). Both nodes must answer and be Up in the cluster: the plan refuses a node Down or not answering, " +
				"or, with `triggers` not known yet, leaves that check to the apply."),
			"working_node": workingNode,
			"group": fromCluster("The group holding MSDTC. Default: the group that has the `Distributed " +
				"Transaction Coordinator` resource, else the one whose Network Name is `network_name`."),
			"network_name": fromCluster("The group's virtual server name, `msdtc -install`'s `-v`: the Network " +
				"Name resource's name, or the name it answers to. Default: the group's Network Name."),
			"log_path": logPath,
			"method": optionalString("How MSDTC is reinstalled when the test fails: `manual` (default; always "+
				"possible, required on SP3 without SQL 7.0 / 6.5 SP5a): delete the MSDTC resource, `msdtc "+
				"-remove` on the working then the rebuilt node, `msdtc -install` on the working node, `msdtc "+
				"-join` on the rebuilt one; `dtcsetup` (SP4 and later, or SQL 7.0 / 6.5 SP5a): MSDTC taken "+
				"offline, `dtcsetup_path` run on the working node, then on the rebuilt one.",
				nodeops.DTCMethodManual, stringvalidator.OneOf(nodeops.DTCMethodManual, nodeops.DTCMethodDTCSetup)),
			"dtcsetup_path": optionalString("Path of dtcsetup.exe on both nodes (the KB copies it into a temporary "+
				"folder on each), for `method = \"dtcsetup\"`, e.g. `C:\\TEMP\\DTC\\dtcsetup.exe`; checked on both "+
				"nodes before anything changes.", "", validators.ExePath(), validators.SafeArg()),
			"reinstall": optionalString("`when_needed` (default): reinstall only when MSDTC does not come online on "+
				"the rebuilt node in the KB's test. `always`: reinstall whatever the test shows.",
				nodeops.ReinstallWhenNeeded, stringvalidator.OneOf(nodeops.ReinstallWhenNeeded, nodeops.ReinstallAlways)),
			"reinstalled":   keptBool("Whether the last apply removed and reinstalled MSDTC."),
			"online_on":     keptStringList("The nodes the last apply saw the MSDTC resource online on."),
			"resource_name": keptString("The MSDTC resource's name, e.g. `MSDTC`."),
			"clustered_nodes": keptStringList("The nodes (of `node` and `working_node`) whose MSDTC is clustered, as " +
				"read from their registry. One missing plans a replacement."),
		})
}

// validateMSDTC is the phase's plan rules that need no node.
func validateMSDTC(_ context.Context, m *msdtcClusteredModel) diag.Diagnostics {
	diags := notWorkingNode(m.WorkingNode, m.Node, "Working node is the rebuilt node", "MSDTC is installed on the node that kept serving and joined from the rebuilt one.")
	if m.Method.ValueString() == nodeops.DTCMethodDTCSetup && m.DTCSetupPath.IsNull() {
		diags.AddAttributeError(path.Root("dtcsetup_path"), "Missing dtcsetup.exe",
			"method = \"dtcsetup\" runs dtcsetup.exe on both nodes: set dtcsetup_path to where it lies on them, "+
				"e.g. \"C:\\\\TEMP\\\\DTC\\\\dtcsetup.exe\".")
	}
	return diags
}

// msdtcSpec is the model's phase, the working node resolved.
func (r *msdtcClusteredResource) msdtcSpec(m *msdtcClusteredModel) (nodeops.MSDTCSpec, diag.Diagnostics) {
	node := r.cluster.configured(m.Node.ValueString())
	working, diags := r.cluster.workingNode(m.WorkingNode, node, "recluster MSDTC with",
		fmt.Sprintf("MSDTC is installed on the working node and joined from %s (%s)", node, safetyRulesDoc))
	spec := nodeops.MSDTCSpec{Node: node, WorkingNode: working, Group: m.Group.ValueString(),
		NetworkName: m.NetworkName.ValueString(), LogPath: m.LogPath.ValueString(), Method: m.Method.ValueString(),
		Reinstall: m.Reinstall.ValueString()}
	if p := m.DTCSetupPath.ValueString(); p != "" {
		spec.DTCSetupPaths = map[string]string{node: p, working: p}
	}
	return spec, diags
}

// msdtcMisfit sums up a setting that does not fit the cluster.
const msdtcMisfit = "The MSDTC phase does not fit the cluster"

// ModifyPlan checks, read-only, the nodes the plan names, and for a create
// everything the phase would otherwise find out after its first move: both
// nodes answering and Up, the group, its Network Name and disk, the log
// folder's drive. It lists the steps and warns of the moves and of a
// reinstall. Tied by triggers to an earlier phase of the same apply (their
// values unknown), the nodes' states are checked at apply instead, before
// the first change, and the steps say so.
func (r *msdtcClusteredResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var plan msdtcClusteredModel
	ctx, cancel, ok := r.planStart(ctx, req, &resp.Diagnostics, &plan, planNodes{own: []string{"node"}, also: []string{"working_node"}})
	defer cancel()
	if !ok {
		return
	}
	if !req.State.Raw.IsNull() {
		r.planDrift(ctx, req, resp)
		return
	}
	if plan.Method.IsUnknown() || plan.Reinstall.IsUnknown() || configUnknownAttrs(ctx, req.Config, "working_node", "group", "network_name", "log_path") {
		return // checked at apply, when the values are known
	}
	spec, d := r.msdtcSpec(&plan)
	if resp.Diagnostics.Append(d...); resp.Diagnostics.HasError() {
		return
	}
	// Tied to an earlier phase of this apply (triggers unknown), the nodes
	// are judged at apply, before the first change: that phase starts the
	// rebuilt node's cluster service, or reinstalls it, first.
	pending := triggersPending(ctx, req.Config)
	facts, err := r.cluster.ops().ReadMSDTCFacts(ctx, spec)
	if down, ok := nodeops.Unreachable(err); ok {
		if !pending {
			attr := path.Root("node")
			if strings.EqualFold(down, spec.WorkingNode) {
				attr = path.Root("working_node")
			}
			resp.Diagnostics.Append(unreachableDiag(attr, down, "The MSDTC phase moves MSDTC's group between both nodes "+
				"and runs msdtc on both, so both must answer and be Up.", err))
			return
		}
		deferChecks(&resp.Diagnostics, spec.Node, fmt.Sprintf("that %s and %s answer (%s does not now: %s) and are Up "+
			"in the cluster, and both nodes' MSDTC", spec.WorkingNode, spec.Node, down, err))
		return
	}
	if err != nil {
		planReadFailed(ctx, &resp.Diagnostics, msdtcMisfit, err)
		return
	}
	for _, n := range []struct{ attr, name string }{{"node", spec.Node}, {"working_node", spec.WorkingNode}} {
		if st := facts.NodeStates[strings.ToUpper(n.name)]; !pending && !strings.EqualFold(st, "Up") {
			resp.Diagnostics.AddAttributeError(path.Root(n.attr), "Node not Up in the cluster",
				fmt.Sprintf("%s is %q in the cluster: the MSDTC phase moves group %s between both nodes, so both must "+
					"be Up (start its cluster service with mscs_cluster_node_service first, and tie this phase to it "+
					"with triggers). Nothing was run on any node.", n.name, cmp.Or(st, "not a member"), facts.Group))
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	for attr, v := range map[string]string{"working_node": spec.WorkingNode, "group": facts.Group, "network_name": facts.NetworkName, "log_path": facts.LogPath} {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(attr), v)...)
	}
	resp.Diagnostics.AddWarning(fmt.Sprintf("Group %s moves to %s and back", facts.Group, spec.Node),
		fmt.Sprintf("With \"Affect the group\" off (RestartAction 1) on %s, group %s is moved to %s and back to %s, "+
			"taking its resources offline while it moves; each RestartAction is restored afterwards.",
			strings.Join(facts.Moved(), ", "), facts.Group, spec.Node, spec.WorkingNode))
	always := plan.Reinstall.ValueString() == nodeops.ReinstallAlways
	// Pending, only reinstall = "always" is certain: the earlier phases
	// may change the facts the rest is decided from.
	if re := facts.Reinstall(spec); re.Certain && (always || !pending) {
		resp.Diagnostics.AddWarning("MSDTC is removed and reinstalled on both nodes",
			fmt.Sprintf("%s: MSDTC is removed from %s and %s and reinstalled clustered (%s method). Transactions in "+
				"flight are lost.", re.Why, spec.WorkingNode, spec.Node, plan.Method.ValueString()))
	}
	if pending {
		// The steps stay unknown, whatever reinstall is: they are planned
		// from facts the earlier phases may change before this one runs,
		// and a known value that then differs fails the apply ("inconsistent
		// final plan").
		then := fmt.Sprintf("if MSDTC then does not come online on %s in the KB's test, it is removed and reinstalled on both nodes", spec.Node)
		if always {
			then = "MSDTC is then removed and reinstalled on both nodes"
		}
		deferChecks(&resp.Diagnostics, spec.Node, fmt.Sprintf("that %s and %s answer and are Up in the cluster, and both "+
			"nodes' MSDTC (%s)", spec.WorkingNode, spec.Node, then))
		return
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("steps"), nodeops.PlanMSDTC(facts, spec))...)
}

// planDrift plans a replacement when a node's MSDTC is no longer clustered.
func (r *msdtcClusteredResource) planDrift(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var state msdtcClusteredModel
	if resp.Diagnostics.Append(req.State.Get(ctx, &state)...); resp.Diagnostics.HasError() {
		return
	}
	clustered, known := listStrings(ctx, state.ClusteredNodes)
	want := []string{state.Node.ValueString(), r.cluster.otherNode(state.Node.ValueString())}
	if !state.WorkingNode.IsNull() {
		want[1] = state.WorkingNode.ValueString()
	}
	if !known || len(clustered) >= len(want) {
		return
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("clustered_nodes"), slices.Sorted(slices.Values(want)))...)
	resp.RequiresReplace = append(resp.RequiresReplace, path.Root("clustered_nodes"))
	resp.Diagnostics.AddAttributeWarning(path.Root("clustered_nodes"), "MSDTC is no longer clustered on every node",
		fmt.Sprintf("MSDTC is clustered only on %v: the phase runs again (the KB's test, and the reinstall it shows is needed).", clustered))
}

func (r *msdtcClusteredResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.apply().create(ctx, req, resp)
}

// Update changes nothing on the nodes: every setting that does replaces.
func (r *msdtcClusteredResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.apply().update(ctx, req, resp)
}

// apply reclusters MSDTC (recluster); an update keeps what the last apply
// and Read found, since every setting that touches a node replaces.
func (r *msdtcClusteredResource) apply() phaseApply[msdtcClusteredModel] {
	return phaseApply[msdtcClusteredModel]{run: r.recluster, keep: func(plan, state *msdtcClusteredModel) {
		plan.ID, plan.Reinstalled, plan.OnlineOn, plan.ResourceName, plan.ClusteredNodes = state.ID, state.Reinstalled, state.OnlineOn, state.ResourceName, state.ClusteredNodes
	}}
}

// recluster runs the phase for the plan and fills in what it did and what
// the cluster shows after it.
func (r *msdtcClusteredResource) recluster(ctx context.Context, plan *msdtcClusteredModel, op operation) diag.Diagnostics {
	node := plan.Node.ValueString()
	ctx, cancel, _, diags := r.begin(ctx, &plan.phaseModel, op, node)
	defer cancel()
	if diags.HasError() {
		return diags
	}
	spec, d := r.msdtcSpec(plan)
	if diags.Append(d...); diags.HasError() {
		return diags
	}
	spec.LockMaxAge, _ = r.operationTimeout(ctx, &plan.phaseModel, op)
	// The plan's steps carry its reinstall decision to the run; a plan
	// that could not list them (triggers pending) gets those of the facts
	// the run acted on.
	spec.Planned, _ = listStrings(ctx, plan.Steps)
	progress := func(step string) { tflog.Info(ctx, "MSDTC step", map[string]any{"step": step}) }
	res, err := r.cluster.ops().ReclusterMSDTC(ctx, spec, progress)
	if err != nil {
		diags.Append(r.cluster.phaseDiags(msdtcMisfit, "Cannot recluster MSDTC on node "+node, node, err)...)
		diags.AddWarning("The next apply resumes the phase",
			fmt.Sprintf("The steps done so far are recorded on %s, and the RestartAction values and the group's owner "+
				"before the run in %%SystemRoot%%\\mscs-msdtc.hold on %s until their restore is read back; the next apply "+
				"restores from that record, checks each step and goes on from the one that failed.", node, spec.WorkingNode))
		return diags
	}
	if plan.Steps.IsUnknown() {
		plan.Steps = stringList(res.Steps)
	}
	plan.Reinstalled = types.BoolValue(res.Reinstalled)
	plan.OnlineOn = stringList(res.OnlineOn)
	// The reinstall's steps, conditional on the KB's test, ran only when it
	// ran (or always did, unconditional).
	planned, _ := listStrings(ctx, plan.Steps)
	plan.RanSteps = stringList(nodeops.RanSteps(planned, res.Reinstalled))
	return append(diags, r.readInto(ctx, plan, spec)...)
}

// readInto fills the computed values (group, names, clustered_nodes) from
// the cluster and both nodes as they are now. Whether the phase's end state
// still holds is read's to judge.
func (r *msdtcClusteredResource) readInto(ctx context.Context, m *msdtcClusteredModel, spec nodeops.MSDTCSpec) diag.Diagnostics {
	facts, err := r.cluster.ops().ReadMSDTCFacts(ctx, spec)
	if err != nil {
		return r.cluster.phaseDiags(msdtcMisfit, "Cannot read MSDTC's cluster", spec.Node, err)
	}
	var clustered []string
	for _, n := range []string{spec.Node, spec.WorkingNode} {
		if facts.States[n].Mode == nodeops.DTCClustered {
			clustered = append(clustered, n)
		}
	}
	m.ID, m.WorkingNode = types.StringValue(spec.Node), types.StringValue(spec.WorkingNode)
	m.Group, m.NetworkName, m.LogPath = types.StringValue(facts.Group), types.StringValue(facts.NetworkName), types.StringValue(facts.LogPath)
	m.ResourceName = types.StringValue(facts.Resource)
	m.ClusteredNodes = stringList(slices.Sorted(slices.Values(clustered)))
	return nil
}

func (r *msdtcClusteredResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	readPhase(ctx, &r.phaseResource, &resp.State, &resp.Diagnostics, r.read)
}

// read reads MSDTC's cluster and both nodes; the phase is gone when its
// group is, or MSDTC is not online in it (deleted, or not brought online).
func (r *msdtcClusteredResource) read(ctx context.Context, m *msdtcClusteredModel, _ *nodeops.Node) (string, diag.Diagnostics) {
	spec, diags := r.msdtcSpec(m)
	if diags.HasError() {
		return "", diags
	}
	facts, err := r.cluster.ops().ReadMSDTCFacts(ctx, spec)
	var se *nodeops.SpecError
	switch {
	case errors.As(err, &se):
		return "MSDTC's group is gone: " + se.Error(), diags
	case err != nil:
		return "", append(diags, r.cluster.stepDiag("Cannot read MSDTC's cluster", spec.Node, err))
	case facts.Resource == "" || !strings.EqualFold(facts.ResourceState, "Online"):
		return fmt.Sprintf("the MSDTC resource is not online in its group (resource %q, state %q)",
			facts.Resource, facts.ResourceState), diags
	}
	diags.Append(r.readInto(ctx, m, spec)...)
	if m.Method.IsNull() {
		m.Method = types.StringValue(nodeops.DTCMethodManual) // imported: the defaults
	}
	if m.Reinstall.IsNull() {
		m.Reinstall = types.StringValue(nodeops.ReinstallWhenNeeded)
	}
	if m.Reinstalled.IsNull() {
		m.Reinstalled = types.BoolValue(false)
	}
	if m.OnlineOn.IsNull() {
		m.OnlineOn = stringList(nil)
	}
	return "", diags
}

// Delete forgets: MSDTC is never torn down because a resource left the
// configuration.
func (r *msdtcClusteredResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	r.forget(ctx, req.State, "forgetting MSDTC; the cluster is left untouched")
}

// ImportState takes the rebuilt node's name; Read fills the rest from the
// cluster.
func (r *msdtcClusteredResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	r.importAs(ctx, r, req, resp, "NODE", "NODE2", "node")
}
