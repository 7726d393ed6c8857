package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// operation is one of the operations a timeouts block bounds, named as
// the block's attributes are.
type operation string

const (
	opCreate operation = "create"
	opRead   operation = "read"
	opUpdate operation = "update"
	opDelete operation = "delete"
)

// validateTimeouts checks the timeouts block at plan time, naming the
// attribute: the timeouts library parses its values only when an operation
// starts, and its error names no attribute.
func validateTimeouts(ctx context.Context, config tfsdk.Config) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, op := range []operation{opCreate, opRead, opUpdate, opDelete} {
		p := path.Root("timeouts").AtName(string(op))
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

// phaseTimeouts are a phase's default timeouts, the one place each is set:
// the timeouts block's descriptions state them, and begin and planStart use
// them where the block leaves one unset. The block has create and read;
// update when update runs the phase again (under apply's default); delete
// when destroy runs something on a node (delete > 0).
type phaseTimeouts struct {
	apply, read, delete time.Duration
	update              bool
	// What each bounds, for the block's descriptions ("The whole sync").
	applyWhat, readWhat, deleteWhat string
}

// bound is the timeouts block v's value for op, the phase's default where
// v leaves it unset; none (0) for an operation the block lacks (update when
// update does not run the phase again).
func (t phaseTimeouts) bound(ctx context.Context, v timeouts.Value, op operation) (time.Duration, diag.Diagnostics) {
	switch op {
	case opCreate:
		return v.Create(ctx, t.apply)
	case opUpdate:
		if t.update {
			return v.Update(ctx, t.apply)
		}
	case opRead:
		return v.Read(ctx, t.read)
	case opDelete:
		return v.Delete(ctx, t.delete)
	}
	return 0, nil
}

// attribute is the phase's timeouts block.
func (t phaseTimeouts) attribute(ctx context.Context) schema.Attribute {
	return timeouts.Attributes(ctx, timeouts.Opts{
		Create: true, Read: true, Update: t.update, Delete: t.delete > 0,
		CreateDescription: timeoutDescription(t.applyWhat, t.apply),
		UpdateDescription: timeoutDescription(t.applyWhat+", when an update runs it again", t.apply),
		ReadDescription:   timeoutDescription(t.readWhat+", at refresh and for the plan's read-only checks", t.read),
		DeleteDescription: timeoutDescription(t.deleteWhat, t.delete),
	})
}

// timeoutDescription is what a timeout bounds and its default, in the
// block's duration syntax, e.g. "The whole sync (default `20m`).".
func timeoutDescription(what string, d time.Duration) string {
	s := d.String() // "1h30m0s": the zero units after the last one go
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return fmt.Sprintf("%s (default `%s`).", what, s)
}
