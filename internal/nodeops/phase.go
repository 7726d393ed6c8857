package nodeops

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Progress is called as each step starts, with the step in words (for tflog).
type Progress func(step string)

// stepDone is the journal's last step: the run finished.
const stepDone = "done"

// The reinstall policies of the phases that reinstall (InstallSpec's and
// MSDTCSpec's Reinstall), as mscs_optionpack_install and
// mscs_msdtc_clustered name them.
const (
	ReinstallWhenNeeded = "when_needed"
	ReinstallAlways     = "always"
)

// A KB phase that changes a node runs as a Phase: a list of steps, resumable
// through a journal on the node and locked so that two runs never
// interleave. Each step checks the node before it acts (a reboot step
// reboots only while a reboot is pending, setup runs only when nothing is
// installed) and is recorded in the journal once done, so a run that failed
// or was killed halfway resumes after its last completed step, and a
// resumed step that finds its end already reached does nothing.
//
// The journal is %SystemRoot%\mscs-<phase>.log, one line per completed step,
// `step=<step> spec=<hash>`; the hash covers what the run is for (its goal
// and the settings that change what is done, not paths or timeouts). A run
// whose spec matches an unfinished journal resumes it; a finished journal
// ("done"), one of another spec, or none, starts over. The lock is
// %SystemRoot%\mscs-<phase>.lock (lock.go).

// Phase is one run of a phase on a node.
type Phase struct {
	// Name names the journal and the lock: mscs-<Name>.log, mscs-<Name>.lock.
	Name string
	// Words names the phase in its steps' words ("install": "record step
	// setup in the install journal").
	Words string
	// Spec is what the run is for, hashed into every journal line.
	Spec string
	// Steps run in order; the last one is named "done" by convention and
	// verifies the end state.
	Steps []Step
	// Check runs first and only reads: everything the phase can check
	// before its first change (media present, the other node Up). unfinished
	// tells whether an unfinished journal of this spec is there. skip true
	// ends the run at once, successfully, without taking the lock.
	Check func(ctx context.Context, unfinished bool) (skip bool, err error)
	// Prepare runs under the lock on every run, resumed or not, before the
	// steps: what must hold before any step (the cluster service stopped).
	// resumedAfter is the last step of the journal a run resumes ("start"
	// when it recorded none), "" when the run starts over.
	Prepare func(ctx context.Context, resumedAfter string) error
	// LockMaxAge is the longest a run holds the lock (the caller's time
	// limit); 0 means 2 h.
	LockMaxAge time.Duration
	// Progress is told each step as it starts, in words.
	Progress Progress
}

// Step is one step of a phase.
type Step struct {
	Name  string // as the journal records it
	Words string // as progress and errors word it
	// Run checks the node, acts where the step's end is not reached yet,
	// and says what comes next.
	Run func(ctx context.Context) (Next, error)
}

// Next is what the runner does after a step.
type Next struct {
	through string // skip every step up to and including this one, recorded as done
	again   string // go back to this earlier step (once per run)
}

// Continue goes on with the next step.
var Continue = Next{}

// SkipThrough records the step and every later one up to and including
// step as done, and goes on after it: what the node's state made
// unnecessary (nothing to remove: the removal's reboots go with it).
func SkipThrough(step string) Next { return Next{through: step} }

// Again goes back to an earlier step, once per run: the node changed under
// the run (an install appeared before setup) and the steps from there on
// are due again.
func Again(step string) Next { return Next{again: step} }

// specHash is the journal's spec hash: 12 hex digits of SHA-256.
func specHash(spec string) string {
	sum := sha256.Sum256([]byte(spec))
	return hex.EncodeToString(sum[:6])
}

// JournalState is what a node's journal of a phase says about its last run.
type JournalState struct {
	// Unfinished: a run started and did not reach its verified end (it
	// failed or was killed); the next run of the same spec resumes it.
	Unfinished bool
	// Step is the last completed step ("start" when none, "" without a journal).
	Step string
	hash string
}

// Resumes reports whether a run of spec would resume this journal.
func (j JournalState) Resumes(spec string) bool { return j.Unfinished && j.hash == specHash(spec) }

// Journal reads the journal of phase p (its Name and Words) on the node.
// It only reads.
func (n *Node) Journal(ctx context.Context, p Phase) (JournalState, error) {
	path, err := n.journalPath(ctx, p.Name)
	if err != nil {
		return JournalState{}, err
	}
	out, err := n.readFile(ctx, "read the "+p.Words+" journal", path)
	if err != nil {
		return JournalState{}, err
	}
	return journalState(out), nil
}

// journalState reads a journal's text.
func journalState(out string) JournalState {
	hash, step := ParseJournal(out)
	return JournalState{Unfinished: step != "" && step != stepDone, Step: step, hash: hash}
}

// readNodeAndJournal is readNode with the journal of phase p read in the same
// command line where the node's SystemRoot is known already (the identity
// check reads it), and after it otherwise. It only reads.
func (n *Node) readNodeAndJournal(ctx context.Context, step string, p Phase, services []string) (nodeRead, JournalState, error) {
	var own []string
	if root := n.knownSystemRoot(); root != "" {
		line, err := readFileLine(journalFile(root, p.Name))
		if err != nil {
			return nodeRead{}, JournalState{}, err
		}
		own = append(own, line)
	}
	r, err := n.readNode(ctx, step, own, services)
	if err != nil {
		return r, JournalState{}, err
	}
	if len(own) > 0 {
		text, err := n.fileText(step, own[0], r.own[0].Stdout)
		if err != nil {
			return r, JournalState{}, err
		}
		return r, journalState(text), nil
	}
	j, err := n.Journal(ctx, p) // SystemRoot is known now
	return r, j, err
}

func (n *Node) journalPath(ctx context.Context, phase string) (string, error) {
	sysRoot, err := n.systemRoot(ctx)
	if err != nil {
		return "", err
	}
	return journalFile(sysRoot, phase), nil
}

// journalFile is the journal of phase in the folder sysRoot.
func journalFile(sysRoot, phase string) string { return sysRoot + `\mscs-` + phase + `.log` }

var journalRe = regexp.MustCompile(`step=(\S+)\s+spec=(\S+)`)

// ParseJournal reads the last `step=... spec=...` line of a journal.
func ParseJournal(out string) (hash, step string) {
	for _, l := range splitLines(out) {
		if m := journalRe.FindStringSubmatch(l); m != nil {
			step, hash = m[1], m[2]
		}
	}
	return hash, step
}

// A journalWrite is how record writes its line: in a new journal, or after
// the lines there.
type journalWrite bool

const (
	newJournal      journalWrite = true
	appendToJournal journalWrite = false
)

// record writes a completed step to p's journal, as w says.
func (n *Node) record(ctx context.Context, p Phase, step string, w journalWrite) error {
	path, err := n.journalPath(ctx, p.Name)
	if err != nil {
		return err
	}
	q, err := Quote(path)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	redir := " >> "
	if w == newJournal {
		redir = " > "
	}
	line := "echo step=" + step + " spec=" + specHash(p.Spec) + redir + q
	_, err = n.run(ctx, "record step "+step+" in the "+p.Words+" journal", line, false, win32)
	return err
}

// stepStart is the journal's first line: a run began and completed no step yet.
const stepStart = "start"

// RunPhase runs p on the node: Check (read-only), the lock, the journal
// (resume or start over), Prepare, then each step not yet recorded. A
// failure that leaves the node's lock behind says so.
func (n *Node) RunPhase(ctx context.Context, p Phase) (err error) {
	if p.Progress == nil {
		p.Progress = func(string) {}
	}
	journal, err := n.Journal(ctx, p)
	if err != nil {
		return err
	}
	if journal.Resumes(p.Spec) {
		// A journal this phase cannot resume fails before anything changes.
		if _, err := n.resumeAt(ctx, p, journal.Step); err != nil {
			return err
		}
	}
	if p.Check != nil {
		skip, err := p.Check(ctx, journal.Resumes(p.Spec))
		if err != nil || skip {
			return err
		}
	}
	sysRoot, err := n.systemRoot(ctx)
	if err != nil {
		return err
	}
	maxAge := p.LockMaxAge
	if maxAge <= 0 {
		maxAge = 2 * time.Hour
	}
	release, err := n.lock(ctx, sysRoot, p.Name, maxAge)
	if err != nil {
		return err
	}
	defer func() {
		// A release that fails after a completed run leaves a lock the next
		// run takes over as stale; only a failure is worth the words.
		if rerr := release(); rerr != nil && err != nil {
			err = fmt.Errorf("%w; %w", err, rerr)
		}
	}()

	// Read again under the lock: a run that held it may have moved on.
	if journal, err = n.Journal(ctx, p); err != nil {
		return err
	}
	resumed := journal.Resumes(p.Spec)
	first := 0
	if resumed {
		if first, err = n.resumeAt(ctx, p, journal.Step); err != nil {
			return err
		}
	}
	if p.Prepare != nil {
		resumedAfter := ""
		if resumed {
			resumedAfter = journal.Step
		}
		if err := p.Prepare(ctx, resumedAfter); err != nil {
			return err
		}
	}
	if !resumed {
		if err := n.record(ctx, p, stepStart, newJournal); err != nil {
			return err
		}
	}
	wentBack := false
	for i := first; i < len(p.Steps); i++ {
		step := p.Steps[i]
		next, err := step.Run(ctx)
		if err != nil {
			return err
		}
		switch {
		case next.again != "":
			to := p.index(next.again)
			if to < 0 || to > i {
				return p.badNext(step, "Again", next.again, "earlier")
			}
			if wentBack {
				return &StepError{Node: n.R.Node(), Step: step.Words, Meaning: "the node changed under the run twice; " +
					"stopping rather than repeating the steps from " + next.again + " again"}
			}
			wentBack = true
			i = to - 1
			continue
		case next.through != "":
			to := p.index(next.through)
			if to < i {
				return p.badNext(step, "SkipThrough", next.through, "later")
			}
			i = to
			step = p.Steps[i]
		}
		if err := n.record(ctx, p, step.Name, appendToJournal); err != nil {
			return err
		}
	}
	return nil
}

// badNext is a step's Next naming a step the phase does not have where
// the runner needs one (an earlier step for Again, this one or a later one
// for SkipThrough): a bug of the phase; the run stops there, its journal
// ending with the last step recorded, as after any failure.
func (p Phase) badNext(step Step, call, target, where string) error {
	names := make([]string, len(p.Steps))
	for i, s := range p.Steps {
		names[i] = s.Name
	}
	return fmt.Errorf("phase %s: step %s returned %s(%q), which names no %s step of the phase (%s): a bug of the provider",
		p.Name, step.Name, call, target, where, strings.Join(names, ", "))
}

// resumeAt is the index of the step a run resumes at after the journal's
// last step: 0 after "start". A step the phase does not have (a journal
// written by another version, or edited) is an error naming the journal,
// never a resume from the beginning.
func (n *Node) resumeAt(ctx context.Context, p Phase, last string) (int, error) {
	if last == stepStart {
		return 0, nil
	}
	if i := p.index(last); i >= 0 {
		return i + 1, nil
	}
	path, err := n.journalPath(ctx, p.Name)
	if err != nil {
		return 0, err
	}
	return 0, &StepError{Node: n.R.Node(), Step: "resume the " + p.Words + " run", Meaning: fmt.Sprintf(
		"the journal %s ends with step %q, which is no step of this phase: it was written by another version of the "+
			"provider or by hand. Check the node, then delete the journal to start the %s over",
		path, last, p.Words)}
}

// index is the position of the step named name, -1 for none ("start").
func (p Phase) index(name string) int {
	return slices.IndexFunc(p.Steps, func(s Step) bool { return s.Name == name })
}

// A plan step that runs only when something apply finds out first holds
// (MSDTC's reinstall, when the KB's test fails; an install's Remove All of
// an Option Pack an interrupted run may have removed already) is worded
// Conditional: "if <condition>, then: <action>", after its node where the
// phase names the node first. RanSteps turns a plan's steps into the ones
// an apply ran.

// thenWords ends a conditional step's condition.
const thenWords = ", then: "

// Conditional is a plan step that runs only if cond holds at apply.
func Conditional(cond, action string) string { return "if " + cond + thenWords + action }

// conditionalRe is a Conditional step, after an optional "NODE: ".
var conditionalRe = regexp.MustCompile(`^((?:[^\s:]+: )?)if (.+?)` + regexp.QuoteMeta(thenWords) + `(.*)$`)

// RanSteps is planned as an apply ran it: each conditional step without
// its condition where it held (held), left out where it did not; every
// other step as planned.
func RanSteps(planned []string, held bool) []string {
	ran := []string{}
	for _, s := range planned {
		if m := conditionalRe.FindStringSubmatch(s); m != nil {
			if held {
				ran = append(ran, m[1]+m[3])
			}
			continue
		}
		ran = append(ran, s)
	}
	return ran
}
