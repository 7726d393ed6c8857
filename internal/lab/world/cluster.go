package world

import (
	"fmt"
	"strings"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/winfs"
)

// Resource states as cluster.exe prints them.
const (
	resOnline  = "Online"
	resOffline = "Offline"
	resFailed  = "Failed"
)

// Resource types with behaviour of their own.
const (
	typePhysicalDisk = "Physical Disk"
	typeIIS          = "IIS Server Instance"
	typeMSDTC        = "Distributed Transaction Coordinator"
	typeNetworkName  = "Network Name"
)

// Cluster error codes (winerror.h) that cluster.exe reports.
const (
	errRPCServerUnavailable = 1722
	errHostNodeNotAvailable = 5005
	errDependentResource    = 5001
	errResourceNotFound     = 5007
	errObjectAlreadyExists  = 5010
	errGroupNotFound        = 5013
	errResourceOnline       = 5019
	errInvalidState         = 5023
	errResourceFailed       = 5038
	errClusterNodeNotFound  = 5042
	errClusterNodeDown      = 5050
)

func init() {
	for code, msg := range map[int]string{
		errRPCServerUnavailable: "The RPC server is unavailable.",
		errHostNodeNotAvailable: "A cluster node is not available for this operation.",
		errDependentResource:    "The cluster resource cannot be moved to another group because other resources are dependent on it.",
		errResourceNotFound:     "The cluster resource could not be found.",
		errObjectAlreadyExists:  "The object already exists.",
		errResourceOnline:       "The operation could not be completed because the cluster resource is online.",
		errGroupNotFound:        "The cluster group could not be found.",
		errInvalidState:         "The group or resource is not in the correct state to perform the requested operation.",
		errResourceFailed:       "A clustered resource failed.",
		errClusterNodeNotFound:  "The cluster node was not found.",
		errClusterNodeDown:      "The cluster node is down.",
	} {
		win32Messages[code] = msg
	}
}

// cluster is the MSCS cluster the nodes form.
type cluster struct {
	name      string
	groups    []*group
	resources []*resource
	// members holds the nodes that are Up in the cluster, as last propagated.
	members map[string]bool
	// iisResourcesCorrupt: Option Pack setup ran on a node whose cluster
	// service was up (rule 1); no IIS Server Instance runs anywhere since.
	iisResourcesCorrupt bool
	dtc                 clusterDTC // msdtc.go
}

// prop is one common property of a group or resource.
type prop struct {
	name     string
	readOnly bool
	dword    bool
	max      uint64 // for DWORDs: highest accepted value
	num      uint32
	str      string
}

// props is an ordered property list.
type props []*prop

func (ps props) get(name string) *prop {
	for _, p := range ps {
		if strings.EqualFold(p.name, name) {
			return p
		}
	}
	return nil
}

// restartAction is the resource's RestartAction ("Affect the group": 2).
func (r *resource) restartAction() uint32 { return r.props.get("RestartAction").num }

type group struct {
	name       string
	owner      *node
	preferred  []*node
	wantOnline bool // the group's PersistentState
	resources  []*resource
	props      props
}

type resource struct {
	name     string
	typ      string
	group    *group
	deps     []*resource
	possible []*node
	state    string
	props    props
	private  []*prop
	disk     *sharedDisk
}

// sharedDisk is the volume of a Physical Disk resource, mounted on the
// node that owns its group while the resource is online.
type sharedDisk struct {
	drive     string
	vol       *winfs.Volume
	mountedOn *node
}

func newCluster(w *World, spec ClusterSpec) (*cluster, error) {
	c := &cluster{name: spec.Name, members: map[string]bool{}}
	if spec.Name == "" {
		return c, nil
	}
	for _, gs := range spec.Groups {
		g := &group{name: gs.Name, owner: w.node(gs.Owner), wantOnline: gs.State != "offline", props: props{
			{name: "Description"},
			{name: "PersistentState", dword: true, max: 1},
			{name: "FailoverThreshold", dword: true, max: 0xffffffff, num: 10},
			{name: "FailoverPeriod", dword: true, max: 1193, num: 6},
			{name: "AutoFailbackType", dword: true, max: 1},
			{name: "FailbackWindowStart", dword: true, max: 0xffffffff, num: 0xffffffff},
			{name: "FailbackWindowEnd", dword: true, max: 0xffffffff, num: 0xffffffff},
		}}
		for _, p := range gs.PreferredOwners {
			g.preferred = append(g.preferred, w.node(p))
		}
		c.groups = append(c.groups, g)
	}
	for _, rs := range spec.Resources {
		var possible []*node
		for _, p := range rs.PossibleOwners {
			possible = append(possible, w.node(p))
		}
		if len(possible) == 0 {
			possible = w.nodes
		}
		r := newResource(rs.Name, rs.Type, c.group(rs.Group), possible)
		r.props.get("RestartAction").num = intOr(rs.RestartAction, 2)
		r.props.get("RestartThreshold").num = intOr(rs.RestartThreshold, 3)
		r.props.get("RestartPeriod").num = intOr(rs.RestartPeriod, 900000)
		for _, k := range sortedKeys(rs.Private) {
			r.private = append(r.private, &prop{name: k, str: rs.Private[k]})
		}
		if rs.Disk != nil {
			label := rs.Disk.Label
			if label == "" {
				label = rs.Name
			}
			r.disk = &sharedDisk{drive: strings.ToUpper(rs.Disk.Drive), vol: winfs.NewVolume(label)}
			if err := seedVolume(r.disk.vol, r.disk.drive, rs.Disk.Files); err != nil {
				return nil, fmt.Errorf("cluster resource %s: %w", rs.Name, err)
			}
		}
		c.resources = append(c.resources, r)
	}
	for i, rs := range spec.Resources {
		r := c.resources[i]
		for _, d := range rs.Dependencies {
			r.deps = append(r.deps, c.resource(d))
		}
	}
	// Keep each group's resources in dependency order, so that bringing them
	// online in order and offline in reverse order respects dependencies.
	placed := map[*resource]bool{}
	var place func(r *resource)
	place = func(r *resource) {
		if placed[r] {
			return
		}
		placed[r] = true
		for _, d := range r.deps {
			place(d)
		}
		r.group.resources = append(r.group.resources, r)
	}
	for _, r := range c.resources {
		place(r)
	}
	w.cluster = c
	c.seedClusterDTC(spec)
	for _, n := range w.nodes {
		w.setMSDTC(n, n.dtc.mode)
		w.seedMetabase(n, n.mbSeed)
	}
	for _, n := range w.nodes {
		c.members[n.name] = w.clusterMember(n)
	}
	for _, g := range c.groups {
		if !c.members[g.owner.name] {
			target := w.failoverTarget(g, nil, map[*node]bool{})
			if target == nil {
				continue
			}
			g.owner = target
		}
		if g.wantOnline {
			w.groupOnline(g, map[*node]bool{})
		}
	}
	return c, nil
}

// newResource is a resource as cluster.exe /create or msdtc -install makes
// it: offline, with the common properties' defaults ("Affect the group" on).
func newResource(name, typ string, g *group, possible []*node) *resource {
	return &resource{name: name, typ: typ, group: g, state: resOffline, possible: append([]*node(nil), possible...), props: props{
		{name: "Description"},
		{name: "SeparateMonitor", dword: true, max: 1},
		{name: "PersistentState", dword: true, max: 1},
		{name: "LooksAlivePollInterval", dword: true, max: 0xffffffff, num: 5000},
		{name: "IsAlivePollInterval", dword: true, max: 0xffffffff, num: 60000},
		{name: "RestartAction", dword: true, max: 2, num: 2},
		{name: "RestartThreshold", dword: true, max: 0xffffffff, num: 3},
		{name: "RestartPeriod", dword: true, max: 0xffffffff, num: 900000},
		{name: "PendingTimeout", dword: true, max: 0xffffffff, num: 180000},
	}}
}

// addResource adds r, whose dependencies are in its group already, at the
// end of the cluster's and its group's lists (dependency order holds).
func (c *cluster) addResource(r *resource) {
	c.resources = append(c.resources, r)
	r.group.resources = append(r.group.resources, r)
}

// deleteResource removes r from the cluster and its group.
func (c *cluster) deleteResource(r *resource) {
	c.resources = without(c.resources, r)
	r.group.resources = without(r.group.resources, r)
}

func without(list []*resource, r *resource) []*resource {
	out := list[:0:0]
	for _, x := range list {
		if x != r {
			out = append(out, x)
		}
	}
	return out
}

// diskResource is the Physical Disk resource of g that path lies on, or nil.
func diskResource(g *group, path string) *resource {
	for _, r := range g.resources {
		if r.disk != nil && len(path) >= 2 && strings.EqualFold(path[:2], r.disk.drive) {
			return r
		}
	}
	return nil
}

// seedVolume writes files onto a volume through a scratch FS.
func seedVolume(v *winfs.Volume, drive string, files []FileSpec) error {
	if len(files) == 0 {
		return nil
	}
	fs := winfs.New()
	fs.Mount(drive, v)
	for _, f := range files {
		if err := writeFileMkdir(fs, f.Path, f.Content); err != nil {
			return err
		}
	}
	return nil
}

func intOr(p *int, def int) uint32 {
	if p == nil {
		return uint32(def)
	}
	return uint32(*p)
}

func (c *cluster) group(name string) *group {
	for _, g := range c.groups {
		if strings.EqualFold(g.name, name) {
			return g
		}
	}
	return nil
}

func (c *cluster) resource(name string) *resource {
	for _, r := range c.resources {
		if strings.EqualFold(r.name, name) {
			return r
		}
	}
	return nil
}

// clusterMember: the node is Up in the cluster when it is up and its cluster
// service runs.
func (w *World) clusterMember(n *node) bool {
	if w.cluster == nil || w.cluster.name == "" || n.status != nodeUp {
		return false
	}
	s := n.service("ClusSvc")
	return s != nil && s.state == svcRunning
}

// nodeClusterState is the node's status as cluster.exe prints it.
func (w *World) nodeClusterState(n *node) string {
	if w.cluster.name == "" {
		return ""
	}
	if w.clusterMember(n) {
		return "Up"
	}
	if s := n.service("ClusSvc"); s != nil && n.status == nodeUp && s.state == svcStartPending {
		return "Joining"
	}
	return "Down"
}

// state derives a group's state from its resources'.
func (g *group) state() string {
	var online, failed int
	for _, r := range g.resources {
		switch r.state {
		case resOnline:
			online++
		case resFailed:
			failed++
		}
	}
	switch {
	case len(g.resources) > 0 && online == len(g.resources):
		return "Online"
	case online > 0:
		return "Partially Online"
	case failed > 0:
		return "Failed"
	default:
		return "Offline"
	}
}

// nodeJoined: n became Up. It takes over the groups whose owner is not Up
// (the first node up forms the cluster and brings everything online).
func (w *World) nodeJoined(n *node) {
	c := w.cluster
	c.members[n.name] = true
	for _, g := range c.groups {
		if g.owner == n || !c.members[g.owner.name] {
			w.takeGroupOffline(g)
			g.owner = n
			if g.wantOnline {
				w.groupOnline(g, map[*node]bool{})
			}
		}
	}
}

// nodeLeft: n's cluster service stopped (or the node went away). Its groups
// move to another Up node, or go offline where they are when there is none.
func (w *World) nodeLeft(n *node) {
	c := w.cluster
	c.members[n.name] = false
	for _, g := range c.groups {
		if g.owner != n {
			continue
		}
		w.takeGroupOffline(g)
		if target := w.failoverTarget(g, nil, map[*node]bool{n: true}); target != nil {
			g.owner = target
			if g.wantOnline {
				w.groupOnline(g, map[*node]bool{n: true})
			}
		}
	}
}

// failoverTarget picks an Up node not tried yet, preferred owners first,
// where failing (if not nil) can run.
func (w *World) failoverTarget(g *group, failing *resource, tried map[*node]bool) *node {
	candidates := append(append([]*node{}, g.preferred...), w.nodes...)
	for _, n := range candidates {
		if tried[n] || !w.cluster.members[n.name] {
			continue
		}
		if failing != nil && !w.canRun(failing, n) {
			continue
		}
		return n
	}
	return nil
}

// canRun reports whether r can be brought online on n.
func (w *World) canRun(r *resource, n *node) bool {
	if !w.cluster.members[n.name] {
		return false
	}
	possible := false
	for _, p := range r.possible {
		possible = possible || p == n
	}
	if !possible {
		return false
	}
	if svc := r.neededService(); svc != "" {
		s := n.service(svc)
		if s == nil || s.broken || s.startType == startDisabled {
			return false
		}
		if r.typ == typeIIS && (!n.optionPack.Installed || n.optionPack.Corrupt || n.iisMismatch || w.cluster.iisResourcesCorrupt ||
			!w.iisInstanceServes(r, n)) {
			return false
		}
		if r.typ == typeMSDTC && !w.dtcCanRun(r, n) {
			return false
		}
	}
	return true
}

// neededService is the Win32 service a resource runs in, if any.
func (r *resource) neededService() string {
	switch r.typ {
	case typeIIS:
		for _, p := range r.private {
			if strings.EqualFold(p.name, "ServiceName") && p.str != "" {
				return p.str
			}
		}
		return "W3SVC"
	case typeMSDTC:
		return "MSDTC"
	}
	return ""
}

// healthy reports whether an online resource still has what it needs on n.
func (w *World) healthy(r *resource, n *node) bool {
	if !w.canRun(r, n) {
		return false
	}
	if svc := r.neededService(); svc != "" {
		return n.service(svc).state == svcRunning
	}
	return true
}

// setOnline brings r online on its group's owner: a disk's volume is mounted
// there, a service-backed resource starts its service.
func (w *World) setOnline(r *resource) {
	n := r.group.owner
	r.state = resOnline
	if svc := r.neededService(); svc != "" {
		w.bootService(n, n.service(svc), map[string]bool{})
	}
	if d := r.disk; d != nil {
		if d.mountedOn != nil {
			d.mountedOn.fs.Unmount(d.drive)
		}
		n.fs.Mount(d.drive, d.vol)
		d.mountedOn = n
	}
}

func (w *World) setOffline(r *resource) {
	if r.state == resOnline && r.disk != nil && r.disk.mountedOn != nil {
		r.disk.mountedOn.fs.Unmount(r.disk.drive)
		r.disk.mountedOn = nil
	}
	r.state = resOffline
}

func (w *World) takeGroupOffline(g *group) {
	for i := len(g.resources) - 1; i >= 0; i-- {
		w.setOffline(g.resources[i])
	}
}

// groupOnline brings every resource of g online on its owner, in dependency
// order. A resource that can't run there fails; the first failed resource
// whose RestartAction is 2 fails the whole group over to an untried node where
// it can run (restarting it where it is would fail the same way). With no such
// node, the group stays where it is, Failed or Partially Online.
func (w *World) groupOnline(g *group, tried map[*node]bool) {
	tried[g.owner] = true
	var failed []*resource
	for _, r := range g.resources {
		if r.state == resOnline {
			continue
		}
		if !depsOnline(r) {
			w.setOffline(r)
			continue
		}
		if w.canRun(r, g.owner) {
			w.setOnline(r)
		} else {
			r.state = resFailed
			failed = append(failed, r)
		}
	}
	for _, r := range failed {
		if r.restartAction() != 2 {
			continue
		}
		if target := w.failoverTarget(g, r, tried); target != nil {
			w.moveGroup(g, target, tried)
			return
		}
	}
}

func depsOnline(r *resource) bool {
	for _, d := range r.deps {
		if d.state != resOnline {
			return false
		}
	}
	return true
}

// moveGroup takes g offline, hands it to target, and brings it back online
// there if it was meant to be online.
func (w *World) moveGroup(g *group, target *node, tried map[*node]bool) {
	w.takeGroupOffline(g)
	g.owner = target
	if g.wantOnline {
		w.groupOnline(g, tried)
	}
}

// checkResources fails the online resources of n's groups that lost what they
// need (a service stopped), then applies each one's RestartAction.
func (w *World) checkResources(n *node) {
	for _, g := range w.cluster.groups {
		if g.owner != n || !w.cluster.members[n.name] {
			continue
		}
		for _, r := range g.resources {
			if r.state == resOnline && !w.healthy(r, n) {
				w.resourceFailed(r)
			}
		}
	}
}

// resourceFailed applies RestartAction to a resource that failed while online:
// 0 leaves it failed; 1 restarts it in place; 2 restarts it in place and, when
// it can't run there, fails the group over.
func (w *World) resourceFailed(r *resource) {
	g := r.group
	w.takeDependentsOffline(r)
	w.setOffline(r)
	r.state = resFailed
	action := r.restartAction()
	if action == 0 {
		return
	}
	if w.canRun(r, g.owner) {
		w.groupOnline(g, map[*node]bool{})
		return
	}
	if action == 2 {
		if target := w.failoverTarget(g, r, map[*node]bool{g.owner: true}); target != nil {
			w.moveGroup(g, target, map[*node]bool{g.owner: true})
		}
	}
}

func (w *World) takeDependentsOffline(r *resource) {
	for i := len(r.group.resources) - 1; i >= 0; i-- {
		d := r.group.resources[i]
		if d != r && dependsOn(d, r) {
			w.setOffline(d)
		}
	}
}

func dependsOn(r, target *resource) bool {
	for _, d := range r.deps {
		if d == target || dependsOn(d, target) {
			return true
		}
	}
	return false
}

// bringResourceOnline brings r (and what it depends on) online in place. It
// returns 0, or errResourceFailed when r failed (after RestartAction ran).
func (w *World) bringResourceOnline(r *resource) int {
	g := r.group
	g.wantOnline = true
	for _, d := range r.deps {
		if d.state != resOnline {
			if code := w.bringResourceOnline(d); code != 0 {
				return code
			}
		}
	}
	if r.state == resOnline {
		return 0
	}
	if w.canRun(r, g.owner) {
		w.setOnline(r)
		return 0
	}
	r.state = resFailed
	if r.restartAction() == 2 {
		if target := w.failoverTarget(g, r, map[*node]bool{g.owner: true}); target != nil {
			w.moveGroup(g, target, map[*node]bool{g.owner: true})
		}
	}
	if r.state != resOnline {
		return errResourceFailed
	}
	return 0
}

// takeResourceOffline takes r and its dependents offline.
func (w *World) takeResourceOffline(r *resource) {
	w.takeDependentsOffline(r)
	w.setOffline(r)
	if r.group.state() == "Offline" {
		r.group.wantOnline = false
	}
}

func nodeNames(ns []*node) []string {
	out := []string{}
	for _, n := range ns {
		out = append(out, n.name)
	}
	return out
}
