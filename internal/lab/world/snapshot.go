package world

import (
	"strconv"
	"strings"
	"time"
)

// Snapshot is the whole world at one moment, as GET /state serves it, the
// lab report prints it and tests assert on it. Each area of a node (services,
// the Option Pack, and the phases' areas as they come) fills its own part in
// its own file's snapshot method, so a new area adds a field and a method
// rather than growing State by hand.
type Snapshot struct {
	Scenario  string          `json:"scenario"`
	Domain    string          `json:"domain"`
	Nodes     []NodeSnapshot  `json:"nodes"`
	Cluster   ClusterSnapshot `json:"cluster"`
	Commands  []CommandRecord `json:"commands"`
	Incidents []Incident      `json:"incidents"`
	Faults    []Fault         `json:"faults"`
	// WebRequests are the requests the sites answered, in order.
	WebRequests []WebRequest `json:"web_requests"`
	// LabWaits is how long, in lab time, at least one of the lab's own
	// state changes (a reboot, a service starting or stopping, a shutdown
	// counting down) was under way: the least a client that awaits each of
	// them must wait, which a benchmark subtracts to show its overhead.
	LabWaits time.Duration `json:"lab_waits_ns"`
}

// NodeSnapshot is one node.
type NodeSnapshot struct {
	Name         string    `json:"name"`
	Status       string    `json:"status"`
	Reachable    bool      `json:"reachable"`
	ClusterState string    `json:"cluster_state"`
	BootTime     time.Time `json:"boot_time"` // emulated clock
	OSVersion    string    `json:"os_version"`
	Build        string    `json:"build"`
	CSDVersion   string    `json:"csd_version"`
	OptionPackSnapshot
	MSDTCSnapshot
	Metabase         MetabaseSnapshot       `json:"metabase"`
	Accounts         AccountsSnapshot       `json:"accounts"`
	ShutdownPending  bool                   `json:"shutdown_pending"`
	StaleSystemFiles bool                   `json:"stale_system_files"`
	Services         []ServiceSnapshot      `json:"services"`
	Registry         map[string][]*RegValue `json:"registry"`
	Drives           []string               `json:"drives"`
}

// OptionPackSnapshot is a node's Option Pack: what is installed, what waits
// for the next boot, and the damage setup left.
type OptionPackSnapshot struct {
	OptionPack        OptionPackSpec  `json:"option_pack"`
	PendingOptionPack *OptionPackSpec `json:"pending_option_pack,omitempty"`
	PendingCSDVersion string          `json:"pending_csd_version,omitempty"`
	IISMismatch       bool            `json:"iis_components_mismatch"`
}

// ServiceSnapshot is one service of a node, in sc's words (RUNNING; auto).
type ServiceSnapshot struct {
	Name         string   `json:"name"`
	DisplayName  string   `json:"display_name"`
	State        string   `json:"state"`
	StartType    string   `json:"start_type"`
	Dependencies []string `json:"dependencies,omitempty"`
}

// ClusterSnapshot is the cluster database.
type ClusterSnapshot struct {
	Name    string          `json:"name"`
	Members map[string]bool `json:"members"`
	// IISResourcesCorrupt: the rule 1 damage (see corruptIISResources).
	IISResourcesCorrupt bool               `json:"iis_resources_corrupt"`
	Groups              []GroupSnapshot    `json:"groups"`
	Resources           []ResourceSnapshot `json:"resources"`
}

// GroupSnapshot is one group.
type GroupSnapshot struct {
	Name            string   `json:"name"`
	Owner           string   `json:"owner"`
	State           string   `json:"state"`
	PreferredOwners []string `json:"preferred_owners"`
}

// ResourceSnapshot is one resource, its common properties by name.
type ResourceSnapshot struct {
	Name           string            `json:"name"`
	Type           string            `json:"type"`
	Group          string            `json:"group"`
	State          string            `json:"state"`
	Dependencies   []string          `json:"dependencies,omitempty"`
	PossibleOwners []string          `json:"possible_owners"`
	Properties     map[string]string `json:"properties"`
}

// Node is the snapshot's node named name (as the scenario spells it), or nil.
func (s Snapshot) Node(name string) *NodeSnapshot {
	for i := range s.Nodes {
		if strings.EqualFold(s.Nodes[i].Name, name) {
			return &s.Nodes[i]
		}
	}
	return nil
}

// Service is the node's service named name, or nil.
func (n NodeSnapshot) Service(name string) *ServiceSnapshot {
	for i := range n.Services {
		if strings.EqualFold(n.Services[i].Name, name) {
			return &n.Services[i]
		}
	}
	return nil
}

// Group is the cluster's group named name, or nil.
func (c ClusterSnapshot) Group(name string) *GroupSnapshot {
	for i := range c.Groups {
		if strings.EqualFold(c.Groups[i].Name, name) {
			return &c.Groups[i]
		}
	}
	return nil
}

// State is a snapshot of the whole world.
func (w *World) State() Snapshot {
	w.lock()
	defer w.unlock()
	out := Snapshot{Scenario: w.sc.Name, Domain: w.sc.Domain, Cluster: w.cluster.snapshot(),
		Commands: append([]CommandRecord{}, w.commands...), Incidents: append([]Incident{}, w.incidents...),
		WebRequests: append([]WebRequest{}, w.webLog...), LabWaits: w.busy}
	for _, f := range w.faults {
		out.Faults = append(out.Faults, f.Fault)
	}
	for _, n := range w.nodes {
		out.Nodes = append(out.Nodes, NodeSnapshot{Name: n.name, Status: n.status, Reachable: w.reachableLocked(n),
			ClusterState: w.nodeClusterState(n), BootTime: n.bootTime, OSVersion: n.osVersion, Build: n.build,
			CSDVersion: n.csd, OptionPackSnapshot: n.optionPackSnapshot(), MSDTCSnapshot: n.msdtcSnapshot(w.cluster), Metabase: n.metabaseSnapshot(), Accounts: n.accountsSnapshot(),
			ShutdownPending: n.shutdownPending, StaleSystemFiles: n.staleSystemFiles,
			Services: n.servicesSnapshot(), Registry: n.reg.snapshot(), Drives: n.fs.Drives()})
	}
	return out
}

func (n *node) optionPackSnapshot() OptionPackSnapshot {
	s := OptionPackSnapshot{OptionPack: n.optionPack, IISMismatch: n.iisMismatch}
	if n.pendingOP != nil {
		spec := n.pendingOP.spec
		s.PendingOptionPack = &spec
	}
	if n.pendingCSD != "" {
		s.PendingCSDVersion = servicePackLevels[n.pendingCSD]
	}
	return s
}

func (n *node) servicesSnapshot() []ServiceSnapshot {
	var out []ServiceSnapshot
	for _, key := range n.svcOrder {
		s := n.services[key]
		out = append(out, ServiceSnapshot{s.name, s.display, stateNames[s.state], startTypeWords[s.startType], s.deps})
	}
	return out
}

func (c *cluster) snapshot() ClusterSnapshot {
	out := ClusterSnapshot{Name: c.name, Members: map[string]bool{}, IISResourcesCorrupt: c.iisResourcesCorrupt}
	for k, v := range c.members {
		out.Members[k] = v
	}
	for _, g := range c.groups {
		out.Groups = append(out.Groups, GroupSnapshot{g.name, g.owner.name, g.state(), nodeNames(g.preferred)})
	}
	for _, r := range c.resources {
		rs := ResourceSnapshot{Name: r.name, Type: r.typ, Group: r.group.name, State: r.state, PossibleOwners: nodeNames(r.possible), Properties: map[string]string{}}
		for _, d := range r.deps {
			rs.Dependencies = append(rs.Dependencies, d.name)
		}
		for _, p := range r.props {
			if p.dword {
				rs.Properties[p.name] = strconv.FormatUint(uint64(p.num), 10)
			} else {
				rs.Properties[p.name] = p.str
			}
		}
		out.Resources = append(out.Resources, rs)
	}
	return out
}
