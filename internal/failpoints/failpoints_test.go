package failpoints

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
	"github.com/mscs-ops/terraform-provider-mscs/internal/labtest"
)

var scenarios = []string{"rebuilt-node", "corrupted-iis"}

var kinds = []string{"exit", "lost", "kill"}

// injectedExit is what an "exit" point's command exits with: a failure any
// tool can meet.
const (
	injectedExit   = 5
	injectedStderr = "Access is denied.\r\n"
)

// TestFailpoints injects a failure at changing commands of examples/recovery
// (all of them with MSCS_FAILPOINTS=all, else a sample), then requires the
// next apply, unchanged, to finish the recovery: it succeeds, the lab saw no
// incident, the plan after it is empty, and every resource's RestartAction
// and every group's owner are what they were before the recovery.
func TestFailpoints(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("runs terraform: set TF_ACC=1 (make test does)")
	}
	all := false
	switch v := os.Getenv("MSCS_FAILPOINTS"); v {
	case "", "sample":
	case "all":
		all = true
	default:
		t.Fatalf("MSCS_FAILPOINTS=%q: want all or sample", v)
	}
	var (
		mu      sync.Mutex
		results []result
		tried   = map[string]bool{}
		learned int // scenarios whose points were made
	)
	t.Cleanup(func() {
		report := summary(results, all)
		t.Log("\n" + report)
		if path := os.Getenv("MSCS_FAILPOINTS_REPORT"); path != "" {
			if err := os.WriteFile(path, []byte(report), 0o644); err != nil {
				t.Errorf("writing the report: %v", err)
			}
		}
		if !all || learned < len(scenarios) {
			return // not every point was made
		}
		for key := range knownFailing {
			if !tried[key] {
				t.Errorf("knownFailing names %q, which is no point of this recovery: remove it", key)
			}
		}
	})
	for i, scenario := range scenarios {
		t.Run(scenario, func(t *testing.T) {
			t.Parallel()
			points := learn(t, scenario)
			mu.Lock()
			learned++
			mu.Unlock()
			n := len(points)
			if !all {
				points = sample(points, i)
			}
			t.Logf("%s: %d points, %d of them run", scenario, n, len(points))
			for _, p := range points {
				mu.Lock()
				tried[p.key()] = true
				mu.Unlock()
				t.Run(p.key(), func(t *testing.T) {
					t.Parallel()
					r := p.try(t)
					mu.Lock()
					results = append(results, r)
					mu.Unlock()
					reason, known := knownFailing[p.key()]
					switch {
					case r.recovered() && known:
						t.Errorf("now recovers: remove %q from knownFailing (%s)", p.key(), reason)
					case !r.recovered() && !known:
						t.Errorf("%s: %s\nfirst apply's error: %s", p.key(), r.why(), r.firstErr)
					case !r.recovered():
						t.Logf("known to fail (%s): %s", reason, r.why())
					}
				})
			}
		})
	}
}

// point is one place to inject one kind of failure: the Nth command on
// Node whose "program args" contains Match.
type point struct {
	scenario, kind string
	phase          string // the resource whose apply sent the command
	node, match    string
	nth            int
	// first and last say the point holds its phase's first or last change.
	first, last bool
}

func (p point) key() string {
	k := p.scenario + " " + p.kind + " " + p.node + ": " + p.match
	if p.nth > 1 {
		k += fmt.Sprintf(" #%d", p.nth)
	}
	return k
}

// result is what came of one point.
type result struct {
	p            point
	hit          bool   // the failure happened where it was aimed
	firstExit    int    // the failed apply's exit (-1: killed)
	firstErr     string // its first error
	secondExit   int
	secondErr    string
	planExit     int
	planRes      []string // resources the plan after would change
	planOut      []string // outputs it would change
	incidents    []world.Incident
	heldMismatch string // RestartAction and owners unlike before
	took         time.Duration
}

func (r result) recovered() bool {
	return r.hit && r.secondExit == 0 && r.planExit == 0 && len(r.incidents) == 0 && r.heldMismatch == ""
}

// why says what went wrong, the first thing first.
func (r result) why() string {
	var w []string
	if !r.hit {
		w = append(w, "the failure was never injected: the run did not reach the command")
	}
	if r.secondExit != 0 {
		w = append(w, fmt.Sprintf("the second apply failed (exit %d): %s", r.secondExit, r.secondErr))
	}
	if len(r.incidents) > 0 {
		var s []string
		for _, in := range r.incidents {
			s = append(s, fmt.Sprintf("%s rule %d: %s", in.Node, in.Rule, in.What))
		}
		w = append(w, fmt.Sprintf("%d incidents: %s", len(r.incidents), strings.Join(s, "; ")))
	}
	if r.secondExit == 0 && r.planExit != 0 {
		switch {
		case r.planExit == 2 && len(r.planRes) == 0:
			w = append(w, "the plan after changes only outputs: "+strings.Join(r.planOut, ", ")+" (issue 26 item 3)")
		case r.planExit == 2:
			w = append(w, "the plan after is not empty: "+strings.Join(r.planRes, "; "))
		default:
			w = append(w, fmt.Sprintf("the plan after failed (exit %d)", r.planExit))
		}
	}
	if r.heldMismatch != "" {
		w = append(w, "not as before the recovery: "+r.heldMismatch)
	}
	return strings.Join(w, "; ")
}

// holdings are what a recovery must give back: each resource's
// RestartAction and each group's owner, one "what=value" line each.
type holdings []string

func holdingsOf(s world.Snapshot) holdings {
	var h holdings
	for _, g := range s.Cluster.Groups {
		h = append(h, "group "+g.Name+" owner="+g.Owner)
	}
	for _, r := range s.Cluster.Resources {
		h = append(h, "resource "+r.Name+" RestartAction="+r.Properties["RestartAction"])
	}
	sort.Strings(h)
	return h
}

// diff is "" when h and now are alike, else what differs.
func (h holdings) diff(now holdings) string {
	was := map[string]bool{}
	for _, s := range h {
		was[s] = true
	}
	is := map[string]bool{}
	for _, s := range now {
		is[s] = true
	}
	var d []string
	for _, s := range now {
		if !was[s] {
			d = append(d, "now "+s)
		}
	}
	for _, s := range h {
		if !is[s] {
			d = append(d, "was "+s)
		}
	}
	return strings.Join(d, ", ")
}

func startLab(t *testing.T, scenario string) *lab.Lab {
	t.Helper()
	l, err := lab.Start(t.Context(), lab.Options{Scenario: scenario})
	if err != nil {
		t.Fatalf("starting the lab: %v", err)
	}
	t.Cleanup(l.Close)
	return l
}

// change is one changing command of the clean run.
type change struct {
	world.CommandRecord
	phase string
	text  string // "program args", trimmed
}

// isChange reports whether c changes a node or the cluster: what
// labtest.IsReadOnly does not call a read.
func isChange(c world.CommandRecord) bool {
	return !labtest.IsReadOnly(c)
}

// cleanRun runs examples/recovery once without failures and returns its
// changing commands, each with the resource whose apply sent it, and the
// whole command log.
func cleanRun(t *testing.T, scenario string) ([]change, []world.CommandRecord) {
	t.Helper()
	l := startLab(t, scenario)
	before := holdingsOf(l.World().State())
	ws := newWorkspace(t, l)
	r := ws.apply(nil)
	if r.exit != 0 {
		t.Fatalf("the clean run of %s failed: %s", scenario, r.firstError())
	}
	if in := l.World().Incidents(); len(in) > 0 {
		t.Fatalf("the clean run of %s had incidents: %+v", scenario, in)
	}
	if d := before.diff(holdingsOf(l.World().State())); d != "" {
		t.Fatalf("the clean run of %s does not end as it began: %s", scenario, d)
	}
	// The apply's resources in the order they started: each command
	// belongs to the last one started before it.
	type start struct {
		at   time.Time
		addr string
	}
	var starts []start
	for _, e := range r.events {
		if e.Type == "apply_start" && e.Hook != nil {
			starts = append(starts, start{e.Timestamp, e.Hook.Resource.Addr})
		}
	}
	var changes []change
	log := l.World().Commands("")
	for _, c := range log {
		if !isChange(c) {
			continue
		}
		ch := change{CommandRecord: c, text: strings.TrimSpace(c.Program + " " + c.Args), phase: "?"}
		for _, s := range starts {
			if !s.at.After(c.Time) {
				ch.phase = strings.TrimSuffix(s.addr, ".rebuilt")
			}
		}
		changes = append(changes, ch)
	}
	return changes, log
}

// learn runs the recovery cleanly twice and makes the points: the commands
// the two runs share, each matched by the part of its text both runs gave
// it (a lock's owner and time differ from run to run).
func learn(t *testing.T, scenario string) []point {
	t.Helper()
	a, logA := cleanRun(t, scenario)
	b, logB := cleanRun(t, scenario)
	if len(a) != len(b) {
		t.Fatalf("%s: two clean runs sent %d and %d changes", scenario, len(a), len(b))
	}
	for i := range a {
		a[i].text = commonText(a[i].text, b[i].text)
		if a[i].Node != b[i].Node || a[i].text == "" {
			t.Fatalf("%s: the clean runs' change %d differs: %q on %s, %q on %s", scenario, i, a[i].text, a[i].Node, b[i].text, b[i].Node)
		}
		// The Nth command with that text is the same change in both runs,
		// or the point would aim at another command.
		n := nthOf(logA, a[i].CommandRecord, a[i].text)
		if hit := nthMatch(logB, a[i].Node, a[i].text, n); hit != b[i].Seq {
			t.Fatalf("%s: %q #%d on %s is not the same change in both clean runs", scenario, a[i].text, n, a[i].Node)
		}
	}
	var points []point
	add := func(kind string, c change, first, last bool) {
		points = append(points, point{scenario: scenario, kind: kind, phase: c.phase, node: c.Node, match: c.text,
			nth: nthOf(logA, c.CommandRecord, c.text), first: first, last: last})
	}
	for i, c := range a {
		firstOfPhase := i == 0 || a[i-1].phase != c.phase
		lastOfPhase := i == len(a)-1 || a[i+1].phase != c.phase
		sameLineBefore := i > 0 && a[i-1].Run == c.Run
		sameLineAfter := i < len(a)-1 && a[i+1].Run == c.Run
		// Exit: each command, but of the echo lines one line writes into
		// a file (the unattend file, a record) only the first: the ones
		// after it fail alike.
		if !sameLineBefore || !isEcho(a[i-1]) || !isEcho(c) {
			lastEx := lastOfPhase || sameLineAfter && isEcho(c) && isEcho(a[i+1]) && lastOfPhaseFrom(a, i)
			add("exit", c, firstOfPhase, lastEx)
		}
		// Lost and kill: a command line's last change; what follows it
		// on the line runs in any case.
		if !sameLineAfter {
			firstLine := firstOfPhase || sameLineBefore && firstOfPhaseFrom(a, i)
			add("lost", c, firstLine, lastOfPhase)
			add("kill", c, firstLine, lastOfPhase)
		}
	}
	return points
}

// firstOfPhaseFrom reports whether the command line of a[i] holds its
// phase's first change.
func firstOfPhaseFrom(a []change, i int) bool {
	for j := i; j >= 0 && a[j].Run == a[i].Run; j-- {
		if j == 0 || a[j-1].phase != a[j].phase {
			return true
		}
	}
	return false
}

// lastOfPhaseFrom reports whether the command line of a[i] holds its
// phase's last change.
func lastOfPhaseFrom(a []change, i int) bool {
	for j := i; j < len(a) && a[j].Run == a[i].Run; j++ {
		if j == len(a)-1 || a[j+1].phase != a[j].phase {
			return true
		}
	}
	return false
}

func isEcho(c change) bool { return strings.EqualFold(c.Program, "echo") }

// matches reports whether c is a command on node whose "program args"
// contains text, as the lab's faults match (case-insensitively).
func matches(c world.CommandRecord, node, text string) bool {
	return strings.EqualFold(c.Node, node) && strings.Contains(strings.ToLower(strings.TrimSpace(c.Program+" "+c.Args)), strings.ToLower(text))
}

// nthOf is which of the log's commands that match text on c's node c is,
// counting reads too, as the lab's faults do.
func nthOf(log []world.CommandRecord, c world.CommandRecord, text string) int {
	n := 0
	for _, o := range log {
		if o.Seq > c.Seq {
			break
		}
		if matches(o, c.Node, text) {
			n++
		}
	}
	return n
}

// nthMatch is the sequence number of the nth command of the log that
// matches text on node, 0 if none.
func nthMatch(log []world.CommandRecord, node, text string, nth int) int {
	for _, o := range log {
		if matches(o, node, text) {
			if nth--; nth == 0 {
				return o.Seq
			}
		}
	}
	return 0
}

// commonText is the part of two runs' texts of one command that both
// share, cut back to a whole word or a whole "name=".
func commonText(x, y string) string {
	if x == y {
		return x
	}
	n := 0
	for n < len(x) && n < len(y) && x[n] == y[n] {
		n++
	}
	s := x[:n]
	if i := strings.LastIndexAny(s, " ="); i >= 0 {
		return s[:i+1]
	}
	return ""
}

// sample picks the points `make test` runs: for each phase its first
// change (rebuilt-node) or its last (corrupted-iis), the kinds in turn.
func sample(points []point, scenario int) []point {
	var out []point
	seen := map[string]bool{}
	turn := scenario
	for _, p := range points {
		if seen[p.phase] || (scenario == 0 && !p.first) || (scenario == 1 && !p.last) {
			continue
		}
		want := kinds[turn%len(kinds)]
		if p.kind != want {
			continue
		}
		seen[p.phase] = true
		turn++
		out = append(out, p)
	}
	return out
}

// try runs the point: a fresh lab, the apply with the failure, the faults
// cleared, the apply again, the plan after, and the lab's verdict.
func (p point) try(t *testing.T) result {
	t.Helper()
	start := time.Now()
	l := startLab(t, p.scenario)
	ctl := l.Control()
	before := holdingsOf(l.World().State())
	r := result{p: p}
	ws := newWorkspace(t, l)

	k := &killer{}
	switch p.kind {
	case "exit":
		if err := ctl.AddFault(world.Fault{Node: p.node, Kind: "exit", Match: p.match, Nth: p.nth, Count: 1, ExitCode: injectedExit, Stderr: injectedStderr}); err != nil {
			t.Fatal(err)
		}
	case "lost":
		if err := ctl.AddFault(world.Fault{Node: p.node, Kind: "lost", Match: p.match, Nth: p.nth, Count: 1}); err != nil {
			t.Fatal(err)
		}
	case "kill":
		var mu sync.Mutex
		seen := 0
		l.World().OnCommand(func(c world.CommandRecord) {
			if !matches(c, p.node, p.match) {
				return
			}
			mu.Lock()
			seen++
			now := seen == p.nth
			mu.Unlock()
			if now {
				k.kill()
			}
		})
	}
	first := ws.apply(k)
	r.firstExit, r.firstErr = first.exit, first.firstError()
	switch p.kind {
	case "kill":
		r.hit = first.killed
	default:
		// A fault with Count 1 is gone once it hit.
		r.hit = len(l.World().State().Faults) == 0
	}
	if err := ctl.ClearFaults(); err != nil {
		t.Fatal(err)
	}
	second := ws.apply(nil)
	r.secondExit, r.secondErr = second.exit, second.firstError()
	if r.secondExit == 0 {
		var plan tfRun
		plan, r.planRes, r.planOut = ws.plan()
		r.planExit = plan.exit
	}
	r.incidents = l.World().Incidents()
	r.heldMismatch = before.diff(holdingsOf(l.World().State()))
	r.took = time.Since(start)
	return r
}

// summary is the report: points tried, recovered and with incidents per
// scenario and kind, then each point that did not recover.
func summary(results []result, all bool) string {
	sort.Slice(results, func(i, j int) bool { return results[i].p.key() < results[j].p.key() })
	type count struct{ tried, recovered, withIncidents, incidents int }
	counts := map[string]*count{}
	var rows []string
	var b strings.Builder
	mode := "sample"
	if all {
		mode = "all points"
	}
	var took time.Duration
	for _, r := range results {
		took += r.took
		for _, key := range []string{r.p.scenario + " " + r.p.kind, r.p.scenario + " all", "all " + r.p.kind, "all all"} {
			c := counts[key]
			if c == nil {
				c = &count{}
				counts[key] = c
				rows = append(rows, key)
			}
			c.tried++
			if r.recovered() {
				c.recovered++
			}
			if len(r.incidents) > 0 {
				c.withIncidents++
				c.incidents += len(r.incidents)
			}
		}
	}
	// Each scenario's kinds, then the totals ("all").
	sort.Slice(rows, func(i, j int) bool {
		ai, aj := strings.HasPrefix(rows[i], "all "), strings.HasPrefix(rows[j], "all ")
		if ai != aj {
			return aj
		}
		return rows[i] < rows[j]
	})
	fmt.Fprintf(&b, "Failure injection into examples/recovery (%s): %d points, %s of terraform and lab time\n\n", mode, len(results), took.Round(time.Second))
	fmt.Fprintf(&b, "%-16s %-5s %6s %10s %20s\n", "scenario", "kind", "tried", "recovered", "incidents (points)")
	for _, key := range rows {
		c := counts[key]
		f := strings.Fields(key)
		fmt.Fprintf(&b, "%-16s %-5s %6d %10d %11d (%d)\n", f[0], f[1], c.tried, c.recovered, c.incidents, c.withIncidents)
	}
	b.WriteString("\nPoints that did not recover (phase; why; the failed apply's first error):\n")
	for _, r := range results {
		if r.recovered() {
			continue
		}
		mark := ""
		if _, known := knownFailing[r.p.key()]; known {
			mark = " [known]"
		}
		fmt.Fprintf(&b, "- %s%s\n    phase %s; %s\n    first error: %s\n", r.p.key(), mark, r.p.phase, r.why(), shorten(r.firstErr, 300))
	}
	var add, remove []string
	for _, r := range results {
		_, known := knownFailing[r.p.key()]
		switch {
		case !r.recovered() && !known:
			add = append(add, fmt.Sprintf("\t%q: \"...\", // %s", r.p.key(), shorten(r.why(), 160)))
		case r.recovered() && known:
			remove = append(remove, fmt.Sprintf("\t%q,", r.p.key()))
		}
	}
	if len(add) > 0 {
		b.WriteString("\nNot recovered and not in knownFailing (fix, or add with the reason):\n" + strings.Join(add, "\n") + "\n")
	}
	if len(remove) > 0 {
		b.WriteString("\nIn knownFailing and now recovered (remove):\n" + strings.Join(remove, "\n") + "\n")
	}
	return b.String()
}

func shorten(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
