package nodeops

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// The KB's "Reclustering IIS 4.0" up to "Configuring IIS after
// Installation": test whether MSDTC comes online on the rebuilt node (the
// group moved there with "Affect the group" off), and when it does not,
// reinstall it clustered on both nodes, by the manual method (msdtc -remove
// on both, -install on the working node, -join on the rebuilt one) or with
// dtcsetup.exe.

// A node's MSDTC as its registry shows it (the lab's FORMATS.md, "MSDTC").
const (
	DTCAbsent     = "absent"
	DTCStandalone = "standalone"
	DTCClustered  = "clustered"
)

// The MSDTC phase's methods and reinstall policies, as mscs_msdtc_clustered
// names them.
const (
	DTCMethodManual     = "manual"
	DTCMethodDTCSetup   = "dtcsetup"
	ReinstallWhenNeeded = "when_needed"
	ReinstallAlways     = "always"
)

const (
	msdtcKey        = `HKLM\SOFTWARE\Microsoft\MSDTC`
	msdtcClusterKey = msdtcKey + `\Cluster`
	// dtcResourceType is the MSDTC resource's type (TOOLS-PHASES.md 1.4).
	dtcResourceType = "Distributed Transaction Coordinator"
	iisResourceType = "IIS Server Instance"
)

// msdtcCodes: msdtc.exe exits -1 on failure (Windows reports 0xffffffff);
// what it prints is unconfirmed, so the state is read back after it.
var msdtcCodes = Codes{OwnOnly: true, Meanings: map[int]string{
	-1:         "msdtc.exe failed (exit code 0xffffffff); its output says why",
	0xffffffff: "msdtc.exe failed (exit code 0xffffffff); its output says why",
}}

// dtcsetupCodes: dtcsetup's codes are unconfirmed; any non-zero one fails.
var dtcsetupCodes = Codes{OwnOnly: true}

// DTCState is one node's MSDTC.
type DTCState struct {
	Mode          string // DTCAbsent, DTCStandalone or DTCClustered
	LogPath       string
	VirtualServer string // clustered: the Network Name it was installed for
}

// MSDTCState reads the node's MSDTC from its registry. It only reads.
func (n *Node) MSDTCState(ctx context.Context) (DTCState, error) {
	a, err := n.regQueries(ctx, "read the MSDTC registration and its cluster settings", regQ{msdtcKey, ""}, regQ{msdtcClusterKey, ""})
	if err != nil || !a[0].found {
		return DTCState{Mode: DTCAbsent}, err
	}
	k, ck := a[0].key, a[1].key
	st := DTCState{Mode: DTCStandalone, LogPath: k.Value("LogPath")}
	if a[1].found {
		st.Mode, st.VirtualServer = DTCClustered, ck.Value("VirtualServerName")
		if lp := ck.Value("LogPath"); lp != "" {
			st.LogPath = lp
		}
	}
	return st, nil
}

// MSDTCSpec is mscs_msdtc_clustered's configuration.
type MSDTCSpec struct {
	Node        string // the rebuilt node
	WorkingNode string
	Group       string // "": the group holding the MSDTC resource, else the one of NetworkName
	NetworkName string // the -v name; "": the group's Network Name resource's name
	LogPath     string // "": MSDTCLog on the group's disk
	Method      string // DTCMethodManual (default) or DTCMethodDTCSetup
	// DTCSetupPaths is dtcsetup.exe's path on each node (dtcsetup method).
	DTCSetupPaths map[string]string
	Reinstall     string // ReinstallWhenNeeded (default) or ReinstallAlways
	// TestTimeout bounds the wait for MSDTC to come online after a move; 0: 3 min.
	TestTimeout time.Duration
	LockMaxAge  time.Duration
}

// SpecError is a setting that does not fit the cluster: the plan fails on
// Attr, and nothing is run.
type SpecError struct {
	Attr, Detail string
}

func (e *SpecError) Error() string { return e.Attr + ": " + e.Detail }

// MSDTCFacts are what the phase reads, read-only, before anything: the
// group, its Network Name and disk, the MSDTC resource, the IIS instances
// whose "Affect the group" the moves turn off, and both nodes' MSDTC.
type MSDTCFacts struct {
	Group, Owner string
	// NetworkNameResource is the group's Network Name resource; NetworkName
	// its Name (the virtual server), -install's -v.
	NetworkNameResource, NetworkName string
	DiskResource                     string
	LogPath                          string
	LogExists                        bool
	Resource, ResourceState          string // the MSDTC resource; "" when there is none
	Instances                        []string
	RestartActions                   map[string]int
	States                           map[string]DTCState // by node as configured
	NodeStates                       map[string]string   // Up, Down, ... by node
	GroupState                       string
	// Held is the record an earlier run left on the working node (it
	// failed or was killed before its restore was verified), nil when
	// none: the group comes from it, and the run restores what it holds.
	Held     *Hold
	HeldPath string
	// ResumeAfter is the last step of the rebuilt node's journal that a run
	// of this spec resumes after ("start" when none), "" when it starts over.
	ResumeAfter string
}

// Moved is the resources whose "Affect the group" the moves turn off: the
// MSDTC resource (when there is one) and the IIS Server Instances.
func (f MSDTCFacts) Moved() []string {
	var rs []string
	if f.Resource != "" {
		rs = append(rs, f.Resource)
	}
	return append(rs, f.Instances...)
}

var diskDriveRe = regexp.MustCompile(`(?i)\b([a-z]):`)

// ReadMSDTCFacts reads what the phase needs and checks spec against it: a
// setting that does not fit is a *SpecError naming the attribute. It only
// reads.
func (c *Cluster) ReadMSDTCFacts(ctx context.Context, spec MSDTCSpec) (MSDTCFacts, error) {
	f := MSDTCFacts{RestartActions: map[string]int{}, States: map[string]DTCState{}, NodeStates: map[string]string{}}
	if err := c.checkNodesTools(ctx, MSDTCTools(spec)); err != nil {
		return f, err
	}
	if err := c.readDTCResume(ctx, spec, &f); err != nil {
		return f, err
	}
	v, err := c.Read(ctx, "")
	if err != nil {
		return f, err
	}
	via := c.Node(v.Via)
	for _, n := range v.Nodes {
		f.NodeStates[strings.ToUpper(n.Name)] = n.State
	}
	// The group: named, else the one holding MSDTC, else the Network Name's.
	names := map[string]string{} // Network Name resource -> its Name
	var netNames []string
	for _, r := range v.Resources {
		if r.Type == "Network Name" {
			netNames = append(netNames, r.Name)
		}
	}
	privs, err := via.resourceTables(ctx, netNames, "/priv", "read the private properties of the Network Name resources")
	if err != nil {
		return f, err
	}
	for i, name := range netNames {
		names[name] = privs[i]["Name"].Value
	}
	f.Group = spec.Group
	if f.Group == "" && f.Held != nil && f.Held.DTC != nil {
		// A run that deleted the resource (or was killed in msdtc -remove
		// or -install) left the group in its record.
		f.Group = f.Held.DTC.Group
	}
	if f.Group == "" {
		for _, r := range v.Resources {
			if r.Type == dtcResourceType {
				f.Group = r.Group
			}
		}
	}
	if f.Group == "" && spec.NetworkName != "" {
		for res, name := range names {
			if strings.EqualFold(name, spec.NetworkName) || strings.EqualFold(res, spec.NetworkName) {
				f.Group = groupOfResource(v.Resources, res)
			}
		}
	}
	var group *ClusterGroup
	for i := range v.Groups {
		if strings.EqualFold(v.Groups[i].Name, f.Group) {
			group = &v.Groups[i]
		}
	}
	if group == nil {
		if spec.Group != "" {
			return f, &SpecError{"group", fmt.Sprintf("the cluster has no group %q (it has %s).", spec.Group, groupNames(v.Groups))}
		}
		return f, &SpecError{"group", "no group holds a Distributed Transaction Coordinator resource, and network_name names none: set group (or network_name) to the group MSDTC belongs in."}
	}
	f.Group, f.Owner, f.GroupState = group.Name, group.OwnerNode, group.State
	var disks []string
	for _, r := range v.Resources {
		if !strings.EqualFold(r.Group, f.Group) {
			continue
		}
		switch r.Type {
		case dtcResourceType:
			f.Resource, f.ResourceState = r.Name, r.State
			f.RestartActions[r.Name] = r.RestartAction
		case iisResourceType:
			f.Instances = append(f.Instances, r.Name)
			f.RestartActions[r.Name] = r.RestartAction
		case "Network Name":
			if spec.NetworkName == "" || strings.EqualFold(names[r.Name], spec.NetworkName) || strings.EqualFold(r.Name, spec.NetworkName) {
				f.NetworkNameResource, f.NetworkName = r.Name, names[r.Name]
			}
		case "Physical Disk":
			disks = append(disks, r.Name)
		}
	}
	if f.NetworkNameResource == "" {
		if spec.NetworkName != "" {
			return f, &SpecError{"network_name", fmt.Sprintf("%q is not a Network Name resource of group %s (nor the name one of them answers to).", spec.NetworkName, f.Group)}
		}
		return f, &SpecError{"group", fmt.Sprintf("group %s has no Network Name resource: msdtc -install needs the group's virtual server name.", f.Group)}
	}
	// The log folder's drive must be a disk of the group: MSCS 1.0 names
	// disk resources after their drive ("Disk S:"), which is how the drive
	// is told (FORMATS.md).
	f.LogPath = spec.LogPath
	for _, d := range disks {
		m := diskDriveRe.FindStringSubmatch(d)
		if m == nil {
			continue
		}
		drive := strings.ToUpper(m[1]) + ":"
		if f.LogPath == "" {
			f.LogPath = drive + `\MSDTCLog`
		}
		if strings.EqualFold(f.LogPath[:2], drive) {
			f.DiskResource = d
		}
	}
	if f.DiskResource == "" {
		if spec.LogPath == "" {
			return f, &SpecError{"log_path", fmt.Sprintf("group %s has no Physical Disk resource named after its drive (e.g. \"Disk S:\"): set log_path to a folder on the group's shared disk.", f.Group)}
		}
		return f, &SpecError{"log_path", fmt.Sprintf("%s is not on a disk of group %s (its disks: %s): the MSDTC log must be on the group's shared disk.", spec.LogPath, f.Group, strings.Join(disks, ", "))}
	}
	owner := c.Node(f.Owner)
	if owner != nil {
		if f.LogExists, err = owner.FileExists(ctx, f.LogPath); err != nil {
			return f, err
		}
	}
	for _, name := range []string{spec.Node, spec.WorkingNode} {
		n := c.Node(name)
		if n == nil {
			return f, fmt.Errorf("%s is not a configured node", name)
		}
		if f.States[name], err = n.MSDTCState(ctx); err != nil {
			return f, err
		}
	}
	return f, nil
}

// readDTCResume reads what an earlier run left: its record on the working
// node and the rebuilt node's journal. It only reads.
func (c *Cluster) readDTCResume(ctx context.Context, spec MSDTCSpec, f *MSDTCFacts) error {
	working, rebuilt := c.Node(spec.WorkingNode), c.Node(spec.Node)
	if working == nil || rebuilt == nil {
		return fmt.Errorf("the MSDTC phase needs both %s and %s configured", spec.Node, spec.WorkingNode)
	}
	h, err := newHolder(ctx, msdtcPhase.Name, dtcWords, working, working)
	if err != nil {
		return err
	}
	if f.Held, err = h.read(ctx); err != nil {
		return err
	}
	f.HeldPath = h.path
	j, err := rebuilt.Journal(ctx, msdtcPhase)
	if err != nil {
		return err
	}
	if j.Resumes(spec.phaseSpec()) {
		f.ResumeAfter = j.Step
	}
	return nil
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func groupOfResource(rs []ClusterResource, name string) string {
	for _, r := range rs {
		if strings.EqualFold(r.Name, name) {
			return r.Group
		}
	}
	return ""
}

func groupNames(gs []ClusterGroup) string {
	names := make([]string, len(gs))
	for i, g := range gs {
		names[i] = g.Name
	}
	return strings.Join(names, ", ")
}

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
	resumedPastTest := f.ResumeAfter != "" && f.ResumeAfter != stepStart
	// The reinstall runs only if the test fails, unless it is certain now.
	cond := "MSDTC did not come online on " + rebuilt + " in the KB's test"
	if spec.Reinstall == ReinstallAlways || f.States[rebuilt].Mode != DTCClustered || f.States[working].Mode != DTCClustered || f.Resource == "" || resumedPastTest {
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
	for _, r := range sortedKeys(before) {
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
	if resumedPastTest {
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

// phaseSpec is what the MSDTC journal is written for.
func (s MSDTCSpec) phaseSpec() string {
	return strings.ToUpper(s.Node+"|"+s.WorkingNode) + "|" + strings.ToLower(s.Method+"|"+s.Reinstall)
}

var msdtcPhase = Phase{Name: "msdtc", Words: "MSDTC"}

// MSDTCResult is what the phase did.
type MSDTCResult struct {
	Reinstalled bool     // MSDTC was removed and installed again
	OnlineOn    []string // the nodes MSDTC was seen online on
	Resource    string   // the MSDTC resource's name
	Group       string
}

// dtcWords names the phase in its record's errors.
const dtcWords = "the MSDTC phase"

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
	for _, n := range []string{r.spec.Node, r.spec.WorkingNode} {
		if st := f.NodeStates[strings.ToUpper(n)]; !strings.EqualFold(st, "Up") {
			return false, &StepError{Node: n, Step: "check that both nodes are Up", Meaning: fmt.Sprintf(
				"%s is %s in the cluster: the MSDTC phase moves groups between both nodes; nothing was changed", n, orDefault(st, "not a member"))}
		}
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
		if c := r.currentName(name, dtc); c != "" && indexOf(names, c) < 0 {
			names = append(names, c)
		}
	}
	if dtc != "" && indexOf(names, dtc) < 0 {
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
	if online && r.spec.Reinstall != ReinstallAlways {
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
		r.result.OnlineOn = appendNode(r.result.OnlineOn, node)
	}
	return online, nil
}

func appendNode(list []string, node string) []string {
	for _, n := range list {
		if strings.EqualFold(n, node) {
			return list
		}
	}
	return append(list, node)
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
	r.result.OnlineOn = appendNode(r.result.OnlineOn, r.spec.WorkingNode)
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
		r.result.OnlineOn = appendNode(r.result.OnlineOn, r.spec.WorkingNode)
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
		problems = append(problems, fmt.Sprintf("the MSDTC resource is %q", orDefault(state, "missing")))
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

// resourceCommand runs `cluster res R <opt>` (offline, online, delete).
func (n *Node) resourceCommand(ctx context.Context, resource, opt, step string) error {
	q, err := Quote(resource)
	if err != nil {
		return err
	}
	_, err = n.run(ctx, step, "cluster res "+q+" "+opt, false, win32)
	return err
}
