package world

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
)

// Scenario is a lab's initial state, read from JSON (see SCENARIOS.md).
type Scenario struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Domain is the NetBIOS domain every node belongs to, e.g. "LAB".
	Domain   string    `json:"domain"`
	Accounts []Account `json:"accounts"`
	// IISAccounts name the domain accounts the cluster's IIS runs as; both
	// must be among Accounts (domain accounts, with their passwords).
	// Required when the cluster has an IIS Server Instance or a node has
	// the Option Pack with the cluster's metabase.
	IISAccounts *IISAccountsSpec `json:"iis_accounts,omitempty"`
	Nodes       []NodeSpec       `json:"nodes"`
	Cluster     ClusterSpec      `json:"cluster"`
	// RebootSeconds is how long a reboot takes on hardware (emulated seconds).
	RebootSeconds float64 `json:"reboot_seconds,omitempty"`
	// TimeScale multiplies emulated durations; Options.TimeScale overrides it.
	TimeScale float64 `json:"time_scale,omitempty"`
	// AllowUnencrypted mirrors WinRM's AllowUnencrypted on every node.
	AllowUnencrypted bool `json:"allow_unencrypted,omitempty"`
	// DisableBasic turns Basic authentication off on every node (Windows'
	// default for the WinRM service).
	DisableBasic bool `json:"disable_basic,omitempty"`
	// MaxOperationsPerShell is how many commands one WinRM shell may run
	// (Windows' MaxConcurrentOperationsPerUser: 1,500 by default, 15 on
	// 2008 R2); 0 means 1,500.
	MaxOperationsPerShell int `json:"max_operations_per_shell,omitempty"`
	// ToolLayout is the generation of tool output the nodes print: "nt4"
	// (the default: the layouts TOOLS.md gives, which Windows Vista and
	// later print too, and NT 4.0's net localgroup columns) or "2003" (what
	// Windows XP and Server 2003's sc.exe, reg.exe 3.0, cluster.exe and
	// net.exe print; FORMATS.md).
	ToolLayout string `json:"tool_layout,omitempty"`
	// CBTHardening is WinRM's CbtHardeningLevel on every node, for HTTPS:
	// "none" (the default), "relaxed" or "strict".
	CBTHardening string `json:"cbt_hardening,omitempty"`
}

// ValidCBTHardening reports whether level is a CbtHardeningLevel the lab
// knows ("" is the default, none).
func ValidCBTHardening(level string) bool {
	switch level {
	case "", "none", "relaxed", "strict":
		return true
	}
	return false
}

// IISAccountsSpec names the domain's IIS accounts (users of Accounts,
// without the domain): the anonymous user of the cluster's web and FTP
// sites, and the WAM user out-of-process applications run as. The KB calls
// them IUSR_CLUSTER and IWAM_CLUSTER after the cluster they were made for.
type IISAccountsSpec struct {
	Anonymous string `json:"anonymous"`
	WAM       string `json:"wam"`
}

// Account is a domain account (Node empty) or a local account of Node.
type Account struct {
	User     string `json:"user"`
	Password string `json:"password"`
	Node     string `json:"node,omitempty"`
}

// NodeSpec is one node of the lab.
type NodeSpec struct {
	Name string `json:"name"`
	// OSVersion and Build default to "4.0" and "1381" (Windows NT 4.0).
	OSVersion  string `json:"os_version,omitempty"`
	Build      string `json:"build,omitempty"`
	CSDVersion string `json:"csd_version"`
	// Status is the initial status: "up" (default) or "down".
	Status string `json:"status,omitempty"`
	// Services override or extend the base services of the node (see SCENARIOS.md).
	Services   []ServiceSpec  `json:"services,omitempty"`
	Registry   []RegistrySpec `json:"registry,omitempty"`
	OptionPack OptionPackSpec `json:"option_pack"`
	// MSDTC is "clustered" (installed for the cluster: the MSDTC resource can
	// run here), "standalone" (the default: what Option Pack setup installs
	// with the cluster service stopped) or "absent" (not registered).
	MSDTC string `json:"msdtc,omitempty"`
	// Metabase is what an installed Option Pack's metabase holds: "cluster"
	// (default: the cluster's sites, rooted on the shared disk, and its
	// application packages) or "default" (a fresh install's).
	Metabase string     `json:"metabase,omitempty"`
	Files    []FileSpec `json:"files,omitempty"`
	// OptionPackSetup is where the Option Pack's setup.exe lies on the node,
	// e.g. C:\NTOPTPAK\EN\X86\WINNT.SRV\setup.exe (the CD's folder copied
	// to the disk); empty: no Option Pack media on the node.
	OptionPackSetup string `json:"option_pack_setup,omitempty"`
	// ServicePacks are service pack packages on the node's disk.
	ServicePacks []ServicePackSpec `json:"service_packs,omitempty"`
}

// ServicePackSpec is a service pack package on a node: the extracted
// update.exe (C:\SP4\I386\UPDATE\update.exe) or the self-extracting
// download (C:\SP6\sp6i386.exe).
type ServicePackSpec struct {
	Path string `json:"path"`
	// Level is the service pack's level: "3", "4", "5", "6" or "6a".
	Level string `json:"level"`
}

// ServiceSpec describes one service; fields left empty keep the base values.
type ServiceSpec struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name,omitempty"`
	// State is "running" or "stopped".
	State string `json:"state,omitempty"`
	// StartType is "auto", "demand" or "disabled".
	StartType    string   `json:"start_type,omitempty"`
	Dependencies []string `json:"dependencies,omitempty"`
	BinaryPath   string   `json:"binary_path,omitempty"`
	// Broken makes every start fail (the process terminates at once).
	Broken bool `json:"broken,omitempty"`
	// Remove deletes a base service from the node.
	Remove bool `json:"remove,omitempty"`
}

// RegistrySpec is one registry value (or an empty key when Name and Type are empty).
type RegistrySpec struct {
	Key  string `json:"key"` // e.g. HKLM\SOFTWARE\Vendor
	Name string `json:"name,omitempty"`
	// Type is REG_SZ, REG_EXPAND_SZ, REG_DWORD, REG_MULTI_SZ or REG_BINARY.
	Type string `json:"type,omitempty"`
	// Value: a string for REG_SZ/REG_EXPAND_SZ, a number for REG_DWORD, a list
	// of strings for REG_MULTI_SZ, a hex string for REG_BINARY.
	Value json.RawMessage `json:"value,omitempty"`
}

// OptionPackSpec is the Windows NT 4.0 Option Pack state of a node.
type OptionPackSpec struct {
	Installed bool `json:"installed"`
	// Method is "minimal", "typical" or "custom".
	Method     string   `json:"method,omitempty"`
	Components []string `json:"components,omitempty"`
	// Corrupt: installed but broken (its services fail to start).
	Corrupt bool `json:"corrupt,omitempty"`
}

// FileSpec is a file created in a node's file system or on the shared disk.
type FileSpec struct {
	Path    string `json:"path"`
	Content string `json:"content,omitempty"`
}

// ClusterSpec is the cluster and what it hosts.
type ClusterSpec struct {
	Name      string         `json:"name"`
	Groups    []GroupSpec    `json:"groups"`
	Resources []ResourceSpec `json:"resources"`
	// MSDTCLog is the clustered MSDTC's log folder on the shared disk;
	// default MSDTCLog on the disk of the MSDTC resource's group.
	MSDTCLog string `json:"msdtc_log,omitempty"`
}

// GroupSpec is a resource group.
type GroupSpec struct {
	Name            string   `json:"name"`
	Owner           string   `json:"owner"`
	PreferredOwners []string `json:"preferred_owners,omitempty"`
	// State is "online" (default) or "offline".
	State string `json:"state,omitempty"`
}

// ResourceSpec is a cluster resource.
type ResourceSpec struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Group string `json:"group"`
	// Dependencies name resources of the same group.
	Dependencies []string `json:"dependencies,omitempty"`
	// PossibleOwners defaults to every node.
	PossibleOwners   []string `json:"possible_owners,omitempty"`
	RestartAction    *int     `json:"restart_action,omitempty"`
	RestartThreshold *int     `json:"restart_threshold,omitempty"`
	RestartPeriod    *int     `json:"restart_period,omitempty"`
	// Private holds private properties (e.g. ServiceName for an IIS Server
	// Instance: W3SVC or MSFTPSVC).
	Private map[string]string `json:"private,omitempty"`
	// Disk is set for a "Physical Disk": the volume it brings online.
	Disk *DiskSpec `json:"disk,omitempty"`
}

// DiskSpec is a shared disk: a volume mounted on the node owning its group.
type DiskSpec struct {
	Drive string     `json:"drive"` // e.g. "S:"
	Label string     `json:"label,omitempty"`
	Files []FileSpec `json:"files,omitempty"`
}

//go:embed scenarios/*.json
var builtinScenarios embed.FS

// BuiltinScenarios lists the names LoadScenario accepts besides file paths.
func BuiltinScenarios() []string {
	entries, _ := builtinScenarios.ReadDir("scenarios")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".json"))
	}
	sort.Strings(names)
	return names
}

// LoadScenario reads a built-in scenario by name ("healthy", "rebuilt-node",
// "corrupted-iis") or a scenario file by path, and validates it.
func LoadScenario(nameOrPath string) (*Scenario, error) {
	data, err := builtinScenarios.ReadFile(path.Join("scenarios", nameOrPath+".json"))
	source := "built-in scenario " + nameOrPath
	if err != nil {
		if !strings.ContainsAny(nameOrPath, `/\.`) {
			if _, statErr := os.Stat(nameOrPath); statErr != nil {
				return nil, fmt.Errorf("scenario %q: not a built-in scenario (%s) nor a readable file", nameOrPath, strings.Join(BuiltinScenarios(), ", "))
			}
		}
		data, err = os.ReadFile(nameOrPath)
		if err != nil {
			return nil, fmt.Errorf("scenario %q: %w", nameOrPath, err)
		}
		source = "scenario file " + nameOrPath
	}
	sc, err := ParseScenario(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return sc, nil
}

// ParseScenario decodes and validates a scenario; unknown fields are errors,
// so a misspelt key doesn't silently change the lab.
func ParseScenario(data []byte) (*Scenario, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var sc Scenario
	if err := dec.Decode(&sc); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			line := 1 + bytes.Count(data[:syn.Offset], []byte("\n"))
			return nil, fmt.Errorf("invalid JSON at line %d: %w", line, err)
		}
		return nil, fmt.Errorf("invalid scenario: %w", err)
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	return &sc, nil
}

var (
	validStates     = map[string]bool{"": true, "running": true, "stopped": true}
	validStartTypes = map[string]bool{"": true, "auto": true, "demand": true, "disabled": true}
	validMethods    = map[string]bool{"": true, "minimal": true, "typical": true, "custom": true}
	validRegTypes   = map[string]bool{"REG_SZ": true, "REG_EXPAND_SZ": true, "REG_DWORD": true, "REG_MULTI_SZ": true, "REG_BINARY": true}
)

// Validate reports the first inconsistency, naming where it is.
func (sc *Scenario) Validate() error {
	if sc.Domain == "" {
		return errors.New("domain is required")
	}
	if len(sc.Nodes) == 0 {
		return errors.New("at least one node is required")
	}
	nodes := map[string]bool{}
	for i, n := range sc.Nodes {
		where := fmt.Sprintf("nodes[%d]", i)
		if !validNetBIOS(n.Name) {
			return fmt.Errorf("%s: name %q is not a NetBIOS name (1-15 letters, digits, - or _)", where, n.Name)
		}
		if nodes[strings.ToUpper(n.Name)] {
			return fmt.Errorf("%s: duplicate node %q", where, n.Name)
		}
		nodes[strings.ToUpper(n.Name)] = true
		if n.Status != "" && n.Status != "up" && n.Status != "down" {
			return fmt.Errorf("%s (%s): status %q: want up or down", where, n.Name, n.Status)
		}
		if n.Metabase != "" && n.Metabase != metabaseCluster && n.Metabase != metabaseDefault {
			return fmt.Errorf("%s (%s): metabase %q: want cluster or default", where, n.Name, n.Metabase)
		}
		if n.MSDTC != "" && n.MSDTC != dtcClustered && n.MSDTC != dtcStandalone && n.MSDTC != dtcAbsent {
			return fmt.Errorf("%s (%s): msdtc %q: want clustered, standalone or absent", where, n.Name, n.MSDTC)
		}
		if !validMethods[n.OptionPack.Method] {
			return fmt.Errorf("%s (%s): option_pack.method %q: want minimal, typical or custom", where, n.Name, n.OptionPack.Method)
		}
		if n.OptionPack.Installed && n.OptionPack.Method == "" {
			return fmt.Errorf("%s (%s): option_pack.method is required when installed", where, n.Name)
		}
		if err := validateMedia(n); err != nil {
			return fmt.Errorf("%s (%s): %w", where, n.Name, err)
		}
		for j, s := range n.Services {
			if s.Name == "" {
				return fmt.Errorf("%s.services[%d]: name is required", where, j)
			}
			if !validStates[s.State] {
				return fmt.Errorf("%s.services[%d] (%s): state %q: want running or stopped", where, j, s.Name, s.State)
			}
			if !validStartTypes[s.StartType] {
				return fmt.Errorf("%s.services[%d] (%s): start_type %q: want auto, demand or disabled", where, j, s.Name, s.StartType)
			}
		}
		for j, r := range n.Registry {
			if _, err := parseRegKey(r.Key); err != nil {
				return fmt.Errorf("%s.registry[%d]: %w", where, j, err)
			}
			if r.Name == "" && r.Type == "" {
				continue
			}
			if !validRegTypes[r.Type] {
				return fmt.Errorf("%s.registry[%d] (%s): type %q: want REG_SZ, REG_EXPAND_SZ, REG_DWORD, REG_MULTI_SZ or REG_BINARY", where, j, r.Name, r.Type)
			}
			if _, err := decodeRegValue(r.Type, r.Value); err != nil {
				return fmt.Errorf("%s.registry[%d] (%s): %w", where, j, r.Name, err)
			}
		}
	}
	for i, a := range sc.Accounts {
		if a.User == "" || a.Password == "" {
			return fmt.Errorf("accounts[%d]: user and password are required", i)
		}
		if a.Node != "" && !nodes[strings.ToUpper(a.Node)] {
			return fmt.Errorf("accounts[%d] (%s): unknown node %q", i, a.User, a.Node)
		}
	}
	if err := sc.validateIISAccounts(); err != nil {
		return err
	}
	if err := sc.validateGroupNeeds(); err != nil {
		return err
	}
	if sc.RebootSeconds < 0 || sc.TimeScale < 0 || sc.MaxOperationsPerShell < 0 {
		return errors.New("reboot_seconds, time_scale and max_operations_per_shell must not be negative")
	}
	if !validToolLayout(sc.ToolLayout) {
		return fmt.Errorf("tool_layout %q: want %q or %q", sc.ToolLayout, LayoutNT4, Layout2003)
	}
	if !ValidCBTHardening(sc.CBTHardening) {
		return fmt.Errorf("cbt_hardening %q: want none, relaxed or strict", sc.CBTHardening)
	}
	return sc.validateCluster(nodes)
}

// validateIISAccounts refuses a scenario whose IIS would run as accounts it
// does not have: its web sites would answer 401 with no error anywhere.
func (sc *Scenario) validateIISAccounts() error {
	var needs []string
	for _, r := range sc.Cluster.Resources {
		if r.Type == typeIIS {
			needs = append(needs, fmt.Sprintf("%s %q", typeIIS, r.Name))
		}
	}
	for _, n := range sc.Nodes {
		if sc.Cluster.Name != "" && n.OptionPack.Installed && orDefault(n.Metabase, metabaseCluster) == metabaseCluster {
			needs = append(needs, n.Name+"'s Option Pack with the cluster's metabase")
		}
	}
	if len(needs) == 0 {
		return nil
	}
	a := sc.IISAccounts
	if a == nil || a.Anonymous == "" || a.WAM == "" {
		return fmt.Errorf("iis_accounts.anonymous and iis_accounts.wam are required: %s run(s) as the domain's anonymous "+
			"(IUSR) and WAM (IWAM) accounts; name them there and list them, with their passwords, in accounts",
			strings.Join(needs, ", "))
	}
	for _, c := range []struct{ attr, user string }{{"anonymous", a.Anonymous}, {"wam", a.WAM}} {
		found := false
		for _, acct := range sc.Accounts {
			found = found || acct.Node == "" && strings.EqualFold(acct.User, c.user)
		}
		if !found {
			return fmt.Errorf("iis_accounts.%s %q is not among accounts as a domain account (no node): %s run(s) as it, and "+
				"without it the web sites answer 401; list it with its password", c.attr, c.user, strings.Join(needs, ", "))
		}
	}
	return nil
}

// validateGroupNeeds refuses a group whose resources need a sibling the
// group lacks: an IIS Server Instance serves at its group's IP Address
// (private Address), and the clustered MSDTC is reached by its group's
// Network Name (private Name). Without them the lab would run, but no site
// would answer and MSDTC would have no virtual server.
func (sc *Scenario) validateGroupNeeds() error {
	has := func(group, typ, prop string) bool {
		for _, r := range sc.Cluster.Resources {
			if r.Group == group && r.Type == typ && r.Private[prop] != "" {
				return true
			}
		}
		return false
	}
	for i, r := range sc.Cluster.Resources {
		switch {
		case r.Type == typeIIS && !has(r.Group, "IP Address", "Address"):
			return fmt.Errorf("cluster.resources[%d] (%s): an %s needs an IP Address resource with private Address in "+
				"its group %q (the address its site answers at)", i, r.Name, typeIIS, r.Group)
		case r.Type == typeMSDTC && !has(r.Group, typeNetworkName, "Name"):
			return fmt.Errorf("cluster.resources[%d] (%s): a %s needs a Network Name resource with private Name in "+
				"its group %q (MSDTC's virtual server)", i, r.Name, typeMSDTC, r.Group)
		}
	}
	return nil
}

func (sc *Scenario) validateCluster(nodes map[string]bool) error {
	c := sc.Cluster
	if c.Name == "" {
		if len(c.Groups)+len(c.Resources) > 0 {
			return errors.New("cluster.name is required when the cluster has groups or resources")
		}
		return nil
	}
	if !validNetBIOS(c.Name) {
		return fmt.Errorf("cluster.name %q is not a NetBIOS name", c.Name)
	}
	groups := map[string]bool{}
	for i, g := range c.Groups {
		where := fmt.Sprintf("cluster.groups[%d] (%s)", i, g.Name)
		if g.Name == "" || groups[strings.ToLower(g.Name)] {
			return fmt.Errorf("%s: empty or duplicate name", where)
		}
		groups[strings.ToLower(g.Name)] = true
		if !nodes[strings.ToUpper(g.Owner)] {
			return fmt.Errorf("%s: owner %q is not a node", where, g.Owner)
		}
		for _, o := range g.PreferredOwners {
			if !nodes[strings.ToUpper(o)] {
				return fmt.Errorf("%s: preferred owner %q is not a node", where, o)
			}
		}
		if g.State != "" && g.State != "online" && g.State != "offline" {
			return fmt.Errorf("%s: state %q: want online or offline", where, g.State)
		}
	}
	resources := map[string]string{}
	drives := map[string]bool{}
	for i, r := range c.Resources {
		where := fmt.Sprintf("cluster.resources[%d] (%s)", i, r.Name)
		if r.Name == "" || resources[strings.ToLower(r.Name)] != "" {
			return fmt.Errorf("%s: empty or duplicate name", where)
		}
		if r.Type == "" {
			return fmt.Errorf("%s: type is required", where)
		}
		if !groups[strings.ToLower(r.Group)] {
			return fmt.Errorf("%s: group %q does not exist", where, r.Group)
		}
		resources[strings.ToLower(r.Name)] = strings.ToLower(r.Group)
		for _, o := range r.PossibleOwners {
			if !nodes[strings.ToUpper(o)] {
				return fmt.Errorf("%s: possible owner %q is not a node", where, o)
			}
		}
		if r.RestartAction != nil && (*r.RestartAction < 0 || *r.RestartAction > 2) {
			return fmt.Errorf("%s: restart_action %d: want 0, 1 or 2", where, *r.RestartAction)
		}
		if (r.Type == "Physical Disk") != (r.Disk != nil) {
			return fmt.Errorf("%s: a Physical Disk needs disk, and only a Physical Disk has one", where)
		}
		if r.Disk != nil {
			d := strings.ToUpper(r.Disk.Drive)
			if len(d) != 2 || d[1] != ':' || d[0] < 'D' || d[0] > 'Z' || drives[d] {
				return fmt.Errorf("%s: disk.drive %q: want an unused drive letter from D to Z", where, r.Disk.Drive)
			}
			drives[d] = true
		}
	}
	for i, r := range c.Resources {
		for _, d := range r.Dependencies {
			g, ok := resources[strings.ToLower(d)]
			if !ok {
				return fmt.Errorf("cluster.resources[%d] (%s): dependency %q does not exist", i, r.Name, d)
			}
			if g != strings.ToLower(r.Group) {
				return fmt.Errorf("cluster.resources[%d] (%s): dependency %q is in another group", i, r.Name, d)
			}
		}
	}
	if cycle := dependencyCycle(c.Resources); cycle != "" {
		return fmt.Errorf("cluster.resources: dependency cycle through %q", cycle)
	}
	return nil
}

func dependencyCycle(rs []ResourceSpec) string {
	deps := map[string][]string{}
	for _, r := range rs {
		for _, d := range r.Dependencies {
			deps[strings.ToLower(r.Name)] = append(deps[strings.ToLower(r.Name)], strings.ToLower(d))
		}
	}
	const (
		visiting = 1
		done     = 2
	)
	mark := map[string]int{}
	var visit func(string) string
	visit = func(n string) string {
		switch mark[n] {
		case visiting:
			return n
		case done:
			return ""
		}
		mark[n] = visiting
		for _, d := range deps[n] {
			if c := visit(d); c != "" {
				return c
			}
		}
		mark[n] = done
		return ""
	}
	for _, r := range rs {
		if c := visit(strings.ToLower(r.Name)); c != "" {
			return c
		}
	}
	return ""
}

func validNetBIOS(name string) bool {
	if len(name) == 0 || len(name) > 15 {
		return false
	}
	for _, c := range name {
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}
