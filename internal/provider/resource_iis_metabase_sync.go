package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mscs-ops/terraform-provider-mscs/internal/nodeops"
	"github.com/mscs-ops/terraform-provider-mscs/internal/provider/validators"
)

var _ phaseResourceInterfaces = (*metabaseSyncResource)(nil)

// syncTimeouts: IISSYNC copies the whole metabase and the MTS packages.
var syncTimeouts = phaseTimeouts{apply: 20 * time.Minute, read: 5 * time.Minute, update: true,
	applyWhat: "The whole sync", readWhat: "Reading both nodes' metabases and packages"}

// lossNameRe is an entry of accept_loss: a name that is not blank and
// neither starts nor ends with a blank (which no plan would list).
var lossNameRe = regexp.MustCompile(`^\S(.*\S)?$`)

// shareNameRe is a share name as MTS's Replication Share takes it (C$,
// ADMIN$, MTSRepl): no path, no blanks.
var shareNameRe = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,79}\$?$`)

// NewMetabaseSyncResource is the KB Q241573 phase that syncs the IIS
// metabase and the MTS packages from the working node to the rebuilt one.
func NewMetabaseSyncResource() resource.Resource {
	return &metabaseSyncResource{phaseResource{typeName: "_iis_metabase_sync", nodeAttr: "target_node",
		timeouts: syncTimeouts, rules: rulesOf(validateSync)}}
}

type metabaseSyncResource struct{ phaseResource }

func (r *metabaseSyncResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = r.phaseSchema(ctx, "The IIS metabase and the MTS packages of the rebuilt node synced from the working node, "+
		"as KB Q241573's \"Configuring IIS after Installation\" does: MTS replication configured on both nodes "+
		"(each naming the other), then `IISSYNC <target_node>` run on `source_node` only, from its "+
		"`%windir%\\system32\\inetsrv`; then the target's metabase and packages are compared with the source's. "+
		"IISSYNC the wrong way round copies the fresh node's empty metabase over the working one: the plan "+
		"refuses a `source_node` that lacks the cluster's sites. IISSYNC also deletes on the target every server "+
		"instance and MTS package the source lacks: the plan names each and refuses any that `accept_loss` does not "+
		"list. Read compares the two nodes again: a difference "+
		"is drift, which the next apply syncs again. Destroy forgets.",
		"`SOURCE/TARGET`, e.g. `NODE1/NODE2`; also the import ID.",
		map[string]schema.Attribute{
			"source_node": nodeAttribute("The working node, whose metabase and MTS packages are copied and on which " +
				"IISSYNC runs (never the rebuilt node: safety rule 2)."),
			"target_node": nodeAttribute("The rebuilt node, whose metabase and MTS packages are replaced by the " +
				"source's."),
			"replication_share": optionalString("MTS's Replication Share, set on both nodes: the share through "+
				"which the target reaches the source's MTS packages, a share name (not a path), e.g. `C$` (default, "+
				"as the KB uses).", "C$", stringvalidator.RegexMatches(shareNameRe, "must be a share name such as "+
				"C$ or MTSRepl: letters, digits, _ . - and an optional trailing $"), validators.SafeArg()),
			"remote_server_name": optionalString("MTS's Remote Server Name, set on both nodes. Default: on each "+
				"node the other node's NetBIOS name, as KB Q191138 has it (MTS's own documentation suggests the "+
				"virtual server's name: set it here to use one name on both).", "", nodeValidators()...),
			"accept_loss": schema.SetAttribute{
				MarkdownDescription: "The server instances and MTS packages that only `target_node` has and that " +
					"IISSYNC may delete there. IISSYNC replaces the target's whole metabase and MTS catalog with the " +
					"source's, so an instance (by path, e.g. `W3SVC/2`) or a package (by GUID) that `source_node` " +
					"lacks is lost. The plan reads both nodes and names every such loss in `steps` and in a warning; " +
					"it refuses any loss not listed here, and apply reads both nodes again right before its first " +
					"change and refuses a loss that appeared since the plan. Name an instance by its path (`W3SVC/2`), " +
					"a package by its name (`Payroll`) or its GUID, as the plan's error lists them; case does not " +
					"matter. Name exactly what may go: a loss that appears later is refused again. A name the target " +
					"does not have accepts nothing. Default: none; changing it alone runs nothing.",
				Optional:    true,
				ElementType: types.StringType,
				Validators: []validator.Set{
					setvalidator.NoNullValues(),
					setvalidator.ValueStringsAre(stringvalidator.RegexMatches(lossNameRe,
						"must be a server instance's path (W3SVC/2) or an MTS package's name or GUID, not blank")),
				},
			},
			"status": keptInt64("IISSYNC's status code of the last sync (0: success; KB Q224801 lists the others)."),
			"matched": keptStringList("What the two nodes agree on after the last sync: the server instances " +
				"(`W3SVC/1`, `MSFTPSVC/1`) and the MTS packages."),
			"differences": readStringList("How the target's metabase and packages differ from the source's, as " +
				"read (instances, bindings, roots, accounts, packages). Not empty: drift, which the plan shows and " +
				"apply repairs by syncing again."),
		})
}

// validateSync is the sync's plan rule that needs no node.
func validateSync(_ context.Context, m *metabaseSyncModel) diag.Diagnostics {
	return distinctNodes(planNode{path.Root("target_node"), m.TargetNode}, planNode{path.Root("source_node"), m.SourceNode},
		"IISSYNC to itself", "IISSYNC copies the working node's metabase to the rebuilt node.")
}

// syncSpec is the model's phase (accept_loss known: ModifyPlan plans on
// only then).
func (r *metabaseSyncResource) syncSpec(ctx context.Context, m *metabaseSyncModel) nodeops.MetabaseSyncSpec {
	src, tgt := r.cluster.configured(m.SourceNode.ValueString()), r.cluster.configured(m.TargetNode.ValueString())
	names := map[string]string{src: tgt, tgt: src}
	if v := m.RemoteServerName.ValueString(); v != "" {
		names = map[string]string{src: v, tgt: v}
	}
	accept, _ := setStrings(ctx, m.AcceptLoss)
	return nodeops.MetabaseSyncSpec{Source: src, Target: tgt, ReplicationShare: m.ReplicationShare.ValueString(), RemoteServerNames: names,
		AcceptLoss: accept}
}

// syncMisfit sums up a setting that does not fit the nodes.
const syncMisfit = "The metabase sync would go wrong"

// ModifyPlan checks the nodes, the direction (read-only) and lists the
// steps; for an existing sync, a target that differs plans the sync again.
func (r *metabaseSyncResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var plan metabaseSyncModel
	ctx, cancel, ok := r.planStart(ctx, req, &resp.Diagnostics, &plan, planNodes{own: []string{"target_node", "source_node"}})
	defer cancel()
	ctx = r.cluster.logContext(ctx, "source", plan.SourceNode.ValueString())
	if _, known := setStrings(ctx, plan.AcceptLoss); !ok || plan.ReplicationShare.IsUnknown() || plan.RemoteServerName.IsUnknown() || !known {
		return
	}
	// A changed share or server name syncs again too, without drift.
	if planRepair(ctx, req, resp, syncDrift, map[string]attr.Value{
		"status": types.Int64Unknown(), "matched": types.ListUnknown(types.StringType),
	}, fmt.Sprintf("%s's metabase differs from %s's", plan.TargetNode.ValueString(), plan.SourceNode.ValueString()),
		"Apply runs IISSYNC again from "+plan.SourceNode.ValueString()+". What differs:") {
		return // in sync: nothing to do
	}
	spec := r.syncSpec(ctx, &plan)
	// An earlier phase of this apply may reinstall the target's IIS: what
	// it has now (and would lose) is read by the apply's own check.
	if triggersPending(ctx, req.Config) {
		deferChecks(&resp.Diagnostics, spec.Target, "both nodes' metabases and MTS settings, and what the target would lose")
		return
	}
	facts, err := r.cluster.ops().ReadSyncFacts(ctx, spec)
	if err != nil {
		planReadFailed(ctx, &resp.Diagnostics, syncMisfit, err)
		return
	}
	// What the target loses is named on every plan that syncs, accepted
	// (ReadSyncFacts refused the rest).
	lost := ""
	if len(facts.Losses) > 0 {
		lost = fmt.Sprintf("\n\n%s loses what only it has, as accept_loss accepts:\n- %s", spec.Target, lossLines(facts.Losses))
	}
	switch {
	case req.State.Raw.IsNull():
		resp.Diagnostics.AddWarning(fmt.Sprintf("IISSYNC copies %s's metabase over %s's", spec.Source, spec.Target),
			fmt.Sprintf("%s's IIS configuration (%d server instance(s)) and its %d MTS package(s) replace %s's.%s",
				spec.Source, len(facts.Source.Instances), len(facts.Source.Packages), spec.Target, lost))
	case lost != "":
		resp.Diagnostics.AddWarning(fmt.Sprintf("IISSYNC deletes on %s what %s lacks", spec.Target, spec.Source), strings.TrimSpace(lost))
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("steps"), nodeops.PlanSync(facts, spec))...)
}

func (r *metabaseSyncResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.apply().create(ctx, req, resp)
}

// Update syncs again when the target drifted from the source (differences)
// or the MTS replication settings changed; a change of accept_loss alone
// applies to the next sync and runs nothing, as do triggers set on an imported sync.
func (r *metabaseSyncResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.apply().update(ctx, req, resp)
}

// apply syncs (sync); an update syncs again only on drift or changed MTS
// replication settings.
func (r *metabaseSyncResource) apply() phaseApply[metabaseSyncModel] {
	return phaseApply[metabaseSyncModel]{run: r.sync, drift: &syncDrift, keep: func(plan, state *metabaseSyncModel) {
		plan.ID, plan.Status, plan.Matched, plan.Differences, plan.Steps = state.ID, state.Status, state.Matched, state.Differences, state.Steps
	}}
}

// syncDrift runs the sync again: the target drifted from the source, or the
// MTS replication settings changed.
var syncDrift = phaseDrift{attr: "differences", changed: []string{"replication_share", "remote_server_name"}}

// lossLines is each loss on a line of its own (after the first "- ").
func lossLines(losses []nodeops.SyncLoss) string {
	w := make([]string, len(losses))
	for i, l := range losses {
		w[i] = l.String()
	}
	return strings.Join(w, "\n- ")
}

// sync runs the phase for the plan and saves the result.
func (r *metabaseSyncResource) sync(ctx context.Context, m *metabaseSyncModel, op operation) diag.Diagnostics {
	ctx, cancel, _, diags := r.begin(ctx, &m.phaseModel, op, m.TargetNode.ValueString(), "source", m.SourceNode.ValueString())
	defer cancel()
	if diags.HasError() {
		return diags
	}
	spec := r.syncSpec(ctx, m)
	progress := func(step string) { tflog.Info(ctx, "metabase sync step", map[string]any{"step": step}) }
	res, err := r.cluster.ops().SyncMetabase(ctx, spec, progress)
	if err != nil {
		diags.Append(r.cluster.phaseDiags(syncMisfit, "Cannot sync the metabase of "+spec.Target, spec.Source, err)...)
		var se *nodeops.SyncError
		if errors.As(err, &se) {
			diags.AddWarning("Fix the cause, then apply again",
				fmt.Sprintf("IISSYNC status %d: %s. The next apply configures MTS replication again and reruns IISSYNC from %s.",
					se.Status, nodeops.IISSyncMeaning(se.Status), spec.Source))
		}
		return diags
	}
	if m.Steps.IsUnknown() { // the plan could not list them: those of what the sync acted on
		m.Steps = stringList(res.Steps)
	}
	m.ID = types.StringValue(spec.Source + "/" + spec.Target)
	m.Status = types.Int64Value(int64(res.Status))
	m.Matched = stringList(res.Matched)
	m.Differences = stringList(nil)
	return diags
}

func (r *metabaseSyncResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	readPhase(ctx, &r.phaseResource, &resp.State, &resp.Diagnostics, r.read)
}

// read compares the target's metabase and packages with the source's; the
// sync is gone when the target lost IIS (rebuilt again).
func (r *metabaseSyncResource) read(ctx context.Context, m *metabaseSyncModel, tgt *nodeops.Node) (string, diag.Diagnostics) {
	ctx = r.cluster.logContext(ctx, "source", m.SourceNode.ValueString())
	src, diags := r.cluster.lookup(path.Root("source_node"), m.SourceNode.ValueString())
	if diags.HasError() {
		return "", diags
	}
	spec := r.syncSpec(ctx, m)
	s, err := src.ReadIISConfig(ctx)
	if err != nil {
		return "", diag.Diagnostics{r.cluster.stepDiag("Cannot read the metabase of "+spec.Source, spec.Source, err)}
	}
	t, err := tgt.ReadIISConfig(ctx)
	if err != nil {
		return "", diag.Diagnostics{r.cluster.stepDiag("Cannot read the metabase of "+spec.Target, spec.Target, err)}
	}
	if !t.Installed {
		return "the target " + spec.Target + " has no metabase", nil
	}
	m.ID = types.StringValue(spec.Source + "/" + spec.Target)
	m.Differences = stringList(nodeops.MetabaseDiff(s, t))
	if m.ReplicationShare.IsNull() {
		m.ReplicationShare = types.StringValue(cmp.Or(s.ReplicationShare, "C$")) // imported
	}
	if m.Status.IsNull() {
		m.Status = types.Int64Value(0)
		m.Matched = stringList(nodeops.Matched(s))
	}
	return "", nil
}

// Delete forgets: the nodes' metabases stay as they are.
func (r *metabaseSyncResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	r.forget(ctx, req.State, "forgetting the metabase sync; the nodes are left untouched")
}

// ImportState takes SOURCE/TARGET; Read compares the two nodes.
func (r *metabaseSyncResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	r.importAs(ctx, r, req, resp, "SOURCE/TARGET", "NODE1/NODE2", "source_node", "target_node")
}
