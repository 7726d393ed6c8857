package nodeops

import (
	"fmt"
)

// SpecError is a setting that does not fit the cluster: the plan fails on
// Attr, and nothing is run.
type SpecError struct {
	Attr, Detail string
}

func (e *SpecError) Error() string { return e.Attr + ": " + e.Detail }

func (n *Node) parseError(step, line, out string, err error) error {
	return fmt.Errorf("%s: %s: cannot read the output of `%s`: %w (output: %s)", n.R.Node(), step, line, err, firstLines(out, 4))
}
