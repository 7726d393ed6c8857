package nodeops

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// The checks a phase makes, read-only, before its first change: at plan
// time where the plan can see the nodes as apply will find them, and
// again at apply (DESIGN.md, "A phase cannot see the other resources of
// the plan").

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

// checkNodesUp is the failover test's first check: every configured node
// is Up in the cluster (states by upper-case name), since the test moves
// groups between them.
func (c *Cluster) checkNodesUp(states map[string]string, why string) error {
	for _, n := range c.Nodes {
		if st := states[strings.ToUpper(n.R.Node())]; !strings.EqualFold(st, "Up") {
			return &StepError{Node: n.R.Node(), Step: "check that both nodes are Up", Meaning: fmt.Sprintf(
				"%s is %s in the cluster: %s; nothing was moved", n.R.Node(), cmp.Or(st, "not a member"), why)}
		}
	}
	return nil
}

// CheckFailoverHosts checks, read-only, what the failover test needs of
// the nodes before anything changes: every node Up in the cluster, and the
// rebuilt node able to run the groups: the Option Pack installed as the
// node serving them has it (install method, components, service pack
// level; safety rule 3), no install unfinished or waiting for a reboot, and
// its IIS services (IIS Admin, and the web and FTP services its components
// include) not dead. A node that lacks any of it is a *StepError naming the
// node and what it lacks: the moves would take the groups' resources to a
// node where they fail.
func (c *Cluster) CheckFailoverHosts(ctx context.Context, spec FailoverSpec, f FailoverFacts) error {
	if err := c.checkNodesUp(f.NodeStates, "the failover test moves groups between the nodes"); err != nil {
		return err
	}
	rebuilt := c.Node(spec.Node)
	if rebuilt == nil {
		return fmt.Errorf("%s is not a configured node", spec.Node)
	}
	// The template is the node serving the groups now: their owners other
	// than the rebuilt node (the other nodes when the groups are all there).
	var templates []*Node
	seen := map[string]bool{strings.ToUpper(spec.Node): true}
	add := func(n *Node) {
		if n != nil && !seen[strings.ToUpper(n.R.Node())] {
			seen[strings.ToUpper(n.R.Node())] = true
			templates = append(templates, n)
		}
	}
	for _, g := range f.Groups {
		add(c.Node(g.Owner))
	}
	if len(templates) == 0 {
		for _, n := range c.Nodes {
			add(n)
		}
	}
	info, err := rebuilt.Info(ctx)
	if err != nil {
		return err
	}
	journal, err := rebuilt.OptionPackJournal(ctx)
	if err != nil {
		return err
	}
	var lacks []string
	for _, t := range templates {
		want, err := t.Info(ctx)
		if err != nil {
			return err
		}
		lacks = append(lacks, hostLacks(spec.Node, info, t.R.Node(), want)...)
	}
	switch {
	case journal.Unfinished:
		lacks = append(lacks, fmt.Sprintf("an Option Pack install or removal on %s did not finish (its journal stops after step %q)", spec.Node, journal.Step))
	case info.OptionPack.Installed && info.OptionPack.PendingReboot:
		lacks = append(lacks, "a change of setup or a service pack on "+spec.Node+" waits for a reboot")
	}
	for _, p := range IISProblems(info.OptionPack, info.Services) {
		lacks = append(lacks, "on "+spec.Node+" "+p)
	}
	if len(lacks) == 0 {
		return nil
	}
	return &StepError{Node: spec.Node, Step: "check that " + spec.Node + " can run the groups", Meaning: fmt.Sprintf(
		"%s; the groups' IIS resources would fail there: reinstall the Option Pack on %s as the working node has "+
			"it (mscs_optionpack_install) before the failover test; nothing was moved", strings.Join(uniq(lacks), "; "), spec.Node)}
}

// hostLacks is what node's installation lacks against the template's.
func hostLacks(node string, have NodeInfo, template string, want NodeInfo) []string {
	if !want.OptionPack.Installed {
		return nil // nothing to copy: the template's own IIS is not the test's concern here
	}
	wanted := fmt.Sprintf("%s has it (%s: %s)", template, want.OptionPack.Method, strings.Join(want.OptionPack.Components, ", "))
	if !have.OptionPack.Installed {
		return []string{fmt.Sprintf("%s has no Option Pack, as %s", node, wanted)}
	}
	var lacks []string
	if !SameComponents(have.OptionPack.Components, want.OptionPack.Components) {
		lacks = append(lacks, fmt.Sprintf("%s's Option Pack components differ from %s's (%s)", node, template,
			ComponentDiff(have.OptionPack.Components, want.OptionPack.Components)))
	}
	if have.ServicePack != want.ServicePack {
		lacks = append(lacks, fmt.Sprintf("%s runs service pack %q, %s %q", node, have.ServicePack, template, want.ServicePack))
	}
	return lacks
}

func uniq(v []string) []string {
	var out []string
	for _, s := range v {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
