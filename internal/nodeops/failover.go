package nodeops

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The KB's end: move all IIS server instances to the rebuilt node, test
// every web site, move them to whichever node should be primary, and turn
// "Affect the group" back on so that a failure fails the groups over again.

// FailoverSpec is mscs_failover_test's configuration.
type FailoverSpec struct {
	Node string // the rebuilt node
	// Groups are the groups to test; none: every group holding an IIS
	// Server Instance or MSDTC resource.
	Groups []string
	// FinalOwner is where each group ends; a group without one ends on its
	// first preferred owner.
	FinalOwner map[string]string
	// RestoreAffect true sets RestartAction 2 ("Affect the group" on, the
	// KB's last step) at the end; false puts back each resource's value.
	RestoreAffect bool
	// Check runs while every group is on Node (the HTTP checks); an error
	// fails the test.
	Check func(ctx context.Context) error
	// MoveTimeout bounds the wait for a moved group's resources; 0: 3 min.
	MoveTimeout time.Duration
}

// FailoverGroup is one group the test moves.
type FailoverGroup struct {
	Name, Owner, State string
	Preferred          []string
	// Moved are its IIS Server Instance and MSDTC resources, whose
	// RestartAction the test turns off while moving.
	Moved          []string
	RestartActions map[string]int
	Final          string // where it ends
}

// FailoverFacts are what the test reads, read-only, before anything.
type FailoverFacts struct {
	Groups     []FailoverGroup
	NodeStates map[string]string
}

// ReadFailoverFacts reads the groups of the test and checks, read-only,
// what it needs: the groups exist (a *SpecError on "groups" otherwise), the
// final owners are cluster nodes, both nodes are Up, nothing is Failed.
func (c *Cluster) ReadFailoverFacts(ctx context.Context, spec FailoverSpec) (FailoverFacts, error) {
	f := FailoverFacts{NodeStates: map[string]string{}}
	v, err := c.Read(ctx, "")
	if err != nil {
		return f, err
	}
	for _, n := range v.Nodes {
		f.NodeStates[strings.ToUpper(n.Name)] = n.State
	}
	moved := map[string][]string{}
	for _, r := range v.Resources {
		if r.Type == iisResourceType || r.Type == dtcResourceType {
			moved[strings.ToLower(r.Group)] = append(moved[strings.ToLower(r.Group)], r.Name)
		}
	}
	want := spec.Groups
	if len(want) == 0 {
		for _, g := range v.Groups {
			if len(moved[strings.ToLower(g.Name)]) > 0 {
				want = append(want, g.Name)
			}
		}
	}
	for _, name := range want {
		var g *ClusterGroup
		for i := range v.Groups {
			if strings.EqualFold(v.Groups[i].Name, name) {
				g = &v.Groups[i]
			}
		}
		if g == nil {
			return f, &SpecError{"groups", fmt.Sprintf("the cluster has no group %q (it has %s).", name, groupNames(v.Groups))}
		}
		fg := FailoverGroup{Name: g.Name, Owner: g.OwnerNode, State: g.State, Preferred: g.PreferredOwners,
			Moved: moved[strings.ToLower(g.Name)], RestartActions: map[string]int{}}
		for _, r := range v.Resources {
			if strings.EqualFold(r.Group, g.Name) && containsString(fg.Moved, r.Name) {
				fg.RestartActions[r.Name] = r.RestartAction
			}
			if strings.EqualFold(r.Group, g.Name) && strings.EqualFold(r.State, "Failed") {
				return f, &StepError{Node: spec.Node, Step: "check the groups", Meaning: fmt.Sprintf(
					"resource %s of group %s is Failed: bring it online before the failover test; nothing was moved", r.Name, g.Name)}
			}
		}
		fg.Final = spec.FinalOwner[g.Name]
		if fg.Final == "" && len(fg.Preferred) > 0 {
			fg.Final = fg.Preferred[0]
		}
		if fg.Final == "" {
			fg.Final = g.OwnerNode
		}
		if _, ok := f.NodeStates[strings.ToUpper(fg.Final)]; !ok {
			return f, &SpecError{"final_owner", fmt.Sprintf("%q (for group %s) is not a node of the cluster.", fg.Final, g.Name)}
		}
		f.Groups = append(f.Groups, fg)
	}
	if len(f.Groups) == 0 {
		return f, &SpecError{"groups", "no group holds an IIS Server Instance or MSDTC resource: name the groups to test."}
	}
	return f, nil
}

// PlanFailover is the test's steps in words, in order.
func PlanFailover(f FailoverFacts, spec FailoverSpec, checks []string) []string {
	var steps, all []string
	for _, g := range f.Groups {
		all = append(all, g.Moved...)
	}
	steps = append(steps, fmt.Sprintf("set RestartAction 1 (\"Affect the group\" off) on %s", strings.Join(all, ", ")))
	for _, g := range f.Groups {
		steps = append(steps, fmt.Sprintf("move group %s from %s to %s (its resources go offline while it moves) and wait until every resource is online there",
			g.Name, g.Owner, spec.Node))
	}
	for _, c := range checks {
		steps = append(steps, "check "+c+" while the groups run on "+spec.Node)
	}
	for _, g := range f.Groups {
		steps = append(steps, fmt.Sprintf("move group %s to %s and wait until every resource is online there", g.Name, g.Final))
	}
	if spec.RestoreAffect {
		steps = append(steps, "set RestartAction 2 (\"Affect the group\" on) on "+strings.Join(all, ", "))
	} else {
		steps = append(steps, "set RestartAction back to its value before the test on "+strings.Join(all, ", "))
	}
	// cluster.exe runs on the rebuilt node, which names every step.
	for i := range steps {
		steps[i] = spec.Node + ": " + steps[i]
	}
	return steps
}

// FailoverResult is what the test saw.
type FailoverResult struct {
	// SeenOnline are, per group, the nodes it was seen online on.
	SeenOnline map[string][]string
}

// FailoverTest runs the KB's failover test (see PlanFailover), after the
// read-only checks of CheckFailoverHosts. A failure
// names the group, resource or check, and leaves every group online on a
// node that can run it (its final owner, else where it was) with
// RestartAction restored.
func (c *Cluster) FailoverTest(ctx context.Context, spec FailoverSpec, progress Progress) (FailoverResult, error) {
	res := FailoverResult{SeenOnline: map[string][]string{}}
	if progress == nil {
		progress = func(string) {}
	}
	f, err := c.ReadFailoverFacts(ctx, spec)
	if err != nil {
		return res, err
	}
	if err := c.CheckFailoverHosts(ctx, spec, f); err != nil {
		return res, err
	}
	via := c.Node(spec.Node)
	if via == nil {
		return res, fmt.Errorf("%s is not a configured node", spec.Node)
	}
	setAll := func(ctx context.Context, value func(g FailoverGroup, r string) int) error {
		var errs []error
		for _, g := range f.Groups {
			for _, r := range g.Moved {
				if err := via.ResourceSetProp(ctx, r, "RestartAction", strconv.Itoa(value(g, r))); err != nil {
					errs = append(errs, err)
				}
			}
		}
		return errors.Join(errs...)
	}
	restore := func(ctx context.Context) error {
		return setAll(ctx, func(g FailoverGroup, r string) int {
			if spec.RestoreAffect {
				return RestartWithFailover
			}
			return g.RestartActions[r]
		})
	}
	fail := func(err error) (FailoverResult, error) {
		// Every group back where it can run, "Affect the group" as it
		// should be, even after the deadline.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		defer cancel()
		for _, g := range f.Groups {
			if merr := c.moveAndSettle(rctx, g.Name, g.Final, spec.MoveTimeout); merr != nil {
				err = errors.Join(err, merr)
			}
		}
		return res, errors.Join(err, restore(rctx))
	}
	// moveAll moves every group to its node of to, one after the other,
	// and records where each was seen online.
	moveAll := func(to func(FailoverGroup) string) error {
		for _, g := range f.Groups {
			node := to(g)
			progress("move group " + g.Name + " to " + node)
			if err := c.moveAndSettle(ctx, g.Name, node, spec.MoveTimeout); err != nil {
				return err
			}
			res.SeenOnline[g.Name] = appendNode(res.SeenOnline[g.Name], node)
		}
		return nil
	}
	progress("\"Affect the group\" off")
	if err := setAll(ctx, func(FailoverGroup, string) int { return RestartNoFailover }); err != nil {
		return fail(err)
	}
	if err := moveAll(func(FailoverGroup) string { return spec.Node }); err != nil {
		return fail(err)
	}
	if spec.Check != nil {
		progress("check the web sites on " + spec.Node)
		if err := spec.Check(ctx); err != nil {
			return fail(err)
		}
	}
	if err := moveAll(func(g FailoverGroup) string { return g.Final }); err != nil {
		return fail(err)
	}
	progress("restore \"Affect the group\"")
	if err := restore(ctx); err != nil {
		return res, err
	}
	for g := range res.SeenOnline {
		sort.Strings(res.SeenOnline[g])
	}
	return res, nil
}

// moveAndSettle moves group to node and waits until every resource of it
// is Online there: a resource Failed there fails the move, naming it.
func (c *Cluster) moveAndSettle(ctx context.Context, group, node string, timeout time.Duration) error {
	n := c.Node(node)
	if n == nil {
		return fmt.Errorf("move group %s: %s is not a configured node", group, node)
	}
	if err := c.moveAndWait(ctx, group, node); err != nil {
		return err
	}
	if timeout <= 0 {
		timeout = 3 * time.Minute
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var failed string
	seen, err := c.waitFor(tctx, "wait for group "+group+" online on "+node, func() (bool, string, error) {
		rs, err := n.clusterResourceStatus(ctx)
		if err != nil {
			return false, "", err
		}
		var pending []string
		for _, r := range rs {
			if !strings.EqualFold(r.Group, group) {
				continue
			}
			switch {
			case strings.EqualFold(r.State, "Failed"):
				failed = r.Name
				return true, r.Name + " Failed", nil
			case !strings.EqualFold(r.State, "Online"):
				pending = append(pending, r.Name+" "+r.State)
			}
		}
		return len(pending) == 0, strings.Join(pending, ", "), nil
	})
	switch {
	case failed != "":
		return &StepError{Node: node, Step: "move group " + group + " to " + node, Meaning: fmt.Sprintf(
			"resource %s of group %s failed on %s", failed, group, node)}
	case err != nil:
		return &StepError{Node: node, Step: "move group " + group + " to " + node, Meaning: "not every resource came online (last seen: " + seen + ")", Err: err}
	}
	return nil
}
