package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mscs-ops/terraform-provider-mscs/internal/nodeops"
	"github.com/mscs-ops/terraform-provider-mscs/internal/provider/validators"
)

// The plumbing every resource and data source shares. A phase resource
// embeds phaseResource (Configure), and each CRUD method is: read the plan
// or state, begin (timeout, masked logs, the node looked up), one nodeops
// call, map the result back. ModifyPlan starts with cluster.checkNodes (the
// nodes named are configured and are the machines meant), then the phase's
// own read-only checks (cluster.planStop for a stop of the cluster service,
// cluster.workingNode for the template node). Plan rules that need no node
// are pure functions of the model called from ValidateConfig.
//
// Read tells "the phase's end state is gone from the node" (remove the
// resource from state: the plan shows it again) from "can't tell right
// now" (an error: a node that does not answer is never taken for a node
// that lost its install).

// phaseResource is embedded by every resource: the configured cluster.
type phaseResource struct{ cluster *cluster }

// phaseResourceInterfaces is what every phase resource implements (each
// file asserts it): the cluster from Configure, import by node, a plan of
// read-only checks, and the configuration's own rules checked without a
// node.
type phaseResourceInterfaces interface {
	resource.ResourceWithConfigure
	resource.ResourceWithImportState
	resource.ResourceWithModifyPlan
	resource.ResourceWithValidateConfig
}

func (p *phaseResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	p.cluster = configuredCluster(req.ProviderData, "Resource", &resp.Diagnostics)
}

// importAs is an ImportState whose ID is attrs joined by "/" (format and
// example show it in errors, e.g. "NODE/service", "NODE2/ClusSvc"): checked as
// importID does, then set with the ID itself as id.
func (p *phaseResource) importAs(ctx context.Context, r resource.Resource, req resource.ImportStateRequest, resp *resource.ImportStateResponse, format, example string, attrs ...string) {
	parts, diags := importID(ctx, r, p.cluster, req.ID, format, example, attrs...)
	if resp.Diagnostics.Append(diags...); resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(setImported(ctx, &resp.State, req.ID, attrs, parts)...)
}

// forget is the Delete of a phase whose destroy leaves the nodes as they
// are: it only logs what is forgotten, naming the node of the state's
// attribute nodeAttr.
func (p *phaseResource) forget(ctx context.Context, state tfsdk.State, nodeAttr, what string) {
	var node types.String
	_ = state.GetAttribute(ctx, path.Root(nodeAttr), &node)
	if p.cluster != nil {
		ctx = p.cluster.logContext(ctx, "node", node.ValueString())
	}
	tflog.Info(ctx, what, map[string]any{"step": "delete"})
}

// phaseDataSource is embedded by every data source: the configured cluster.
type phaseDataSource struct{ cluster *cluster }

func (p *phaseDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	p.cluster = configuredCluster(req.ProviderData, "Data Source", &resp.Diagnostics)
}

// Reported when Terraform calls a resource before the provider could be
// configured (its configuration was not known yet).
const (
	notConfigured       = "Provider not configured"
	notConfiguredDetail = "The mscs provider has no nodes to talk to yet: its configuration was not known when this " +
		"operation ran. Make the provider's nodes and credentials known at plan time."
)

// logContext is ctx with every configured password kept out of its logs and
// with fields (name, value, ...) on every entry. Each request has a fresh
// ctx, so every entry point calls it (begin does).
func (c *cluster) logContext(ctx context.Context, fields ...string) context.Context {
	if c != nil {
		ctx = c.mask(ctx)
	}
	for i := 0; i+1 < len(fields); i += 2 {
		ctx = tflog.SetField(ctx, fields[i], fields[i+1])
	}
	return ctx
}

// begin starts one operation on node: a context bounded by the timeouts
// block's value for operation which ("create", "read", "update", "delete";
// def when unset, none when def is 0) whose logs hide every password and
// name the node and fields, and the node looked up (attribute "node"). The
// returned cancel is never nil; on error the node is nil.
func (c *cluster) begin(ctx context.Context, t timeouts.Value, which string, def time.Duration, node string, fields ...string) (context.Context, context.CancelFunc, *nodeops.Node, diag.Diagnostics) {
	ctx = c.logContext(ctx, append([]string{"node", node}, fields...)...)
	cancel := context.CancelFunc(func() {})
	timeout, diags := operationTimeout(ctx, t, which, def)
	if diags.HasError() {
		return ctx, cancel, nil, diags
	}
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, timeout)
	}
	n, d := c.lookup(path.Root("node"), node)
	diags.Append(d...)
	return ctx, cancel, n, diags
}

// operationTimeout is the timeouts block's value for operation which.
func operationTimeout(ctx context.Context, t timeouts.Value, which string, def time.Duration) (time.Duration, diag.Diagnostics) {
	switch which {
	case "create":
		return t.Create(ctx, def)
	case "read":
		return t.Read(ctx, def)
	case "update":
		return t.Update(ctx, def)
	case "delete":
		return t.Delete(ctx, def)
	}
	return def, nil
}

// lookup is the configured node name (the one way an attribute naming a
// node becomes a node): "Provider not configured" before the provider is,
// "Unknown node" on attr for a name that is not one of its nodes.
func (c *cluster) lookup(attr path.Path, name string) (*nodeops.Node, diag.Diagnostics) {
	if c == nil {
		return nil, diag.Diagnostics{diag.NewErrorDiagnostic(notConfigured, notConfiguredDetail)}
	}
	n, ok := c.Node(name)
	if !ok {
		return nil, diag.Diagnostics{c.unknownNode(attr, name)}
	}
	return n, nil
}

// unknownNode is the plan-time error, on attr, for a node the provider has
// no endpoint for: nothing is sent anywhere.
func (c *cluster) unknownNode(attr path.Path, node string) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(attr, "Unknown node", fmt.Sprintf("Node %q is not in the provider's "+
		"nodes (configured: %s). Add it to the provider's nodes map with its endpoint, or fix the name. Nothing was "+
		"sent to any node.", node, strings.Join(c.names, ", ")))
}

// workingNode is the node a phase copies from or works through besides
// node (the KB's "working node"): working when configured, else the other
// node of a two-node provider. Any other case fails on working_node: the
// safety rules never depend on how many nodes the provider knows. purpose
// ("copy the install from") and why (the rule that needs it) word the error.
func (c *cluster) workingNode(working types.String, node, purpose, why string) (string, diag.Diagnostics) {
	attr := path.Root("working_node")
	name := working.ValueString()
	if working.IsNull() {
		if name = c.otherNode(node); name == "" {
			return "", diag.Diagnostics{diag.NewAttributeErrorDiagnostic(attr, "No working node to "+purpose,
				fmt.Sprintf("%s, and the provider's nodes (%s) do not say which node that is: set working_node to "+
					"the node that kept serving. Nothing was run on any node.", why, strings.Join(c.names, ", ")))}
		}
	}
	if !c.Has(name) {
		return "", diag.Diagnostics{c.unknownNode(attr, name)}
	}
	return c.configured(name), nil
}

// otherNode is the node of a two-node provider that is not node; "" with
// any other number of nodes.
func (c *cluster) otherNode(node string) string {
	if len(c.names) != 2 {
		return ""
	}
	for _, name := range c.names {
		if !strings.EqualFold(name, node) {
			return name
		}
	}
	return ""
}

// nodeValidators check an attribute naming a node at plan time.
func nodeValidators() []validator.String {
	return []validator.String{validators.NodeName(), validators.SafeArg()}
}

// nodeAttribute is the `node` attribute of a phase resource: the node the
// phase converges; changing it replaces the resource.
func nodeAttribute(desc string) schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: desc + " Must be a key of the provider's `nodes`.",
		Required:            true,
		Validators:          nodeValidators(),
		PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
	}
}

// workingNodeAttribute is the `working_node` attribute of a phase resource.
func workingNodeAttribute(desc string) schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: desc + " A key of the provider's `nodes`; default: the other node when the provider " +
			"has exactly two.",
		Optional:   true,
		Validators: nodeValidators(),
	}
}

// stepsDescription describes the steps attribute alike in every resource:
// the one way the provider lists in the plan what apply will do.
const stepsDescription = "What apply runs, in order, one step per line, each naming its node, as the plan lists them: " +
	"review them in `terraform plan`. They are decided, read-only, from the nodes' state when the plan is made; a " +
	"step whose end the node is already at when apply gets there is skipped. After apply: the steps the last apply " +
	"ran. Imported: empty."

// allowOutageDescription describes allow_cluster_outage alike in every
// resource that may stop a node's cluster service.
const allowOutageDescription = "Accept that stopping this node's cluster service takes the cluster's groups " +
	"offline when no other node is Up to take them. Default `false`: such a plan is refused at plan time (where " +
	"the cluster can be read), and apply checks again right before the stop."

// stepsAttribute is the computed `steps` of every phase resource: what
// apply runs, as the plan lists it.
func stepsAttribute() schema.ListAttribute {
	return schema.ListAttribute{
		MarkdownDescription: stepsDescription,
		Computed:            true,
		ElementType:         types.StringType,
		PlanModifiers:       []planmodifier.List{listplanmodifier.UseStateForUnknown()},
	}
}

// allowOutageAttribute is `allow_cluster_outage` of a phase resource that
// may stop a node's cluster service; more says what it means there.
func allowOutageAttribute(more string) schema.BoolAttribute {
	return schema.BoolAttribute{
		MarkdownDescription: allowOutageDescription + " " + more,
		Optional:            true,
		Computed:            true,
		Default:             booldefault.StaticBool(false),
	}
}

// configUnknownAttrs reports whether any of attrs is unknown in config.
func configUnknownAttrs(ctx context.Context, config tfsdk.Config, attrs ...string) bool {
	for _, a := range attrs {
		var v types.String
		if d := config.GetAttribute(ctx, path.Root(a), &v); !d.HasError() && v.IsUnknown() {
			return true
		}
	}
	return false
}
