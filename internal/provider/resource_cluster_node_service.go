package provider

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mscs-ops/terraform-provider-mscs/internal/nodeops"
	"github.com/mscs-ops/terraform-provider-mscs/internal/provider/planmodifiers"
	"github.com/mscs-ops/terraform-provider-mscs/internal/provider/validators"
)

var _ phaseResourceInterfaces = (*clusterNodeServiceResource)(nil)

// serviceTimeouts: a start waits for the node to join the cluster, a stop
// for its groups to move.
var serviceTimeouts = phaseTimeouts{apply: 10 * time.Minute, read: 2 * time.Minute, update: true,
	applyWhat: "Converging the service and waiting for its state and the node's", readWhat: "Reading the service and the node's cluster state"}

var (
	// serviceNameRe: what service names are made of in practice (W3SVC,
	// MSSQL$SHARE, Net Logon's Netlogon): letters, digits, _ $ . - and inner
	// blanks. Windows itself only refuses / and \; the narrower set keeps
	// cmd.exe's metacharacters and leading switches off a command line.
	serviceNameRe = regexp.MustCompile(`^[A-Za-z0-9_$]([A-Za-z0-9_.$ -]*[A-Za-z0-9_.$])?$`)
	serviceStates = []string{"running", "stopped"}
	startupTypes  = []string{"automatic", "manual", "disabled"}
)

// NewClusterNodeServiceResource is the KB's "re-enable clustering" phase: a
// service on a cluster node (the cluster service by default) held at a
// declared state and startup type.
func NewClusterNodeServiceResource() resource.Resource {
	return &clusterNodeServiceResource{phaseResource{typeName: "_cluster_node_service", timeouts: serviceTimeouts,
		rules: rulesOf(validateService)}}
}

type clusterNodeServiceResource struct{ phaseResource }

func (r *clusterNodeServiceResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	serviceName := optionalString("Service name (not display name) as `sc` knows it: letters, digits, `_`, `$`, "+
		"`.`, `-` and blanks between them. Default `ClusSvc`, the cluster service (\"Cluster Server\" on NT 4.0).",
		nodeops.ClusterService,
		stringvalidator.LengthBetween(1, 256),
		// Windows refuses / and \ in service names; a leading - or /
		// would make sc read the name as a switch.
		stringvalidator.RegexMatches(serviceNameRe, "must be a Windows service name: letters, digits, _ $ . - and "+
			"blanks between them, starting with a letter, digit, _ or $"),
		validators.SafeArg())
	serviceName.PlanModifiers = []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = r.phaseSchema(ctx, "A Windows service on a cluster node, by default the cluster service (`ClusSvc`), held "+
		"at a state and startup type. This is the KB Q241573 phase that re-enables clustering on a rebuilt "+
		"node: start the cluster service and set it back to automatic, so the node rejoins the cluster (Up). "+
		"Create and update run `sc config`, `sc start` / `sc stop` on the node and wait until the service "+
		"has reached the state (and, for the cluster service, until the node is Up); read compares the node with the configuration, so a service changed out of band shows in "+
		"the plan. Destroy only forgets the resource: the node is left as it is. Import by `NODE/service`: the "+
		"state, startup type and cluster state are read from the node; `allow_cluster_outage` and `timeouts` "+
		"take their defaults (set them in the configuration if yours differ).",
		"`NODE/service`, e.g. `NODE2/ClusSvc`, the node as the provider's `nodes` spells it "+
			"(`node` matches it without case, as Windows does); also the import ID.",
		map[string]schema.Attribute{
			"node": nodeAttribute("NetBIOS name of the node whose service this is. Changing it forgets the old " +
				"node's service (untouched) and manages the new one."),
			"service_name": serviceName,
			"state": schema.StringAttribute{
				MarkdownDescription: "Whether the service runs: `running` (started with `sc start`) or `stopped` " +
					"(stopped with `sc stop`; stopping `ClusSvc` takes the node out of the cluster and moves the " +
					"groups it owns to the other node; the plan warns which groups will move, or go offline when no " +
					"other node is Up). Apply waits until the service reports that state.",
				Required:   true,
				Validators: []validator.String{stringvalidator.OneOf(serviceStates...)},
			},
			"startup_type": schema.StringAttribute{
				MarkdownDescription: "How the service starts at boot, set with `sc config <service> start= ...`: " +
					"`automatic` (`auto`), `manual` (`demand`) or `disabled`. A disabled service cannot be `running`.",
				Required:   true,
				Validators: []validator.String{stringvalidator.OneOf(startupTypes...)},
			},
			"cluster_node_state": schema.StringAttribute{
				MarkdownDescription: "The node's state in the cluster as `cluster node` lists it: `Up`, `Down`, " +
					"`Paused` or `Joining`. Read through the node itself or any other configured node; a node " +
					"whose cluster service is stopped and that no other node can report on is `Down`.",
				Computed: true,
				PlanModifiers: []planmodifier.String{planmodifiers.UseStateUnlessChanged(
					path.Root("node"), path.Root("service_name"), path.Root("state"))},
			},
			"allow_cluster_outage": allowOutageAttribute("Only matters for `state = \"stopped\"` of the cluster service."),
		})
}

// validateService is the service's plan rules that need no node.
func validateService(_ context.Context, m *clusterNodeServiceModel) diag.Diagnostics {
	var diags diag.Diagnostics
	if m.State.ValueString() == "running" && m.StartupType.ValueString() == "disabled" {
		diags.AddAttributeError(path.Root("startup_type"), "A disabled service cannot run",
			"state = \"running\" with startup_type = \"disabled\": Windows refuses to start a disabled service. "+
				"Use automatic or manual, or state = \"stopped\".")
	}
	return diags
}

// ModifyPlan runs after the provider's Configure, so it can check the node
// against the provider's nodes before any command is sent.
func (r *clusterNodeServiceResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var plan clusterNodeServiceModel
	ctx, cancel, ok := r.planStart(ctx, req, &resp.Diagnostics, &plan, planNodes{own: []string{"node"}})
	defer cancel()
	if !ok {
		return
	}
	ctx = r.cluster.logContext(ctx, "service", plan.ServiceName.ValueString())
	if plan.State.IsUnknown() || plan.StartupType.IsUnknown() || plan.ServiceName.IsUnknown() {
		return // the steps are listed at apply, when the values are known
	}
	if !req.State.Raw.IsNull() {
		var prior clusterNodeServiceModel
		resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
		if prior.State.Equal(plan.State) && prior.StartupType.Equal(plan.StartupType) {
			return // nothing to converge: the steps stay the last apply's
		}
	}
	node := plan.Node.ValueString()
	// No earlier phase installs sc: it is checked whatever the triggers.
	if n, ok := r.cluster.Node(node); ok && !checkTools(ctx, &resp.Diagnostics, n, nodeops.ServiceTools...) {
		return
	}
	if triggersPending(ctx, req.Config) && nodeops.IsClusterService(plan.ServiceName.ValueString()) {
		// An earlier phase of this apply changes the node or the cluster
		// first (the install stops this very service). A start's steps do
		// not depend on them; a stop's name what it moves, which is read
		// at apply.
		if plan.State.ValueString() == "running" {
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("steps"), nodeops.ServiceSteps(node, serviceSpec(&plan), ""))...)
			return
		}
		deferChecks(&resp.Diagnostics, node, "the cluster service's state and the other nodes' (a stop that leaves no "+
			"other node Up is refused unless allow_cluster_outage)")
		warnServiceStops(&resp.Diagnostics, node, plan.ServiceName.ValueString(), "")
		return
	}
	diags, moves := r.warnAboutStateChange(ctx, &plan)
	if resp.Diagnostics.Append(diags...); resp.Diagnostics.HasError() {
		return
	}
	if plan.State.ValueString() == "stopped" && diags.WarningsCount() == 0 {
		// A stop that moves groups was warned of by planStop, naming them.
		warnServiceStops(&resp.Diagnostics, node, plan.ServiceName.ValueString(), moves)
	}
	steps := nodeops.ServiceSteps(node, serviceSpec(&plan), moves)
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("steps"), steps)...)
}

// serviceSpec is the model's declared service, as nodeops converges it.
func serviceSpec(m *clusterNodeServiceModel) nodeops.ServiceSpec {
	return nodeops.ServiceSpec{Name: m.ServiceName.ValueString(), State: serviceStateFor(m.State.ValueString()),
		StartType: startTypeFor(m.StartupType.ValueString()), AllowOutage: m.AllowOutage.ValueBool()}
}

// warnAboutStateChange shows in the plan what changing the state of a
// node's cluster service does to the cluster, and returns it in a few words
// for the steps. Stopping it: the groups the node owns fail over to another
// node, and with no other node Up the plan is refused unless
// allow_cluster_outage. Starting it while no other node is Up: the node
// forms the cluster alone and takes every group.
func (r *clusterNodeServiceResource) warnAboutStateChange(ctx context.Context, plan *clusterNodeServiceModel) (diag.Diagnostics, string) {
	node, want := plan.Node.ValueString(), plan.State.ValueString()
	if !nodeops.IsClusterService(plan.ServiceName.ValueString()) {
		return nil, ""
	}
	n, _ := r.cluster.Node(node)
	st, err := n.QueryService(ctx, nodeops.ClusterService)
	if err != nil || !st.Exists {
		return nil, "" // the apply's own query reports it
	}
	var diags diag.Diagnostics
	switch {
	case want == "stopped" && st.State != nodeops.StateStopped:
		return r.cluster.planStop(ctx, node, path.Root("allow_cluster_outage"), plan.AllowOutage.ValueBool(),
			"until a node rejoins")
	case want == "running" && st.State != nodeops.StateRunning:
		// The other nodes answer cluster.exe only while their cluster
		// service runs: none answering, or none Up, means none is Up.
		if imp, err := r.cluster.ops().StopImpact(ctx, node, nodeops.AskOthersOnly); err == nil && len(imp.OthersUp) > 0 {
			return nil, ""
		}
		diags.AddAttributeWarning(path.Root("state"), node+" forms the cluster alone",
			fmt.Sprintf("No other configured node is Up in the cluster: starting the cluster service on %s makes it "+
				"form the cluster by itself and bring every group online on it. On a rebuilt node that is usually "+
				"not what you want: start the working node's cluster service first.", node))
	}
	return diags, ""
}

func (r *clusterNodeServiceResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.apply().create(ctx, req, resp)
}

func (r *clusterNodeServiceResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.apply().update(ctx, req, resp)
}

// apply converges the service; every update converges it again.
func (r *clusterNodeServiceResource) apply() phaseApply[clusterNodeServiceModel] {
	return phaseApply[clusterNodeServiceModel]{run: r.converge}
}

// converge converges the node to the plan (operation op of the timeouts
// block) and fills in what it found: create and update are the same phase.
func (r *clusterNodeServiceResource) converge(ctx context.Context, m *clusterNodeServiceModel, op operation) diag.Diagnostics {
	nodeName, svc := m.Node.ValueString(), m.ServiceName.ValueString()
	ctx, cancel, _, diags := r.begin(ctx, &m.phaseModel, op, nodeName, "service", svc)
	defer cancel()
	if diags.HasError() {
		return diags
	}
	spec := serviceSpec(m)
	if m.Steps.IsUnknown() {
		m.Steps = stringList(nodeops.ServiceSteps(nodeName, spec, ""))
	}
	tflog.Info(ctx, "converging the service", map[string]any{"state": m.State.ValueString(), "startup_type": m.StartupType.ValueString()})
	state, changed, err := r.cluster.ops().ConvergeServiceChanges(ctx, nodeName, spec)
	if err != nil {
		return diag.Diagnostics{r.cluster.stepDiag(fmt.Sprintf("Cannot converge service %s on node %s", svc, nodeName), nodeName, err)}
	}
	// A service already as declared is adopted: nothing ran.
	planned, _ := listStrings(ctx, m.Steps)
	m.RanSteps = stringList(nodeops.ServiceRan(planned, changed))
	m.ID = types.StringValue(r.cluster.configured(nodeName) + "/" + svc)
	m.ClusterNodeState = types.StringValue(state)
	return nil
}

func (r *clusterNodeServiceResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	readPhase(ctx, &r.phaseResource, &resp.State, &resp.Diagnostics, r.read)
}

// read reads the service's state and the node's; the service is gone when
// the node (rebuilt without it) has no such service.
func (r *clusterNodeServiceResource) read(ctx context.Context, m *clusterNodeServiceModel, n *nodeops.Node) (string, diag.Diagnostics) {
	nodeName, svc := m.Node.ValueString(), m.ServiceName.ValueString()
	ctx = r.cluster.logContext(ctx, "service", svc)
	summary := fmt.Sprintf("Cannot read service %s on node %s", svc, nodeName)
	status, err := n.QueryService(ctx, svc)
	if err != nil {
		return "", diag.Diagnostics{r.cluster.stepDiag(summary, nodeName, err)}
	}
	if !status.Exists {
		return "service " + svc + " does not exist on the node", nil
	}
	m.State = types.StringValue(stateName(status.State))
	m.StartupType = types.StringValue(startTypeName(status.StartType))
	state, err := r.cluster.ops().NodeState(ctx, nodeName, nodeops.AskingWith(svc, m.State.ValueString() == "running"))
	if err != nil {
		return "", diag.Diagnostics{r.cluster.stepDiag(summary, nodeName, err)}
	}
	m.ClusterNodeState = types.StringValue(state)
	m.ID = types.StringValue(r.cluster.configured(nodeName) + "/" + svc)
	if m.AllowOutage.IsNull() {
		m.AllowOutage = types.BoolValue(false) // imported: the default
	}
	return "", nil
}

// Delete forgets the service: a production node is never torn down because a
// resource left the configuration.
func (r *clusterNodeServiceResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	r.forget(ctx, req.State, "forgetting the service; the node is left untouched")
}

func (r *clusterNodeServiceResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	r.importAs(ctx, r, req, resp, "NODE/service", "NODE2/ClusSvc", "node", "service_name")
}
