package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// validateTimeouts checks the timeouts block at plan time, naming the
// attribute: the timeouts library parses its values only when an operation
// starts, and its error names no attribute.
func validateTimeouts(ctx context.Context, config tfsdk.Config) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, op := range []string{"create", "read", "update", "delete"} {
		p := path.Root("timeouts").AtName(op)
		var v types.String
		if d := config.GetAttribute(ctx, p, &v); d.HasError() || v.IsNull() || v.IsUnknown() {
			continue // no such operation in this resource's block, or not set
		}
		if d, err := time.ParseDuration(v.ValueString()); err != nil || d <= 0 {
			diags.AddAttributeError(p, "Invalid timeout",
				fmt.Sprintf("%s = %q is not a positive duration such as \"30m\" or \"1h30m\".", p, v.ValueString()))
		}
	}
	return diags
}
