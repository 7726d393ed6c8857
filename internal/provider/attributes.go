package provider

import (
	"context"

	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mscs-ops/terraform-provider-mscs/internal/provider/validators"
)

// The attribute builders of the phase resources' schemas: the attributes
// every phase has (node, working_node, steps, allow_cluster_outage), and the
// few kinds the phases' own attributes come in. A resource adjusts what a
// builder returns (a plan modifier more, Computed) where it differs.

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
	"step whose end the node is already at when apply gets there is skipped. Unknown in a plan whose `triggers` are " +
	"not known yet: an earlier phase of the same apply runs first, and the apply lists the steps when it plans this " +
	"phase again, after that one. After apply: the steps as the plan listed them (a step worded \"if ..., then: " +
	"...\" runs only if its condition holds at apply); `ran_steps` says which ran. Imported: empty."

// ranStepsDescription describes ran_steps alike in every resource.
const ranStepsDescription = "The steps the last apply ran, in the plan's words: `steps` without each conditional " +
	"step (\"if ..., then: ...\") whose condition did not hold, and with the condition dropped from each that ran " +
	"(for `mscs_msdtc_clustered`, the reinstall only when MSDTC did not come online in the KB's test; for " +
	"`mscs_optionpack_install`, the Remove All of an install an interrupted run may have removed only when it was " +
	"still there; for `mscs_cluster_node_service`, the startup type's and the state's steps only where they " +
	"changed). Known after apply; empty when the apply adopted what the node had (an Option Pack already as the " +
	"working node has it, a service already as declared), and when imported."

// triggersDescription describes triggers alike in every phase: the input
// that ties a phase to the phases before it in the same apply.
const triggersDescription = "Values that tie this phase to the phases before it, e.g. their ids " +
	"(`{ install = mscs_optionpack_install.rebuilt.id }`). A change runs the phase again (a replacement; setting them " +
	"on an imported resource only records them). While one of them is unknown in the plan, an earlier phase of the " +
	"same apply runs first and changes what this one depends on (node Up, the cluster service running, IIS " +
	"installed, MSDTC clustered): the plan does not judge the nodes as they are now but warns that it leaves those " +
	"checks, and `steps`, to the apply, which plans the phase again once the earlier phases are done and checks " +
	"then, before the phase's first change. With every value known (or none set) the plan refuses what the nodes " +
	"show now."

// allowOutageDescription describes allow_cluster_outage alike in every
// resource that may stop a node's cluster service.
const allowOutageDescription = "Accept that stopping this node's cluster service takes the cluster's groups " +
	"offline when no other node is Up to take them. Default `false`: such a plan is refused at plan time (where " +
	"the cluster can be read), and apply checks again right before the stop."

// stepsAttribute is the computed `steps` of every phase resource: what
// apply runs, as the plan lists it.
func stepsAttribute() schema.ListAttribute { return keptStringList(stepsDescription) }

// ranStepsAttribute is the computed `ran_steps` of every phase resource:
// what the last apply ran. Unknown in every plan that changes the resource
// (no plan modifier): the run decides it.
func ranStepsAttribute() schema.ListAttribute {
	return schema.ListAttribute{MarkdownDescription: ranStepsDescription, Computed: true, ElementType: types.StringType}
}

// triggersAttribute is the `triggers` of every phase resource: a change
// replaces the resource, so the phase runs again, except on one imported
// (no triggers yet), where setting them is an in-place update that runs
// nothing.
func triggersAttribute() schema.MapAttribute {
	return schema.MapAttribute{
		MarkdownDescription: triggersDescription,
		Optional:            true,
		ElementType:         types.StringType,
		PlanModifiers: []planmodifier.Map{mapplanmodifier.RequiresReplaceIf(
			func(_ context.Context, req planmodifier.MapRequest, resp *mapplanmodifier.RequiresReplaceIfFuncResponse) {
				resp.RequiresReplace = !req.StateValue.IsNull()
			}, "A change of triggers runs the phase again.", "A change of triggers runs the phase again.")},
	}
}

// allowOutageAttribute is `allow_cluster_outage` of a phase resource that
// may stop a node's cluster service; more says what it means there.
func allowOutageAttribute(more string) schema.BoolAttribute {
	return optionalFlag(allowOutageDescription + " " + more)
}

// The kept attributes are computed values that only an apply or a read
// changes: the plan keeps the state's value (UseStateForUnknown), unless
// ModifyPlan sets one it knows better. An `id` is one.

func keptString(desc string) schema.StringAttribute {
	return schema.StringAttribute{MarkdownDescription: desc, Computed: true,
		PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}}
}

func keptBool(desc string) schema.BoolAttribute {
	return schema.BoolAttribute{MarkdownDescription: desc, Computed: true,
		PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()}}
}

func keptInt64(desc string) schema.Int64Attribute {
	return schema.Int64Attribute{MarkdownDescription: desc, Computed: true,
		PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()}}
}

func keptStringList(desc string) schema.ListAttribute {
	return schema.ListAttribute{MarkdownDescription: desc, Computed: true, ElementType: types.StringType,
		PlanModifiers: []planmodifier.List{listplanmodifier.UseStateForUnknown()}}
}

func keptStringSet(desc string) schema.SetAttribute {
	return schema.SetAttribute{MarkdownDescription: desc, Computed: true, ElementType: types.StringType,
		PlanModifiers: []planmodifier.Set{setplanmodifier.UseStateForUnknown()}}
}

// optionalKeptString is a setting whose default is read from the cluster
// (by ModifyPlan, or by apply when the plan could not): unset, the plan
// keeps the value read before.
func optionalKeptString(desc string, v ...validator.String) schema.StringAttribute {
	a := keptString(desc)
	a.Optional, a.Validators = true, v
	return a
}

// readStringList is a computed list that every read and apply reads anew:
// its plan is unknown unless ModifyPlan sets it, so a difference shows.
func readStringList(desc string) schema.ListAttribute {
	return schema.ListAttribute{MarkdownDescription: desc, Computed: true, ElementType: types.StringType}
}

// optionalFlag is a setting that is false when not set: every opt-in of
// the provider (a wider outage, a reinstall, a revoke) is off by default.
func optionalFlag(desc string) schema.BoolAttribute {
	return schema.BoolAttribute{MarkdownDescription: desc, Optional: true, Computed: true,
		Default: booldefault.StaticBool(false)}
}

// optionalString is a string setting checked by v: def when not set, or
// null when def is "" (no default).
func optionalString(desc, def string, v ...validator.String) schema.StringAttribute {
	a := schema.StringAttribute{MarkdownDescription: desc, Optional: true, Validators: v}
	if def != "" {
		a.Computed, a.Default = true, stringdefault.StaticString(def)
	}
	return a
}

// computedString is a data source's read-only string attribute.
func computedString(desc string) dsschema.StringAttribute {
	return dsschema.StringAttribute{MarkdownDescription: desc, Computed: true}
}
