package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mscs-ops/terraform-provider-mscs/internal/nodeops"
	"github.com/mscs-ops/terraform-provider-mscs/internal/provider/validators"
)

var _ phaseResourceInterfaces = (*failoverTestResource)(nil)

// httpCheckTimeout bounds one HTTP check.
const httpCheckTimeout = 30 * time.Second

// failoverTimeouts: every group moves twice and waits to come online.
var failoverTimeouts = phaseTimeouts{apply: 30 * time.Minute, read: 5 * time.Minute, update: true,
	applyWhat: "The whole test", readWhat: "Reading the groups and their resources"}

// NewFailoverTestResource is the KB Q241573 phase that ends the recovery:
// the groups moved to the rebuilt node, the web sites checked there, the
// groups moved to their final owners, "Affect the group" back on.
func NewFailoverTestResource() resource.Resource {
	return &failoverTestResource{phaseResource{typeName: "_failover_test", timeouts: failoverTimeouts,
		rules: rulesOf(validateChecks)}}
}

type failoverTestResource struct{ phaseResource }

func (r *failoverTestResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	strList := types.ListType{ElemType: types.StringType}
	resp.Schema = r.phaseSchema(ctx, "KB Q241573's last step: first, read-only, both nodes Up and the rebuilt node able to "+
		"run the groups (the Option Pack as the node serving them has it, its IIS services not dead: refused otherwise, "+
		"nothing moved); then with \"Affect the group\" off, every IIS group is moved to the "+
		"rebuilt node and seen online there, the web sites are checked from the machine running Terraform, the "+
		"groups are moved to their final owners, and \"Affect the group\" is turned back on. Read checks that "+
		"the groups are online on their final owners with RestartAction as the test left it; a difference is "+
		"drift, which the next apply tests again. Destroy forgets.",
		"The rebuilt node's name; also the import ID.",
		map[string]schema.Attribute{
			"node": nodeAttribute("The rebuilt node the groups are moved to for the test."),
			"groups": schema.ListAttribute{
				MarkdownDescription: "The groups to test. Default: every group holding an `IIS Server Instance` or " +
					"MSDTC resource.",
				Optional:      true,
				Computed:      true,
				ElementType:   types.StringType,
				Validators:    []validator.List{listvalidator.ValueStringsAre(validators.SafeArg())},
				PlanModifiers: []planmodifier.List{listplanmodifier.UseStateForUnknown()},
			},
			"final_owner": schema.MapAttribute{
				MarkdownDescription: "Where each group ends, by group name. Default: each group's first preferred owner.",
				Optional:            true,
				Computed:            true,
				ElementType:         types.StringType,
				Validators:          []validator.Map{mapvalidator.ValueStringsAre(validators.NodeName())},
				PlanModifiers:       []planmodifier.Map{mapplanmodifier.UseStateForUnknown()},
			},
			"http_checks": schema.ListNestedAttribute{
				MarkdownDescription: "Requests made from the machine running Terraform while the groups run on `node`.",
				Optional:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"url": schema.StringAttribute{
						MarkdownDescription: "An `http://` or `https://` URL without credentials, e.g. the virtual server's site.",
						Required:            true,
					},
					"expected_status": schema.Int64Attribute{
						MarkdownDescription: fmt.Sprintf("The HTTP status the site must answer. Default %d.", defaultHTTPStatus),
						Optional:            true,
						Computed:            true,
						Default:             int64default.StaticInt64(defaultHTTPStatus),
					},
					"expected_body": schema.StringAttribute{
						MarkdownDescription: "A substring the answer's body must contain.",
						Optional:            true,
					},
				}},
			},
			"restore_affect_the_group": optionalFlag("`false` (default): each resource ends with the RestartAction it had " +
				"before the test, as recorded on the working node before the first change: \"Affect the group\" back on " +
				"where the test turned it off (the KB's final step), and an administrator's 1 stays 1 (safety rule 6; the " +
				"plan names such resources). `true`: RestartAction 2 (\"Affect the group\" on) on the groups' IIS and " +
				"MSDTC resources at the end, also on one an administrator had at 1. Either way, a test interrupted " +
				"halfway is restored from that record by the next apply."),
			"seen_online": schema.MapAttribute{
				MarkdownDescription: "Per group, the nodes the last test saw it online on.",
				Computed:            true,
				ElementType:         strList,
			},
			"check_results": readStringList("Each HTTP check's result, e.g. `http://10.0.0.20/: 200 (served while " +
				"the groups ran on NODE2)`."),
			"differences": readStringList("What differs from what the test left, as read (a group elsewhere, a " +
				"RestartAction changed). Not empty: drift, which the plan shows and apply tests again."),
		})
}

// validateChecks refuses an HTTP check's URL that is not an anonymous
// http(s) URL.
func validateChecks(ctx context.Context, m *failoverTestModel) diag.Diagnostics {
	var diags diag.Diagnostics
	for i, c := range httpChecks(ctx, m) {
		if c.URL.IsUnknown() || c.URL.IsNull() {
			continue
		}
		p := path.Root("http_checks").AtListIndex(i).AtName("url")
		u, err := url.Parse(c.URL.ValueString())
		switch {
		case err != nil || u.Host == "":
			diags.AddAttributeError(p, "Invalid URL", fmt.Sprintf("%q is not an absolute URL.", c.URL.ValueString()))
		case u.Scheme != "http" && u.Scheme != "https":
			diags.AddAttributeError(p, "Invalid URL", fmt.Sprintf("%q: the scheme must be http or https.", u.Redacted()))
		case u.User != nil:
			diags.AddAttributeError(p, "Credentials in a URL",
				fmt.Sprintf("%s holds credentials: the checks are anonymous requests, as the KB's web test is, and a URL "+
					"with a password would land in the state and the logs.", u.Redacted()))
		}
	}
	return diags
}

// spec is the model's test with its HTTP checks.
func (r *failoverTestResource) spec(ctx context.Context, m *failoverTestModel, results *[]string) nodeops.FailoverSpec {
	spec := nodeops.FailoverSpec{Node: r.cluster.configured(m.Node.ValueString()), RestoreAffect: m.RestoreAffectTheGroup.ValueBool(),
		FinalOwner: map[string]string{}}
	if !m.Groups.IsUnknown() {
		spec.Groups, _ = listStrings(ctx, m.Groups)
	}
	if !m.FinalOwner.IsNull() && !m.FinalOwner.IsUnknown() {
		_ = m.FinalOwner.ElementsAs(ctx, &spec.FinalOwner, false)
	}
	checks := httpChecks(ctx, m)
	spec.Check = func(ctx context.Context) error {
		var errs []error
		for _, c := range checks {
			line, err := runHTTPCheck(ctx, c)
			*results = append(*results, line+" (while the groups ran on "+spec.Node+")")
			if err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	return spec
}

// runHTTPCheck makes one anonymous GET and compares the answer.
func runHTTPCheck(ctx context.Context, c httpCheckModel) (string, error) {
	u := c.URL.ValueString()
	want := c.wantStatus()
	ctx, cancel := context.WithTimeout(ctx, httpCheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return u + ": " + err.Error(), err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return u + ": no answer", fmt.Errorf("%s did not answer: %w", u, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	line := fmt.Sprintf("%s: %d", u, resp.StatusCode)
	switch {
	case int64(resp.StatusCode) != want:
		return line, fmt.Errorf("%s answered %d, want %d", u, resp.StatusCode, want)
	case c.ExpectedBody.ValueString() != "" && !strings.Contains(string(body), c.ExpectedBody.ValueString()):
		return line, fmt.Errorf("%s answered %d without %q in its body", u, resp.StatusCode, c.ExpectedBody.ValueString())
	}
	return line, nil
}

// groupFinals are the test's groups, in order, and each one's final owner.
func groupFinals(f nodeops.FailoverFacts) (groups []string, finals map[string]string) {
	finals = map[string]string{}
	for _, g := range f.Groups {
		groups = append(groups, g.Name)
		finals[g.Name] = g.Final
	}
	return groups, finals
}

// defaultHTTPStatus is what an HTTP check expects unless set.
const defaultHTTPStatus = 200

// wantStatus is the HTTP status the check expects: defaultHTTPStatus unless
// set (the schema's default, unknown while a plan is made).
func (c httpCheckModel) wantStatus() int64 {
	if c.ExpectedStatus.IsNull() || c.ExpectedStatus.IsUnknown() {
		return defaultHTTPStatus
	}
	return c.ExpectedStatus.ValueInt64()
}

// httpChecks are the model's checks; none while they are unknown.
func httpChecks(ctx context.Context, m *failoverTestModel) []httpCheckModel {
	if m.HTTPChecks.IsNull() || m.HTTPChecks.IsUnknown() {
		return nil
	}
	var out []httpCheckModel
	if m.HTTPChecks.ElementsAs(ctx, &out, false).HasError() {
		return nil
	}
	return out
}

func checkWords(ctx context.Context, m *failoverTestModel) []string {
	var out []string
	checks := httpChecks(ctx, m)
	for _, c := range checks {
		out = append(out, fmt.Sprintf("GET %s answers %d", c.URL.ValueString(), c.wantStatus()))
	}
	return out
}

func (r *failoverTestResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var plan failoverTestModel
	ctx, cancel, ok := r.planStart(ctx, req, &resp.Diagnostics, &plan, planNodes{own: []string{"node"}})
	defer cancel()
	if !ok {
		return
	}
	if planRepair(ctx, req, resp, failoverDrift, map[string]attr.Value{
		"seen_online":   types.MapUnknown(types.ListType{ElemType: types.StringType}),
		"check_results": types.ListUnknown(types.StringType),
	}, "The cluster differs from what the failover test left", "Apply runs the test again:") {
		return
	}
	var results []string
	spec := r.spec(ctx, &plan, &results)
	f, err := r.cluster.ops().ReadFailoverFacts(ctx, spec)
	if err != nil {
		if r.planRestoreOnly(ctx, resp, spec, err) {
			return
		}
		planReadFailed(ctx, &resp.Diagnostics, "The failover test does not fit the cluster", err)
		return
	}
	groups, finals := groupFinals(f)
	// With triggers still unknown, the groups and their final owners may
	// read otherwise at apply: left unknown unless configured.
	pending := triggersPending(ctx, req.Config)
	var cfgGroups types.List
	var cfgFinals types.Map
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("groups"), &cfgGroups)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("final_owner"), &cfgFinals)...)
	if pending && cfgGroups.IsNull() {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("groups"), types.ListUnknown(types.StringType))...)
	} else {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("groups"), groups)...)
	}
	if pending && cfgFinals.IsNull() {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("final_owner"), types.MapUnknown(types.StringType))...)
	} else {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("final_owner"), finals)...)
	}
	warnGroupsMove(&resp.Diagnostics, spec.Node, f.Groups)
	if pending {
		deferChecks(&resp.Diagnostics, spec.Node, fmt.Sprintf("that %s are Up in the cluster, and that %s has the "+
			"Option Pack as the node serving the groups has it, with its IIS services healthy",
			strings.Join(r.cluster.names, " and "), spec.Node))
		return
	}
	if err := r.cluster.ops().CheckFailoverHosts(ctx, spec, f); err != nil {
		if r.planRestoreOnly(ctx, resp, spec, err) {
			return
		}
		r.refuse(ctx, &resp.Diagnostics, spec.Node, err)
		return
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("steps"), nodeops.PlanFailover(f, spec, checkWords(ctx, &plan)))...)
}

// planRestoreOnly is the plan of a test refused (err) while an earlier
// run's record is on the working node: apply restores the record first,
// which needs only the working node, and is then refused with err. The
// plan shows that restore and warns of the refusal; false when there is no
// record to restore (or err is bad input, refused at plan as ever).
func (r *failoverTestResource) planRestoreOnly(ctx context.Context, resp *resource.ModifyPlanResponse, spec nodeops.FailoverSpec, err error) bool {
	var se *nodeops.SpecError
	if errors.As(err, &se) {
		return false
	}
	rec, file, node, rerr := r.cluster.ops().ReadFailoverHold(ctx, spec)
	if rerr != nil || rec == nil {
		return false
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("steps"), []string{nodeops.PlanFailoverRestore(rec, file, node)})...)
	resp.Diagnostics.AddAttributeWarning(path.Root("node"), "Apply restores an earlier run's record, then refuses the failover test",
		fmt.Sprintf("An earlier run of the failover test left its record in %s on %s. Apply restores from it (only %s is needed) and deletes it once read back; "+
			"it then refuses the test, and changes nothing else, because: %v.", file, node, node, err))
	return true
}

// refuse is the plan of a failover test whose nodes cannot run it now (a
// node not Up, or not answering; the rebuilt node without the working
// node's Option Pack or with dead IIS services): an error naming the node
// and what it lacks. A read that failed otherwise is only logged, since
// apply makes the same checks before its first move.
func (r *failoverTestResource) refuse(ctx context.Context, diags *diag.Diagnostics, node string, err error) {
	var ste *nodeops.StepError
	if down, ok := nodeops.Unreachable(err); ok {
		diags.Append(unreachableDiag(path.Root("node"), down, "The failover test moves the groups to "+node+" and back.", err))
		return
	}
	if errors.As(err, &ste) && ste.Command == "" {
		diags.AddAttributeError(path.Root("node"), "The failover test cannot run on "+node+" now",
			err.Error()+". Nothing was run on any node.")
		return
	}
	planReadFailed(ctx, diags, "The failover test does not fit the cluster", err)
}

func (r *failoverTestResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.apply().create(ctx, req, resp)
}

// Update runs the test again when the cluster drifted from what it left
// (differences); a change of the checks or of restore_affect_the_group alone
// applies to the next test and runs nothing (triggers replace instead).
func (r *failoverTestResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.apply().update(ctx, req, resp)
}

// apply runs the test (run); an update runs it again only when the cluster
// drifted from what the last test left.
func (r *failoverTestResource) apply() phaseApply[failoverTestModel] {
	return phaseApply[failoverTestModel]{run: r.run, drift: &failoverDrift, keep: func(plan, state *failoverTestModel) {
		plan.ID, plan.Groups, plan.FinalOwner, plan.SeenOnline, plan.CheckResults, plan.Differences, plan.Steps =
			state.ID, state.Groups, state.FinalOwner, state.SeenOnline, state.CheckResults, state.Differences, state.Steps
	}}
}

// failoverDrift runs the test again: the cluster differs from what it left.
var failoverDrift = phaseDrift{attr: "differences"}

// run runs the test and saves what it saw.
func (r *failoverTestResource) run(ctx context.Context, m *failoverTestModel, op operation) diag.Diagnostics {
	ctx, cancel, _, diags := r.begin(ctx, &m.phaseModel, op, m.Node.ValueString())
	defer cancel()
	if diags.HasError() {
		return diags
	}
	var results []string
	spec := r.spec(ctx, m, &results)
	progress := func(step string) { tflog.Info(ctx, "failover test step", map[string]any{"step": step}) }
	// The test refuses a setting that does not fit before anything, then
	// restores an earlier run's record (as the plan showed) and reads the
	// groups and checks the nodes, read-only, before its first change.
	res, err := r.cluster.ops().FailoverTest(ctx, spec, progress)
	if err != nil {
		return append(diags, r.cluster.stepDiag("The failover test failed on "+spec.Node, spec.Node, err))
	}
	if m.Steps.IsUnknown() { // the plan could not list them: those of the groups the test acted on
		m.Steps = stringList(nodeops.PlanFailover(res.Facts, spec, checkWords(ctx, m)))
	}
	groups, finals := groupFinals(res.Facts)
	m.ID = types.StringValue(spec.Node)
	m.Groups = stringList(groups)
	m.FinalOwner, _ = types.MapValueFrom(ctx, types.StringType, finals)
	m.SeenOnline, _ = types.MapValueFrom(ctx, types.ListType{ElemType: types.StringType}, res.SeenOnline)
	m.CheckResults = stringList(results)
	m.Differences = stringList(nil)
	return diags
}

// Read checks that every group of the test is online on its final owner
// with RestartAction as the test left it.
func (r *failoverTestResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	readPhase(ctx, &r.phaseResource, &resp.State, &resp.Diagnostics, r.read)
}

// read lists what differs from what the test left; the test is gone when a
// group of it is.
func (r *failoverTestResource) read(ctx context.Context, m *failoverTestModel, _ *nodeops.Node) (string, diag.Diagnostics) {
	var results []string
	spec := r.spec(ctx, m, &results)
	f, err := r.cluster.ops().ReadFailoverFacts(ctx, spec)
	var se *nodeops.SpecError
	switch {
	case errors.As(err, &se):
		return "a group of the test is gone: " + se.Error(), nil
	case err != nil:
		// A Failed resource is drift too: the test's end state does not hold.
		var ste *nodeops.StepError
		if !errors.As(err, &ste) {
			return "", diag.Diagnostics{r.cluster.stepDiag("Cannot read the groups of the failover test", spec.Node, err)}
		}
		m.Differences = stringList([]string{ste.Meaning})
		return "", nil
	}
	var differs []string
	groups, finals := groupFinals(f)
	for _, g := range f.Groups {
		if !strings.EqualFold(g.Owner, g.Final) || !strings.EqualFold(g.State, "Online") {
			differs = append(differs, fmt.Sprintf("group %s is %s on %s, not on %s", g.Name, g.State, g.Owner, g.Final))
		}
		for res, v := range g.RestartActions {
			if m.RestoreAffectTheGroup.ValueBool() && v != nodeops.RestartWithFailover {
				differs = append(differs, fmt.Sprintf("%s has RestartAction %d, not 2 (\"Affect the group\" off)", res, v))
			}
		}
	}
	if f.Held != nil {
		differs = append(differs, fmt.Sprintf("an interrupted test left its record in %s on %s: RestartAction and owners "+
			"are not restored yet", f.HeldPath, f.HeldNode))
	}
	m.ID = types.StringValue(spec.Node)
	m.Groups = stringList(groups)
	m.FinalOwner, _ = types.MapValueFrom(ctx, types.StringType, finals)
	m.Differences = stringList(differs)
	if m.SeenOnline.IsNull() {
		m.SeenOnline = types.MapValueMust(types.ListType{ElemType: types.StringType}, map[string]attr.Value{})
		m.CheckResults = stringList(nil)
		m.RestoreAffectTheGroup = types.BoolValue(false)
	}
	return "", nil
}

// Delete forgets: nothing is undone after a test.
func (r *failoverTestResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	r.forget(ctx, req.State, "forgetting the failover test")
}

// ImportState takes the rebuilt node's name.
func (r *failoverTestResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	r.importAs(ctx, r, req, resp, "NODE", "NODE2", "node")
}
