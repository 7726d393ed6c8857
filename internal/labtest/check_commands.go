package labtest

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
)

// ExpectNoCommandsSince fails when any node ran a command after the log had
// *mark entries (for plan-time errors: nothing may reach a node).
func (l *Lab) ExpectNoCommandsSince(mark *int) statecheck.StateCheck {
	return l.Check("commands after a refused plan", l.NoCommandsSince(mark))
}

// NoCommandsSince is the assertion of ExpectNoCommandsSince.
func (l *Lab) NoCommandsSince(mark *int) func() error {
	return l.commandsSince(mark, nil)
}

// ExpectOnlyQueriesSince fails when a node ran anything but a read-only
// command (IsReadOnly) after the log had *mark entries.
func (l *Lab) ExpectOnlyQueriesSince(what string, mark *int) statecheck.StateCheck {
	return l.Check(what, l.OnlyQueriesSince(mark))
}

// OnlyQueriesSince is the assertion of ExpectOnlyQueriesSince.
func (l *Lab) OnlyQueriesSince(mark *int) func() error {
	return l.commandsSince(mark, IsReadOnly)
}

// commandsSince fails on the first command after the log had *mark entries
// that allowed does not accept (nil: none is).
func (l *Lab) commandsSince(mark *int, allowed func(world.CommandRecord) bool) func() error {
	return func() error {
		if l.Control == nil {
			return nil
		}
		cmds, err := l.CommandsSince(*mark)
		if err != nil {
			return err
		}
		for _, c := range cmds {
			switch {
			case allowed == nil:
				return fmt.Errorf("%d command(s) reached a node, first on %s: %s %s", len(cmds), c.Node, c.Program, c.Args)
			case !allowed(c):
				return fmt.Errorf("%s ran %s %s", c.Node, c.Program, c.Args)
			}
		}
		return nil
	}
}
