package labtest

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-testing/statecheck"
)

// ExpectNoCommandsSince fails when any node ran a command after the log had
// *mark entries (for plan-time errors: nothing may reach a node).
func (l *Lab) ExpectNoCommandsSince(mark *int) statecheck.StateCheck {
	return l.Check("commands after a refused plan", l.NoCommandsSince(mark))
}

// NoCommandsSince is the assertion of ExpectNoCommandsSince.
func (l *Lab) NoCommandsSince(mark *int) func() error {
	return func() error {
		if l.Control == nil {
			return nil
		}
		cmds, err := l.CommandsSince(*mark)
		if err != nil {
			return err
		}
		if len(cmds) > 0 {
			return fmt.Errorf("%d command(s) reached a node, first on %s: %s %s", len(cmds), cmds[0].Node, cmds[0].Program, cmds[0].Args)
		}
		return nil
	}
}

// ExpectOnlyQueriesSince fails when a node ran anything but a read-only
// command (IsReadOnly) after the log had *mark entries.
func (l *Lab) ExpectOnlyQueriesSince(what string, mark *int) statecheck.StateCheck {
	return l.Check(what, l.OnlyQueriesSince(mark))
}

// OnlyQueriesSince is the assertion of ExpectOnlyQueriesSince.
func (l *Lab) OnlyQueriesSince(mark *int) func() error {
	return func() error {
		if l.Control == nil {
			return nil
		}
		cmds, err := l.CommandsSince(*mark)
		if err != nil {
			return err
		}
		for _, c := range cmds {
			if !IsReadOnly(c) {
				return fmt.Errorf("%s ran %s %s", c.Node, c.Program, c.Args)
			}
		}
		return nil
	}
}
