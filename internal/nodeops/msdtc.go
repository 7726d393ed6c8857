package nodeops

import (
	"context"
	"fmt"
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

// The MSDTC phase's methods, as mscs_msdtc_clustered names them (its
// reinstall policies are the Option Pack's, phase.go).
const (
	DTCMethodManual   = "manual"
	DTCMethodDTCSetup = "dtcsetup"
)

const (
	msdtcKey        = `HKLM\SOFTWARE\Microsoft\MSDTC`
	msdtcClusterKey = msdtcKey + `\Cluster`
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
	// Planned is the plan's steps (PlanMSDTC), none when the plan could not
	// list them: the run reinstalls whatever the KB's test shows exactly
	// when they show the reinstall unconditional (without them, when its
	// own facts make it certain: MSDTCFacts.Reinstall).
	Planned []string
	// TestTimeout bounds the wait for MSDTC to come online after a move; 0: 3 min.
	TestTimeout time.Duration
	LockMaxAge  time.Duration
}

// MSDTCTools are what the MSDTC phase runs on the working node and the
// rebuilt node: cluster.exe and reg.exe, and msdtc.exe for the manual
// method (dtcsetup.exe, the other method's, is checked at its configured
// path by the phase's media check, naming dtcsetup_path).
func MSDTCTools(spec MSDTCSpec) map[string][]Tool {
	out := map[string][]Tool{}
	for _, node := range []string{spec.WorkingNode, spec.Node} {
		if node == "" {
			continue // the spec's own check names it
		}
		tools := []Tool{ToolCluster, ToolReg}
		if spec.Method != DTCMethodDTCSetup {
			tools = append(tools, ToolMSDTC)
		}
		out[node] = tools
	}
	return out
}

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

func groupOfResource(rs []ClusterResource, name string) string {
	for _, r := range rs {
		if strings.EqualFold(r.Name, name) {
			return r.Group
		}
	}
	return ""
}

// phaseSpec is what the MSDTC journal is written for.
func (s MSDTCSpec) phaseSpec() string {
	return strings.ToUpper(s.Node+"|"+s.WorkingNode) + "|" + strings.ToLower(s.Method+"|"+s.Reinstall)
}

var msdtcPhase = Phase{Name: "msdtc", Words: "MSDTC"}

// dtcWords names the phase in its record's errors.
const dtcWords = "the MSDTC phase"
