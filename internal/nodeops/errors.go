package nodeops

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// SpecError is a setting that does not fit the cluster: the plan fails on
// Attr, and nothing is run.
type SpecError struct {
	Attr, Detail string
}

func (e *SpecError) Error() string { return e.Attr + ": " + e.Detail }

// The sentinel errors that more than one file, or the provider, tells
// apart (errors.Is; a StepError's Err).
var (
	// ErrServiceNotFound is sc's 1060: no service of that name is installed.
	ErrServiceNotFound = errors.New("the specified service does not exist as an installed service")
	// ErrMediaMissing is installation media (Option Pack setup, a service
	// pack, dtcsetup) whose path names no file on the node.
	ErrMediaMissing = errors.New("installation media missing on the node")
	// ErrNotUp is a node that answered cluster.exe but is not Up in the
	// cluster itself (joining, paused): Cluster.Read asks the next one.
	ErrNotUp = errors.New("answered, but is not Up in the cluster")
	// errRegNotFound is reg's "unable to find the specified registry key or
	// value".
	errRegNotFound = errors.New("the registry key or value does not exist")
)

// Unreachable reports the node a read could not reach at all: nothing
// answered at its endpoint (a node powered off, its WinRM service down).
// Other failures (a refused login, a fault) are not "unreachable".
func Unreachable(err error) (string, bool) {
	var te *winrm.Error
	if errors.As(err, &te) && te.Kind == winrm.KindUnreachable {
		return te.Node, true
	}
	return "", false
}

func (n *Node) parseError(step, line, out string, err error) error {
	return fmt.Errorf("%s: %s: cannot read the output of `%s`: %w (output: %s)", n.R.Node(), step, line, err, firstLines(out, 4))
}

// The failure lines of the tools whose output more than one file reads
// (partExit for a batch's parts, isAnswer for what the ReadCache keeps, sc's
// and reg's own parsers), each a whole line so that a listed name or value
// cannot pass for one. cmd's and net's are in node.go, beside run and
// stepError, which read them.
var (
	// cluster.exe and net: "System error 1722 has occurred (0x000006ba)."
	// (NT 4.0's net leaves out the hexadecimal).
	systemErrorLineRe = regexp.MustCompile(`(?m)^System error (\d+) has occurred( \(0x[0-9A-Fa-f]+\))?\.\r?$`)
	// sc: "[SC] OpenService FAILED 1060:", or the NT 4.0 Resource Kit's
	// "[SC]EnumQueryServicesStatus:OpenService failed 1060" (issue 25: no
	// blank, lower case, no colon).
	scFailedRe = regexp.MustCompile(`(?im)^\s*\[SC\] ?\S+ FAILED (\d+):?\s*$`)
	// reg: "ERROR: The system was unable to find the specified registry key or value."
	regErrorLineRe = regexp.MustCompile(`(?mi)^\s*ERROR:`)
)
