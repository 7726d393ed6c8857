package labtest

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-testing/statecheck"
)

// Check adapts an assertion on the lab's world to a state check, so it runs
// with a step's other ConfigStateChecks. Without a control API (a real lab
// that has none) there is no world to look at and the check passes.
func (l *Lab) Check(what string, f func() error) statecheck.StateCheck {
	return labCheck{lab: l, what: what, f: f}
}

type labCheck struct {
	lab  *Lab
	what string
	f    func() error
}

func (c labCheck) CheckState(_ context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	if c.lab.Control == nil {
		return
	}
	if err := c.f(); err != nil {
		resp.Error = fmt.Errorf("lab: %s: %w", c.what, err)
	}
}

// ReadsState says whether c looks at Terraform's state: every check but
// the lab's own (Check's) does. A test that runs terraform itself fetches
// the state (`terraform show`) only for a check that reads it.
func ReadsState(c statecheck.StateCheck) bool {
	_, lab := c.(labCheck)
	return !lab
}
