package nodeops

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// The KB's end: move all IIS server instances to the rebuilt node, test
// every web site, move them to whichever node should be primary, and turn
// "Affect the group" back on so that a failure fails the groups over again.

// FailoverSpec is mscs_failover_test's configuration.
type FailoverSpec struct {
	Node string // the rebuilt node
	// WorkingNode keeps the test's record of RestartAction and owners
	// (rule 6); "": the first other configured node.
	WorkingNode string
	// Groups are the groups to test; none: every group holding an IIS
	// Server Instance or MSDTC resource.
	Groups []string
	// FinalOwner is where each group ends; a group without one ends on its
	// first preferred owner.
	FinalOwner map[string]string
	// RestoreAffect true sets RestartAction 2 ("Affect the group" on) at
	// the end, also on a resource that was at 1 before; false (the
	// provider's default, rule 6) puts back each resource's value recorded
	// before the test, which turns it on where the test turned it off.
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
	// Held is the record an interrupted test left on the working node
	// (the values and owners before it), nil when none; HeldPath where.
	Held               *Hold
	HeldPath, HeldNode string
}

// ReadFailoverFacts reads the groups of the test and checks, read-only,
// what it needs: the groups exist (a *SpecError on "groups" otherwise), the
// final owners are cluster nodes, both nodes are Up, nothing is Failed.
func (c *Cluster) ReadFailoverFacts(ctx context.Context, spec FailoverSpec) (FailoverFacts, error) {
	f := FailoverFacts{NodeStates: map[string]string{}}
	tools := map[string][]Tool{}
	for _, n := range c.Nodes {
		tools[n.R.Node()] = FailoverTools
	}
	if err := c.checkNodesTools(ctx, tools); err != nil {
		return f, err
	}
	if err := c.readFailoverHold(ctx, spec, &f); err != nil {
		return f, err
	}
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
			if strings.EqualFold(r.Group, g.Name) && slices.Contains(fg.Moved, r.Name) {
				fg.RestartActions[r.Name] = r.RestartAction
			}
			// A resource that failed while an interrupted test held the
			// group is the restore's to mend (the group back on its final
			// owner), not a refusal.
			if strings.EqualFold(r.Group, g.Name) && strings.EqualFold(r.State, "Failed") && f.Held == nil {
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

// failoverWords names the test in its record's errors.
const failoverWords = "the failover test"

// failoverHolder is the test's side of rule 6: the record on the working
// node, cluster.exe on the rebuilt one.
func (c *Cluster) failoverHolder(ctx context.Context, spec FailoverSpec) (*holder, error) {
	via := c.Node(spec.Node)
	if via == nil {
		return nil, fmt.Errorf("%s is not a configured node", spec.Node)
	}
	at := c.Node(spec.WorkingNode)
	if spec.WorkingNode == "" {
		if others := c.order(spec.Node, AskOthersOnly); len(others) > 0 {
			at = others[0]
		}
	}
	if at == nil {
		return nil, fmt.Errorf("the failover test keeps its record on the working node, and %s has no other configured node", spec.Node)
	}
	return newHolder(ctx, "failover", failoverWords, at, via)
}

// readFailoverHold reads the record an interrupted test left. It only reads.
func (c *Cluster) readFailoverHold(ctx context.Context, spec FailoverSpec, f *FailoverFacts) error {
	h, err := c.failoverHolder(ctx, spec)
	if err != nil {
		return err
	}
	f.Held, err = h.read(ctx)
	f.HeldPath, f.HeldNode = h.path, h.at.R.Node()
	return err
}

// before is each moved resource's RestartAction before the test: an
// interrupted test's record, else as read.
func (f FailoverFacts) before() map[string]int {
	b := map[string]int{}
	for _, g := range f.Groups {
		for r, v := range g.RestartActions {
			b[r] = v
		}
	}
	if f.Held != nil {
		// The record is restored first; a resource it does not hold (added
		// since) keeps what it reads now.
		for r, v := range f.Held.Restart {
			b[r] = v
		}
	}
	return b
}

// ReadFailoverHold reads the record an earlier run left on the working node
// (nil when none) and where it is; it needs only the working node.
func (c *Cluster) ReadFailoverHold(ctx context.Context, spec FailoverSpec) (rec *Hold, path, node string, err error) {
	var f FailoverFacts
	err = c.readFailoverHold(ctx, spec, &f)
	return f.Held, f.HeldPath, f.HeldNode, err
}

// PlanFailoverRestore is the first step when an earlier run left its
// record: it is restored and read back, which deletes it, before anything
// else (run on the working node, which keeps it).
func PlanFailoverRestore(rec *Hold, path, node string) string {
	return fmt.Sprintf("%s: restore from the record an earlier run left in %s (%s; each group back on its recorded owner), read it back and delete it",
		node, path, rec.summary())
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
	// The values before: an administrator's 1 (or 0) is named.
	before := f.before()
	var off []string
	for _, r := range all {
		if v, ok := before[r]; ok && v != RestartWithFailover {
			off = append(off, fmt.Sprintf("%s (%d)", r, v))
		}
	}
	from := ""
	if f.Held != nil {
		from = fmt.Sprintf(", as an interrupted test recorded them in %s on %s", f.HeldPath, f.HeldNode)
	}
	switch {
	case spec.RestoreAffect && len(off) > 0:
		steps = append(steps, fmt.Sprintf("set RestartAction 2 (\"Affect the group\" on) on %s; before the test%s, %s had it off, which this turns on (restore_affect_the_group = false keeps it)",
			strings.Join(all, ", "), from, strings.Join(off, ", ")))
	case spec.RestoreAffect:
		steps = append(steps, "set RestartAction 2 (\"Affect the group\" on) on "+strings.Join(all, ", "))
	case len(off) > 0:
		steps = append(steps, fmt.Sprintf("set RestartAction back to its value before the test%s on %s; %s had \"Affect the group\" off before, and keep it",
			from, strings.Join(all, ", "), strings.Join(off, ", ")))
	default:
		steps = append(steps, "set RestartAction back to its value before the test"+from+" on "+strings.Join(all, ", "))
	}
	// cluster.exe runs on the rebuilt node, which names every step.
	for i := range steps {
		steps[i] = spec.Node + ": " + steps[i]
	}
	if f.Held != nil {
		steps = append([]string{PlanFailoverRestore(f.Held, f.HeldPath, f.HeldNode)}, steps...)
	}
	return steps
}

// The failover test's checks, read-only, before its first change: at plan
// time where the plan can see the nodes as apply will find them, and again
// at apply (DESIGN.md, "A phase cannot see the other resources of the
// plan").

// checkNodesUp is the first check of a phase that moves groups between
// nodes: each of them is Up in the cluster (states by upper-case name);
// why ends the error (what needs them Up, and that nothing changed).
func checkNodesUp(nodes []string, states map[string]string, why string) error {
	for _, n := range nodes {
		if st := states[strings.ToUpper(n)]; !strings.EqualFold(st, "Up") {
			return &StepError{Node: n, Step: "check that both nodes are Up", Meaning: fmt.Sprintf(
				"%s is %s in the cluster: %s", n, cmp.Or(st, "not a member"), why)}
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
	var nodes []string
	for _, n := range c.Nodes {
		nodes = append(nodes, n.R.Node())
	}
	if err := checkNodesUp(nodes, f.NodeStates, "the failover test moves groups between the nodes; nothing was moved"); err != nil {
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

// FailoverResult is what the test saw.
type FailoverResult struct {
	// SeenOnline are, per group, the nodes it was seen online on.
	SeenOnline map[string][]string
	// Facts are what the test acted on (its groups, their final owners;
	// read after an earlier run's record was restored, which Held then
	// names), for a caller that would otherwise read them again.
	Facts FailoverFacts
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
	// A setting that does not fit the cluster (a *SpecError) is refused
	// before anything, as the plan refuses it. Then rule 6: an earlier
	// run's record is restored (and read back, which deletes it) before
	// any change of the test, and before the checks of the rebuilt node,
	// which a failed run may have left unable to host: the restore needs
	// only the working node. The test then records afresh what it finds,
	// so a resource added since is restored too.
	f, ferr := c.ReadFailoverFacts(ctx, spec)
	var se *SpecError
	if errors.As(ferr, &se) {
		return res, ferr
	}
	restored, err := c.restoreEarlierFailover(ctx, spec)
	if err != nil {
		return res, err
	}
	refused := func(err error) error {
		if restored.words == "" {
			return err
		}
		return &RestoredError{Err: err, Restored: restored.words}
	}
	if restored.words != "" {
		// The restore moved groups and set RestartAction: read again, and
		// keep the record it restored for the steps' words (PlanFailover).
		if f, ferr = c.ReadFailoverFacts(ctx, spec); ferr == nil {
			f.Held, f.HeldPath, f.HeldNode = restored.rec, restored.path, restored.node
		}
	}
	if ferr != nil {
		return res, refused(ferr)
	}
	res.Facts = f
	if err := c.CheckFailoverHosts(ctx, spec, f); err != nil {
		return res, refused(err)
	}
	h, err := c.failoverHolder(ctx, spec)
	if err != nil {
		return res, err
	}
	// The values and owners as found, recorded before the first change.
	found := Hold{Phase: "failover", Restart: map[string]int{}}
	var moved []string
	for _, g := range f.Groups {
		found.Groups = append(found.Groups, HeldGroup{Name: g.Name, Owner: g.Owner, Online: strings.EqualFold(g.State, "Online")})
		for r, v := range g.RestartActions {
			found.Restart[r] = v
		}
		moved = append(moved, g.Moved...)
	}
	if err := h.keep(ctx, found); err != nil {
		return res, err
	}
	// restore ends each group on its node of target (nil: its recorded
	// owner).
	restore := func(ctx context.Context, target func(string) string) error {
		rs := restoreSpec{
			target: target,
			move: func(ctx context.Context, g, node string) error {
				return c.moveAndSettle(ctx, g, node, spec.MoveTimeout)
			},
		}
		if spec.RestoreAffect {
			rs.value = func(string) int { return RestartWithFailover }
		}
		return h.restore(ctx, rs)
	}
	fail := func(err error) (FailoverResult, error) {
		// Every group back where it can run, "Affect the group" as it
		// should be, even after the deadline; what that leaves, if not all,
		// is in the error.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		defer cancel()
		// The groups go back to where they were recorded, not to their
		// final owners: the failure may be the final owner's.
		if rerr := restore(rctx, nil); rerr != nil {
			return res, fmt.Errorf("%w; and %w", err, rerr)
		}
		return res, err
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
			res.SeenOnline[g.Name] = appendFold(res.SeenOnline[g.Name], node)
		}
		return nil
	}
	progress("\"Affect the group\" off")
	if err := h.off(ctx, moved); err != nil {
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
	finals := map[string]string{}
	for _, g := range f.Groups {
		finals[strings.ToLower(g.Name)] = g.Final
	}
	if err := restore(ctx, func(g string) string { return finals[strings.ToLower(g)] }); err != nil {
		return res, err
	}
	for g := range res.SeenOnline {
		sort.Strings(res.SeenOnline[g])
	}
	return res, nil
}

// RestoredError is a failover test refused (Err) after it restored an
// earlier run's record, which Restored says; nothing else was changed.
type RestoredError struct {
	Err      error
	Restored string
}

func (e *RestoredError) Error() string {
	return fmt.Sprintf("%v (%s)", e.Err, e.Note())
}

// Note is the restore in words, for a caller that words Err itself.
func (e *RestoredError) Note() string {
	return e.Restored + "; nothing else was changed"
}

func (e *RestoredError) Unwrap() error { return e.Err }

// earlierRecord is an earlier run's record that restoreEarlierFailover
// restored: words says what was restored ("" when there was no record).
type earlierRecord struct {
	words      string
	rec        *Hold
	path, node string
}

// restoreEarlierFailover restores an earlier run's record, if any, and
// reads it back (which deletes it): each resource's recorded RestartAction,
// each group back on its recorded owner. It needs only the working node,
// which keeps the record and runs cluster.exe. A restore not read back
// whole is a *LeftError.
func (c *Cluster) restoreEarlierFailover(ctx context.Context, spec FailoverSpec) (earlierRecord, error) {
	h, err := c.failoverHolder(ctx, spec)
	if err != nil {
		return earlierRecord{}, err
	}
	h.via = h.at
	if err := c.checkNodesTools(ctx, map[string][]Tool{h.at.R.Node(): FailoverTools}); err != nil {
		return earlierRecord{}, err
	}
	if h.rec, err = h.read(ctx); err != nil || h.rec == nil {
		return earlierRecord{}, err
	}
	rec := earlierRecord{rec: h.rec, path: h.path, node: h.at.R.Node()}
	summary := h.rec.summary()
	if err := h.restore(ctx, restoreSpec{move: func(ctx context.Context, g, node string) error {
		return c.moveAndSettle(ctx, g, node, spec.MoveTimeout)
	}}); err != nil {
		return earlierRecord{}, err
	}
	rec.words = fmt.Sprintf("the record an earlier run left in %s on %s was restored and read back (%s), and deleted", rec.path, rec.node, summary)
	return rec, nil
}

// moveAndSettle moves group to node and waits, at most timeout, until
// every resource of it is Online there (moveOnline).
func (c *Cluster) moveAndSettle(ctx context.Context, group, node string, timeout time.Duration) error {
	return c.moveOnline(ctx, group, node, timeout, waitOwned, "")
}
