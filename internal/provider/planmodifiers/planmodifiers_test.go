package planmodifiers

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func TestUseStateUnlessChanged(t *testing.T) {
	ctx := context.Background()
	sch := schema.Schema{Attributes: map[string]schema.Attribute{
		"state":              schema.StringAttribute{Required: true},
		"cluster_node_state": schema.StringAttribute{Computed: true},
	}}
	typ := sch.Type().TerraformType(ctx)
	obj := func(state string, computed any) tftypes.Value {
		return tftypes.NewValue(typ, map[string]tftypes.Value{
			"state":              tftypes.NewValue(tftypes.String, state),
			"cluster_node_state": tftypes.NewValue(tftypes.String, computed),
		})
	}
	m := UseStateUnlessChanged(path.Root("state"))
	cases := []struct {
		name         string
		prior, state string
		stateNull    bool
		want         types.String
	}{
		{"unchanged keeps the prior value", "running", "running", false, types.StringValue("Up")},
		{"changed leaves it unknown", "stopped", "running", false, types.StringUnknown()},
		{"create leaves it unknown", "", "running", true, types.StringUnknown()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := planmodifier.StringRequest{
				Path:        path.Root("cluster_node_state"),
				Plan:        tfsdk.Plan{Schema: sch, Raw: obj(tc.state, tftypes.UnknownValue)},
				PlanValue:   types.StringUnknown(),
				ConfigValue: types.StringNull(),
				State:       tfsdk.State{Schema: sch, Raw: obj(tc.prior, "Up")},
				StateValue:  types.StringValue("Up"),
			}
			if tc.stateNull {
				req.State.Raw = tftypes.NewValue(typ, nil)
				req.StateValue = types.StringNull()
			}
			resp := planmodifier.StringResponse{PlanValue: req.PlanValue}
			m.PlanModifyString(ctx, req, &resp)
			if !resp.PlanValue.Equal(tc.want) {
				t.Fatalf("plan value = %s, want %s", resp.PlanValue, tc.want)
			}
		})
	}
}

func TestDefaultSetFrom(t *testing.T) {
	ctx := context.Background()
	sch := schema.Schema{Attributes: map[string]schema.Attribute{
		"method":     schema.StringAttribute{Required: true},
		"components": schema.SetAttribute{ElementType: types.StringType, Optional: true, Computed: true},
	}}
	typ := sch.Type().TerraformType(ctx)
	plan := func(method any) tfsdk.Plan {
		return tfsdk.Plan{Schema: sch, Raw: tftypes.NewValue(typ, map[string]tftypes.Value{
			"method":     tftypes.NewValue(tftypes.String, method),
			"components": tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, tftypes.UnknownValue),
		})}
	}
	derive := func(method string) ([]string, bool) {
		if method == "minimal" {
			return []string{"iis_common", "iis_www"}, true
		}
		return nil, false
	}
	m := DefaultSetFrom(path.Root("method"), derive, "test")
	minimal := types.SetValueMust(types.StringType, []attr.Value{types.StringValue("iis_common"), types.StringValue("iis_www")})
	declared := types.SetValueMust(types.StringType, []attr.Value{types.StringValue("iis_ftp")})
	cases := []struct {
		name   string
		method any
		config types.Set
		want   types.Set
	}{
		{"unset takes the method's set", "minimal", types.SetNull(types.StringType), minimal},
		{"a declared set is kept", "minimal", declared, declared},
		{"no fixed set stays unknown", "custom", types.SetNull(types.StringType), types.SetUnknown(types.StringType)},
		{"unknown method stays unknown", tftypes.UnknownValue, types.SetNull(types.StringType), types.SetUnknown(types.StringType)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			planned := tc.config
			if planned.IsNull() {
				planned = types.SetUnknown(types.StringType)
			}
			req := planmodifier.SetRequest{Path: path.Root("components"), Plan: plan(tc.method), ConfigValue: tc.config, PlanValue: planned}
			resp := planmodifier.SetResponse{PlanValue: planned}
			m.PlanModifySet(ctx, req, &resp)
			if resp.Diagnostics.HasError() {
				t.Fatal(resp.Diagnostics)
			}
			if !resp.PlanValue.Equal(tc.want) {
				t.Errorf("planned %v, want %v", resp.PlanValue, tc.want)
			}
		})
	}
}
