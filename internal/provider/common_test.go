package provider

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/mscs-ops/terraform-provider-mscs/internal/nodeops"
	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// Two node attributes naming one node fail on the first one, whatever the
// case; a null or unknown one is checked later, when it is known.
func TestDistinctNodes(t *testing.T) {
	a := func(v types.String) planNode { return planNode{path.Root("working_node"), v} }
	b := planNode{path.Root("node"), types.StringValue("NODE2")}
	for _, c := range []struct {
		working types.String
		fails   bool
	}{
		{types.StringValue("node2"), true},
		{types.StringValue("NODE1"), false},
		{types.StringNull(), false},
		{types.StringUnknown(), false},
	} {
		diags := distinctNodes(a(c.working), b, "Working node is the rebuilt node", "why.")
		if diags.HasError() != c.fails {
			t.Fatalf("working_node %s: errors %v, want %v", c.working, diags, c.fails)
		}
		if c.fails {
			d := diags[0]
			if !strings.Contains(d.Detail(), `working_node and node are both "node2": why.`) {
				t.Errorf("detail %q", d.Detail())
			}
		}
	}
}

// A setting that does not fit the cluster fails on its attribute; any other
// error is the step's, and at plan time only logged.
func TestPhaseDiags(t *testing.T) {
	c := &cluster{}
	misfit := &nodeops.SpecError{Attr: "log_path", Detail: `Q:\MSDTCLog is not on a disk of group Web Group.`}
	diags := c.phaseDiags("The MSDTC phase does not fit the cluster", "Cannot read", "NODE2", misfit)
	if len(diags) != 1 || !strings.Contains(diags[0].Detail(), "Nothing was run on any node.") ||
		diags[0].Summary() != "The MSDTC phase does not fit the cluster" {
		t.Fatalf("misfit: %v", diags)
	}
	if d, ok := diags[0].(interface{ Path() path.Path }); !ok || !d.Path().Equal(path.Root("log_path")) {
		t.Errorf("misfit not on log_path: %v", diags[0])
	}
	other := errors.New("no answer")
	if diags := c.phaseDiags("misfit", "Cannot read", "NODE2", other); len(diags) != 1 || diags[0].Summary() != "Cannot read" {
		t.Errorf("other error: %v", diags)
	}
	var planDiags = c.phaseDiags("misfit", "", "", misfit)
	planReadFailed(context.Background(), &planDiags, "misfit", other)
	if len(planDiags) != 1 {
		t.Errorf("a read that failed at plan time added %v", planDiags[1:])
	}
}

// readTestModel is a phase model whose node attribute is target_node, as
// the metabase sync's is.
type readTestModel struct {
	phaseModel
	Target types.String `tfsdk:"target_node"`
	Value  types.String `tfsdk:"value"`
}

// readPhase saves what read filled in (an imported resource's steps as an
// empty list), removes the resource when read says the phase is gone, keeps
// the state as it was on an error, and names the phase's own node attribute
// for an unknown node without calling read.
func TestReadPhase(t *testing.T) {
	ctx := context.Background()
	sch := schema.Schema{Attributes: map[string]schema.Attribute{
		"id":          schema.StringAttribute{Computed: true},
		"target_node": schema.StringAttribute{Required: true},
		"value":       schema.StringAttribute{Computed: true},
		"steps":       schema.ListAttribute{Computed: true, ElementType: types.StringType},
		"ran_steps":   schema.ListAttribute{Computed: true, ElementType: types.StringType},
		"triggers":    triggersAttribute(),
		"timeouts":    timeouts.Attributes(ctx, timeouts.Opts{Read: true}),
	}}
	c, err := newCluster([]winrm.Config{{Node: "NODE2", Host: "127.0.0.1", Port: 1, Username: "LAB\\op", Password: "x"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	p := &phaseResource{nodeAttr: "target_node", timeouts: phaseTimeouts{read: time.Minute}, cluster: c}
	stateOf := func(target string) tfsdk.State {
		st := tfsdk.State{Schema: sch, Raw: tftypes.NewValue(sch.Type().TerraformType(ctx), nil)}
		m := readTestModel{Target: types.StringValue(target), Value: types.StringValue("before")}
		m.ID, m.Steps, m.Triggers = types.StringValue("x"), types.ListNull(types.StringType), types.MapNull(types.StringType)
		m.RanSteps = types.ListNull(types.StringType)
		m.Timeouts = timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{"read": types.StringType})}
		if d := st.Set(ctx, &m); d.HasError() {
			t.Fatal(d)
		}
		return st
	}
	for _, c := range []struct {
		name, target, gone string
		fail               bool
		wantCalled         bool
		want               string // value after; "" = removed
	}{
		{name: "read", target: "node2", wantCalled: true, want: "after"},
		{name: "gone", target: "NODE2", gone: "the target has no metabase", wantCalled: true},
		{name: "cannot tell", target: "NODE2", fail: true, wantCalled: true, want: "before"},
		{name: "unknown node", target: "NODE9", wantCalled: false, want: "before"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := stateOf(c.target)
			var diags diag.Diagnostics
			called := false
			readPhase(ctx, p, &st, &diags, func(ctx context.Context, m *readTestModel, n *nodeops.Node) (string, diag.Diagnostics) {
				called = true
				if _, ok := ctx.Deadline(); !ok || n == nil {
					t.Errorf("read began without the read timeout (%v) or the node (%v)", ok, n)
				}
				m.Value = types.StringValue("after")
				if c.fail {
					return "", diag.Diagnostics{diag.NewErrorDiagnostic("Cannot read", "no answer")}
				}
				return c.gone, nil
			})
			if called != c.wantCalled {
				t.Fatalf("read called %v, want %v", called, c.wantCalled)
			}
			if d, ok := firstWithPath(diags); c.target == "NODE9" && (len(diags) != 1 || !ok || !d.Path().Equal(path.Root("target_node"))) {
				t.Fatalf("diagnostics %v, want one on target_node", diags)
			}
			if c.want == "" {
				if !st.Raw.IsNull() {
					t.Fatalf("a gone phase stays in the state: %v", st.Raw)
				}
				return
			}
			var got readTestModel
			if d := st.Get(ctx, &got); d.HasError() {
				t.Fatal(d)
			}
			if got.Value.ValueString() != c.want {
				t.Errorf("value %q, want %q", got.Value.ValueString(), c.want)
			}
			if saved := c.want == "after"; got.Steps.IsNull() == saved {
				t.Errorf("steps %v: an imported resource's steps are an empty list once read, untouched otherwise", got.Steps)
			}
			if saved := c.want == "after"; got.RanSteps.IsNull() == saved {
				t.Errorf("ran_steps %v: an imported resource's are an empty list once read, untouched otherwise", got.RanSteps)
			}
		})
	}
}

// firstWithPath is the first diagnostic, when it names an attribute.
func firstWithPath(diags diag.Diagnostics) (diag.DiagnosticWithPath, bool) {
	if len(diags) == 0 {
		return nil, false
	}
	d, ok := diags[0].(diag.DiagnosticWithPath)
	return d, ok
}

// The timeouts block states each default as the block's own syntax takes it.
func TestPhaseTimeouts(t *testing.T) {
	pt := phaseTimeouts{apply: 90 * time.Minute, read: 5 * time.Minute, applyWhat: "The whole install", readWhat: "Reading"}
	unset := timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{})}
	for op, want := range map[operation]time.Duration{opCreate: 90 * time.Minute, opUpdate: 0, opRead: 5 * time.Minute, opDelete: 0} {
		if got, d := pt.bound(context.Background(), unset, op); got != want || d.HasError() {
			t.Errorf("%s: %v, want %v (%v)", op, got, want, d)
		}
	}
	for d, want := range map[time.Duration]string{90 * time.Minute: "1h30m", time.Hour: "1h", 20 * time.Minute: "20m", 30 * time.Second: "30s"} {
		if got := timeoutDescription("X", d); got != "X (default `"+want+"`)." {
			t.Errorf("%v: %q", d, got)
		}
	}
	block, ok := pt.attribute(context.Background()).(schema.SingleNestedAttribute)
	if !ok {
		t.Fatalf("timeouts block %T", pt.attribute(context.Background()))
	}
	if len(block.Attributes) != 2 || block.Attributes["create"] == nil || block.Attributes["read"] == nil {
		t.Fatalf("operations %v, want create and read", block.Attributes)
	}
	if got := block.Attributes["create"].GetDescription(); got != "The whole install (default `1h30m`)." {
		t.Errorf("create: %q", got)
	}
}

// A phase's plan over drift (or a changed setting) clears the drift list,
// leaves what apply reads again unknown, and warns with the drift only when
// there is some; with neither, the plan is done; a create plans on.
func TestPlanRepair(t *testing.T) {
	ctx := context.Background()
	sch := schema.Schema{Attributes: map[string]schema.Attribute{
		"differences": schema.ListAttribute{Computed: true, ElementType: types.StringType},
		"share":       schema.StringAttribute{Optional: true},
		"status":      schema.Int64Attribute{Computed: true},
	}}
	value := func(share string, drift ...string) tftypes.Value {
		list := []tftypes.Value{}
		for _, d := range drift {
			list = append(list, tftypes.NewValue(tftypes.String, d))
		}
		return tftypes.NewValue(sch.Type().TerraformType(ctx), map[string]tftypes.Value{
			"differences": tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, list),
			"share":       tftypes.NewValue(tftypes.String, share),
			"status":      tftypes.NewValue(tftypes.Number, 0),
		})
	}
	drift := []string{"W3SVC/1 differs", "package IIS Utilities missing"}
	for _, c := range []struct {
		name          string
		state         tftypes.Value
		planShare     string
		done, repairs bool
		warning       string
	}{
		{"create", tftypes.NewValue(sch.Type().TerraformType(ctx), nil), "C$", false, false, ""},
		{"drift", value("C$", drift...), "C$", false, true, "Apply repairs it:\n- W3SVC/1 differs\n- package IIS Utilities missing"},
		{"in sync", value("C$"), "C$", true, false, ""},
		{"changed share", value("C$"), "D$", false, true, ""},
	} {
		req := resource.ModifyPlanRequest{
			State: tfsdk.State{Schema: sch, Raw: c.state},
			Plan:  tfsdk.Plan{Schema: sch, Raw: value(c.planShare, "old")},
		}
		resp := resource.ModifyPlanResponse{Plan: req.Plan}
		done := planRepair(ctx, req, &resp, phaseDrift{attr: "differences", changed: []string{"share"}}, map[string]attr.Value{"status": types.Int64Unknown()}, "Drift", "Apply repairs it:")
		var differences types.List
		var status types.Int64
		resp.Diagnostics.Append(resp.Plan.GetAttribute(ctx, path.Root("differences"), &differences)...)
		resp.Diagnostics.Append(resp.Plan.GetAttribute(ctx, path.Root("status"), &status)...)
		if resp.Diagnostics.HasError() {
			t.Fatal(c.name, resp.Diagnostics)
		}
		if done != c.done {
			t.Errorf("%s: done %v, want %v", c.name, done, c.done)
		}
		if repaired := len(differences.Elements()) == 0 && status.IsUnknown(); repaired != c.repairs {
			t.Errorf("%s: differences %v, status %v; repair planned %v, want %v", c.name, differences, status, repaired, c.repairs)
		}
		var warnings []string
		for _, w := range resp.Diagnostics.Warnings() {
			warnings = append(warnings, w.Detail())
		}
		if want := c.warning; (want == "" && len(warnings) != 0) || (want != "" && (len(warnings) != 1 || warnings[0] != want)) {
			t.Errorf("%s: warnings %q, want %q", c.name, warnings, want)
		}
	}
}

// A plan to destroy a phase runs nothing on a node and warns only where the
// destroy changes the node: the Option Pack with uninstall_on_destroy, the
// accounts with revoke_on_destroy; every other phase's destroy forgets.
func TestDestroyWarnings(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		resource func() resource.Resource
		flag     string // the attribute that makes destroy change the node
		summary  string
	}{
		{NewOptionpackInstallResource, "uninstall_on_destroy", "Destroy removes the Option Pack from NODE2"},
		{NewClusterAccountsResource, "revoke_on_destroy", "Destroy revokes the accounts' grants on NODE2"},
		{NewMSDTCClusteredResource, "", ""},
		{NewClusterNodeServiceResource, "", ""},
		{NewFailoverTestResource, "", ""},
		{NewMetabaseSyncResource, "", ""},
	} {
		for _, set := range []bool{true, false} {
			r, ok := c.resource().(interface {
				resource.ResourceWithConfigure
				resource.ResourceWithModifyPlan
			})
			if !ok {
				t.Fatalf("%T has no ModifyPlan", c.resource())
			}
			var cresp resource.ConfigureResponse
			r.Configure(ctx, resource.ConfigureRequest{ProviderData: &cluster{}}, &cresp)
			var sch resource.SchemaResponse
			r.Schema(ctx, resource.SchemaRequest{}, &sch)
			typ, ok := sch.Schema.Type().TerraformType(ctx).(tftypes.Object)
			if !ok || cresp.Diagnostics.HasError() {
				t.Fatalf("%T: schema type %v, configure %v", r, sch.Schema.Type(), cresp.Diagnostics)
			}
			values := map[string]tftypes.Value{}
			for name, at := range typ.AttributeTypes {
				values[name] = tftypes.NewValue(at, nil)
			}
			for _, a := range []string{"node", "target_node"} {
				if _, ok := values[a]; ok {
					values[a] = tftypes.NewValue(tftypes.String, "NODE2")
				}
			}
			if c.flag != "" {
				values[c.flag] = tftypes.NewValue(tftypes.Bool, set)
			}
			req := resource.ModifyPlanRequest{
				Plan:  tfsdk.Plan{Schema: sch.Schema, Raw: tftypes.NewValue(typ, nil)},
				State: tfsdk.State{Schema: sch.Schema, Raw: tftypes.NewValue(typ, values)},
			}
			resp := resource.ModifyPlanResponse{Plan: req.Plan}
			r.ModifyPlan(ctx, req, &resp)
			var got []string
			for _, w := range resp.Diagnostics.Warnings() {
				got = append(got, w.Summary())
			}
			want := c.flag != "" && set
			if resp.Diagnostics.HasError() || (want && (len(got) != 1 || got[0] != c.summary)) || (!want && len(got) != 0) {
				t.Errorf("%T, %s = %t: %v", r, c.flag, set, resp.Diagnostics)
			}
		}
	}
}
