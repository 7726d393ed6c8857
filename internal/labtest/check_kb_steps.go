package labtest

import (
	"fmt"
	"reflect"

	"github.com/hashicorp/terraform-plugin-testing/statecheck"
)

// ExpectKBSteps checks the KB's steps run on node since the log had *from
// entries (see KBSteps) against want, in order.
func (l *Lab) ExpectKBSteps(node string, from *int, want ...string) statecheck.StateCheck {
	return l.Check("the KB's order on "+node, func() error { return l.CheckKBSteps(node, *from, want...) })
}

// CheckKBSteps is the assertion of ExpectKBSteps.
func (l *Lab) CheckKBSteps(node string, from int, want ...string) error {
	cmds, err := l.CommandsSince(from)
	if err != nil {
		return err
	}
	if got := KBSteps(OnNode(cmds, node)); !reflect.DeepEqual(got, want) && (len(got) > 0 || len(want) > 0) {
		return fmt.Errorf("steps on %s: %v\nwant %v", node, got, want)
	}
	return nil
}
