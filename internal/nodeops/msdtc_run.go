package nodeops

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// MSDTCResult is what the phase did.
type MSDTCResult struct {
	Reinstalled bool     // MSDTC was removed and installed again
	OnlineOn    []string // the nodes MSDTC was seen online on
	Resource    string   // the MSDTC resource's name
	Group       string
	// Steps is the plan of the facts the run acted on (PlanMSDTC), for a
	// caller whose plan could not list them.
	Steps []string
}

// dtcRun is one run of the phase.
type dtcRun struct {
	c                 *Cluster
	spec              MSDTCSpec
	rebuilt, working  *Node
	facts             MSDTCFacts
	hold              *holder // rule 6's record, on the working node
	progress          Progress
	result            MSDTCResult
	restoreAfterError bool
	// reinstall is certain before the test (check decides it: the plan's,
	// carried in spec.Planned, else MSDTCFacts.Reinstall).
	reinstall bool
}

// ReclusterMSDTC runs the phase: everything read-only first (ReadMSDTCFacts,
// both nodes Up, the media), then under the rebuilt node's lock and journal:
// the record of RestartAction and the group's owner written on the working
// node (or an earlier run's kept), "Affect the group" off on the moved
// resources, the KB's test, the reinstall when the test fails (or always),
// the check on both nodes, and the recorded values and owner restored, also
// after a failure; a restore that does not complete says what it left, and
// the next run restores from the record.
func (c *Cluster) ReclusterMSDTC(ctx context.Context, spec MSDTCSpec, progress Progress) (MSDTCResult, error) {
	if progress == nil {
		progress = func(string) {}
	}
	r := &dtcRun{c: c, spec: spec, rebuilt: c.Node(spec.Node), working: c.Node(spec.WorkingNode), progress: progress}
	if r.rebuilt == nil || r.working == nil {
		return MSDTCResult{}, fmt.Errorf("the MSDTC phase needs both %s and %s configured", spec.Node, spec.WorkingNode)
	}
	var err error
	if r.hold, err = newHolder(ctx, msdtcPhase.Name, dtcWords, r.working, r.working); err != nil {
		return MSDTCResult{}, err
	}
	p := Phase{Name: msdtcPhase.Name, Words: msdtcPhase.Words, Spec: spec.phaseSpec(), LockMaxAge: spec.LockMaxAge,
		Progress: progress, Check: r.check, Prepare: r.holdAndOff}
	steps := []Step{{Name: "test", Words: "the KB's test: MSDTC online on " + spec.Node, Run: r.test}}
	if spec.Method == DTCMethodDTCSetup {
		steps = append(steps,
			Step{Name: "stop", Words: "take MSDTC offline", Run: r.stopResource},
			Step{Name: "dtcsetup-working", Words: "run dtcsetup on " + spec.WorkingNode, Run: r.dtcsetup(r.working)},
			Step{Name: "dtcsetup-rebuilt", Words: "run dtcsetup on " + spec.Node, Run: r.dtcsetup(r.rebuilt)})
	} else {
		steps = append(steps,
			Step{Name: "delete", Words: "delete the MSDTC resource", Run: r.deleteResource},
			Step{Name: "remove-working", Words: "msdtc -remove on " + spec.WorkingNode, Run: r.remove(r.working)},
			Step{Name: "remove-rebuilt", Words: "msdtc -remove on " + spec.Node, Run: r.remove(r.rebuilt)},
			Step{Name: "log", Words: "create the MSDTC log folder", Run: r.logFolder},
			Step{Name: "install", Words: "msdtc -install on " + spec.WorkingNode, Run: r.install},
			Step{Name: "join", Words: "msdtc -join on " + spec.Node, Run: r.join})
	}
	// Each step after the test and before verify is the reinstall's (a test
	// that passes skips through verify): whichever of them runs, in this run
	// or in one resumed after a failure or a kill, past the test, the
	// reinstall acts.
	for i := 1; i < len(steps); i++ {
		steps[i].Run = r.reinstalling(steps[i].Run)
	}
	steps = append(steps,
		Step{Name: "online", Words: "bring MSDTC online", Run: r.reinstalling(r.online)},
		Step{Name: "verify", Words: "MSDTC online on " + spec.Node + " and back", Run: r.verify},
		Step{Name: stepDone, Words: "restore \"Affect the group\" and the group's owner", Run: r.finish})
	p.Steps = steps
	err = r.rebuilt.RunPhase(ctx, p)
	switch {
	case err != nil && r.restoreAfterError:
		// Rule 6 holds after a failure too: put back what the record
		// holds, even when ctx has ended.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		defer cancel()
		if rerr := r.restore(rctx); rerr != nil {
			err = fmt.Errorf("%w; and %w", err, rerr)
		}
	case err != nil && r.facts.Held != nil:
		err = fmt.Errorf("%w; %w", err, heldNote(dtcWords, r.spec.WorkingNode, r.facts.HeldPath, r.facts.Held))
	}
	r.result.Group = r.facts.Group
	return r.result, err
}

// check is the phase's read-only first step.
func (r *dtcRun) check(ctx context.Context, _ bool) (bool, error) {
	f, err := r.c.ReadMSDTCFacts(ctx, r.spec)
	if err != nil {
		return false, err
	}
	r.facts = f
	r.reinstall = f.Reinstall(r.spec).Certain
	if len(r.spec.Planned) > 0 {
		r.reinstall = !slices.ContainsFunc(r.spec.Planned, conditionalRe.MatchString)
	}
	r.result.Steps = PlanMSDTC(f, r.spec)
	if err := checkNodesUp([]string{r.spec.Node, r.spec.WorkingNode}, f.NodeStates,
		"the MSDTC phase moves groups between both nodes; nothing was changed"); err != nil {
		return false, err
	}
	if r.spec.Method == DTCMethodDTCSetup {
		for _, n := range []*Node{r.working, r.rebuilt} {
			path := r.spec.DTCSetupPaths[n.R.Node()]
			found, err := n.FileExists(ctx, path)
			if err != nil {
				return false, err
			}
			if !found {
				return false, &StepError{Node: n.R.Node(), Step: "check the installation media", Err: ErrMediaMissing,
					Meaning: fmt.Sprintf("dtcsetup_path %s does not exist on the node; nothing was changed", path)}
			}
		}
	}
	return false, nil
}

// holdAndOff runs on every run before the steps: the record of the moved
// resources' RestartAction, the group's owner and what the reinstall needs
// (an earlier run's record kept as it is), then RestartAction 1 on each
// moved resource.
func (r *dtcRun) holdAndOff(ctx context.Context, _ string) error {
	f := r.facts
	found := Hold{Phase: msdtcPhase.Name, Restart: map[string]int{},
		Groups: []HeldGroup{{Name: f.Group, Owner: f.Owner, Online: strings.EqualFold(f.GroupState, "Online")}},
		DTC: &HeldDTC{Group: f.Group, Resource: f.Resource, Depends: []string{f.NetworkNameResource, f.DiskResource},
			NetworkName: f.NetworkName, NetworkNameResource: f.NetworkNameResource, Disk: f.DiskResource, LogPath: f.LogPath}}
	for name, v := range f.RestartActions {
		found.Restart[name] = v
	}
	if err := r.hold.keep(ctx, found); err != nil {
		return err
	}
	r.restoreAfterError = true
	moved, err := r.movedNow(ctx)
	if err != nil {
		return err
	}
	r.progress("\"Affect the group\" off on " + strings.Join(moved, ", "))
	return r.hold.off(ctx, moved)
}

// movedNow is the resources whose "Affect the group" the moves turn off,
// as named now: the recorded ones, the recorded MSDTC resource under the
// name of the one in the group now (reinstalled), or left out while there
// is none.
func (r *dtcRun) movedNow(ctx context.Context) ([]string, error) {
	dtc, _, err := r.dtcResource(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, name := range r.hold.rec.resources() {
		if c := r.currentName(name, dtc); c != "" && !slices.Contains(names, c) {
			names = append(names, c)
		}
	}
	if dtc != "" && !slices.Contains(names, dtc) {
		names = append(names, dtc)
	}
	return names, nil
}

// currentName is a recorded resource's name now: the MSDTC resource's is
// dtc, the one in the group now ("" when there is none).
func (r *dtcRun) currentName(name, dtc string) string {
	if d := r.hold.rec.DTC; d != nil && d.Resource != "" && strings.EqualFold(name, d.Resource) {
		return dtc
	}
	return name
}

// restore puts back what the record holds: each RestartAction (the
// reinstalled MSDTC resource gets the old one's; one that did not exist
// before gets 2), the group on its recorded owner; read back, and the
// record deleted when all of it holds.
func (r *dtcRun) restore(ctx context.Context) error {
	if r.hold.rec == nil {
		return nil
	}
	dtc, _, err := r.dtcResource(ctx)
	if err != nil {
		// The read-back below reads each recorded resource itself.
		dtc = ""
		if d := r.hold.rec.DTC; d != nil {
			dtc = d.Resource
		}
	}
	if d := r.hold.rec.DTC; dtc != "" && d != nil && d.Resource == "" {
		if err := r.hold.set(ctx, []string{dtc}, func(string) int { return RestartWithFailover }); err != nil {
			return err
		}
	}
	return r.hold.restore(ctx, restoreSpec{
		current: func(name string) string {
			if c := r.currentName(name, dtc); c != "" {
				return c
			}
			return name // read back as gone: the record stays
		},
		move: func(ctx context.Context, group, node string) error {
			return r.c.moveAndWait(ctx, group, node, dtc)
		},
	})
}

// dtcResource is the MSDTC resource of the group now, its name and state
// ("" when the group has none); a read that fails is an error.
func (r *dtcRun) dtcResource(ctx context.Context) (string, string, error) {
	rs, err := r.working.ClusterResources(ctx)
	if err != nil {
		return "", "", err
	}
	for _, res := range rs {
		if strings.EqualFold(res.Group, r.facts.Group) && res.Type == dtcResourceType {
			return res.Name, res.State, nil
		}
	}
	return "", "", nil
}

// test is the KB's test: the group moved to the rebuilt node, MSDTC online
// there or not, the group moved back to the working node. When it comes
// online and no reinstall is asked for, the reinstall steps are skipped.
func (r *dtcRun) test(ctx context.Context) (Next, error) {
	if !strings.EqualFold(r.facts.Owner, r.spec.WorkingNode) {
		if err := r.moveBack(ctx); err != nil {
			return Continue, err
		}
	}
	r.progress(fmt.Sprintf("move group %s to %s and see whether MSDTC comes online", r.facts.Group, r.spec.Node))
	online, err := r.moveAndSee(ctx, r.spec.Node)
	if err != nil {
		return Continue, err
	}
	if err := r.moveBack(ctx); err != nil {
		return Continue, err
	}
	if online && !r.reinstall {
		return SkipThrough("verify"), nil
	}
	return Continue, nil
}

// reinstalling is a reinstall step's run that reports the reinstall in the
// result (reinstalled) when it runs.
func (r *dtcRun) reinstalling(run func(context.Context) (Next, error)) func(context.Context) (Next, error) {
	return func(ctx context.Context) (Next, error) {
		r.result.Reinstalled = true
		return run(ctx)
	}
}

// moveBack moves the group to the working node and waits until each of
// its resources but MSDTC is Online there: MSDTC's state there is for the
// phase to read (the test, before the reinstall, expects that it may
// fail).
func (r *dtcRun) moveBack(ctx context.Context) error {
	dtc, _, err := r.dtcResource(ctx)
	if err != nil {
		return err
	}
	return r.c.moveAndWait(ctx, r.facts.Group, r.spec.WorkingNode, dtc)
}

// moveAndSee moves the group to node and reports whether MSDTC came online
// there (it fails, or the test's time runs out: no). Online counts only when
// two readings in a row agree (onlineReadings): NT 4.0 prints a pending
// resource as Online, and one that then fails would skip the reinstall.
func (r *dtcRun) moveAndSee(ctx context.Context, node string) (bool, error) {
	ctx = FreshReads(ctx) // a wait: each reading asks the node
	if err := r.c.Node(node).GroupMove(ctx, r.facts.Group, node); err != nil {
		return false, err
	}
	timeout := r.spec.TestTimeout
	if timeout <= 0 {
		timeout = 3 * time.Minute
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	online := false
	// The resource's name once; then each check is one `cluster res
	// /status`, whose row gives its state and owner.
	name, _, err := r.dtcResource(ctx)
	if err != nil {
		return false, err
	}
	var readErr error // the last check's, when it could not read the cluster
	var agreed, offline onlineReadings
	_, err = r.c.waitFor(tctx, "wait for MSDTC on "+node, func() (bool, string, error) {
		if name == "" {
			return true, "no MSDTC resource", nil
		}
		rs, err := r.working.clusterResourceStatus(ctx)
		if readErr = err; err != nil {
			agreed.saw(false)
			return false, "", err
		}
		state, owner := "", ""
		for _, res := range rs {
			if strings.EqualFold(res.Name, name) {
				state, owner = res.State, res.OwnerNode
			}
		}
		switch {
		case state == "":
			return true, "no MSDTC resource", nil
		case !strings.EqualFold(owner, node):
			return true, "group on " + owner, nil // failed back: not online there
		case strings.EqualFold(state, "Online"):
			offline.saw(false)
			if agreed.saw(true) {
				online = true
				return true, "Online", nil
			}
			return false, "Online (read once)", nil
		case strings.EqualFold(state, "Failed"):
			return true, "Failed", nil
		case strings.EqualFold(state, "Offline"):
			// NT 4.0 prints Failed as Offline (a pending resource as
			// Online): Offline twice in a row after the move is not online.
			agreed.saw(false)
			if offline.saw(true) {
				return true, "Offline (read twice)", nil
			}
			return false, state, nil
		}
		agreed.saw(false)
		offline.saw(false)
		return false, state, nil
	})
	switch {
	case err != nil && ctx.Err() != nil:
		return false, err
	case err != nil && readErr != nil:
		// Not knowing is not "not online": that would lead to the reinstall.
		return false, &StepError{Node: r.spec.WorkingNode, Step: "wait for MSDTC on " + node, Err: readErr, Meaning: fmt.Sprintf(
			"the cluster could not be read when the test's %s ran out, so whether MSDTC came online on %s is not known: %v", timeout, node, readErr)}
	}
	if online {
		r.result.OnlineOn = appendFold(r.result.OnlineOn, node)
	}
	return online, nil
}

// stopResource takes the MSDTC resource offline (dtcsetup method).
func (r *dtcRun) stopResource(ctx context.Context) (Next, error) {
	name, state, err := r.dtcResource(ctx)
	if err != nil || name == "" || !strings.EqualFold(state, "Online") {
		return Continue, err
	}
	r.progress("take " + name + " offline")
	return Continue, r.working.resourceCommand(ctx, name, "/offline", "take resource "+name+" offline")
}

// dtcsetup runs dtcsetup.exe on n; its state is read back after.
func (r *dtcRun) dtcsetup(n *Node) func(ctx context.Context) (Next, error) {
	return func(ctx context.Context) (Next, error) {
		path := r.spec.DTCSetupPaths[n.R.Node()]
		line, err := programLine(path)
		if err != nil {
			return Continue, err
		}
		r.progress("run dtcsetup on " + n.R.Node())
		if _, err := n.run(ctx, "run dtcsetup", line, false, dtcsetupCodes); err != nil {
			return Continue, err
		}
		return Continue, r.expectMode(ctx, n, DTCClustered, "run dtcsetup")
	}
}

// expectMode reads n's MSDTC back: the tools' output proves nothing.
func (r *dtcRun) expectMode(ctx context.Context, n *Node, want, step string) error {
	st, err := n.MSDTCState(ctx)
	if err != nil {
		return err
	}
	if st.Mode != want {
		return &StepError{Node: n.R.Node(), Step: step, Meaning: fmt.Sprintf("MSDTC is %s on the node afterwards, not %s", st.Mode, want)}
	}
	return nil
}

// deleteResource takes the MSDTC resource offline and deletes it (the
// KB's first step, before either -remove).
func (r *dtcRun) deleteResource(ctx context.Context) (Next, error) {
	name, state, err := r.dtcResource(ctx)
	if err != nil || name == "" {
		return Continue, err
	}
	r.progress("delete resource " + name)
	if !strings.EqualFold(state, "Offline") {
		if err := r.working.resourceCommand(ctx, name, "/offline", "take resource "+name+" offline"); err != nil {
			return Continue, err
		}
	}
	return Continue, r.working.resourceCommand(ctx, name, "/delete", "delete resource "+name)
}

// remove runs msdtc -remove on n unless its MSDTC is gone already.
func (r *dtcRun) remove(n *Node) func(ctx context.Context) (Next, error) {
	return func(ctx context.Context) (Next, error) {
		st, err := n.MSDTCState(ctx)
		if err != nil || st.Mode == DTCAbsent {
			return Continue, err
		}
		// The KB deletes the resource first; a resource still there (put
		// back by hand since) is not removed from under the cluster.
		if name, _, err := r.dtcResource(ctx); err != nil || name != "" {
			if err == nil {
				err = &StepError{Node: n.R.Node(), Step: "msdtc -remove", Meaning: fmt.Sprintf(
					"group %s has an MSDTC resource (%s) again: msdtc -remove runs only after it is deleted; nothing was run", r.facts.Group, name)}
			}
			return Continue, err
		}
		r.progress("msdtc -remove on " + n.R.Node())
		if _, err := n.run(ctx, "msdtc -remove", "msdtc -remove", false, msdtcCodes); err != nil {
			return Continue, err
		}
		return Continue, r.expectMode(ctx, n, DTCAbsent, "msdtc -remove")
	}
}

// logFolder creates the log folder on the shared disk, through the node
// that holds it (the working node, which owns the group now).
func (r *dtcRun) logFolder(ctx context.Context) (Next, error) {
	found, err := r.working.FileExists(ctx, r.facts.LogPath)
	if err != nil || found {
		return Continue, err
	}
	q, err := Quote(r.facts.LogPath)
	if err != nil {
		return Continue, err
	}
	r.progress("create " + r.facts.LogPath)
	_, err = r.working.run(ctx, "create the MSDTC log folder", "mkdir "+q, false, win32)
	return Continue, err
}

// install runs msdtc -install on the working node, which owns the group.
func (r *dtcRun) install(ctx context.Context) (Next, error) {
	name, _, err := r.dtcResource(ctx)
	if err != nil {
		return Continue, err
	}
	if name != "" {
		st, err := r.working.MSDTCState(ctx)
		if err != nil || st.Mode == DTCClustered {
			return Continue, err // installed before a failure
		}
	}
	g, err := r.working.groupOf(ctx, r.facts.Group)
	if err != nil {
		return Continue, err
	}
	if !strings.EqualFold(g.OwnerNode, r.spec.WorkingNode) {
		return Continue, &StepError{Node: r.spec.WorkingNode, Step: "msdtc -install", Meaning: fmt.Sprintf(
			"group %s is on %s, not on the working node: msdtc -install runs on the node that owns the group (safety rule 5); nothing was run", r.facts.Group, g.OwnerNode)}
	}
	q, err := quoteAll("log folder", r.facts.LogPath, "virtual server", r.facts.NetworkName)
	if err != nil {
		return Continue, err
	}
	r.progress("msdtc -install on " + r.spec.WorkingNode)
	line := `msdtc -install -d %windir%\system32 -l ` + q[0] + " -v " + q[1]
	if _, err := r.working.run(ctx, "msdtc -install", line, false, msdtcCodes); err != nil {
		return Continue, err
	}
	return Continue, r.expectMode(ctx, r.working, DTCClustered, "msdtc -install")
}

// join runs msdtc -join on the rebuilt node.
func (r *dtcRun) join(ctx context.Context) (Next, error) {
	st, err := r.rebuilt.MSDTCState(ctx)
	if err != nil || st.Mode == DTCClustered {
		return Continue, err
	}
	r.progress("msdtc -join on " + r.spec.Node)
	if _, err := r.rebuilt.run(ctx, "msdtc -join", "msdtc -join", false, msdtcCodes); err != nil {
		return Continue, err
	}
	return Continue, r.expectMode(ctx, r.rebuilt, DTCClustered, "msdtc -join")
}

// online sets RestartAction 1 on the (new) MSDTC resource and brings it
// online on the working node.
func (r *dtcRun) online(ctx context.Context) (Next, error) {
	name, state, err := r.dtcResource(ctx)
	if err != nil {
		return Continue, err
	}
	if name == "" {
		return Continue, &StepError{Node: r.spec.WorkingNode, Step: "bring MSDTC online", Meaning: "the cluster has no MSDTC resource in group " + r.facts.Group}
	}
	r.result.Resource = name
	moved, err := r.movedNow(ctx)
	if err != nil {
		return Continue, err
	}
	if err := r.hold.off(ctx, moved); err != nil {
		return Continue, err
	}
	if !strings.EqualFold(state, "Online") {
		r.progress("bring " + name + " online")
		if err := r.working.resourceCommand(ctx, name, "/online", "bring resource "+name+" online"); err != nil {
			return Continue, err
		}
	}
	if _, state, err = r.dtcResource(ctx); err != nil {
		return Continue, err
	}
	if !strings.EqualFold(state, "Online") {
		return Continue, &StepError{Node: r.spec.WorkingNode, Step: "bring MSDTC online", Meaning: name + " is " + state + " on " + r.spec.WorkingNode}
	}
	r.result.OnlineOn = appendFold(r.result.OnlineOn, r.spec.WorkingNode)
	return Continue, nil
}

// verify moves the group to the rebuilt node, where MSDTC must come online,
// and back to the working node.
func (r *dtcRun) verify(ctx context.Context) (Next, error) {
	r.progress("move group " + r.facts.Group + " to " + r.spec.Node + " and check MSDTC online there")
	online, err := r.moveAndSee(ctx, r.spec.Node)
	if err != nil {
		return Continue, err
	}
	if !online {
		return Continue, &StepError{Node: r.spec.Node, Step: "MSDTC online on " + r.spec.Node, Meaning: fmt.Sprintf(
			"the MSDTC resource did not come online on %s after the move (check the event logs of both nodes, as the KB says)", r.spec.Node)}
	}
	if err := r.moveBack(ctx); err != nil {
		return Continue, err
	}
	_, state, err := r.dtcResource(ctx)
	if err != nil {
		return Continue, err
	}
	if strings.EqualFold(state, "Online") {
		r.result.OnlineOn = appendFold(r.result.OnlineOn, r.spec.WorkingNode)
	}
	return Continue, nil
}

// finish restores what hold changed and checks the end state: the MSDTC
// resource online on the group's owner and MSDTC clustered on both nodes.
func (r *dtcRun) finish(ctx context.Context) (Next, error) {
	r.progress("restore \"Affect the group\" on " + strings.Join(r.facts.Moved(), ", "))
	err := r.restore(ctx)
	r.restoreAfterError = false // tried: its error says what it left
	if err != nil {
		return Continue, err
	}
	name, state, err := r.dtcResource(ctx)
	if err != nil {
		return Continue, err
	}
	r.result.Resource = name
	var problems []string
	if !strings.EqualFold(state, "Online") {
		problems = append(problems, fmt.Sprintf("the MSDTC resource is %q", cmp.Or(state, "missing")))
	}
	for _, n := range []*Node{r.working, r.rebuilt} {
		st, err := n.MSDTCState(ctx)
		if err != nil {
			return Continue, err
		}
		if st.Mode != DTCClustered {
			problems = append(problems, fmt.Sprintf("MSDTC is %s on %s", st.Mode, n.R.Node()))
		}
	}
	if len(problems) > 0 {
		return Continue, &StepError{Node: r.spec.Node, Step: "verify MSDTC", Meaning: strings.Join(problems, "; ")}
	}
	return Continue, nil
}
