// Package planmodifiers holds the provider's plan modifiers.
package planmodifiers

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
)

// UseStateUnlessChanged keeps a computed attribute's prior value in the plan
// unless one of the attributes it depends on changes. The framework's
// UseStateForUnknown would keep it even then (a node's cluster state after its
// cluster service is stopped is not what it was), and no modifier at all would
// show it as "known after apply" on every unrelated change.
func UseStateUnlessChanged(dependsOn ...path.Path) planmodifier.String {
	return useStateUnlessChanged{dependsOn: dependsOn}
}

type useStateUnlessChanged struct{ dependsOn []path.Path }

func (useStateUnlessChanged) Description(context.Context) string {
	return "keeps the prior value unless an attribute it depends on changes"
}
func (m useStateUnlessChanged) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (m useStateUnlessChanged) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	// Nothing to keep on create or destroy, and a value the configuration sets
	// is not ours to replace.
	if req.StateValue.IsNull() || req.Plan.Raw.IsNull() || !req.PlanValue.IsUnknown() || req.ConfigValue.IsUnknown() {
		return
	}
	for _, p := range m.dependsOn {
		var planned, prior attr.Value
		if d := req.Plan.GetAttribute(ctx, p, &planned); d.HasError() {
			return
		}
		if d := req.State.GetAttribute(ctx, p, &prior); d.HasError() {
			return
		}
		if planned == nil || prior == nil || planned.IsUnknown() || !planned.Equal(prior) {
			return
		}
	}
	resp.PlanValue = req.StateValue
}
