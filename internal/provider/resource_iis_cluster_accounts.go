package provider

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mscs-ops/terraform-provider-mscs/internal/nodeops"
	"github.com/mscs-ops/terraform-provider-mscs/internal/provider/validators"
)

var _ phaseResourceInterfaces = (*clusterAccountsResource)(nil)

// accountsTimeouts: net, ntrights and dcomperm per missing grant.
var accountsTimeouts = phaseTimeouts{apply: 10 * time.Minute, read: 5 * time.Minute, delete: 10 * time.Minute, update: true,
	applyWhat: "Granting what is missing", readWhat: "Reading the grants the node holds",
	deleteWhat: "Revoking the grants with `revoke_on_destroy`"}

var (
	// domainAccountRe is DOMAIN\name: a NetBIOS domain and an NT account name
	// (at most 20 characters, none of " / \ [ ] : ; | = , + * ? < >).
	domainAccountRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}\\[^"/\\\[\]:;|=,+*?<>%&^!]{1,20}$`)
	// localGroupRe is a local group's name without cmd.exe metacharacters.
	localGroupRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 _.-]{0,255}$`)
)

// NewClusterAccountsResource is the KB Q241573 phase that gives the
// cluster's IUSR and IWAM domain accounts their grants on the rebuilt node.
func NewClusterAccountsResource() resource.Resource {
	return &clusterAccountsResource{phaseResource{typeName: "_iis_cluster_accounts", timeouts: accountsTimeouts,
		rules: rulesOf(validateAccounts), destroyWarning: warnAboutRevoke}}
}

type clusterAccountsResource struct{ phaseResource }

func (r *clusterAccountsResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	account := func(desc string) schema.StringAttribute {
		return optionalKeptString(desc, stringvalidator.RegexMatches(domainAccountRe,
			`must be DOMAIN\name: a NetBIOS domain and an NT account name of at most 20 characters`), validators.SafeArg())
	}
	working := workingNodeAttribute("The node that kept serving: its metabase names the accounts when " +
		"`iusr_account` / `iwam_account` are not set, and it should hold the same grants.")
	working.Computed = true
	working.PlanModifiers = []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = r.phaseSchema(ctx, "The cluster's IUSR and IWAM domain accounts with their grants on the rebuilt node, "+
		"KB Q241573's last configuration item: \"Log on locally\" (`SeInteractiveLogonRight`) and \"Access "+
		"this computer from network\" (`SeNetworkLogonRight`) for both, both in the local Guests group, the "+
		"IWAM account in MTS Trusted Impersonators (or MTS Impersonators), and both in DCOM's default access "+
		"and default launch permissions. Each grant is read first (`showpriv`, `net localgroup`, `dcomperm "+
		"list`); only the missing ones are added (`ntrights +r`, `net localgroup ... /add`, `dcomperm set "+
		"... permit`), and everything is listed again: `dcomperm` exits 0 whatever happens. A grant removed "+
		"later is drift (`missing`), which the next apply adds back. Destroy forgets, unless `revoke_on_destroy`.",
		"The node's name as the provider's `nodes` spells it; also the import ID.",
		map[string]schema.Attribute{
			"node":         nodeAttribute("The rebuilt node, where the grants are added."),
			"working_node": working,
			"iusr_account": account("The anonymous web account, `DOMAIN\\name`, e.g. `LAB\\IUSR_CLUSTER`. Default: the " +
				"working node's W3SVC `AnonymousUserName`, read from its metabase at plan time."),
			"iwam_account": account("The out-of-process applications' account, `DOMAIN\\name`, e.g. " +
				"`LAB\\IWAM_CLUSTER`. Default: the working node's W3SVC `WAMUserName`."),
			"impersonators_group": optionalKeptString("The MTS impersonators group the IWAM account joins. "+
				"Default: whichever of \"MTS Trusted Impersonators\" and \"MTS Impersonators\" exists on the node.",
				stringvalidator.RegexMatches(localGroupRe, "must be a local group name: letters, digits, blanks, _ . -"),
				validators.SafeArg()),
			"revoke_on_destroy": optionalFlag("What destroy does. `false` (default): forgets the grants. `true`: " +
				"revokes the two accounts' rights, group memberships and DCOM default access (never the local " +
				"IUSR_/IWAM_ defaults or other accounts); the DCOM default launch entries stay, since the 1996 " +
				"dcomperm cannot remove from the launch list (destroy warns)."),
			"grants": schema.MapAttribute{
				MarkdownDescription: "The grants found on the node after the last apply or read, per account.",
				Computed:            true,
				ElementType:         types.ListType{ElemType: types.StringType},
			},
			"missing": readStringList("The grants the node lacks, as read (`ACCOUNT: grant`). Not empty: drift, " +
				"which the plan shows and apply adds back."),
		})
}

// validateAccounts is the phase's plan rules that need no node.
func validateAccounts(_ context.Context, m *clusterAccountsModel) diag.Diagnostics {
	diags := notWorkingNode(m.WorkingNode, m.Node, "Working node is the rebuilt node", "the accounts are copied from the node that kept serving.")
	if !m.IUSRAccount.IsNull() && !m.IUSRAccount.IsUnknown() && strings.EqualFold(m.IUSRAccount.ValueString(), m.IWAMAccount.ValueString()) {
		diags.AddAttributeError(path.Root("iwam_account"), "One account for both",
			"iusr_account and iwam_account are the same account: the KB's IUSR and IWAM are two accounts.")
	}
	return diags
}

// spec is the model's phase, the accounts resolved (from the working node's
// metabase where not set).
func (r *clusterAccountsResource) spec(ctx context.Context, m *clusterAccountsModel) (nodeops.AccountsSpec, string, diag.Diagnostics) {
	node := r.cluster.configured(m.Node.ValueString())
	working, diags := r.cluster.workingNode(m.WorkingNode, node, "copy the accounts from",
		"The IUSR and IWAM accounts are the working node's")
	if diags.HasError() {
		return nodeops.AccountsSpec{}, "", diags
	}
	spec := nodeops.AccountsSpec{Node: node, IUSR: m.IUSRAccount.ValueString(), IWAM: m.IWAMAccount.ValueString()}
	if !m.ImpersonatorsGroup.IsUnknown() {
		spec.Impersonators = m.ImpersonatorsGroup.ValueString()
	}
	if spec.IUSR == "" || spec.IWAM == "" {
		wn, _ := r.cluster.Node(working)
		cfg, err := wn.ReadIISConfig(ctx)
		if err != nil {
			return spec, working, diag.Diagnostics{r.cluster.stepDiag("Cannot read the working node's accounts", working, err)}
		}
		anon := ""
		if in := cfg.Instance("W3SVC/1"); in != nil {
			anon = in.AnonymousUser
		}
		if spec.IUSR == "" {
			spec.IUSR = anon
		}
		if spec.IWAM == "" {
			spec.IWAM = cfg.WAMUser
		}
		for attr, v := range map[string]string{"iusr_account": spec.IUSR, "iwam_account": spec.IWAM} {
			if !domainAccountRe.MatchString(v) {
				diags.AddAttributeError(path.Root(attr), "No domain account to grant",
					fmt.Sprintf("%s's metabase names %q, not a DOMAIN\\name account: on a cluster the IUSR and IWAM accounts are "+
						"domain accounts (KB Q241573). Set %s.", working, v, attr))
			}
		}
	}
	return spec, working, diags
}

// ModifyPlan checks the nodes, resolves the accounts and lists the grants
// the apply adds (a drift of an existing resource plans them again), and
// warns when the working node itself lacks one.
func (r *clusterAccountsResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var plan clusterAccountsModel
	ctx, cancel, ok := r.planStart(ctx, req, &resp.Diagnostics, &plan, planNodes{own: []string{"node"}, also: []string{"working_node"}})
	defer cancel()
	if !ok || configUnknownAttrs(ctx, req.Config, "working_node", "iusr_account", "iwam_account", "impersonators_group") {
		return
	}
	if planRepair(ctx, req, resp, accountsDrift, map[string]attr.Value{"grants": types.MapUnknown(types.ListType{ElemType: types.StringType})},
		"Grants missing on "+plan.Node.ValueString(), "Apply adds them back:") {
		return
	}
	spec, working, d := r.spec(ctx, &plan)
	if resp.Diagnostics.Append(d...); resp.Diagnostics.HasError() {
		return
	}
	n, _ := r.cluster.Node(plan.Node.ValueString())
	for attr, v := range map[string]string{"working_node": working, "iusr_account": spec.IUSR, "iwam_account": spec.IWAM} {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(attr), v)...)
	}
	for _, a := range []struct{ attr, account string }{{"iusr_account", spec.IUSR}, {"iwam_account", spec.IWAM}} {
		exists, known, err := n.DomainAccountExists(ctx, a.account)
		if err == nil && known && !exists {
			resp.Diagnostics.AddAttributeError(path.Root(a.attr), "No such domain account",
				fmt.Sprintf("%s does not exist in its domain (net user /domain on %s: the user name could not be found). "+
					"Nothing was run on any node.", a.account, spec.Node))
		}
	}
	if resp.Diagnostics.HasError() || !triggersPending(ctx, req.Config) && !checkTools(ctx, &resp.Diagnostics, n, nodeops.AccountsTools...) {
		return
	}
	held, err := n.ReadHeld(ctx, spec.Impersonators)
	if err != nil {
		tflog.Debug(ctx, "cannot read the node's grants at plan time; apply reads them again", map[string]any{"error": err.Error()})
		return
	}
	if spec.Impersonators == "" {
		// None yet (the Option Pack is installed later in the same apply):
		// setup creates MTS Trusted Impersonators.
		spec.Impersonators = cmp.Or(held.Impersonators, nodeops.ImpersonatorsGroups[0])
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("impersonators_group"), spec.Impersonators)...)
	}
	if wn, ok := r.cluster.Node(working); ok {
		if wheld, err := wn.ReadHeld(ctx, spec.Impersonators); err == nil {
			wspec := spec
			wspec.Node = working
			if gaps := nodeops.Missing(wheld, wspec); len(gaps) > 0 {
				resp.Diagnostics.AddWarning("The working node lacks grants too",
					fmt.Sprintf("%s, the template, lacks %s: the template itself is incomplete.", working, strings.Join(nodeops.GrantWords(gaps), "; ")))
			}
		}
	}
	if triggersPending(ctx, req.Config) {
		// An earlier phase of this apply reinstalls the node's Option Pack
		// first, which changes its groups.
		deferChecks(&resp.Diagnostics, spec.Node, "the grants "+spec.Node+" holds (only those missing then are added)")
		return
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("steps"), nodeops.PlanAccounts(spec.Node, nodeops.Missing(held, spec)))...)
}

// warnAboutRevoke: a destroy with revoke_on_destroy removes grants.
func warnAboutRevoke(ctx context.Context, prior tfsdk.State, diags *diag.Diagnostics) {
	var state clusterAccountsModel
	if diags.Append(prior.Get(ctx, &state)...); diags.HasError() || !state.RevokeOnDestroy.ValueBool() {
		return
	}
	diags.AddWarning("Destroy revokes the accounts' grants on "+state.Node.ValueString(),
		fmt.Sprintf("revoke_on_destroy is true: %s and %s lose their rights, group memberships and DCOM default access on %s; "+
			"their DCOM default launch entries stay (the 1996 dcomperm cannot remove them).",
			state.IUSRAccount.ValueString(), state.IWAMAccount.ValueString(), state.Node.ValueString()))
}

func (r *clusterAccountsResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.apply().create(ctx, req, resp)
}

func (r *clusterAccountsResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.apply().update(ctx, req, resp)
}

// accountsDrift: a grant missing (every Update grants again anyway).
var accountsDrift = phaseDrift{attr: "missing"}

// apply grants what the plan lists; every update grants again.
func (r *clusterAccountsResource) apply() phaseApply[clusterAccountsModel] {
	return phaseApply[clusterAccountsModel]{run: r.grant}
}

// grant adds the missing grants and saves what the node holds.
func (r *clusterAccountsResource) grant(ctx context.Context, m *clusterAccountsModel, op operation) diag.Diagnostics {
	ctx, cancel, n, diags := r.begin(ctx, &m.phaseModel, op, m.Node.ValueString())
	defer cancel()
	if diags.HasError() {
		return diags
	}
	spec, working, d := r.spec(ctx, m)
	if diags.Append(d...); diags.HasError() {
		return diags
	}
	progress := func(step string) { tflog.Info(ctx, "accounts step", map[string]any{"step": step}) }
	res, err := n.GrantAccounts(ctx, spec, progress)
	if err != nil {
		return append(diags, r.cluster.stepDiag("Cannot grant the accounts on "+spec.Node, spec.Node, err))
	}
	if m.Steps.IsUnknown() { // the plan could not list them: those of what the run acted on
		m.Steps = stringList(res.Steps)
	}
	r.fill(ctx, m, spec, working, res.Held)
	return diags
}

// fill sets the computed values from what the node holds.
func (r *clusterAccountsResource) fill(ctx context.Context, m *clusterAccountsModel, spec nodeops.AccountsSpec, working string, held nodeops.Held) {
	m.ID, m.WorkingNode = types.StringValue(spec.Node), types.StringValue(working)
	m.IUSRAccount, m.IWAMAccount = types.StringValue(spec.IUSR), types.StringValue(spec.IWAM)
	if m.ImpersonatorsGroup.IsNull() || m.ImpersonatorsGroup.IsUnknown() {
		m.ImpersonatorsGroup = types.StringValue(held.Impersonators)
	}
	grants := map[string][]string{}
	for _, a := range []string{spec.IUSR, spec.IWAM} {
		grants[a] = nodeops.SortedGrantWords(held, a, m.ImpersonatorsGroup.ValueString())
	}
	m.Grants, _ = types.MapValueFrom(ctx, types.ListType{ElemType: types.StringType}, grants)
	m.Missing = stringList(nodeops.GrantWords(nodeops.Missing(held, spec)))
}

func (r *clusterAccountsResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	readPhase(ctx, &r.phaseResource, &resp.State, &resp.Diagnostics, r.read)
}

// read reads the grants the node holds. The phase is never gone: a grant
// missing is drift (missing), which the next apply adds back.
func (r *clusterAccountsResource) read(ctx context.Context, m *clusterAccountsModel, n *nodeops.Node) (string, diag.Diagnostics) {
	spec, working, diags := r.spec(ctx, m)
	if diags.HasError() {
		return "", diags
	}
	held, err := n.ReadHeld(ctx, spec.Impersonators)
	if err != nil {
		return "", append(diags, r.cluster.stepDiag("Cannot read the grants on "+spec.Node, spec.Node, err))
	}
	r.fill(ctx, m, spec, working, held)
	if m.RevokeOnDestroy.IsNull() {
		m.RevokeOnDestroy = types.BoolValue(false) // imported
	}
	return "", diags
}

// Delete forgets the grants, or with revoke_on_destroy revokes them.
func (r *clusterAccountsResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m clusterAccountsModel
	if resp.Diagnostics.Append(req.State.Get(ctx, &m)...); resp.Diagnostics.HasError() {
		return
	}
	if !m.RevokeOnDestroy.ValueBool() {
		r.forget(ctx, req.State, "forgetting the grants; the node is left untouched")
		return
	}
	ctx, cancel, n, diags := r.begin(ctx, &m.phaseModel, opDelete, m.Node.ValueString())
	defer cancel()
	if resp.Diagnostics.Append(diags...); resp.Diagnostics.HasError() {
		return
	}
	spec := nodeops.AccountsSpec{Node: m.Node.ValueString(), IUSR: m.IUSRAccount.ValueString(), IWAM: m.IWAMAccount.ValueString(),
		Impersonators: m.ImpersonatorsGroup.ValueString()}
	kept, err := n.RevokeAccounts(ctx, spec, func(step string) { tflog.Info(ctx, "revoke step", map[string]any{"step": step}) })
	if err != nil {
		resp.Diagnostics.Append(r.cluster.stepDiag("Cannot revoke the accounts on "+spec.Node, spec.Node, err))
		return
	}
	if len(kept) > 0 {
		resp.Diagnostics.AddWarning("Some grants stay on "+spec.Node,
			"The 1996 dcomperm cannot remove from DCOM's default launch list; these stay: "+strings.Join(nodeops.GrantWords(kept), "; ")+".")
	}
}

// ImportState takes the node's name; Read resolves the accounts.
func (r *clusterAccountsResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	r.importAs(ctx, r, req, resp, "NODE", "NODE2", "node")
}
