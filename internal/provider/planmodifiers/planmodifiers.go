// Package planmodifiers holds the provider's plan modifiers.
package planmodifiers

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
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

// DefaultSetFrom plans a set attribute the configuration leaves out as
// derive(value of source), e.g. the components an Option Pack install method
// selects. It replaces a Default, which cannot depend on another attribute,
// and it keeps such an attribute from being "known after apply" (which would
// read as a change) whenever the source is known. derive returns ok=false
// when the source has no fixed set; the value then stays as planned.
func DefaultSetFrom(source path.Path, derive func(string) ([]string, bool), description string) planmodifier.Set {
	return defaultSetFrom{source: source, derive: derive, description: description}
}

type defaultSetFrom struct {
	source      path.Path
	derive      func(string) ([]string, bool)
	description string
}

func (m defaultSetFrom) Description(context.Context) string             { return m.description }
func (m defaultSetFrom) MarkdownDescription(ctx context.Context) string { return m.description }

func (m defaultSetFrom) PlanModifySet(ctx context.Context, req planmodifier.SetRequest, resp *planmodifier.SetResponse) {
	if req.Plan.Raw.IsNull() || !req.ConfigValue.IsNull() {
		return
	}
	var src types.String
	if d := req.Plan.GetAttribute(ctx, m.source, &src); d.HasError() || src.IsNull() || src.IsUnknown() {
		return
	}
	values, ok := m.derive(src.ValueString())
	if !ok {
		return
	}
	set, d := types.SetValueFrom(ctx, types.StringType, values)
	resp.Diagnostics.Append(d...)
	if !d.HasError() {
		resp.PlanValue = set
	}
}
