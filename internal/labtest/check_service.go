package labtest

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-testing/statecheck"
)

// ExpectService checks a service's state and start type as the world holds
// them, in sc's words (RUNNING, STOPPED; auto, demand, disabled).
func (l *Lab) ExpectService(node, name, state, startType string) statecheck.StateCheck {
	return l.Check(fmt.Sprintf("%s on %s", name, node), func() error {
		s, st, err := l.Service(node, name)
		if err != nil {
			return err
		}
		if s != state || st != startType {
			return fmt.Errorf("%s on %s is %s/%s, want %s/%s", name, node, s, st, state, startType)
		}
		return nil
	})
}
