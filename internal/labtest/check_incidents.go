package labtest

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-testing/statecheck"
)

// ExpectNoIncidents fails when the lab recorded any safety-rule violation.
func (l *Lab) ExpectNoIncidents() statecheck.StateCheck {
	return l.Check("incidents", l.NoIncidents)
}

// NoIncidents is the assertion of ExpectNoIncidents, for tests that are no
// acceptance test steps.
func (l *Lab) NoIncidents() error {
	if l.Control == nil {
		return nil
	}
	inc, err := l.Control.Incidents()
	if err != nil {
		return err
	}
	if len(inc) > 0 {
		return fmt.Errorf("%d incident(s), first: node %s rule %d: %s (%s)", len(inc), inc[0].Node, inc[0].Rule, inc[0].What, inc[0].Damage)
	}
	return nil
}
