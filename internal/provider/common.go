package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mscs-ops/terraform-provider-mscs/internal/nodeops"
)

// The plumbing every resource and data source shares, in the order of the
// package doc's checklist: phaseResource and phaseModel; planStart,
// planRepair, planReadFailed and deferChecks for ModifyPlan; phaseApply for
// Create and Update; readPhase for Read; forget and importAs. A pending
// trigger (triggersPending: an earlier phase of the same apply runs first)
// leaves the checks of what that phase changes, and the steps, to apply.

// phaseResource is embedded by every resource: its type name after the
// provider's ("_optionpack_install"), the attribute naming the node it
// converges, its default timeouts, what a plan to destroy it warns of, and
// the configured cluster.
type phaseResource struct {
	typeName string
	nodeAttr string // "" is "node"; the metabase sync's is "target_node"
	timeouts phaseTimeouts
	// rules checks the configuration without a node (rulesOf the phase's
	// own rules), after the timeouts block.
	rules func(ctx context.Context, config tfsdk.Config, diags *diag.Diagnostics)
	// destroyWarning adds, from the state, the warning of a destroy that
	// changes the node (nil: every destroy of the phase only forgets).
	destroyWarning func(ctx context.Context, state tfsdk.State, diags *diag.Diagnostics)
	cluster        *cluster
}

func (m *phaseModel) phase() *phaseModel { return m }

// phased is a phase resource's model, which embeds phaseModel.
type phased interface{ phase() *phaseModel }

// phasedPtr is *M for a phase resource's model M, for the generic steps
// that decode a model and then reach its phaseModel.
type phasedPtr[M any] interface {
	*M
	phased
}

// nodePath is the attribute naming the node the phase converges.
func (p *phaseResource) nodePath() path.Path {
	if p.nodeAttr == "" {
		return path.Root("node")
	}
	return path.Root(p.nodeAttr)
}

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

// ValidateConfig is every phase's: the timeouts block, then the phase's
// rules, none of which needs a node.
func (p *phaseResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	resp.Diagnostics.Append(validateTimeouts(ctx, req.Config)...)
	if p.rules != nil {
		p.rules(ctx, req.Config, &resp.Diagnostics)
	}
}

func (p *phaseResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + p.typeName
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
// are: it only logs what is forgotten, naming the phase's node.
func (p *phaseResource) forget(ctx context.Context, state tfsdk.State, what string) {
	var node types.String
	_ = state.GetAttribute(ctx, p.nodePath(), &node)
	if p.cluster != nil {
		ctx = p.cluster.logContext(ctx, "node", node.ValueString())
	}
	tflog.Info(ctx, what, map[string]any{"step": "delete"})
}

// phaseDataSource is embedded by every data source: its type name after
// the provider's ("_node"), and the configured cluster.
type phaseDataSource struct {
	typeName string
	cluster  *cluster
}

func (p *phaseDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + p.typeName
}

func (p *phaseDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	p.cluster = configuredCluster(req.ProviderData, "Data Source", &resp.Diagnostics)
}

// planNodes names the attributes of the nodes a phase's plan checks: own,
// the phase's own nodes (the first is the node it converges; while one is
// unknown nothing can be checked), and also, further nodes checked when
// known (working_node).
type planNodes struct{ own, also []string }

// planStart is the read-only first step of every phase's ModifyPlan (of a
// destroy, the only one: its destroyWarning): the plan decoded into m (the
// phase's *model), a context bounded by the read timeout (the phase's
// default when the timeouts block leaves it unset) whose logs name the node,
// and the nodes checked by cluster.checkNodes (configured, and the machines
// meant). ok is false when ModifyPlan has nothing more to do: a destroy, a
// provider not configured yet, an own node unknown, or an error in diags.
// cancel is never nil.
func (p *phaseResource) planStart(ctx context.Context, req resource.ModifyPlanRequest, diags *diag.Diagnostics, m phased, named planNodes) (_ context.Context, cancel context.CancelFunc, ok bool) {
	cancel = func() {}
	if p.cluster == nil {
		return ctx, cancel, false
	}
	if req.Plan.Raw.IsNull() {
		if p.destroyWarning != nil {
			p.destroyWarning(ctx, req.State, diags)
		}
		return ctx, cancel, false
	}
	if diags.Append(req.Plan.Get(ctx, m)...); diags.HasError() {
		return ctx, cancel, false
	}
	nodes := make([]planNode, 0, len(named.own)+len(named.also))
	for i, a := range append(slices.Clone(named.own), named.also...) {
		n := planNode{attr: path.Root(a)}
		if diags.Append(req.Plan.GetAttribute(ctx, n.attr, &n.name)...); diags.HasError() ||
			(i < len(named.own) && n.name.IsUnknown()) {
			return ctx, cancel, false
		}
		nodes = append(nodes, n)
	}
	ctx = p.cluster.logContext(ctx, "node", nodes[0].name.ValueString())
	timeout, d := p.operationTimeout(ctx, m.phase(), opRead)
	if diags.Append(d...); diags.HasError() {
		return ctx, cancel, false
	}
	ctx, cancel = context.WithTimeout(ctx, timeout)
	if diags.Append(p.cluster.checkNodes(ctx, nodes...)...); diags.HasError() {
		return ctx, cancel, false
	}
	return p.cluster.sharedReads(ctx), cancel, true // readcache.go
}

// phaseDiags is a phase's error as diagnostics: a setting that does not fit
// the cluster (nodeops.SpecError) is an error on its attribute, summarised
// by misfit; any other error is stepDiag's (summary, node).
func (c *cluster) phaseDiags(misfit, summary, node string, err error) diag.Diagnostics {
	var se *nodeops.SpecError
	if errors.As(err, &se) {
		return diag.Diagnostics{misfitDiag(misfit, se)}
	}
	return diag.Diagnostics{c.stepDiag(summary, node, err)}
}

// misfitDiag is the error, on its attribute, of a setting that does not
// fit the cluster, summarised by misfit.
func misfitDiag(misfit string, se *nodeops.SpecError) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root(se.Attr), misfit, se.Detail+" Nothing was run on any node.")
}

// planReadFailed is a ModifyPlan's read of the phase's facts that failed: a
// setting that does not fit the cluster fails the plan (misfitDiag); any
// other error is only logged, since apply reads the facts again.
func planReadFailed(ctx context.Context, diags *diag.Diagnostics, misfit string, err error) {
	var se *nodeops.SpecError
	switch {
	case errors.As(err, &se):
		diags.Append(misfitDiag(misfit, se))
		return
	case missingTools(diags, err):
		return
	}
	tflog.Debug(ctx, "cannot read the phase's facts at plan time; apply reads them again", map[string]any{"error": err.Error()})
}

// phaseApply is how a phase's Create and Update change the nodes, the one
// shape every phase has: Create and Update call create and update.
type phaseApply[M any] struct {
	// run runs the phase for the plan in m (op: opCreate or opUpdate, whose
	// timeouts bound it) and fills in what it did and
	// what the nodes show after it. A failed run leaves the state as it
	// was, and the node where the next apply resumes.
	run func(ctx context.Context, m *M, op operation) diag.Diagnostics
	// keep, for a phase whose changed settings alone touch no node, copies
	// into plan what the last apply and Read found (the computed
	// attributes) from state. nil: every Update runs the phase, as Create
	// does.
	keep func(plan, state *M)
	// drift, when set, is what runs the phase again on an Update all the
	// same: the same phaseDrift the plan's planRepair decided from.
	drift *phaseDrift
}

// create runs the phase for the plan and saves the model unless it failed.
func (a phaseApply[M]) create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m M
	if resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...); resp.Diagnostics.HasError() {
		return
	}
	a.save(ctx, &m, nil, a.run(ctx, &m, opCreate), &resp.State, &resp.Diagnostics)
}

// update runs the phase again (keep nil, or drift says so), or else saves
// the plan's settings with what the last apply and Read found (keep).
func (a phaseApply[M]) update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state M
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	again := a.keep == nil
	if !again && a.drift != nil {
		var d diag.Diagnostics
		again, _, d = a.drift.again(ctx, req.Plan, req.State)
		if resp.Diagnostics.Append(d...); d.HasError() {
			return
		}
	}
	if again {
		a.save(ctx, &plan, nil, a.run(ctx, &plan, opUpdate), &resp.State, &resp.Diagnostics)
		return
	}
	a.keep(&plan, &state)
	a.save(ctx, &plan, &state, nil, &resp.State, &resp.Diagnostics)
}

// save saves m unless ran failed, with ran_steps settled: what ran, or,
// when nothing ran now (prior is the state kept), the last apply's.
func (a phaseApply[M]) save(ctx context.Context, m, prior *M, ran diag.Diagnostics, state *tfsdk.State, diags *diag.Diagnostics) {
	if diags.Append(ran...); diags.HasError() {
		return
	}
	if p, ok := any(m).(phased); ok {
		if s, ok := any(prior).(phased); ok && prior != nil && p.phase().RanSteps.IsUnknown() {
			p.phase().RanSteps = s.phase().RanSteps // nothing ran now
		}
		p.phase().settleRan()
	}
	diags.Append(state.Set(ctx, m)...)
}

// settleRan sets ran_steps after a run that did not set it: the phase has
// no conditional step, so what ran is its steps.
func (m *phaseModel) settleRan() {
	if !m.RanSteps.IsUnknown() && !m.RanSteps.IsNull() {
		return
	}
	m.RanSteps = m.Steps
	if m.Steps.IsUnknown() || m.Steps.IsNull() {
		m.RanSteps = stringList(nil)
	}
}

// rulesOf is a phase's plan rules that need no node (rules, over its model
// M) as phaseResource.rules: the configuration decoded into M and checked.
func rulesOf[M any](rules func(context.Context, *M) diag.Diagnostics) func(context.Context, tfsdk.Config, *diag.Diagnostics) {
	return func(ctx context.Context, config tfsdk.Config, diags *diag.Diagnostics) {
		var m M
		if diags.Append(config.Get(ctx, &m)...); !diags.HasError() {
			diags.Append(rules(ctx, &m)...)
		}
	}
}

// distinctNodes is the plan rule of a phase that works on two nodes: a and
// b must not name one node (without case, as Windows compares names). The
// error is on a's attribute; why says what each node is for.
func distinctNodes(a, b planNode, summary, why string) diag.Diagnostics {
	if a.name.IsNull() || a.name.IsUnknown() || b.name.IsNull() || b.name.IsUnknown() ||
		!strings.EqualFold(a.name.ValueString(), b.name.ValueString()) {
		return nil
	}
	return diag.Diagnostics{diag.NewAttributeErrorDiagnostic(a.attr, summary,
		fmt.Sprintf("%s and %s are both %q: %s", a.attr, b.attr, a.name.ValueString(), why))}
}

// phaseDrift is what runs an existing phase again: drift its Read lists in
// attr (differences, missing), or a change of the settings changed names.
// ModifyPlan plans the repair from it (planRepair) and Update decides from
// it (phaseApply.drift), so the plan and the apply never disagree.
type phaseDrift struct {
	attr    string
	changed []string
}

// attrGetter is a plan or a state.
type attrGetter interface {
	GetAttribute(context.Context, path.Path, any) diag.Diagnostics
}

// again reports whether the phase runs again from prior (the state) to
// plan, with the drift prior lists.
func (d phaseDrift) again(ctx context.Context, plan, prior attrGetter) (again bool, drift []string, diags diag.Diagnostics) {
	var list types.List
	if diags.Append(prior.GetAttribute(ctx, path.Root(d.attr), &list)...); diags.HasError() {
		return false, nil, diags
	}
	drift, _ = listStrings(ctx, list)
	again = len(drift) > 0
	for _, a := range d.changed {
		var was, is attr.Value
		diags.Append(prior.GetAttribute(ctx, path.Root(a), &was)...)
		diags.Append(plan.GetAttribute(ctx, path.Root(a), &is)...)
		again = again || diags.HasError() || !is.Equal(was) // an error leaves is or was nil
	}
	return again, drift, diags
}

// planRepair is the plan of an existing phase that d runs again (drift, or
// a changed setting): apply runs the phase again, so the plan clears the
// drift list, leaves the values apply reads again (rereads, by attribute)
// unknown, and with drift warns with summary, what apply does (remedy) and
// the drift, a line each. It reports whether the plan is done: no drift and
// nothing changed (nothing to plan), or the state unreadable. A create
// plans on (false).
func planRepair(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse, d phaseDrift,
	rereads map[string]attr.Value, summary, remedy string) (done bool) {
	if req.State.Raw.IsNull() {
		return false
	}
	again, drift, diags := d.again(ctx, req.Plan, req.State)
	if resp.Diagnostics.Append(diags...); !again || resp.Diagnostics.HasError() {
		return true
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(d.attr), []string{})...)
	for a, v := range rereads {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(a), v)...)
	}
	if len(drift) > 0 {
		resp.Diagnostics.AddWarning(summary, remedy+"\n- "+strings.Join(drift, "\n- "))
	}
	return resp.Diagnostics.HasError()
}

// notWorkingNode is the plan rule of a phase with a working_node: it names
// another node than node, the one the phase rebuilds (distinctNodes).
func notWorkingNode(working, node types.String, summary, why string) diag.Diagnostics {
	return distinctNodes(planNode{path.Root("working_node"), working}, planNode{path.Root("node"), node}, summary, why)
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

// begin starts one operation of the phase on node: a context bounded by
// the timeouts block's value for operation op (the phase's default when
// unset) whose logs hide
// every password and name the node and fields, and the node looked up
// (an error on the phase's node attribute). The returned cancel is never
// nil; on error the node is nil.
func (p *phaseResource) begin(ctx context.Context, m *phaseModel, op operation, node string, fields ...string) (context.Context, context.CancelFunc, *nodeops.Node, diag.Diagnostics) {
	ctx = p.cluster.logContext(ctx, append([]string{"node", node}, fields...)...)
	cancel := context.CancelFunc(func() {})
	timeout, diags := p.operationTimeout(ctx, m, op)
	if diags.HasError() {
		return ctx, cancel, nil, diags
	}
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, timeout)
	}
	n, d := p.cluster.lookup(p.nodePath(), node)
	diags.Append(d...)
	return ctx, cancel, n, diags
}

// readPhase is a phase's Read: the state decoded into M, the operation
// opRead begun on the phase's node (as begin does), then read fills in what
// the nodes show now and the state is saved. read tells the two ways a node
// can disappoint: gone, a reason, when the phase's end state no longer
// holds on the node (the resource leaves the state, so the plan shows the
// phase again), or an error when it cannot tell right now (the state stays
// as it was: a node that does not answer is never taken for one that lost
// the phase). An imported resource (no steps yet) gets an empty steps list.
func readPhase[M any, P phasedPtr[M]](ctx context.Context, p *phaseResource, state *tfsdk.State, diags *diag.Diagnostics, read func(context.Context, P, *nodeops.Node) (gone string, diags diag.Diagnostics)) {
	var m M
	var node types.String
	diags.Append(state.Get(ctx, &m)...)
	if diags.Append(state.GetAttribute(ctx, p.nodePath(), &node)...); diags.HasError() {
		return
	}
	pm := P(&m).phase()
	ctx, cancel, n, d := p.begin(ctx, pm, opRead, node.ValueString())
	defer cancel()
	if diags.Append(d...); diags.HasError() {
		return
	}
	ctx = p.cluster.sharedReads(ctx) // readcache.go
	gone, d := read(ctx, &m, n)
	if diags.Append(d...); diags.HasError() {
		return
	}
	if gone != "" {
		tflog.Warn(ctx, "the phase's end state is gone from the node; removing it from state", map[string]any{"why": gone})
		state.RemoveResource(ctx)
		return
	}
	if pm.Steps.IsNull() {
		pm.Steps = stringList(nil)
	}
	if pm.RanSteps.IsNull() {
		pm.RanSteps = stringList(nil)
	}
	diags.Append(state.Set(ctx, &m)...)
}

// operationTimeout is the timeouts block's value for operation op, the
// phase's default where the block leaves it unset: what begin and planStart
// bound an operation by, and what a phase's node lock may age to.
func (p *phaseResource) operationTimeout(ctx context.Context, m *phaseModel, op operation) (time.Duration, diag.Diagnostics) {
	return p.timeouts.bound(ctx, m.Timeouts, op)
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

// workingNode is the node a phase copies from or works through besides
// node (the KB's "working node"): working when configured, else (null, or
// unknown: a computed working_node the configuration leaves unset) the
// other node of a two-node provider. Any other case fails on working_node: the
// safety rules never depend on how many nodes the provider knows. purpose
// ("copy the install from") and why (the rule that needs it) word the error.
func (c *cluster) workingNode(working types.String, node, purpose, why string) (string, diag.Diagnostics) {
	attr := path.Root("working_node")
	name := working.ValueString()
	if working.IsNull() || working.IsUnknown() {
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

// triggersPending reports whether the phase's triggers are not all known in
// the plan: an earlier phase of the same apply runs first (its id unknown
// until it has), so the checks of what that phase changes (node Up, the
// cluster service running, IIS installed, MSDTC clustered) cannot be made
// on the nodes as they are now. Terraform plans the phase again during the
// apply, once that phase is done and the triggers are known: that plan
// makes the checks and lists the steps, and nodeops makes them once more
// before the first change. Until then the plan leaves steps unknown (a
// list known now would change then, which Terraform refuses) and says so
// (deferChecks). A plan whose triggers are all known (or unset) judges the
// nodes as they are, and refuses at plan time.
func triggersPending(ctx context.Context, config tfsdk.Config) bool {
	var m types.Map
	if config.Schema == nil || config.GetAttribute(ctx, path.Root("triggers"), &m).HasError() {
		return false
	}
	if m.IsUnknown() {
		return true
	}
	for _, e := range m.Elements() {
		if e.IsUnknown() {
			return true
		}
	}
	return false
}

// checkTools fails the plan when n lacks a tool its phase runs, naming each
// and where an administrator gets it (one batch of reads; issue 25 item 9);
// a read that fails is an error too. It tells whether the plan goes on.
func checkTools(ctx context.Context, diags *diag.Diagnostics, n *nodeops.Node, tools ...nodeops.Tool) bool {
	err := n.CheckTools(ctx, tools...)
	switch {
	case missingTools(diags, err):
	case err != nil:
		diags.AddError("Cannot look for the tools on "+n.R.Node(), err.Error()+". Nothing was run.")
	}
	return err == nil
}

// missingTools adds the plan's error for a node that lacks a tool its phase
// runs, naming each and where an administrator gets it, when err is one.
func missingTools(diags *diag.Diagnostics, err error) bool {
	var me *nodeops.MissingToolsError
	if !errors.As(err, &me) {
		return false
	}
	diags.AddError("Tools missing on "+me.Node, me.Error())
	return true
}

// deferChecks is the warning of a plan whose triggers are pending: node's
// checks (what they are, in words) wait for the apply, and so do the steps.
func deferChecks(diags *diag.Diagnostics, node, checks string) {
	diags.AddWarning("Checked at apply: "+node,
		fmt.Sprintf("This phase's triggers are not known yet: an earlier phase of this apply runs first and changes "+
			"what it depends on. Apply checks, after that phase and before this one's first change: %s; a failed check "+
			"stops it with nothing changed. Its steps are listed then.", checks))
}

// unreachableDiag is the plan-time error of a phase that needs node,
// which does not answer (nothing listens at its endpoint: powered off,
// or its WinRM service down); why says what the phase needs it for.
func unreachableDiag(attr path.Path, node, why string, err error) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(attr, "Node "+node+" does not answer",
		fmt.Sprintf("%s: %s. %s Power it on (or start its WinRM service) and plan again; when an earlier phase of "+
			"this apply brings it back, tie this phase to it with triggers. Nothing was run on any node.", node, err, why))
}

// phaseSchema is a phase resource's schema: its description, its own
// attributes, and those of phaseModel: id (idDesc says what it holds),
// steps, triggers, and the timeouts block stating the phase's defaults.
func (p *phaseResource) phaseSchema(ctx context.Context, desc, idDesc string, attrs map[string]schema.Attribute) schema.Schema {
	attrs["id"] = keptString(idDesc)
	attrs["steps"] = stepsAttribute()
	attrs["ran_steps"] = ranStepsAttribute()
	attrs["triggers"] = triggersAttribute()
	attrs["timeouts"] = p.timeouts.attribute(ctx)
	return schema.Schema{MarkdownDescription: desc, Attributes: attrs}
}

// The plan warns of every disruption a phase causes (the README's promise:
// the plan "warns of what stops, moves or is removed"): a service that stops,
// a node that reboots, a group that moves. Each warning's summary names the
// node and the service or groups, so a reviewer reading only the summaries
// sees them all; the wording lives here so that every phase says it alike.

// warnInstallDisrupts is the install's warning: node's cluster service
// stops (when it runs now, or may by the time an earlier phase is done) and
// the node reboots, reboots times, or up to most where a conditional step
// may add some (-1 when the count is not known yet: at least once, after
// setup). Nothing to say, nothing said.
func warnInstallDisrupts(diags *diag.Diagnostics, node string, stops bool, reboots, most int) {
	times := rebootTimes(reboots, most)
	switch {
	case stops && times != "":
		diags.AddWarning(fmt.Sprintf("%s: the cluster service (%s) stops and %s reboots %s", node, nodeops.ClusterService, node, times),
			fmt.Sprintf("Apply stops the cluster service (%s) on %s and sets it to manual, so %s leaves the cluster "+
				"until mscs_cluster_node_service starts it again, and reboots %s %s.", nodeops.ClusterService, node, node, node, times))
	case stops:
		warnServiceStops(diags, node, nodeops.ClusterService, node+" leaves the cluster until mscs_cluster_node_service starts it again")
	case times != "":
		diags.AddWarning(fmt.Sprintf("%s reboots %s", node, times),
			fmt.Sprintf("Apply reboots %s %s; the node serves nothing until it is back.", node, times))
	}
}

// rebootTimes words how often the planned steps reboot the node (reboots
// sure, most with the conditional steps; both -1 while the steps are not
// known): "once", "2 to 4 times (...)"; "" for never.
func rebootTimes(reboots, most int) string {
	switch {
	case reboots < 0:
		return "at least once (after setup)"
	case most > reboots && reboots == 0:
		return fmt.Sprintf("up to %d times (if the conditional steps run)", most)
	case most > reboots:
		return fmt.Sprintf("%d to %d times (the conditional steps' reboots included)", reboots, most)
	case reboots == 1:
		return "once"
	case reboots > 1:
		return fmt.Sprintf("%d times", reboots)
	}
	return ""
}

// warnServiceStops is the warning of a phase that stops service on node;
// moves says, in a few words, what the stop moves ("" when nothing).
func warnServiceStops(diags *diag.Diagnostics, node, service, moves string) {
	detail := fmt.Sprintf("Apply stops %s on %s and waits until it is STOPPED.", service, node)
	if moves != "" {
		detail += " " + moves + "."
	}
	diags.AddWarning(fmt.Sprintf("%s: service %s stops", node, service), detail)
}

// warnGroupsMove is the failover test's warning: each group moves from its
// owner to node, and then to where it ends.
func warnGroupsMove(diags *diag.Diagnostics, node string, groups []nodeops.FailoverGroup) {
	if len(groups) == 0 {
		return
	}
	var names, lines []string
	for _, g := range groups {
		names = append(names, g.Name)
		lines = append(lines, fmt.Sprintf("%s: %s -> %s -> %s (resources: %s)", g.Name, g.Owner, node, g.Final,
			strings.Join(g.Moved, ", ")))
	}
	diags.AddWarning(fmt.Sprintf("The failover test moves group(s) %s to %s and back", strings.Join(names, ", "), node),
		fmt.Sprintf("With \"Affect the group\" off (RestartAction 1) on their IIS and MSDTC resources, each group moves "+
			"to %s, its resources offline while it moves, and then to where it ends (final_owner, else its first preferred owner):\n- %s",
			node, strings.Join(lines, "\n- ")))
}
