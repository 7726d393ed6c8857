package nodeops

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// StepKind is what a planned step does, for whoever words around the plan
// (the provider's warnings) without reading the step's words.
type StepKind int

const (
	StepOther              StepKind = iota
	StepStopClusterService          // stops the cluster service
	StepReboot                      // reboots the node (maybe: a conditional step)
)

// PlannedStep is one step of a plan: its words and what it does.
type PlannedStep struct {
	Words string
	Kind  StepKind
	// Conditional: it runs only if its condition holds at apply (its
	// words are Conditional's).
	Conditional bool
	// MayReboot is how many reboots a conditional step runs when its
	// condition holds (the Remove All block a resumed run may need).
	MayReboot int
}

// Reboots is how many times steps reboot the node: sure at least, and at
// most when every conditional step runs.
func Reboots(steps []PlannedStep) (sure, most int) {
	for _, s := range steps {
		switch {
		case s.Kind == StepReboot && s.Conditional:
			most++
		case s.Kind == StepReboot:
			sure++
		}
		most += s.MayReboot
	}
	return sure, sure + most
}

// PlanInstallSteps is the list of steps InstallOptionPack will run on a
// node with these facts, in order, each in words as the plan shows it and
// with its kind. It makes the sequence's own decisions (what a resumed run
// skips, when the removal's service pack is due, which reboots follow, an
// Option Pack found where setup is due removed first) from the facts
// alone, step by step as stepFunc makes them; a test holds the two
// together against the lab's command log. Where only the node after a
// pending reboot tells (a run interrupted between a change and its journal
// line), the step says so.
func PlanInstallSteps(f InstallFacts, spec InstallSpec) []PlannedStep {
	if AdoptInstall(f, spec) {
		return []PlannedStep{{Words: "adopted: already installed as " + cmp.Or(spec.WorkingNode, "the working node") + " has it; nothing runs"}}
	}
	var plan []PlannedStep
	add := func(s string) { plan = append(plan, PlannedStep{Words: s}) }
	addKind := func(k StepKind, s string) { plan = append(plan, PlannedStep{Words: s, Kind: k}) }
	sp := "re-apply service pack " + spec.ServicePack + " (" + spec.ServicePackPath + ")"
	if f.ClusterService.StartType != StartManual {
		add("set the cluster service (ClusSvc) to manual")
	}
	if f.ClusterService.State != StateStopped {
		addKind(StepStopClusterService, "stop the cluster service and wait until it is STOPPED")
	}
	if f.OptionPack.PendingReboot {
		addKind(StepReboot, "reboot: a change waits for a restart")
	}
	resume := -1
	if f.JournalStep != "" {
		resume = slices.Index(installSteps, f.JournalStep)
	}
	installed := f.OptionPack.Installed
	what := f.OptionPack.Method
	if len(f.OptionPack.Components) > 0 {
		what += ": " + strings.Join(f.OptionPack.Components, ", ")
	}
	// A run resumed from its start may have run Remove All before it could
	// record it: only the node after the pending reboot tells.
	maybeRemoved := f.JournalStep == stepStart && installed && f.OptionPack.PendingReboot
	// A run that recorded every step before setup may have run setup before
	// it could record it: a change pending since, then an Option Pack
	// present after the reboot, which setup's check removes first (Again).
	maybeSetUp := resume >= 0 && resume == slices.Index(installSteps, stepSetup)-1 && !installed && f.OptionPack.PendingReboot
	removal := installed || f.OptionPack.Removed || f.JournalStep == stepStart
	// The steps read the node after Prepare's reboot. An install whose
	// pending change is a Remove All (the journal's last step, or maybe the
	// interrupted run's) is gone by then; any other pending change leaves
	// it (a change pending on a node without one is maybeSetUp's).
	if installed && f.OptionPack.PendingReboot && (maybeRemoved || f.JournalStep == stepRemoveAll) {
		installed = false
	}
	removedBlock, blockReboots := "Remove All of it, reboot", 1
	if spec.reapplySP() {
		removedBlock, blockReboots = removedBlock+", "+sp+", reboot", 2
	}
	changed := false  // a step of this run waits for a reboot
	wentBack := false // setup found an Option Pack and went back to Remove All (once)
	for i := resume + 1; i < len(installSteps); i++ {
		switch installSteps[i] {
		case stepRemoveAll:
			if !removal {
				i = slices.Index(installSteps, stepRemoveAllSPReboot) // nothing was ever installed
				continue
			}
			switch {
			case maybeRemoved:
				plan = append(plan, PlannedStep{Kind: StepReboot, Conditional: true, Words: Conditional("the Option Pack ("+what+
					") is still present after that reboot (the interrupted run may have removed it)", "Remove All and reboot")})
			case installed:
				add("Remove All of the Option Pack present (" + what + ")")
				installed, changed = false, true
			}
		case stepRemoveAllReboot, stepRemoveAllSPReboot, stepSetupReboot, stepSPReboot:
			if changed {
				addKind(StepReboot, "reboot")
				changed = false
			}
		case stepRemoveAllSP, stepSP:
			if spec.reapplySP() {
				add(sp)
				changed = true
			}
		case stepSetup:
			if installed && !wentBack {
				// Installed since the journal's last step: not this run's,
				// so it goes first (stepFunc's Again).
				wentBack, removal = true, true
				i = slices.Index(installSteps, stepRemoveAll) - 1
				continue
			}
			if maybeSetUp {
				plan = append(plan, PlannedStep{Conditional: true, Words: Conditional("an Option Pack is present after that reboot (the "+
					"interrupted run may have run setup before it could record it)", removedBlock), MayReboot: blockReboots})
			}
			comps, _ := spec.WantComponents()
			add(fmt.Sprintf("Option Pack setup, %s install (%s)", strings.ToLower(spec.Method), strings.Join(comps, ", ")))
			installed, changed = true, true
		case stepDone:
			add("verify: the components, the IIS services, no pending reboot, the service pack level")
		}
	}
	return plan
}

// AdoptInstall reports whether a create adopts the Option Pack the node has
// instead of running the KB's reinstall: spec.Reinstall is not "always" and
// NotAdoptable finds nothing. The provider has checked that spec is the
// working node's install (safety rule 3), so an install identical to spec is
// identical to the working node's.
func AdoptInstall(f InstallFacts, spec InstallSpec) bool {
	return spec.Reinstall != ReinstallAlways && len(f.NotAdoptable(spec)) == 0
}

// NotAdoptable is why the install the node has is not one a create may
// adopt, in words (none: it may): it must be installed with spec's method,
// components and service pack level, with nothing pending (no reboot, no
// unfinished run of any spec) and every IIS service of its components
// running. A corrupted IIS (the KB's case for the reinstall) shows in its
// services, which stop with an error and die on every start, so it is never
// adopted; a service merely stopped is not taken for healthy either.
func (f InstallFacts) NotAdoptable(spec InstallSpec) []string {
	op := f.OptionPack
	if !op.Installed {
		return []string{"the Option Pack is not installed"}
	}
	var why []string
	want, _ := spec.WantComponents()
	if !strings.EqualFold(op.Method, spec.Method) || !SameComponents(op.Components, want) {
		why = append(why, fmt.Sprintf("the Option Pack is installed %s (%s), not as declared (%s)",
			op.Method, strings.Join(op.Components, ", "), ComponentDiff(op.Components, want)))
	}
	if sp := strings.ToLower(spec.ServicePack); sp != "" && f.ServicePack != sp {
		why = append(why, fmt.Sprintf("the node is at service pack %q, declared %q", f.ServicePack, sp))
	}
	if sp := strings.ToLower(spec.ServicePack); ReappliesServicePack(sp) && f.ServicePack == sp && !f.Finished && f.ClusterService.State != StateRunning {
		// Safety rule 4. Setup leaves the service pack level in the
		// registry as it was (CSDVersion) while it puts older system files
		// back, so the level says nothing; the cluster service, which
		// does not run on those files, does, and so does this provider's
		// own finished install of the same spec.
		why = append(why, fmt.Sprintf("nothing shows that service pack %s was re-applied after the Option Pack's setup: "+
			"the cluster service is %s (it does not run on the system files setup leaves) and no finished install of this "+
			"declaration is recorded on the node", sp, strings.ToLower(string(f.ClusterService.State))))
	}
	if op.PendingReboot {
		why = append(why, "a reboot is pending")
	}
	if f.Unfinished {
		why = append(why, "an earlier run of the install did not finish")
	}
	why = append(why, IISProblems(op, f.IIS)...)
	for _, name := range iisServicesOf(op.Components) {
		for _, s := range f.IIS {
			// A service dead with an exit code is IISProblems' already.
			died := s.State == StateStopped && s.ExitCode != 0
			if strings.EqualFold(s.Name, name) && s.Exists && s.State != StateRunning && !died {
				why = append(why, fmt.Sprintf("%s is %s, not running", name, s.State))
			}
		}
	}
	return why
}
