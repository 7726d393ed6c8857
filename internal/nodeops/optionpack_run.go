package nodeops

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// stopTimeout bounds the wait for the cluster service to be STOPPED.
const stopTimeout = 5 * time.Minute

// InstallOptionPack reinstalls the Option Pack as KB Q241573 orders it:
//
//  1. check, read-only, that setup and the service pack's installer are on
//     the node, and take the node's lock (one run at a time);
//  2. set the cluster service to manual, stop it and confirm STOPPED by
//     polling (never going on otherwise; re-checked right before every setup
//     run); stopping it on the only node that is Up is refused unless
//     spec.AllowOutage;
//  3. reboot first if a reboot is pending;
//  4. if an Option Pack is present, Remove All, reboot, re-apply the service
//     pack (>= 4), reboot;
//  5. install with the declared method and components, reboot, re-apply the
//     service pack (>= 4), reboot;
//  6. verify: the installed components are the declared ones, the IIS
//     services run, no reboot is pending, CSDVersion is at the declared
//     level; else a StepError.
//
// It never starts the cluster service: mscs_cluster_node_service does.
//
// Resuming. The registry can't tell whether the service pack was re-applied
// after setup (CSDVersion doesn't change), nor whether an Option Pack that is
// present is this run's or the corrupt one, so each completed step appends a
// line `step=<step> spec=<hash>` to a journal on the node,
// %SystemRoot%\mscs-optionpack.log (the hash covers goal, method, components
// and service pack level). A run reads it first: an unfinished journal of the
// same spec resumes after its last completed step, and each later step still
// checks the node before it acts (a reboot step reboots only while a reboot
// is pending, setup runs only when no Option Pack is present). A finished
// journal, one of another spec, or none, starts over at (4): a create that
// the plan showed as a reinstall reinstalls. A resumed run that finds no
// Option Pack where its journal does not say Remove All was done or skipped
// treats it as removed by the interrupted run, and re-applies the service
// pack before setup; so does any run on a node whose Option Pack was removed
// before (out of band, maybe without the service pack re-applied).
func (n *Node) InstallOptionPack(ctx context.Context, spec InstallSpec, progress Progress) (InstallResult, error) {
	if err := spec.Validate(); err != nil {
		return InstallResult{}, fmt.Errorf("%s: %w", n.R.Node(), err)
	}
	return n.sequence(ctx, spec, progress, "install", installSteps)
}

// InstallResult is what an install did.
type InstallResult struct {
	// RemovedAll: this run began setup's Remove All, which the plan lists
	// as conditional (RanSteps lists it as run).
	RemovedAll bool
}

// RemoveOptionPack removes the Option Pack (for uninstall_on_destroy): the
// cluster service stopped as for an install, Remove All, reboot, the service
// pack re-applied (>= 4), reboot; verified gone. Nothing installed and
// nothing pending is success without touching the node. It resumes from the
// same journal as InstallOptionPack.
func (n *Node) RemoveOptionPack(ctx context.Context, spec InstallSpec, progress Progress) error {
	spec.Method, spec.Components = MethodMinimal, nil // only the service pack and paths matter
	if err := spec.Validate(); err != nil {
		return fmt.Errorf("%s: %w", n.R.Node(), err)
	}
	_, err := n.sequence(ctx, spec, progress, "remove", removeSteps)
	return err
}

// opRun is one install or removal: what its steps share.
type opRun struct {
	n        *Node
	spec     InstallSpec
	goal     string
	progress Progress
	sysRoot  string
	// resumedFromStart: the run resumes a journal that recorded no step:
	// the interrupted run may have removed the Option Pack already.
	resumedFromStart bool
	// state is the run's last read of the Option Pack state, under the
	// lock; setup, the service pack and reboots forget it (see optionPackState).
	state *OptionPack
	// removedAll: this run began setup's Remove All (InstallResult).
	removedAll bool
}

// optionPackState is the node's Option Pack state for a step's check: the
// run's last read while the run has changed nothing since but journal
// lines (a step that finds nothing to do goes on to the next check at
// once), and a new read after each change.
func (r *opRun) optionPackState(ctx context.Context) (OptionPack, error) {
	if r.state != nil {
		return *r.state, nil
	}
	op, err := r.n.OptionPackState(ctx)
	if err != nil {
		return op, err
	}
	r.state = &op
	return op, nil
}

// reboot restarts the node as step, after which the state is read anew.
func (r *opRun) reboot(ctx context.Context, step string) error {
	r.state = nil
	return r.n.reboot(ctx, step, r.spec.RebootTimeout)
}

// sequence runs the KB's Option Pack steps as a Phase (phase.go).
func (n *Node) sequence(ctx context.Context, spec InstallSpec, progress Progress, goal string, steps []string) (InstallResult, error) {
	if progress == nil {
		progress = func(string) {}
	}
	r := &opRun{n: n, spec: spec, goal: goal, progress: progress}
	var err error
	if r.sysRoot, err = n.systemRoot(ctx); err != nil {
		return InstallResult{}, err
	}
	p := Phase{Name: optionPackPhase.Name, Words: optionPackPhase.Words, Spec: spec.phaseSpec(goal), LockMaxAge: spec.LockMaxAge, Progress: progress,
		Check: r.check, Prepare: r.prepare}
	for _, name := range steps {
		p.Steps = append(p.Steps, Step{Name: name, Words: stepWords[name], Run: r.stepFunc(name)})
	}
	err = n.RunPhase(ctx, p)
	return InstallResult{RemovedAll: r.removedAll}, err
}

// check is the run's read-only first step: a removal with nothing to remove
// and no removal to finish is done without touching the node; the media
// must be on the node.
func (r *opRun) check(ctx context.Context, unfinished bool) (bool, error) {
	if r.goal == "install" && r.spec.Adopt {
		f, err := r.n.ReadInstallFacts(ctx, r.spec)
		if err != nil {
			return false, err
		}
		if why := f.NotAdoptable(r.spec); len(why) > 0 {
			return false, &StepError{Node: r.n.R.Node(), Step: "check the install the plan adopted", Meaning: "the plan " +
				"adopted the Option Pack present, but now " + strings.Join(why, "; ") + ". Nothing was changed; plan " +
				"again: the plan then shows the KB's reinstall"}
		}
		return true, nil // adopted: nothing runs
	}
	if r.goal == "remove" {
		op, err := r.n.OptionPackState(ctx)
		if err != nil {
			return false, err
		}
		if !op.Installed && !op.PendingReboot && !unfinished {
			return true, nil // nothing to remove, no removal to finish
		}
	}
	return false, r.checkMedia(ctx)
}

// prepare holds on every run, resumed or not: the cluster service stopped
// and set to manual, and no reboot pending.
func (r *opRun) prepare(ctx context.Context, resumedAfter string) error {
	if err := r.clusSvcStopped(ctx); err != nil {
		return err
	}
	r.resumedFromStart = resumedAfter == stepStart
	op, err := r.optionPackState(ctx)
	if err != nil {
		return err
	}
	if op.PendingReboot {
		const step = "reboot: a change waits for a restart"
		r.progress(step)
		return r.reboot(ctx, step)
	}
	return nil
}

// stepFunc is the check-then-act of one step of the sequence.
func (r *opRun) stepFunc(step string) func(ctx context.Context) (Next, error) {
	switch step {
	case stepRemoveAll:
		return func(ctx context.Context) (Next, error) {
			op, err := r.optionPackState(ctx)
			if err != nil {
				return Continue, err
			}
			if !op.Installed {
				if op.Removed || r.resumedFromStart {
					// Removed before (out of band, or by the interrupted run
					// before it could record it), perhaps without the service
					// pack re-applied: the removal's reboot and service pack
					// still come before setup ("re-apply the Service Pack
					// before proceeding").
					return Continue, nil
				}
				// Nothing to remove: the removal's reboots and SP go with it,
				// recorded so that a resumed run knows.
				return SkipThrough(stepRemoveAllSPReboot), nil
			}
			r.progress(stepWords[step])
			r.removedAll = true
			return Continue, r.setup(ctx, step, "RemoveAll")
		}
	case stepRemoveAllReboot, stepRemoveAllSPReboot, stepSetupReboot, stepSPReboot:
		return func(ctx context.Context) (Next, error) {
			op, err := r.optionPackState(ctx)
			if err != nil {
				return Continue, err
			}
			// Not pending: the reboot happened after the step before (a
			// wait that timed out on a node that then came back), or the
			// step before changed nothing.
			if op.PendingReboot {
				r.progress(stepWords[step])
				return Continue, r.reboot(ctx, stepWords[step])
			}
			return Continue, nil
		}
	case stepRemoveAllSP, stepSP:
		return func(ctx context.Context) (Next, error) {
			if !r.spec.reapplySP() {
				return Continue, nil
			}
			r.progress(stepWords[step])
			return Continue, r.servicePack(ctx, step)
		}
	case stepSetup:
		return func(ctx context.Context) (Next, error) {
			op, err := r.optionPackState(ctx)
			if err != nil {
				return Continue, err
			}
			if op.Installed {
				// Installed since the journal's last step, by someone else:
				// it is not this run's, so it goes first (once).
				return Again(stepRemoveAll), nil
			}
			r.progress(stepWords[step])
			return Continue, r.setup(ctx, step, "")
		}
	}
	return func(ctx context.Context) (Next, error) { // stepDone
		r.progress(stepWords[step])
		if err := r.verify(ctx); err != nil {
			return Continue, err
		}
		if r.goal == "install" {
			return Continue, r.writeRecord(ctx)
		}
		return Continue, nil
	}
}

// checkMedia checks, read-only, that the programs the run will start are on
// the node: setup (for Remove All and the install) and the service pack's
// installer when it is re-applied. A typo in a path fails here, before the
// cluster service is stopped, not after Remove All and a reboot.
func (r *opRun) checkMedia(ctx context.Context) error {
	if err := r.n.CheckTools(ctx, InstallTools...); err != nil {
		return err
	}
	paths := []string{r.spec.SetupPath}
	names := []string{"setup_path"}
	if r.spec.reapplySP() {
		paths, names = append(paths, r.spec.ServicePackPath), append(names, "service_pack_path")
	}
	found, err := r.n.FilesExist(ctx, paths...)
	if err != nil {
		return err
	}
	for i, p := range paths {
		if !found[i] {
			return &StepError{Node: r.n.R.Node(), Step: "check the installation media", Err: ErrMediaMissing,
				Meaning: fmt.Sprintf("%s %s does not exist on the node; nothing was changed", names[i], p)}
		}
	}
	return nil
}

// clusSvcStopped is the KB's first step and safety rule 1: the cluster
// service set to manual, stopped, and confirmed STOPPED by polling. It never
// lets a run go on otherwise.
func (r *opRun) clusSvcStopped(ctx context.Context) error {
	n := r.n
	const step = "stop the cluster service and set it to manual"
	st, err := n.QueryService(ctx, "ClusSvc")
	if err != nil {
		return err
	}
	if !st.Exists {
		return &StepError{Node: n.R.Node(), Step: step, Meaning: "the cluster service (ClusSvc) is not installed: this is not a cluster node", Err: ErrServiceNotFound}
	}
	if st.StartType == StartManual && st.State == StateStopped {
		return nil
	}
	if st.State != StateStopped && !r.spec.AllowOutage {
		if err := n.refuseLastNodeUp(ctx, step); err != nil {
			return err
		}
	}
	r.progress(step)
	var startType StartType
	if st.StartType != StartManual {
		startType = StartManual
	}
	verb := ""
	if st.State != StateStopped {
		verb = "stop"
	}
	if err := n.ConfigureService(ctx, ClusterService, startType, verb); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, stopTimeout)
	defer cancel()
	if _, err := n.waitForState(wctx, ClusterService, StateStopped, verb != ""); err != nil {
		return fmt.Errorf("%s: %s: %w; Option Pack setup was not run (KB Q241573: do not proceed until the cluster service is STOPPED)", n.R.Node(), step, err)
	}
	return nil
}

// setup writes the unattend file and runs Option Pack setup with it, right
// after confirming the cluster service STOPPED. maintenance is "RemoveAll"
// for the KB's Remove All, "" for a fresh install of the spec.
func (r *opRun) setup(ctx context.Context, step, maintenance string) error {
	r.state = nil
	n := r.n
	if err := r.clusSvcStopped(ctx); err != nil {
		return err
	}
	lines := []string{"[Version]", `Signature = "$Windows NT$"`, "[Global]"}
	name := "mscs-install.txt"
	if maintenance != "" {
		name = "mscs-removeall.txt"
		lines = append(lines, "MaintanenceMode = "+maintenance) // sic: setup reads this spelling only
	} else {
		method := strings.ToLower(r.spec.Method)
		lines = append(lines, "FreshMode = "+strings.ToUpper(method[:1])+method[1:])
		if method == MethodCustom {
			want, _ := r.spec.WantComponents()
			lines = append(lines, "[Components]")
			for _, c := range KnownComponents {
				state := "OFF"
				if slices.Contains(want, c) {
					state = "ON"
				}
				lines = append(lines, c+" = "+state)
			}
		}
	}
	dir := r.sysRoot + `\TEMP`
	file := dir + `\` + name
	if err := n.writeFile(ctx, stepWords[step], dir, file, lines); err != nil {
		return err
	}
	u, err := Quote("/u:" + file)
	if err != nil {
		return fmt.Errorf("unattend file: %w", err)
	}
	// /R:N: the reboot is the next step's, so the wait can tell it happened.
	line, err := programLine(r.spec.SetupPath, u, "/R:N")
	if err != nil {
		return fmt.Errorf("setup_path: %w", err)
	}
	// Remove All on a corrupt install reports errors on stderr and still
	// succeeds (exit 0), errors the KB says can be ignored: only the exit
	// code counts.
	_, err = n.run(ctx, stepWords[step], line, false, win32)
	return err
}

// servicePack runs the service pack's update.exe unattended, without its own reboot.
func (r *opRun) servicePack(ctx context.Context, step string) error {
	r.state = nil
	line, err := programLine(r.spec.ServicePackPath, "-u", "-z", "-n", "-q")
	if err != nil {
		return fmt.Errorf("service_pack_path: %w", err)
	}
	_, err = r.n.run(ctx, stepWords[step], line, false, win32)
	return err
}

// verify checks the end state of the sequence: for an install, the declared
// components installed; for a removal, nothing installed; in both, no
// reboot pending and the declared service pack level.
func (r *opRun) verify(ctx context.Context) error {
	n := r.n
	// The IIS services that the components run are among these three.
	read, err := n.readNode(ctx, stepWords[stepDone], nil, iisServicesOf([]string{"iis_www", "iis_ftp"}))
	if err != nil {
		return err
	}
	osv, op := read.os, read.op
	var problems []string
	if r.goal == "remove" {
		if op.Installed {
			problems = append(problems, "the Option Pack is still installed")
		}
	} else {
		want, _ := r.spec.WantComponents()
		switch {
		case !op.Installed:
			problems = append(problems, "the Option Pack is not installed")
		case !SameComponents(op.Components, want):
			problems = append(problems, fmt.Sprintf("the installed components differ from the declared ones (%s)", ComponentDiff(op.Components, want)))
		default:
			problems = append(problems, IISProblems(op, read.services)...)
		}
	}
	if op.PendingReboot {
		problems = append(problems, "a reboot is still pending")
	}
	if sp := strings.ToLower(r.spec.ServicePack); sp != "" && osv.servicePack != sp {
		problems = append(problems, fmt.Sprintf("the node is at service pack %q (CSDVersion %q), declared %q", osv.servicePack, osv.csd, sp))
	}
	if len(problems) > 0 {
		return &StepError{Node: n.R.Node(), Step: stepWords[stepDone], Meaning: strings.Join(problems, "; ")}
	}
	return nil
}

// writeRecord writes the record, one name=value line each, sorted. A value
// echo can't write (one with a cmd.exe metacharacter) is left out: an import
// then can't learn it.
func (r *opRun) writeRecord(ctx context.Context) error {
	lines := []string{"[Install]"}
	for _, k := range slices.Sorted(maps.Keys(r.spec.Record)) {
		v := r.spec.Record[k]
		if recordKeyRe.MatchString(k) && v != "" && !strings.ContainsAny(v, "%!&|<>^\r\n") {
			lines = append(lines, k+"="+v)
		}
	}
	return r.n.writeFile(ctx, stepWords[stepRecord], r.sysRoot, r.sysRoot+`\`+recordFile, lines)
}
