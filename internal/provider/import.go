package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
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
		if (p.attr == "node" || strings.HasSuffix(p.attr, "_node")) && !c.Has(p.value) {
			diags.Append(c.unknownNode(path.Root(p.attr), p.value))
		}
	}
	return diags
}

// importID splits an import ID into the attributes it carries, joined by
// "/" in attrs' order (format and example show one), and checks each part
// as a plan checks the configuration (validateImport): an ID the
// configuration could not hold never reaches a node.
func importID(ctx context.Context, r resource.Resource, c *cluster, id, format, example string, attrs ...string) ([]string, diag.Diagnostics) {
	parts := strings.Split(id, "/")
	for _, p := range parts {
		if p == "" || len(parts) != len(attrs) {
			return nil, diag.Diagnostics{diag.NewErrorDiagnostic("Invalid import ID",
				fmt.Sprintf("Expected %s, e.g. %s; got %q.", format, example, id))}
		}
	}
	named := make([]importPart, len(attrs))
	for i, a := range attrs {
		named[i] = importPart{a, parts[i]}
	}
	return parts, validateImport(ctx, r, c, id, named...)
}

// setImported puts the import ID and its parts into the state.
func setImported(ctx context.Context, state *tfsdk.State, id string, attrs, parts []string) diag.Diagnostics {
	diags := state.SetAttribute(ctx, path.Root("id"), id)
	for i, a := range attrs {
		diags.Append(state.SetAttribute(ctx, path.Root(a), parts[i])...)
	}
	return diags
}
