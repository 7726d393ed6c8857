package planmodifiers

import (
	"context"
	"testing"

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
