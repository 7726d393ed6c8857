package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mscs-ops/terraform-provider-mscs/internal/nodeops"
	"github.com/mscs-ops/terraform-provider-mscs/internal/provider/planmodifiers"
	"github.com/mscs-ops/terraform-provider-mscs/internal/provider/validators"
)

var (
	_ resource.ResourceWithConfigure      = (*clusterNodeServiceResource)(nil)
	_ resource.ResourceWithImportState    = (*clusterNodeServiceResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*clusterNodeServiceResource)(nil)
	_ resource.ResourceWithValidateConfig = (*clusterNodeServiceResource)(nil)
)

const (
	defaultServiceTimeout = 10 * time.Minute
	defaultReadTimeout    = 2 * time.Minute
	clusterServiceName    = "ClusSvc"
)

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
func NewClusterNodeServiceResource() resource.Resource { return &clusterNodeServiceResource{} }

type clusterNodeServiceResource struct{ cluster *cluster }

type clusterNodeServiceModel struct {
	ID               types.String   `tfsdk:"id"`
	Node             types.String   `tfsdk:"node"`
	ServiceName      types.String   `tfsdk:"service_name"`
	State            types.String   `tfsdk:"state"`
	StartupType      types.String   `tfsdk:"startup_type"`
	ClusterNodeState types.String   `tfsdk:"cluster_node_state"`
	AllowOutage      types.Bool     `tfsdk:"allow_cluster_outage"`
	Steps            types.List     `tfsdk:"steps"`
	Timeouts         timeouts.Value `tfsdk:"timeouts"`
}

func (r *clusterNodeServiceResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_cluster_node_service"
}

func (r *clusterNodeServiceResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A Windows service on a cluster node, by default the cluster service (`ClusSvc`), held " +
			"at a state and startup type. This is the KB Q241573 phase that re-enables clustering on a rebuilt " +
			"node: start the cluster service and set it back to automatic, so the node rejoins the cluster (Up). " +
			"Create and update run `sc config`, `sc start` / `sc stop` on the node and wait until the service " +
			"has reached the state (and, for the cluster service, until the node is Up); read compares the node with the configuration, so a service changed out of band shows in " +
			"the plan. Destroy only forgets the resource: the node is left as it is. Import by `NODE/service`: the " +
			"state, startup type and cluster state are read from the node; `allow_cluster_outage` and `timeouts` " +
			"take their defaults (set them in the configuration if yours differ).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "`NODE/service`, e.g. `NODE2/ClusSvc`, the node as the provider's `nodes` spells it " +
					"(`node` matches it without case, as Windows does); also the import ID.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"node": schema.StringAttribute{
				MarkdownDescription: "NetBIOS name of the node whose service this is; must be a key of the provider's " +
					"`nodes`. Changing it forgets the old node's service (untouched) and manages the new one.",
				Required: true,
				Validators: []validator.String{
					validators.NodeName(), validators.SafeArg(),
				},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"service_name": schema.StringAttribute{
				MarkdownDescription: "Service name (not display name) as `sc` knows it: letters, digits, `_`, `$`, " +
					"`.`, `-` and blanks between them. Default `ClusSvc`, the cluster service (\"Cluster Server\" on NT 4.0).",
				Optional: true,
				Computed: true,
				Default:  stringdefault.StaticString(clusterServiceName),
				Validators: []validator.String{
					stringvalidator.LengthBetween(1, 256),
					// Windows refuses / and \ in service names; a leading - or /
					// would make sc read the name as a switch.
					stringvalidator.RegexMatches(serviceNameRe,
						"must be a Windows service name: letters, digits, _ $ . - and blanks between them, "+
							"starting with a letter, digit, _ or $"),
					validators.SafeArg(),
				},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
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
			"allow_cluster_outage": schema.BoolAttribute{
				MarkdownDescription: allowOutageDescription + " Only matters for `state = \"stopped\"` of the " +
					"cluster service.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"steps": schema.ListAttribute{
				MarkdownDescription: stepsDescription,
				Computed:            true,
				ElementType:         types.StringType,
				PlanModifiers:       []planmodifier.List{listplanmodifier.UseStateForUnknown()},
			},
			"timeouts": timeouts.Attributes(ctx, timeouts.Opts{Create: true, Read: true, Update: true}),
		},
	}
}

func (r *clusterNodeServiceResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.cluster = configuredCluster(req.ProviderData, "Resource", &resp.Diagnostics)
}

func (r *clusterNodeServiceResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	resp.Diagnostics.Append(validateTimeouts(ctx, req.Config)...)
	var m clusterNodeServiceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if m.State.ValueString() == "running" && m.StartupType.ValueString() == "disabled" {
		resp.Diagnostics.AddAttributeError(path.Root("startup_type"), "A disabled service cannot run",
			"state = \"running\" with startup_type = \"disabled\": Windows refuses to start a disabled service. "+
				"Use automatic or manual, or state = \"stopped\".")
	}
}

// ModifyPlan runs after the provider's Configure, so it can check the node
// against the provider's nodes before any command is sent.
func (r *clusterNodeServiceResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.cluster == nil {
		return
	}
	var plan clusterNodeServiceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || plan.Node.IsUnknown() || plan.Node.IsNull() {
		return
	}
	if resp.Diagnostics.Append(r.cluster.checkNodes(r.cluster.mask(ctx), planNode{path.Root("node"), plan.Node})...); resp.Diagnostics.HasError() {
		return
	}
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
	diags, moves := r.warnAboutStateChange(ctx, &plan)
	if resp.Diagnostics.Append(diags...); resp.Diagnostics.HasError() {
		return
	}
	steps := serviceSteps(&plan, moves)
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("steps"), steps)...)
}

// serviceSteps is the plan's list of what converge runs, in its order, each
// step naming the node; moves says what a stop of the cluster service moves.
// Converge skips a step whose end the node is already at.
func serviceSteps(m *clusterNodeServiceModel, moves string) []string {
	node, svc := m.Node.ValueString(), m.ServiceName.ValueString()
	steps := []string{fmt.Sprintf("%s: set the startup type of %s to %s", node, svc, m.StartupType.ValueString())}
	switch {
	case m.State.ValueString() == "stopped":
		stop := fmt.Sprintf("%s: stop %s and wait until it is STOPPED", node, svc)
		if moves != "" {
			stop += " (" + moves + ")"
		}
		steps = append(steps, stop)
	case isClusterService(svc):
		steps = append(steps,
			fmt.Sprintf("%s: check that no Option Pack run is unfinished (safety rule 4)", node),
			fmt.Sprintf("%s: start %s and wait until it runs", node, svc),
			fmt.Sprintf("%s: wait until the cluster lists %s as Up", node, node))
	default:
		steps = append(steps, fmt.Sprintf("%s: start %s and wait until it runs", node, svc))
	}
	return steps
}

// warnAboutStateChange shows in the plan what changing the state of a
// node's cluster service does to the cluster, and returns it in a few words
// for the steps. Stopping it: the groups the node owns fail over to another
// node, and with no other node Up the plan is refused unless
// allow_cluster_outage. Starting it while no other node is Up: the node
// forms the cluster alone and takes every group.
func (r *clusterNodeServiceResource) warnAboutStateChange(ctx context.Context, plan *clusterNodeServiceModel) (diag.Diagnostics, string) {
	node, want := plan.Node.ValueString(), plan.State.ValueString()
	if !isClusterService(plan.ServiceName.ValueString()) {
		return nil, ""
	}
	ctx = r.logContext(ctx, node, plan.ServiceName.ValueString())
	n, _ := r.cluster.Node(node)
	st, err := n.QueryService(ctx, clusterServiceName)
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
		if imp, err := nodeops.StopImpactOf(ctx, r.cluster.via(node, false), node); err == nil && len(imp.OthersUp) > 0 {
			return nil, ""
		}
		diags.AddAttributeWarning(path.Root("state"), "The node forms the cluster alone",
			fmt.Sprintf("No other configured node is Up in the cluster: starting the cluster service on %s makes it "+
				"form the cluster by itself and bring every group online on it. On a rebuilt node that is usually "+
				"not what you want: start the working node's cluster service first.", node))
	}
	return diags, ""
}

func (r *clusterNodeServiceResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan clusterNodeServiceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultServiceTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if plan.Steps.IsUnknown() {
		plan.Steps = stringList(serviceSteps(&plan, ""))
	}
	resp.Diagnostics.Append(r.converge(ctx, timeout, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *clusterNodeServiceResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan clusterNodeServiceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Update(ctx, defaultServiceTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if plan.Steps.IsUnknown() {
		plan.Steps = stringList(serviceSteps(&plan, ""))
	}
	resp.Diagnostics.Append(r.converge(ctx, timeout, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// converge brings the node's service to the planned startup type and state,
// waits until the service reports that state, and fills the computed values.
// The startup type goes first: a service being started must not be disabled,
// and the KB sets the cluster service to manual together with stopping it.
func (r *clusterNodeServiceResource) converge(ctx context.Context, timeout time.Duration, m *clusterNodeServiceModel) diag.Diagnostics {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	nodeName, svc := m.Node.ValueString(), m.ServiceName.ValueString()
	ctx = r.logContext(ctx, nodeName, svc)
	if r.cluster == nil {
		return diag.Diagnostics{diag.NewErrorDiagnostic(notConfigured, notConfiguredDetail)}
	}
	n, ok := r.cluster.Node(nodeName)
	if !ok {
		return diag.Diagnostics{diag.NewAttributeErrorDiagnostic(path.Root("node"), "Unknown node", r.cluster.unknownNode(nodeName))}
	}
	summary := fmt.Sprintf("Cannot converge service %s on node %s", svc, nodeName)

	current, err := n.QueryService(ctx, svc)
	if err != nil {
		return diag.Diagnostics{r.cluster.stepDiag(summary, nodeName, err)}
	}
	if !current.Exists {
		return diag.Diagnostics{diag.NewErrorDiagnostic(summary, fmt.Sprintf("Node %s, step \"query service\": "+
			"service %q is not installed on the node (sc query exited 1060). Check service_name, or install what "+
			"provides it first.", nodeName, svc))}
	}
	changeState := stateName(current.State) != m.State.ValueString()
	// The cluster service's safety checks, read-only, before any change.
	if changeState && isClusterService(svc) {
		var check error
		switch {
		case m.State.ValueString() == "stopped" && !m.AllowOutage.ValueBool():
			check = n.EnsureOtherNodeUp(ctx)
		case m.State.ValueString() == "running":
			check = n.ReadyToJoin(ctx)
		}
		if check != nil {
			return diag.Diagnostics{r.cluster.stepDiag(summary, nodeName, check)}
		}
	}
	wantType := startTypeFor(m.StartupType.ValueString())
	if current.StartType != wantType {
		tflog.Info(ctx, "setting startup type", map[string]any{"step": "set startup type", "startup_type": m.StartupType.ValueString()})
		if err := n.SetStartType(ctx, svc, wantType); err != nil {
			return diag.Diagnostics{r.cluster.stepDiag(summary, nodeName, err)}
		}
	}
	wantState := serviceStateFor(m.State.ValueString())
	if changeState || isPending(current.State) {
		step, op := "start service", n.StartService
		if m.State.ValueString() == "stopped" {
			step, op = "stop service", n.StopService
		}
		if changeState {
			tflog.Info(ctx, step, map[string]any{"step": step})
			if err := op(ctx, svc); err != nil {
				return diag.Diagnostics{r.cluster.stepDiag(summary, nodeName, err)}
			}
		}
		if _, err := n.WaitForState(ctx, svc, wantState, 0); err != nil {
			return diag.Diagnostics{r.cluster.stepDiag(summary, nodeName, err)}
		}
	}
	var state string
	if isClusterService(svc) && m.State.ValueString() == "running" {
		// Starting the cluster service makes the node join; the phase is done
		// when the cluster lists it as settled, not merely when the service runs.
		state, err = r.cluster.waitForJoin(ctx, nodeName)
	} else {
		state, err = r.clusterNodeState(ctx, nodeName, m.State.ValueString() == "running" || !isClusterService(svc))
	}
	if err != nil {
		return diag.Diagnostics{r.cluster.stepDiag(summary, nodeName, err)}
	}
	m.ID = types.StringValue(r.cluster.configured(nodeName) + "/" + svc)
	m.ClusterNodeState = types.StringValue(state)
	return nil
}

func (r *clusterNodeServiceResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m clusterNodeServiceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := m.Timeouts.Read(ctx, defaultReadTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	nodeName, svc := m.Node.ValueString(), m.ServiceName.ValueString()
	ctx = r.logContext(ctx, nodeName, svc)
	if r.cluster == nil {
		resp.Diagnostics.AddError(notConfigured, notConfiguredDetail)
		return
	}
	n, ok := r.cluster.Node(nodeName)
	if !ok {
		resp.Diagnostics.AddAttributeError(path.Root("node"), "Unknown node", r.cluster.unknownNode(nodeName))
		return
	}
	summary := fmt.Sprintf("Cannot read service %s on node %s", svc, nodeName)
	status, err := n.QueryService(ctx, svc)
	if err != nil {
		resp.Diagnostics.Append(r.cluster.stepDiag(summary, nodeName, err))
		return
	}
	if !status.Exists {
		// The service is gone (the node was rebuilt without it): let the plan
		// show that it has to be created again.
		tflog.Warn(ctx, "service does not exist on the node; removing from state", map[string]any{"step": "query service"})
		resp.State.RemoveResource(ctx)
		return
	}
	m.State = types.StringValue(stateName(status.State))
	m.StartupType = types.StringValue(startTypeName(status.StartType))
	state, err := r.clusterNodeState(ctx, nodeName, m.State.ValueString() == "running" || !isClusterService(svc))
	if err != nil {
		resp.Diagnostics.Append(r.cluster.stepDiag(summary, nodeName, err))
		return
	}
	m.ClusterNodeState = types.StringValue(state)
	m.ID = types.StringValue(r.cluster.configured(nodeName) + "/" + svc)
	if m.AllowOutage.IsNull() {
		m.AllowOutage = types.BoolValue(false) // imported: the default
	}
	if m.Steps.IsNull() {
		m.Steps = stringList(nil) // imported: no apply ran
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// Delete forgets the service: a production node is never torn down because a
// resource left the configuration.
func (r *clusterNodeServiceResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m clusterNodeServiceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	tflog.Info(r.logContext(ctx, m.Node.ValueString(), m.ServiceName.ValueString()),
		"forgetting the service; the node is left untouched", map[string]any{"step": "delete"})
}

func (r *clusterNodeServiceResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	node, svc, ok := strings.Cut(req.ID, "/")
	if !ok || node == "" || svc == "" || strings.Contains(svc, "/") {
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("Expected NODE/service, e.g. NODE2/ClusSvc; got %q.", req.ID))
		return
	}
	resp.Diagnostics.Append(validateImport(ctx, r, r.cluster, req.ID, importPart{"node", node}, importPart{"service_name", svc})...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("node"), node)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("service_name"), svc)...)
}

func (r *clusterNodeServiceResource) logContext(ctx context.Context, node, svc string) context.Context {
	if r.cluster != nil {
		ctx = r.cluster.mask(ctx)
	}
	ctx = tflog.SetField(ctx, "node", node)
	return tflog.SetField(ctx, "service", svc)
}

func isClusterService(svc string) bool { return strings.EqualFold(svc, clusterServiceName) }

func (r *clusterNodeServiceResource) clusterNodeState(ctx context.Context, node string, selfMayRun bool) (string, error) {
	return r.cluster.nodeState(ctx, node, selfMayRun)
}
