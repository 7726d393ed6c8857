package provider

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mscs-ops/terraform-provider-mscs/internal/nodeops"
)

// Two node attributes naming one node fail on the first one, whatever the
// case; a null or unknown one is checked later, when it is known.
func TestDistinctNodes(t *testing.T) {
	a := func(v types.String) planNode { return planNode{path.Root("working_node"), v} }
	b := planNode{path.Root("node"), types.StringValue("NODE2")}
	for _, c := range []struct {
		working types.String
		fails   bool
	}{
		{types.StringValue("node2"), true},
		{types.StringValue("NODE1"), false},
		{types.StringNull(), false},
		{types.StringUnknown(), false},
	} {
		diags := distinctNodes(a(c.working), b, "Working node is the rebuilt node", "why.")
		if diags.HasError() != c.fails {
			t.Fatalf("working_node %s: errors %v, want %v", c.working, diags, c.fails)
		}
		if c.fails {
			d := diags[0]
			if !strings.Contains(d.Detail(), `working_node and node are both "node2": why.`) {
				t.Errorf("detail %q", d.Detail())
			}
		}
	}
}

// A setting that does not fit the cluster fails on its attribute; any other
// error is the step's, and at plan time only logged.
func TestPhaseDiags(t *testing.T) {
	c := &cluster{}
	misfit := &nodeops.SpecError{Attr: "log_path", Detail: `Q:\MSDTCLog is not on a disk of group Web Group.`}
	diags := c.phaseDiags("The MSDTC phase does not fit the cluster", "Cannot read", "NODE2", misfit)
	if len(diags) != 1 || !strings.Contains(diags[0].Detail(), "Nothing was run on any node.") ||
		diags[0].Summary() != "The MSDTC phase does not fit the cluster" {
		t.Fatalf("misfit: %v", diags)
	}
	if d, ok := diags[0].(interface{ Path() path.Path }); !ok || !d.Path().Equal(path.Root("log_path")) {
		t.Errorf("misfit not on log_path: %v", diags[0])
	}
	other := errors.New("no answer")
	if diags := c.phaseDiags("misfit", "Cannot read", "NODE2", other); len(diags) != 1 || diags[0].Summary() != "Cannot read" {
		t.Errorf("other error: %v", diags)
	}
	var planDiags = c.phaseDiags("misfit", "", "", misfit)
	planReadFailed(context.Background(), &planDiags, "misfit", other)
	if len(planDiags) != 1 {
		t.Errorf("a read that failed at plan time added %v", planDiags[1:])
	}
}
