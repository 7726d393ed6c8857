package provider

import (
	"context"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Conversions between Terraform's list and set values and Go's string
// slices, shared by every resource.

// stringList is a known list of strings (empty for nil).
func stringList(values []string) types.List {
	elems := make([]attr.Value, len(values))
	for i, v := range values {
		elems[i] = types.StringValue(v)
	}
	return types.ListValueMust(types.StringType, elems)
}

// listStrings reads a known list of strings.
func listStrings(ctx context.Context, l types.List) ([]string, bool) {
	if l.IsNull() || l.IsUnknown() {
		return nil, false
	}
	var out []string
	return out, !l.ElementsAs(ctx, &out, false).HasError()
}

// setStrings reads a known set of strings, sorted; known is false for an
// unknown set (or one with unknown elements).
func setStrings(ctx context.Context, s types.Set) (values []string, known bool) {
	if s.IsUnknown() {
		return nil, false
	}
	if s.IsNull() {
		return nil, true
	}
	for _, e := range s.Elements() {
		if e.IsUnknown() {
			return nil, false
		}
	}
	if d := s.ElementsAs(ctx, &values, false); d.HasError() {
		return nil, false
	}
	sort.Strings(values)
	return values, true
}

// backticked lists values for a description, each in backticks: "`a`, `b`".
func backticked(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "`" + v + "`"
	}
	return strings.Join(quoted, ", ")
}
