package nodeops

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Safety rule 6 in one place, for the MSDTC phase and the failover test:
// before its first change a phase records on the working node what it
// found (each moved resource's RestartAction, each moved group's owner),
// then turns "Affect the group" off. Every later run, after a failure or a
// kill too, restores from that record, never from a fresh read taken after
// its own changes, and deletes the record only once a read-back shows the
// restore done. The record lives on the working node because the rebuilt
// node is the one that may be rebuilt again.
//
// The record is %SystemRoot%\mscs-<phase>.hold, written with echo; names
// go in it escaped (recordName: R~26D Web for R&D Web), which its second
// line says:
//
//	[mscs hold]
//	names=~XX
//	phase=msdtc
//	group=NODE1 online Web Group        (owner, online or offline, name)
//	restart=2 Web Server                (RestartAction, resource)
//	dtc.group=Web Group                 (MSDTC only: what the phase needs
//	dtc.resource=MSDTC                   to go on once its resource is
//	dtc.depends=Web Name                 deleted)
//	dtc.network=WEBVS Web Name          (the virtual server, its resource)
//	dtc.disk=Disk S:
//	dtc.log=S:\MSDTCLog
//	end
//
// A record without its last line was cut short while it was written,
// before any change: it is written again from what is found.

// Hold is a phase's record of what it found before its first change.
type Hold struct {
	Phase  string
	Groups []HeldGroup
	// Restart is each moved resource's RestartAction as found.
	Restart map[string]int
	// DTC is what the MSDTC phase needs to go on after its resource is
	// deleted; nil for the failover test.
	DTC *HeldDTC
}

// HeldGroup is a moved group as found.
type HeldGroup struct {
	Name, Owner string
	Online      bool
}

// HeldDTC is the MSDTC phase's group, Network Name, disk and resource as
// found.
type HeldDTC struct {
	Group, Resource                  string
	Depends                          []string
	NetworkName, NetworkNameResource string
	Disk, LogPath                    string
}

const (
	holdHeader = "[mscs hold]"
	// holdNames says the names are escaped (recordName); a record written
	// before they were has no such line, and its names are read as they
	// are (an 8.3 path's ~1 included).
	holdNames = "names=~XX"
	holdEnd   = "end"
)

// lines is the record's text, one echo line each. Names are written with
// recordName, so a cluster name echo can't write as it is (R&D Web) is
// still recorded.
func (h Hold) lines() []string {
	e := recordName
	lines := []string{holdHeader, holdNames, "phase=" + h.Phase}
	for _, g := range h.Groups {
		state := "offline"
		if g.Online {
			state = "online"
		}
		lines = append(lines, "group="+e(g.Owner)+" "+state+" "+e(g.Name))
	}
	for _, name := range h.resources() {
		lines = append(lines, fmt.Sprintf("restart=%d %s", h.Restart[name], e(name)))
	}
	if d := h.DTC; d != nil {
		lines = append(lines, "dtc.group="+e(d.Group), "dtc.resource="+e(d.Resource))
		for _, dep := range d.Depends {
			lines = append(lines, "dtc.depends="+e(dep))
		}
		lines = append(lines, "dtc.network="+e(d.NetworkName)+" "+e(d.NetworkNameResource), "dtc.disk="+e(d.Disk), "dtc.log="+e(d.LogPath))
	}
	return append(lines, holdEnd)
}

// recordEscape starts an escaped character in a record: ~ and two hex
// digits. cmd.exe's echo can't write & | < > ^ as they are (they are its
// operators; ^ escapes would need doubling once per parse), and a quote
// would hide the redirection after it. Quote refuses % and ! in any name,
// so no command of the phases carries them; they are escaped here all the
// same, so the record never depends on that.
const recordEscape = '~'

// recordName is name as a record line carries it: printable ASCII with
// every character echo can't write, and ~ itself, escaped as ~XX.
func recordName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == recordEscape || c < 0x20 || c > 0x7e || strings.IndexByte(`%!&|<>^"`, c) >= 0 {
			fmt.Fprintf(&b, "%c%02X", recordEscape, c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// parseRecordName undoes recordName. A ~ not followed by two hex digits is
// an error: such a record was not written by recordName.
func parseRecordName(s string) (string, error) {
	if strings.IndexByte(s, recordEscape) < 0 {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != recordEscape {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("%q: %c without two hex digits", s, recordEscape)
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("%q: %c without two hex digits", s, recordEscape)
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), nil
}

// resources are the recorded resources, sorted.
func (h Hold) resources() []string { return slices.Sorted(maps.Keys(h.Restart)) }

// ParseHold reads a record's text. complete is false for no record ("")
// and for one cut short before its last line; a line it does not know is
// an error (a record is never guessed at).
func ParseHold(text string) (h Hold, complete bool, err error) {
	h.Restart = map[string]int{}
	seenHeader, escaped := false, false
	for i, raw := range splitLines(text) {
		l := strings.TrimSpace(raw)
		if l == "" {
			continue
		}
		if !seenHeader {
			if !strings.EqualFold(l, holdHeader) {
				return Hold{}, false, fmt.Errorf("line %d: %q: not a record of the phases (it starts with %s)", i+1, l, holdHeader)
			}
			seenHeader = true
			continue
		}
		if complete {
			return Hold{}, false, fmt.Errorf("line %d: %q after the record's end", i+1, l)
		}
		if l == holdEnd {
			complete = true
			continue
		}
		key, val, ok := strings.Cut(l, "=")
		if !ok {
			return Hold{}, false, fmt.Errorf("line %d: %q is not key=value", i+1, l)
		}
		dtc := func() *HeldDTC {
			if h.DTC == nil {
				h.DTC = &HeldDTC{}
			}
			return h.DTC
		}
		bad := func(want string) error { return fmt.Errorf("line %d: %q: want %s", i+1, l, want) }
		var nameErr error
		name := func(s string) string {
			if !escaped {
				return s
			}
			v, err := parseRecordName(s)
			if err != nil && nameErr == nil {
				nameErr = fmt.Errorf("line %d: %w", i+1, err)
			}
			return v
		}
		switch key {
		case "names":
			if l != holdNames {
				return Hold{}, false, bad(holdNames)
			}
			escaped = true
		case "phase":
			h.Phase = val
		case "group":
			f := strings.SplitN(val, " ", 3)
			if len(f) != 3 || f[0] == "" || strings.TrimSpace(f[2]) == "" || (f[1] != "online" && f[1] != "offline") {
				return Hold{}, false, bad("group=<owner> online|offline <group>")
			}
			h.Groups = append(h.Groups, HeldGroup{Name: name(strings.TrimSpace(f[2])), Owner: name(f[0]), Online: f[1] == "online"})
		case "restart":
			v, res, ok := strings.Cut(val, " ")
			n, err := strconv.Atoi(v)
			if !ok || err != nil || n < 0 || n > 2 || strings.TrimSpace(res) == "" {
				return Hold{}, false, bad("restart=<0, 1 or 2> <resource>")
			}
			h.Restart[name(strings.TrimSpace(res))] = n
		case "dtc.group":
			dtc().Group = name(val)
		case "dtc.resource":
			dtc().Resource = name(val)
		case "dtc.depends":
			dtc().Depends = append(dtc().Depends, name(val))
		case "dtc.network":
			vs, res, _ := strings.Cut(val, " ")
			dtc().NetworkName, dtc().NetworkNameResource = name(vs), name(strings.TrimSpace(res))
		case "dtc.disk":
			dtc().Disk = name(val)
		case "dtc.log":
			dtc().LogPath = name(val)
		default:
			return Hold{}, false, fmt.Errorf("line %d: %q: unknown key %s", i+1, l, key)
		}
		if nameErr != nil {
			return Hold{}, false, nameErr
		}
	}
	if complete && h.Phase == "" {
		return Hold{}, false, errors.New("the record names no phase")
	}
	if h.DTC != nil && complete && h.DTC.Group == "" {
		return Hold{}, false, errors.New("the record's dtc.group is empty")
	}
	return h, complete, nil
}

// holder is one run's side of rule 6: the record at the working node,
// cluster.exe run on via.
type holder struct {
	words string // "the MSDTC phase", in errors
	at    *Node  // the working node, which keeps the record
	via   *Node  // where cluster.exe runs
	path  string
	rec   *Hold // the record once read or written
}

// holdFile is the record of phase in the folder sysRoot.
func holdFile(sysRoot, phase string) string { return sysRoot + `\mscs-` + phase + `.hold` }

// newHolder is phase's record (words name it in errors) on the working
// node at, cluster.exe run on via.
func newHolder(ctx context.Context, phase, words string, at, via *Node) (*holder, error) {
	root, err := at.systemRoot(ctx)
	if err != nil {
		return nil, err
	}
	return &holder{words: words, at: at, via: via, path: holdFile(root, phase)}, nil
}

// read is the record on the working node, nil when there is none (or one
// cut short before any change). It only reads.
func (h *holder) read(ctx context.Context) (*Hold, error) {
	text, err := h.at.readFile(ctx, "read the record of "+h.words, h.path)
	if err != nil {
		return nil, err
	}
	rec, complete, err := ParseHold(text)
	if err != nil {
		return nil, &StepError{Node: h.at.R.Node(), Step: "read the record of " + h.words, Meaning: fmt.Sprintf(
			"%s: %v; nothing was changed (remove the file once the RestartAction values and group owners it lists are as they should be)", h.path, err)}
	}
	if !complete {
		return nil, nil
	}
	return &rec, nil
}

// keep makes found the record unless a record is there already: the values
// before are those the first run that changed anything found.
func (h *holder) keep(ctx context.Context, found Hold) error {
	rec, err := h.read(ctx)
	if err != nil {
		return err
	}
	if rec != nil {
		h.rec = rec
		return nil
	}
	dir := h.path[:strings.LastIndex(h.path, `\`)]
	const step = "record RestartAction and the group owners before the moves"
	if err := h.at.writeFile(ctx, step, dir, h.path, found.lines()); err != nil {
		return err
	}
	// Read back: the record is what a later run restores from, so it must
	// say what was found, not what echo was asked to write.
	back, err := h.read(ctx)
	if err != nil {
		return err
	}
	if back == nil || !slices.Equal(back.lines(), found.lines()) {
		return &StepError{Node: h.at.R.Node(), Step: step, Meaning: fmt.Sprintf(
			"%s does not read back as written; nothing was changed (delete the file and apply again)", h.path)}
	}
	h.rec = back
	return nil
}

// isResourceGone reports a cluster.exe failure that says the resource does
// not exist (5007), the only failure that reads as "gone".
func isResourceGone(err error) bool {
	var se *StepError
	return errors.As(err, &se) && se.ExitCode == 5007
}

// restartNow reads the RestartAction of each of names now: gone[i] for a
// resource that does not exist; any other failure is an error.
func (h *holder) restartNow(ctx context.Context, names []string) (values []int, gone []bool, err error) {
	values, gone = make([]int, len(names)), make([]bool, len(names))
	if len(names) == 0 {
		return values, gone, nil
	}
	tables, errs, err := h.via.resourceTablesEach(ctx, names, "/prop", "read RestartAction of "+strings.Join(names, ", "))
	if err != nil {
		return nil, nil, err
	}
	for i := range names {
		switch {
		case isResourceGone(errs[i]):
			gone[i] = true
		case errs[i] != nil:
			return nil, nil, errs[i]
		default:
			if values[i], err = tables[i]["RestartAction"].Int(); err != nil {
				return nil, nil, fmt.Errorf("%s: resource %s: %w", h.via.R.Node(), names[i], err)
			}
		}
	}
	return values, gone, nil
}

// set sets RestartAction value(name) on each of names that exists and does
// not have it; one that fails does not keep the others from being set.
func (h *holder) set(ctx context.Context, names []string, value func(string) int) error {
	values, gone, err := h.restartNow(ctx, names)
	if err != nil {
		return err
	}
	var errs []error
	for i, name := range names {
		if gone[i] || values[i] == value(name) {
			continue
		}
		if err := h.via.ResourceSetProp(ctx, name, "RestartAction", strconv.Itoa(value(name))); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// off turns "Affect the group" off (RestartAction 1) on each of names that
// exists; keep must have recorded them first.
func (h *holder) off(ctx context.Context, names []string) error {
	if h.rec == nil {
		return fmt.Errorf("%s: RestartAction would change before it is recorded", h.words)
	}
	return h.set(ctx, names, func(string) int { return RestartNoFailover })
}

// restoreSpec is how a phase puts back what the record holds.
type restoreSpec struct {
	// value is what each recorded resource gets; nil: its recorded value.
	value func(resource string) int
	// current is a recorded resource's name now ("" when it is gone and
	// that is expected); nil: the same name.
	current func(resource string) string
	// target is where each recorded group ends; nil: its recorded owner.
	target func(group string) string
	// move moves a group to a node and waits for it.
	move func(ctx context.Context, group, node string) error
}

// restore puts back what the record holds, reads it back, and deletes the
// record only when the read-back shows every value and owner restored. An
// incomplete restore is a *LeftError that says what is left.
func (h *holder) restore(ctx context.Context, s restoreSpec) error {
	if h.rec == nil {
		return nil
	}
	rec := *h.rec
	want := func(name string) int {
		if s.value != nil {
			return s.value(name)
		}
		return rec.Restart[name]
	}
	cur := func(name string) string {
		if s.current != nil {
			return s.current(name)
		}
		return name
	}
	target := func(g HeldGroup) string {
		if s.target != nil {
			if t := s.target(g.Name); t != "" {
				return t
			}
		}
		return g.Owner
	}
	var names, now []string // recorded names, their names now
	for _, name := range rec.resources() {
		if c := cur(name); c != "" {
			names, now = append(names, name), append(now, c)
		}
	}
	// The groups first: "Affect the group" stays off while they move.
	var errs []error
	for _, g := range rec.Groups {
		move := s.move
		if !g.Online {
			// A group recorded offline never comes online: only its
			// owner is restored, and only its owner is waited for.
			move = h.moveOwner
		}
		if err := move(ctx, g.Name, target(g)); err != nil {
			errs = append(errs, err)
		}
	}
	if err := h.set(ctx, now, func(c string) int { return want(names[slices.Index(now, c)]) }); err != nil {
		errs = append(errs, err)
	}
	// The read-back.
	left := &LeftError{Words: h.words, Node: h.at.R.Node(), Path: h.path, Rec: rec}
	values, gone, err := h.restartNow(ctx, now)
	if err != nil {
		left.Unread = true
		errs = append(errs, err)
	} else {
		for _, name := range rec.resources() {
			i := slices.Index(names, name)
			switch {
			case i < 0 || gone[i]:
				left.Missing = append(left.Missing, name)
			case values[i] != want(name) && want(name) == RestartWithFailover:
				left.Off = append(left.Off, fmt.Sprintf("%s (RestartAction %d)", now[i], values[i]))
			case values[i] != want(name):
				left.Wrong = append(left.Wrong, fmt.Sprintf("%s (%d, to be %d)", now[i], values[i], want(name)))
			}
		}
	}
	groups, err := h.via.groupStatus(ctx)
	if err != nil {
		left.Unread = true
		errs = append(errs, err)
	}
	misplaced := 0
	for _, g := range rec.Groups {
		if err != nil {
			break
		}
		var found *ClusterGroup
		for i := range groups {
			if strings.EqualFold(groups[i].Name, g.Name) {
				found = &groups[i]
			}
		}
		// Every group is said, where it belongs or not.
		switch {
		case found == nil:
			misplaced++
			left.Groups = append(left.Groups, fmt.Sprintf("group %s is not in the cluster", g.Name))
		case !strings.EqualFold(found.OwnerNode, target(g)) || (g.Online && !strings.EqualFold(found.State, "Online")):
			misplaced++
			want := "on " + target(g)
			if g.Online {
				want = "Online " + want
			}
			left.Groups = append(left.Groups, fmt.Sprintf("group %s is %s on %s (to be %s)", g.Name, found.State, found.OwnerNode, want))
		default:
			left.Groups = append(left.Groups, fmt.Sprintf("group %s is %s on %s", g.Name, found.State, found.OwnerNode))
		}
	}
	if len(errs) == 0 && len(left.Off)+len(left.Wrong)+len(left.Missing)+misplaced == 0 {
		if err := h.at.deleteFile(ctx, "delete the record of "+h.words+" (restored and read back)", h.path); err != nil {
			return fmt.Errorf("every RestartAction and owner is restored, but %w (the next run finds them restored and deletes it)", err)
		}
		h.rec = nil
		return nil
	}
	left.Err = errors.Join(errs...)
	return left
}

// moveOwner gives a group recorded offline back to node: moved only when
// another node owns it, and read back by its owner alone (its resources
// stay offline, as recorded).
func (h *holder) moveOwner(ctx context.Context, group, node string) error {
	g, err := h.via.groupOf(ctx, group)
	if err != nil {
		return err
	}
	if strings.EqualFold(g.OwnerNode, node) {
		return nil
	}
	if err := h.via.GroupMove(ctx, group, node); err != nil {
		return err
	}
	if g, err = h.via.groupOf(ctx, group); err != nil {
		return err
	}
	if !strings.EqualFold(g.OwnerNode, node) {
		return &StepError{Node: h.via.R.Node(), Step: "move group " + group + " to " + node,
			Meaning: fmt.Sprintf("the group is still on %s after the move", g.OwnerNode)}
	}
	return nil
}

// LeftError is a restore of rule 6 that did not complete: what is left
// ("Affect the group" off where, which group on which node), and the record
// that the next apply restores from.
type LeftError struct {
	Words      string // the phase
	Node, Path string // where the record is
	Rec        Hold
	Off        []string // resources where "Affect the group" is still off
	Wrong      []string // other resources whose RestartAction is not restored
	Missing    []string // recorded resources that do not exist now
	Groups     []string // where each recorded group is
	Unread     bool     // what is left could not be read back
	Err        error    // the failures of the restore, if any
	// Earlier: the record is an earlier run's, which this run did not get
	// to restore (it failed before its first change).
	Earlier bool
}

func (e *LeftError) Error() string {
	if e.Earlier {
		return fmt.Sprintf("an earlier run of %s left its record in %s on %s (%s); the next apply restores from it",
			e.Words, e.Path, e.Node, e.Rec.summary())
	}
	var parts []string
	if len(e.Off) > 0 {
		parts = append(parts, "\"Affect the group\" is still off on "+strings.Join(e.Off, ", "))
	}
	if len(e.Wrong) > 0 {
		parts = append(parts, "RestartAction is not restored on "+strings.Join(e.Wrong, ", "))
	}
	if len(e.Missing) > 0 {
		parts = append(parts, "resource "+strings.Join(e.Missing, ", ")+" does not exist now")
	}
	parts = append(parts, e.Groups...)
	if e.Unread {
		parts = append(parts, "what is left could not be read back; the record holds "+e.Rec.summary())
	}
	msg := fmt.Sprintf("%s did not restore what it held: %s; the values before are kept in %s on %s, and the next apply restores them from it",
		e.Words, strings.Join(parts, "; "), e.Path, e.Node)
	if e.Err != nil {
		// A failure met twice (the restore's read and its read-back) is
		// said once.
		var seen []string
		for _, l := range strings.Split(e.Err.Error(), "\n") {
			if l = strings.TrimSpace(l); l != "" && !slices.Contains(seen, l) {
				seen = append(seen, l)
			}
		}
		msg += " (" + strings.Join(seen, "; ") + ")"
	}
	return msg
}

func (e *LeftError) Unwrap() error { return e.Err }

// summary is the record in words: each resource's RestartAction, each
// group's owner.
func (h Hold) summary() string {
	var parts []string
	for _, name := range h.resources() {
		parts = append(parts, fmt.Sprintf("%s %d", name, h.Restart[name]))
	}
	s := "RestartAction " + strings.Join(parts, ", ")
	for _, g := range h.Groups {
		s += fmt.Sprintf("; group %s on %s", g.Name, g.Owner)
	}
	return s
}

// heldNote is an earlier run's record that this run did not get to
// restore (it failed before its first change).
func heldNote(words, node, path string, rec *Hold) error {
	return &LeftError{Words: words, Node: node, Path: path, Rec: *rec, Earlier: true}
}
