package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// importPart is one attribute an import ID carries, in the ID's order.
type importPart struct {
	attr, value string
}

// validateImport checks each part of an import ID with the validators its
// attribute has in r's schema, exactly as a plan checks the configuration,
// and that the node part names a configured node: an ID the configuration
// could not hold never reaches a node. Diagnostics come in the ID's order.
func validateImport(ctx context.Context, r resource.Resource, c *cluster, id string, parts ...importPart) diag.Diagnostics {
	var diags diag.Diagnostics
	var sr resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sr)
	for _, p := range parts {
		attr, ok := sr.Schema.Attributes[p.attr].(schema.StringAttribute)
		if !ok {
			continue
		}
		for _, v := range attr.Validators {
			var vr validator.StringResponse
			v.ValidateString(ctx, validator.StringRequest{Path: path.Root(p.attr), ConfigValue: types.StringValue(p.value)}, &vr)
			for _, d := range vr.Diagnostics {
				diags.AddAttributeError(path.Root(p.attr), "Invalid import ID",
					fmt.Sprintf("Import ID %q, %s: %s", id, p.attr, d.Detail()))
			}
		}
	}
	if diags.HasError() || c == nil {
		return diags
	}
	for _, p := range parts {
		if p.attr == "node" && !c.Has(p.value) {
			diags.AddAttributeError(path.Root("node"), "Unknown node", c.unknownNode(p.value))
		}
	}
	return diags
}
