package nodeops

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// PlanMSDTC is the phase's steps in words, each naming its node, as the
// plan lists them: on a resumed run (f.ResumeAfter) only the steps apply
// will run, and, when an earlier run's record is there, the values and
// owner it holds. Steps that depend on the test's outcome say so.
func PlanMSDTC(f MSDTCFacts, spec MSDTCSpec) []string {
	rebuilt, working := spec.Node, spec.WorkingNode
	type line struct{ step, words string } // step: the journal's name of the step that runs it
	moved := strings.Join(f.Moved(), ", ")
	owner := f.Owner // where the group goes back to at the end
	restored := "the values they had"
	if f.Held != nil {
		moved = strings.Join(f.Held.resources(), ", ")
		if len(f.Held.Groups) > 0 {
			owner = f.Held.Groups[0].Owner
		}
		restored = fmt.Sprintf("the values an earlier run recorded in %s (%s)", f.HeldPath, f.Held.summary())
	}
	off := moved
	if f.Held != nil && f.Held.DTC != nil && f.Resource == "" {
		var now []string // the deleted MSDTC resource gets 1 when it is back
		for _, r := range f.Held.resources() {
			if !strings.EqualFold(r, f.Held.DTC.Resource) {
				now = append(now, r)
			}
		}
		off = strings.Join(now, ", ")
	}
	lines := []line{{"", fmt.Sprintf("%s: set RestartAction 1 (\"Affect the group\" off) on %s while the group moves", working, off)}}
	if !strings.EqualFold(f.Owner, working) {
		lines = append(lines, line{"test", fmt.Sprintf("%s: move group %s to %s", working, f.Group, working)})
	}
	lines = append(lines,
		line{"test", fmt.Sprintf("%s: move group %s to %s and see whether MSDTC comes online there (the KB's test)", working, f.Group, rebuilt)},
		line{"test", fmt.Sprintf("%s: move group %s back to %s", working, f.Group, working)})
	// The reinstall runs only if the test fails, unless it is certain now.
	cond := "MSDTC did not come online on " + rebuilt + " in the KB's test"
	if f.Reinstall(spec).Certain {
		cond = ""
	}
	vs := f.NetworkName
	var re []line
	if spec.Method == DTCMethodDTCSetup {
		re = []line{
			{"stop", fmt.Sprintf("%s: take %s offline (transactions in flight are lost)", working, f.Resource)},
			{"dtcsetup-working", fmt.Sprintf("%s: run %s", working, spec.DTCSetupPaths[working])},
			{"dtcsetup-rebuilt", fmt.Sprintf("%s: run %s", rebuilt, spec.DTCSetupPaths[rebuilt])},
		}
	} else {
		if f.Resource != "" {
			re = append(re, line{"delete", fmt.Sprintf("%s: take %s offline and delete it from group %s (transactions in flight are lost)", working, f.Resource, f.Group)})
		}
		re = append(re,
			line{"remove-working", fmt.Sprintf("%s: msdtc -remove", working)},
			line{"remove-rebuilt", fmt.Sprintf("%s: msdtc -remove", rebuilt)})
		if !f.LogExists {
			re = append(re, line{"log", fmt.Sprintf("%s: create the log folder %s on the shared disk", working, f.LogPath)})
		}
		re = append(re,
			line{"install", fmt.Sprintf("%s: msdtc -install -d %%windir%%\\system32 -l %s -v %s", working, f.LogPath, vs)},
			line{"join", fmt.Sprintf("%s: msdtc -join", rebuilt)})
	}
	re = append(re,
		line{"online", fmt.Sprintf("%s: set RestartAction 1 on MSDTC and bring it online", working)},
		line{"verify", fmt.Sprintf("%s: move group %s to %s, check MSDTC online there, move it back to %s", working, f.Group, rebuilt, working)})
	for _, l := range re {
		if cond != "" {
			l.words = Conditional(cond, l.words)
		}
		lines = append(lines, l)
	}
	before := f.RestartActions
	if f.Held != nil {
		before = f.Held.Restart
	}
	var kept []string // an administrator's choice, named (rule 6)
	for _, r := range slices.Sorted(maps.Keys(before)) {
		if before[r] != RestartWithFailover {
			kept = append(kept, fmt.Sprintf("%s stays %d", r, before[r]))
		}
	}
	if len(kept) > 0 {
		restored += ": " + strings.Join(kept, ", ") + ", as found before the recovery"
	}
	lines = append(lines, line{stepDone, fmt.Sprintf("%s: restore RestartAction on %s to %s", working, moved, restored)})
	if !strings.EqualFold(owner, working) {
		lines = append(lines, line{stepDone, fmt.Sprintf("%s: move group %s back to %s, its owner before", working, f.Group, owner)})
	}
	// A resumed run runs the steps after its journal's last one (and the
	// hold, which every run takes before its steps).
	order := map[string]int{"": -1, "test": 0, "stop": 1, "dtcsetup-working": 2, "dtcsetup-rebuilt": 3, "delete": 1,
		"remove-working": 2, "remove-rebuilt": 3, "log": 4, "install": 5, "join": 6, "online": 7, "verify": 8, stepDone: 9}
	after := -1
	if f.resumedPastTest() {
		after = order[f.ResumeAfter]
	}
	var steps []string
	for _, l := range lines {
		if l.step == "" || order[l.step] > after {
			steps = append(steps, l.words)
		}
	}
	return steps
}

// DTCReinstall is whether the phase reinstalls MSDTC whatever the KB's test
// shows: decided once, by MSDTCFacts.Reinstall, for the plan's steps, its
// warning and the run.
type DTCReinstall struct {
	Certain bool
	Why     string // why it is certain, in words ("" when the test decides)
}

// Reinstall is whether the reinstall is certain before the KB's test: asked
// for always, either node's MSDTC not clustered, no MSDTC resource in the
// group, or a run resumed past the test.
func (f MSDTCFacts) Reinstall(spec MSDTCSpec) DTCReinstall {
	rebuilt, working := f.States[spec.Node].Mode, f.States[spec.WorkingNode].Mode
	switch {
	case spec.Reinstall == ReinstallAlways:
		return DTCReinstall{true, "reinstall = \"always\""}
	case rebuilt != DTCClustered:
		return DTCReinstall{true, fmt.Sprintf("%s's MSDTC is %s, so it cannot come online there", spec.Node, rebuilt)}
	case working != DTCClustered:
		return DTCReinstall{true, fmt.Sprintf("%s's MSDTC is %s, not clustered", spec.WorkingNode, working)}
	case f.Resource == "":
		return DTCReinstall{true, fmt.Sprintf("group %s has no MSDTC resource", f.Group)}
	case f.resumedPastTest():
		return DTCReinstall{true, fmt.Sprintf("an earlier run stopped after its step %q, past the KB's test", f.ResumeAfter)}
	}
	return DTCReinstall{}
}

// resumedPastTest is a run that resumes after the KB's test.
func (f MSDTCFacts) resumedPastTest() bool { return f.ResumeAfter != "" && f.ResumeAfter != stepStart }
