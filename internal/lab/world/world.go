package world

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/winfs"
)

var _ API = (*World)(nil)

// Node statuses.
const (
	nodeUp        = "up"
	nodeRebooting = "rebooting"
	nodeDown      = "down"
)

// defaultRebootSeconds is a reboot of an NT 4.0 server on hardware.
const defaultRebootSeconds = 120

// World is the lab's state. Every exported method takes w.mu; tools call them
// and never hold the lock while writing output, so a tool blocked on a slow
// reader can't stall the world. Reachability callbacks run after the lock is
// released, so they may call back into the World.
type World struct {
	mu    sync.Mutex
	sc    *Scenario
	now   func() time.Time
	scale float64
	// start is when the world was built. The emulated clock (what the
	// tools print as dates) agrees with the lab's clock there and runs
	// 1/scale times faster, so a reboot of 90 emulated seconds moves a
	// node's boot time by 90 s however fast the lab runs it.
	start time.Time
	// layout2003 prints sc, reg, cluster and net output as Windows XP and
	// 2003 do; without it net localgroup lists in NT 4.0's columns.
	layout2003 bool
	nodes      []*node
	cluster    *cluster
	tools      map[string]toolFunc
	commands   []CommandRecord
	incidents  []Incident
	// The web sites (web.go): faults by address, and the request log.
	siteFaults map[string]string
	webLog     []WebRequest
	seq        int
	runs       int // command lines started (CommandRecord.Run)
	faults     []*faultState
	cmdFns     []func(CommandRecord)

	events    []*event
	eventSeq  int
	eventTime time.Time // due time of the event running now, zero otherwise
	// busy is how long at least one event was pending (the union of their
	// intervals), and busyUntil where that union ends so far: see
	// Snapshot.LabWaits.
	busy      time.Duration
	busyUntil time.Time
	timer     *time.Timer
	armedFor  time.Time
	closed    bool
	reachFns  []func(node string, reachable bool)
	notes     []reachNote
	lastReach map[string]bool
}

type reachNote struct {
	node      string
	reachable bool
}

// event is a state change due at an emulated instant (a service transition,
// the end of a reboot). Events run lazily at the next locked access after
// their time, and a real timer makes sure one such access happens on time:
// tests with an injected clock see exactly the events their clock has reached.
type event struct {
	due time.Time
	seq int
	fn  func()
}

// node is one machine.
type node struct {
	name       string
	id         int
	osVersion  string
	build      string
	csd        string
	status     string
	services   map[string]*service // by lower-case name
	svcOrder   []string
	reg        *registry
	fs         *winfs.FS
	optionPack OptionPackSpec
	dtc        msdtcState    // msdtc.go
	mb         metabase      // metabase.go
	acct       accountsState // accounts.go
	mbSeed     string        // the scenario's metabase: cluster or default
	slowReboot float64       // emulated seconds of the next reboot, from a slow_reboot fault
	bootTime   time.Time     // emulated instant of the last boot (net statistics' "Statistics since")

	// Changes waiting for the next boot (see optionpack.go).
	pendingOP    *pendingOptionPack
	pendingCSD   string // service pack level applied, e.g. "6a"
	spFixPending bool   // that service pack was applied after the last Option Pack setup
	// staleSystemFiles: Option Pack setup replaced system files with older
	// ones; the cluster service can't run until a service pack (4+) is re-applied.
	staleSystemFiles bool
	// iisMismatch: installed components differ from the other node's (rule 3
	// damage): IIS Server Instance resources can't run here.
	iisMismatch bool
	tempFiles   int // names of queued file replacements

	shutdownPending bool // a shutdown or reboot is counting down
	shutdownGen     int  // cancels a countdown (shutdown /a, or another reboot)
}

// New builds a world from a validated scenario.
func New(sc *Scenario, opts Options) (*World, error) {
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("scenario %q: %w", sc.Name, err)
	}
	w := &World{sc: sc, now: opts.Now, scale: opts.TimeScale, tools: map[string]toolFunc{}, lastReach: map[string]bool{}}
	if w.now == nil {
		w.now = time.Now
	}
	if w.scale == 0 {
		w.scale = sc.TimeScale
	}
	if w.scale == 0 {
		w.scale = 0.001
	}
	if !validToolLayout(opts.ToolLayout) {
		return nil, fmt.Errorf("tool layout %q: want %q or %q", opts.ToolLayout, LayoutNT4, Layout2003)
	}
	w.layout2003 = opts.ToolLayout == Layout2003 || opts.ToolLayout == "" && sc.ToolLayout == Layout2003
	w.registerTools()
	w.start = w.now()
	for i, spec := range sc.Nodes {
		n, err := w.newNode(i+1, spec)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", spec.Name, err)
		}
		n.bootTime = w.start
		w.nodes = append(w.nodes, n)
	}
	c, err := newCluster(w, sc.Cluster)
	if err != nil {
		return nil, err
	}
	w.cluster = c
	for _, n := range w.nodes {
		w.lastReach[n.name] = n.status == nodeUp
	}
	return w, nil
}

// lock takes the world's lock and runs every event that is due.
func (w *World) lock() {
	w.mu.Lock()
	w.runDue()
}

// unlock releases the lock, then reports reachability changes.
func (w *World) unlock() {
	w.armTimer()
	w.collectReachability()
	notes, fns := w.notes, w.reachFns
	w.notes = nil
	w.mu.Unlock()
	for _, n := range notes {
		for _, f := range fns {
			f(n.node, n.reachable)
		}
	}
}

func (w *World) runDue() {
	for {
		now := w.now()
		best := -1
		for i, e := range w.events {
			if !e.due.After(now) && (best < 0 || e.due.Before(w.events[best].due) || e.due.Equal(w.events[best].due) && e.seq < w.events[best].seq) {
				best = i
			}
		}
		if best < 0 {
			return
		}
		e := w.events[best]
		w.events = append(w.events[:best], w.events[best+1:]...)
		// What an event schedules counts from the event's own instant, not
		// from when it happened to run: a reboot that a shutdown's timer
		// starts ends reboot_seconds after the timer, however late someone looked.
		w.eventTime = e.due
		e.fn()
		w.eventTime = time.Time{}
	}
}

// emulatedAt is the emulated clock's reading at lab instant t.
func (w *World) emulatedAt(t time.Time) time.Time {
	return w.start.Add(time.Duration(float64(t.Sub(w.start)) / w.scale))
}

// eventNow is the instant of the event running now, else the lab's clock.
func (w *World) eventNow() time.Time {
	if !w.eventTime.IsZero() {
		return w.eventTime
	}
	return w.now()
}

// scaled converts an emulated duration into lab time.
func (w *World) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * w.scale)
}

// after schedules fn (run under the lock) once emulated duration d has passed.
func (w *World) after(d time.Duration, fn func()) {
	w.eventSeq++
	start := w.eventNow()
	due := start.Add(w.scaled(d))
	w.events = append(w.events, &event{due: due, seq: w.eventSeq, fn: fn})
	if due.After(w.busyUntil) {
		if start.Before(w.busyUntil) {
			start = w.busyUntil
		}
		w.busy += due.Sub(start)
		w.busyUntil = due
	}
}

// armTimer points the one real timer at the earliest pending event, so that
// events happen on time even when nobody looks at the world.
func (w *World) armTimer() {
	if w.closed || len(w.events) == 0 {
		return
	}
	due := w.events[0].due
	for _, e := range w.events[1:] {
		if e.due.Before(due) {
			due = e.due
		}
	}
	// An injected clock may not have reached the instant the timer was set
	// for; re-arming for the same instant would spin, so the timer waits for
	// a new earliest event (the clock's owner makes the next access).
	if w.timer != nil && due.Equal(w.armedFor) {
		return
	}
	w.armedFor = due
	d := due.Sub(w.now())
	if w.timer == nil {
		w.timer = time.AfterFunc(d, func() {
			w.lock()
			w.unlock()
		})
		return
	}
	w.timer.Reset(d)
}

// collectReachability queues a note for every node whose reachability changed.
func (w *World) collectReachability() {
	for _, n := range w.nodes {
		r := w.reachableLocked(n)
		if r != w.lastReach[n.name] {
			w.lastReach[n.name] = r
			w.notes = append(w.notes, reachNote{n.name, r})
		}
	}
}

func (w *World) node(name string) *node {
	for _, n := range w.nodes {
		if strings.EqualFold(n.name, name) {
			return n
		}
	}
	return nil
}

// NodeNames lists the nodes in scenario order.
func (w *World) NodeNames() []string {
	names := make([]string, len(w.nodes))
	for i, n := range w.nodes {
		names[i] = n.name
	}
	return names
}

// Domain is the lab's NetBIOS domain.
func (w *World) Domain() string { return w.sc.Domain }

// DomainAccount returns the password of a domain account and its name as
// the scenario spells it (user is matched without case), as a domain
// controller's KDC needs them: the name is part of the key's salt.
func (w *World) DomainAccount(user string) (name, password string, ok bool) {
	for _, a := range w.sc.Accounts {
		if a.Node == "" && strings.EqualFold(a.User, user) {
			return a.User, a.Password, true
		}
	}
	return "", "", false
}

// Scenario is the scenario the world was built from.

// Password returns the password of a domain account (domain = the lab's
// domain) or of a local account of node (domain = the node's name or empty).
func (w *World) Password(node, user, domain string) (string, bool) {
	local := domain == "" || strings.EqualFold(domain, node) || domain == "."
	for _, a := range w.sc.Accounts {
		if !strings.EqualFold(a.User, user) {
			continue
		}
		if a.Node == "" && (strings.EqualFold(domain, w.sc.Domain) || domain == "") {
			return a.Password, true
		}
		if a.Node != "" && local && strings.EqualFold(a.Node, node) {
			return a.Password, true
		}
	}
	return "", false
}

// Up reports whether node is running (not rebooting, not powered off),
// whether or not a network fault makes it unreachable.
func (w *World) Up(node string) bool {
	w.lock()
	defer w.unlock()
	n := w.node(node)
	return n != nil && n.status == nodeUp
}

// Reachable reports whether node's endpoint should accept connections.
func (w *World) Reachable(node string) bool {
	w.lock()
	defer w.unlock()
	n := w.node(node)
	return n != nil && w.reachableLocked(n)
}

func (w *World) reachableLocked(n *node) bool {
	if n.status != nodeUp {
		return false
	}
	for _, f := range w.faults {
		if f.Kind == "refuse" && strings.EqualFold(f.Node, n.name) {
			return false
		}
	}
	return true
}

// OnReachability registers f for reachability changes.
func (w *World) OnReachability(f func(node string, reachable bool)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.reachFns = append(w.reachFns, f)
}

// OnCommand registers f to see each command as it is logged (API).
func (w *World) OnCommand(f func(CommandRecord)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cmdFns = append(w.cmdFns, f)
}

// Commands is node's command log ("" = all nodes), in order.
func (w *World) Commands(node string) []CommandRecord {
	w.lock()
	defer w.unlock()
	var out []CommandRecord
	for _, c := range w.commands {
		if node == "" || strings.EqualFold(c.Node, node) {
			out = append(out, c)
		}
	}
	return out
}

// CommandCount is how many commands every node has logged so far.
func (w *World) CommandCount() int {
	w.lock()
	defer w.unlock()
	return len(w.commands)
}

// Incidents lists the safety-rule violations so far.
func (w *World) Incidents() []Incident {
	w.lock()
	defer w.unlock()
	return append([]Incident(nil), w.incidents...)
}

// Incident records a violation of DESIGN.md safety rule number rule on node:
// what was done and what damage the world suffered for it.
func (w *World) Incident(node string, rule int, what, damage string) {
	w.lock()
	defer w.unlock()
	w.incidentLocked(node, rule, what, damage)
}

func (w *World) incidentLocked(node string, rule int, what, damage string) {
	w.seq++
	w.incidents = append(w.incidents, Incident{Seq: w.seq, Node: node, Rule: rule, What: what, Damage: damage, Time: w.now()})
}

// Close stops the timers of pending events; the world stays readable.
func (w *World) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	if w.timer != nil {
		w.timer.Stop()
	}
}

// Reboot restarts node: it goes "rebooting" (unreachable, every service
// stopped, so the cluster fails its groups over), and after the scenario's
// reboot time (scaled) it comes back with its services started per start type.
func (w *World) Reboot(name string) error {
	w.lock()
	defer w.unlock()
	n := w.node(name)
	if n == nil {
		return fmt.Errorf("no node %q", name)
	}
	return w.rebootLocked(n)
}

func (w *World) rebootLocked(n *node) error {
	if n.status != nodeUp {
		return fmt.Errorf("node %s is %s", n.name, n.status)
	}
	secs := w.sc.RebootSeconds
	if secs == 0 {
		secs = defaultRebootSeconds
	}
	if n.slowReboot > 0 {
		secs, n.slowReboot = n.slowReboot, 0
	}
	wasMember := w.clusterMember(n)
	n.shutdownPending = false
	n.shutdownGen++
	n.status = nodeRebooting
	for _, key := range n.svcOrder {
		s := n.services[key]
		s.gen++ // cancels pending transitions
		s.state = svcStopped
		s.exitCode = 0
	}
	if wasMember {
		w.nodeLeft(n)
	}
	w.after(time.Duration(secs*float64(time.Second)), func() { w.bootLocked(n) })
	return nil
}

// bootLocked ends a reboot: services come up per start type, in dependency order.
func (w *World) bootLocked(n *node) {
	if n.status != nodeRebooting {
		return
	}
	n.status = nodeUp
	n.bootTime = w.emulatedAt(w.eventNow())
	w.applyPendingLocked(n)
	for _, key := range n.svcOrder {
		s := n.services[key]
		if s.startType == startAuto {
			w.bootService(n, s, map[string]bool{})
		}
	}
	w.servicesChanged(n)
}

// sortedKeys is a small helper for deterministic iteration.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
