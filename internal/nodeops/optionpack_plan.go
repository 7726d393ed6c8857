package nodeops

import (
	"context"
	"fmt"
	"strings"
)

// InstallFacts are what a plan reads, read-only, about a node before an
// install: the cluster service, the Option Pack, and the journal of the last
// run. PlanInstall turns them into the steps the install will run.
type InstallFacts struct {
	ClusterService ServiceStatus
	OptionPack     OptionPack
	// JournalStep is the last step of an unfinished run of the same spec
	// ("start" when it recorded none yet), "" when the install starts over.
	JournalStep string
}

// ReadInstallFacts reads the facts PlanInstall needs. It only reads.
func (n *Node) ReadInstallFacts(ctx context.Context, spec InstallSpec) (InstallFacts, error) {
	var f InstallFacts
	r, journal, err := n.readNodeAndJournal(ctx, "read the cluster service, the Option Pack state and its journal",
		optionPackPhase, []string{ClusterService})
	if err != nil {
		return f, err
	}
	f.ClusterService, f.OptionPack = r.services[0], r.op
	if journal.Resumes(spec.phaseSpec("install")) {
		f.JournalStep = journal.Step
	}
	return f, nil
}

// PlanInstall is the list of steps InstallOptionPack will run on a node with
// these facts, in order and in words, as the plan shows them. It makes the
// sequence's own decisions (what a resumed run skips, when the removal's
// service pack is due, which reboots follow, an Option Pack found where
// setup is due removed first) from the facts alone, step by step as
// stepFunc makes them; a test holds the two together against the lab's
// command log. Where only the node after a pending reboot tells (a run
// interrupted between a change and its journal line), the step says so.
func PlanInstall(f InstallFacts, spec InstallSpec) []string {
	var plan []string
	add := func(s string) { plan = append(plan, s) }
	sp := "re-apply service pack " + spec.ServicePack + " (" + spec.ServicePackPath + ")"
	if f.ClusterService.StartType != StartManual {
		add("set the cluster service (ClusSvc) to manual")
	}
	if f.ClusterService.State != StateStopped {
		add("stop the cluster service and wait until it is STOPPED")
	}
	if f.OptionPack.PendingReboot {
		add("reboot: a change waits for a restart")
	}
	resume := -1
	if f.JournalStep != "" {
		resume = indexOf(installSteps, f.JournalStep)
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
	maybeSetUp := resume >= 0 && resume == indexOf(installSteps, stepSetup)-1 && !installed && f.OptionPack.PendingReboot
	removal := installed || f.OptionPack.Removed || f.JournalStep == stepStart
	// The steps read the node after Prepare's reboot. An install whose
	// pending change is a Remove All (the journal's last step, or maybe the
	// interrupted run's) is gone by then; any other pending change leaves
	// it (a change pending on a node without one is maybeSetUp's).
	if installed && f.OptionPack.PendingReboot && (maybeRemoved || f.JournalStep == stepRemoveAll) {
		installed = false
	}
	removedBlock := "Remove All of it, reboot"
	if spec.reapplySP() {
		removedBlock += ", " + sp + ", reboot"
	}
	changed := false  // a step of this run waits for a reboot
	wentBack := false // setup found an Option Pack and went back to Remove All (once)
	for i := resume + 1; i < len(installSteps); i++ {
		switch installSteps[i] {
		case stepRemoveAll:
			if !removal {
				i = indexOf(installSteps, stepRemoveAllSPReboot) // nothing was ever installed
				continue
			}
			switch {
			case maybeRemoved:
				add("if the Option Pack (" + what + ") is still present after that reboot (the interrupted run may " +
					"have removed it): Remove All and reboot")
			case installed:
				add("Remove All of the Option Pack present (" + what + ")")
				installed, changed = false, true
			}
		case stepRemoveAllReboot, stepRemoveAllSPReboot, stepSetupReboot, stepSPReboot:
			if changed {
				add("reboot")
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
				i = indexOf(installSteps, stepRemoveAll) - 1
				continue
			}
			if maybeSetUp {
				add("if an Option Pack is present after that reboot (the interrupted run may have run setup before " +
					"it could record it): " + removedBlock)
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
