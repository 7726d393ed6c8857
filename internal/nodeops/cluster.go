package nodeops

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// Resource types the phases look for among a group's resources
// (TOOLS-PHASES.md 1.4).
const (
	dtcResourceType = "Distributed Transaction Coordinator"
	iisResourceType = "IIS Server Instance"
)

// diskDriveRe is a drive letter in a path or a Physical Disk resource's name.
var diskDriveRe = regexp.MustCompile(`(?i)\b([a-z]):`)

// ClusterNode is one row of `cluster node /status`.
type ClusterNode struct {
	Name  string
	ID    int
	State string // Up, Down, Paused, Joining
}

// ClusterGroup is one row of `cluster group /status` with its preferred owners.
type ClusterGroup struct {
	Name            string
	OwnerNode       string
	State           string // Online, Offline, Partially Online, Failed, Pending
	PreferredOwners []string
}

// ClusterResource is one row of `cluster res /status` with its common properties.
type ClusterResource struct {
	Name      string
	Group     string
	OwnerNode string
	State     string
	Type      string
	// RestartAction is Cluster Administrator's "Affect the group": 0 don't
	// restart, 1 restart without failing the group over, 2 restart and fail over.
	RestartAction    int
	RestartThreshold int
	RestartPeriod    int // ms
}

// Property is one row of `cluster res R /prop`.
type Property struct {
	ReadOnly bool
	Name     string
	Value    string
}

// Int reads a DWORD property value as cluster.exe prints it, `2 (0x2)`.
func (p Property) Int() (int, error) {
	f := strings.Fields(p.Value)
	if len(f) == 0 {
		return 0, fmt.Errorf("property %s is empty", p.Name)
	}
	return strconv.Atoi(f[0])
}

// ClusterNodes runs `cluster node /status`.
func (n *Node) ClusterNodes(ctx context.Context) ([]ClusterNode, error) {
	return listing(ctx, n, "list the cluster nodes", nodeStatusLine, ParseNodeStatus)
}

// groupStatus runs `cluster group /status`: the groups, owners and states.
func (n *Node) groupStatus(ctx context.Context) ([]ClusterGroup, error) {
	return listing(ctx, n, "list the cluster groups", groupStatusLine, ParseGroupStatus)
}

// listing runs a read-only cluster.exe listing and parses its output; a
// listing the parser can't read is an error that shows the output.
func listing[T any](ctx context.Context, n *Node, step, line string, parse func(string) (T, error)) (T, error) {
	results, err := n.readBatch(ctx, step, line)
	if err != nil {
		var zero T
		return zero, err
	}
	return listed(n, step, line, results[0], parse)
}

// listed reads the result of the listing line, run alone or in a batch.
func listed[T any](n *Node, step, line string, res winrm.Result, parse func(string) (T, error)) (T, error) {
	var zero T
	if err := n.checkPart(step, line, res, win32); err != nil {
		return zero, err
	}
	v, err := parse(res.Stdout)
	if err != nil {
		return zero, n.parseError(step, line, res.Stdout, err)
	}
	return v, nil
}

// The listings of the nodes and the groups, as clusterStatus runs them.
const (
	nodeStatusLine  = "cluster node /status"
	groupStatusLine = "cluster group /status"
)

// clusterStatus lists the cluster's nodes and groups, and runs the
// listings more after them, in one command line (a batch, see readBatch);
// more's results come back unread. nodesErr is the node listing's failure,
// which tells that this node cannot speak for the cluster; err any other.
func (n *Node) clusterStatus(ctx context.Context, step string, more ...string) (nodes []ClusterNode, groups []ClusterGroup, moreResults []winrm.Result, nodesErr, err error) {
	results, err := n.readBatch(ctx, step, append([]string{nodeStatusLine, groupStatusLine}, more...)...)
	if err != nil {
		return nil, nil, nil, err, nil
	}
	if nodes, err = listed(n, "list the cluster nodes", nodeStatusLine, results[0], ParseNodeStatus); err != nil {
		return nil, nil, nil, err, nil
	}
	groups, err = listed(n, "list the cluster groups", groupStatusLine, results[1], ParseGroupStatus)
	return nodes, groups, results[2:], nil, err
}

// ClusterGroups runs `cluster group /status`, then `/listowners` of every
// group (cluster.exe lists one group's owners at a time) in a batch.
func (n *Node) ClusterGroups(ctx context.Context) ([]ClusterGroup, error) {
	groups, err := n.groupStatus(ctx)
	if err != nil {
		return nil, err
	}
	return groups, n.listOwners(ctx, groups)
}

// listOwners fills in the preferred owners of groups with their
// `cluster group G /listowners`, all in a batch (see readBatch).
func (n *Node) listOwners(ctx context.Context, groups []ClusterGroup) error {
	lines := make([]string, len(groups))
	for i, g := range groups {
		q, err := Quote(g.Name)
		if err != nil {
			return fmt.Errorf("%s: group %q: %w", n.R.Node(), g.Name, err)
		}
		lines[i] = "cluster group " + q + " /listowners"
	}
	results, err := n.readBatch(ctx, "list the preferred owners of the groups", lines...)
	if err != nil {
		return err
	}
	for i, res := range results {
		step := fmt.Sprintf("list the preferred owners of group %s", groups[i].Name)
		if err := n.checkPart(step, lines[i], res, win32); err != nil {
			return err
		}
		owners, err := ParseListOwners(res.Stdout)
		if err != nil {
			return n.parseError(step, lines[i], res.Stdout, err)
		}
		groups[i].PreferredOwners = owners
	}
	return nil
}

// ClusterResources runs `cluster res /status` and `cluster res /prop` (every
// resource's type and restart policy) in one command line (a batch).
func (n *Node) ClusterResources(ctx context.Context) ([]ClusterResource, error) {
	results, err := n.readBatch(ctx, "list the cluster resources and their properties", resourceLines...)
	if err != nil {
		return nil, err
	}
	return resourcesOf(n, results)
}

// resourceLines are the listings ClusterResources runs: the resources, then
// every resource's common properties.
var resourceLines = []string{resStatusLine, allPropsLine}

// resourcesOf reads the results of resourceLines.
func resourcesOf(n *Node, results []winrm.Result) ([]ClusterResource, error) {
	rs, err := listed(n, "list the cluster resources", resStatusLine, results[0], ParseResourceStatus)
	if err != nil {
		return nil, err
	}
	return rs, applyAllProps(n, rs, results[1])
}

const (
	resStatusLine = "cluster res /status"
	allPropsLine  = "cluster res /prop"
)

// applyAllProps reads `cluster res /prop`'s result into rs, which `cluster
// res /status` listed: that one listing holds the common properties of
// every resource, and the names tell the Resource column from the Name
// column in a row a long resource name pushed wider.
func applyAllProps(n *Node, rs []ClusterResource, res winrm.Result) error {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Name
	}
	all, err := listed(n, "read the properties of every resource", allPropsLine, res, func(out string) (map[string]map[string]Property, error) {
		return ParseAllProps(out, names)
	})
	if err != nil {
		return err
	}
	for i := range rs {
		props, ok := all[strings.ToLower(rs[i].Name)]
		if !ok {
			return fmt.Errorf("%s: `cluster res /prop` lists no properties of resource %s", n.R.Node(), rs[i].Name)
		}
		if err := rs[i].applyProps(props); err != nil {
			return fmt.Errorf("%s: resource %s: %w", n.R.Node(), rs[i].Name, err)
		}
	}
	return nil
}

// ParseAllProps reads `cluster res /prop` (every resource; columns T,
// Resource, Name, Value); each row must start with one of names (the
// longest that fits, case-insensitively).
func ParseAllProps(out string, names []string) (map[string]map[string]Property, error) {
	t, err := parseColumns(out, "property listing", 4)
	if err != nil {
		return nil, err
	}
	all := map[string]map[string]Property{}
	for _, row := range t.rows {
		if len(row) <= t.starts[1] {
			return nil, fmt.Errorf("property row %q is too short", row)
		}
		rest, owner := row[t.starts[1]:], ""
		for _, name := range names {
			if len(name) > len(owner) && len(rest) >= len(name) && strings.EqualFold(rest[:len(name)], name) &&
				(len(rest) == len(name) || rest[len(name)] == ' ') {
				owner = name
			}
		}
		if owner == "" {
			return nil, fmt.Errorf("property row %q names no resource the cluster listed", row)
		}
		after := strings.TrimLeft(rest[len(owner):], " ")
		// The property name starts in its column, or one blank after a
		// resource name too long for its own: anything else is a name the
		// caller did not list.
		if at := len(row) - len(after); at != max(t.starts[2], t.starts[1]+len(owner)+1) {
			return nil, fmt.Errorf("property row %q names no resource the cluster listed", row)
		}
		prop, value, _ := strings.Cut(after, " ")
		if !propNameRe.MatchString(prop) {
			return nil, fmt.Errorf("property row %q: no property name after the resource", row)
		}
		key := strings.ToLower(owner)
		if all[key] == nil {
			all[key] = map[string]Property{}
		}
		all[key][prop] = Property{ReadOnly: readOnlyFlag(strings.TrimSpace(row[:min(2, len(row))])), Name: prop, Value: strings.TrimSpace(value)}
	}
	return all, nil
}

// clusterResourceStatus runs `cluster res /status`: names, groups, owners
// and states only.
func (n *Node) clusterResourceStatus(ctx context.Context) ([]ClusterResource, error) {
	return listing(ctx, n, "list the cluster resources", resStatusLine, ParseResourceStatus)
}

func (r *ClusterResource) applyProps(props map[string]Property) error {
	r.Type = props["Type"].Value
	for name, dst := range map[string]*int{
		"RestartAction": &r.RestartAction, "RestartThreshold": &r.RestartThreshold, "RestartPeriod": &r.RestartPeriod,
	} {
		p, ok := props[name]
		if !ok {
			continue
		}
		v, err := p.Int()
		if err != nil {
			return fmt.Errorf("property %s: %w", name, err)
		}
		*dst = v
	}
	return nil
}

// ResourceProps runs `cluster res R /prop`, keyed by property name.
func (n *Node) ResourceProps(ctx context.Context, resource string) (map[string]Property, error) {
	return n.resourceTable(ctx, resource, "/prop", "read the properties of resource "+resource)
}

// resourceTable runs `cluster res R <opt>` (/prop, /priv) and reads its
// property table, keyed by property name.
func (n *Node) resourceTable(ctx context.Context, resource, opt, step string) (map[string]Property, error) {
	tables, err := n.resourceTables(ctx, []string{resource}, opt, step)
	if err != nil {
		return nil, err
	}
	return tables[0], nil
}

// resourceTables is resourceTable of each of resources, in one command line
// (a batch, see readBatch).
func (n *Node) resourceTables(ctx context.Context, resources []string, opt, step string) ([]map[string]Property, error) {
	tables, errs, err := n.resourceTablesEach(ctx, resources, opt, step)
	if err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err // the first in the resources' order
		}
	}
	return tables, nil
}

// resourceTablesEach is resourceTables with each resource's failure of its
// own (a resource that no longer exists, 5007); err is the batch's.
func (n *Node) resourceTablesEach(ctx context.Context, resources []string, opt, step string) ([]map[string]Property, []error, error) {
	lines := make([]string, len(resources))
	for i, r := range resources {
		q, err := Quote(r)
		if err != nil {
			return nil, nil, fmt.Errorf("resource name: %w", err)
		}
		lines[i] = "cluster res " + q + " " + opt
	}
	results, err := n.readBatch(ctx, step, lines...)
	if err != nil {
		return nil, nil, err
	}
	tables := make([]map[string]Property, len(resources))
	errs := make([]error, len(resources))
	for i, res := range results {
		props, err := listed(n, step, lines[i], res, ParseProps)
		if err != nil {
			errs[i] = err
			continue
		}
		tables[i] = make(map[string]Property, len(props))
		for _, p := range props {
			tables[i][p.Name] = p
		}
	}
	return tables, errs, nil
}

// GroupMove runs `cluster group G /move:NODE`, which waits (20 s by default)
// for the group to come online on NODE.
func (n *Node) GroupMove(ctx context.Context, group, node string) error {
	q, err := quoteAll("group name", group, "node name", node)
	if err != nil {
		return err
	}
	line := "cluster group " + q[0] + " /move:" + q[1]
	_, err = n.run(ctx, fmt.Sprintf("move group %s to %s", group, node), line, false, win32)
	return err
}

var propNameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// ResourceSetProp runs `cluster res R /prop K=V`, e.g. RestartAction=1 to
// clear "Affect the group".
func (n *Node) ResourceSetProp(ctx context.Context, resource, key, value string) error {
	if !propNameRe.MatchString(key) {
		return fmt.Errorf("property name %q: only letters, digits and _ are accepted", key)
	}
	q, err := quoteAll("resource name", resource, "property value", value)
	if err != nil {
		return err
	}
	line := "cluster res " + q[0] + " /prop " + key + "=" + q[1]
	_, err = n.run(ctx, fmt.Sprintf("set %s of resource %s to %s", key, resource, value), line, false, win32)
	return err
}

// --- cluster.exe's output ---

// table is a cluster.exe listing: the column starts come from the dashes line
// under the header (`-------------- ------- ------`).
type table struct {
	starts []int
	rows   []string
	title  string // the "Listing ..." line
}

var (
	errNoTable = errors.New("no column header (a line of dashes) in the output")
	errNoTitle = errors.New("no `Listing ...` title over the table")
)

// parseColumns is parseTable of a listing that has at least want columns.
func parseColumns(out, listing string, want int) (table, error) {
	t, err := parseTable(out)
	if err == nil && len(t.starts) < want {
		err = fmt.Errorf("%s has %d columns, want %d", listing, len(t.starts), want)
	}
	return t, err
}

func parseTable(out string) (table, error) {
	lines := splitLines(out)
	var t table
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "Listing ") && t.title == "" {
			t.title = strings.TrimSpace(l)
		}
		if !isDashes(l) {
			continue
		}
		if t.title == "" {
			// Every listing of cluster.exe's is titled `Listing ...`: a
			// table without one is not a listing known here.
			return t, errNoTitle
		}
		for j := 0; j < len(l); j++ {
			if l[j] == '-' && (j == 0 || l[j-1] == ' ') {
				t.starts = append(t.starts, j)
			}
		}
		for _, r := range lines[i+1:] {
			if strings.TrimSpace(r) != "" {
				t.rows = append(t.rows, strings.TrimRight(r, " \t"))
			}
		}
		return t, nil
	}
	return t, errNoTable
}

func isDashes(l string) bool {
	l = strings.TrimSpace(l)
	return l != "" && strings.Trim(l, "- ") == "" && strings.Contains(l, "--")
}

// fixed cuts row at the header's column starts. ok is false when the row
// does not line up with the header: a long name pushed the columns right.
func (t table) fixed(row string) ([]string, bool) {
	fields := make([]string, len(t.starts))
	for i, s := range t.starts {
		if i > 0 && i == len(t.starts)-1 && s >= len(row) && len(row) > t.starts[i-1] {
			// An empty last column: the row ends before it (its trailing
			// blanks trimmed), as a property row with an empty value does
			// (2003's Network Name has CreatingDC empty).
			continue
		}
		if s > len(row) || (s > 0 && row[s-1] != ' ') {
			return nil, false
		}
		end := len(row)
		if i+1 < len(t.starts) && t.starts[i+1]-1 < end {
			end = t.starts[i+1] - 1
		}
		if s > end {
			return nil, false
		}
		fields[i] = strings.TrimSpace(row[s:end])
	}
	return fields, true
}

// twoWordStates are the states with a blank in them; anything else is one word.
var twoWordStates = []string{"Partially Online", "Online Pending", "Offline Pending"}

// knownState reports whether s is a state cluster.exe prints, so a row cut at
// the header's columns can be trusted.
func knownState(s string) bool {
	switch strings.ToLower(s) {
	case "up", "down", "paused", "joining", "unknown",
		"online", "offline", "partially online", "failed", "pending",
		"online pending", "offline pending", "initializing":
		return true
	}
	return false
}

// splitTail takes the state and the node name off the end of a row pushed
// wider than its header. Node names are NetBIOS names (no blanks), states
// are one word or one of twoWordStates. It returns what is left of the row
// (the object's name or names), the node, the state and the node's offset.
func splitTail(row string) (head, node, state string, nodeAt int, ok bool) {
	trimmed := strings.TrimRight(row, " ")
	state = ""
	for _, s := range twoWordStates {
		if len(trimmed) >= len(s) && strings.EqualFold(trimmed[len(trimmed)-len(s):], s) {
			state = trimmed[len(trimmed)-len(s):]
			break
		}
	}
	if state == "" {
		i := strings.LastIndexByte(trimmed, ' ')
		if i < 0 {
			return "", "", "", 0, false
		}
		state = trimmed[i+1:]
	}
	rest := strings.TrimRight(trimmed[:len(trimmed)-len(state)], " ")
	i := strings.LastIndexByte(rest, ' ')
	if i < 0 {
		return "", "", "", 0, false
	}
	return strings.TrimRight(rest[:i], " "), rest[i+1:], state, i + 1, true
}

// ParseNodeStatus reads `cluster node /status` (rows `%-15s %6s %s`).
func ParseNodeStatus(out string) ([]ClusterNode, error) {
	t, err := parseTable(out)
	if err != nil {
		return nil, err
	}
	var nodes []ClusterNode
	for _, row := range t.rows {
		// NetBIOS names hold no blanks, so fields split cleanly even when a
		// long name pushed the row wider.
		f := strings.Fields(row)
		if len(f) < 3 {
			return nil, fmt.Errorf("node row %q has fewer than 3 columns", row)
		}
		id, err := strconv.Atoi(f[1])
		if err != nil {
			return nil, fmt.Errorf("node row %q: node ID %q is not a number", row, f[1])
		}
		nodes = append(nodes, ClusterNode{Name: f[0], ID: id, State: strings.Join(f[2:], " ")})
	}
	return nodes, nil
}

// ParseGroupStatus reads `cluster group /status` (rows `%-20s %-15s %s`).
func ParseGroupStatus(out string) ([]ClusterGroup, error) {
	t, err := parseColumns(out, "group listing", 3)
	if err != nil {
		return nil, err
	}
	var groups []ClusterGroup
	for _, row := range t.rows {
		if f, ok := t.fixed(row); ok && lineUp(f[1], f[2]) && f[0] != "" {
			groups = append(groups, ClusterGroup{Name: f[0], OwnerNode: f[1], State: f[2]})
			continue
		}
		head, node, state, _, ok := splitTail(row)
		if !ok || strings.TrimSpace(head) == "" {
			return nil, fmt.Errorf("group row %q: cannot tell group, node and status apart", row)
		}
		groups = append(groups, ClusterGroup{Name: strings.TrimSpace(head), OwnerNode: node, State: state})
	}
	return groups, nil
}

// lineUp checks a row cut at the header's columns: the node is one word and
// the state is one cluster.exe prints.
func lineUp(node, state string) bool {
	return node != "" && !strings.ContainsAny(node, " \t") && knownState(state)
}

// ParseResourceStatus reads `cluster res /status` (rows `%-20s %-20s %-15s %s`).
func ParseResourceStatus(out string) ([]ClusterResource, error) {
	t, err := parseColumns(out, "resource listing", 4)
	if err != nil {
		return nil, err
	}
	var rs []ClusterResource
	for _, row := range t.rows {
		if f, ok := t.fixed(row); ok && lineUp(f[2], f[3]) && f[0] != "" && f[1] != "" {
			rs = append(rs, ClusterResource{Name: f[0], Group: f[1], OwnerNode: f[2], State: f[3]})
			continue
		}
		head, node, state, nodeAt, ok := splitTail(row)
		if !ok {
			return nil, fmt.Errorf("resource row %q: cannot tell its columns apart", row)
		}
		name, group, ok := splitNames(head, t.starts[1], nodeAt-t.starts[2])
		if !ok {
			return nil, fmt.Errorf("resource row %q: cannot tell the resource name from the group name", row)
		}
		rs = append(rs, ClusterResource{Name: name, Group: group, OwnerNode: node, State: state})
	}
	return rs, nil
}

// splitNames separates `resource<pad> group<pad>` when the row is wider than
// the header. If only the resource name overflowed, every later column moved
// right by the same shift, which the node column's position reveals. Else
// the padding after the resource name (two blanks or more) marks the split.
func splitNames(head string, groupStart, shift int) (string, string, bool) {
	if at := groupStart + shift; shift >= 0 && at > 0 && at < len(head) && head[at-1] == ' ' && head[at] != ' ' {
		return strings.TrimSpace(head[:at]), strings.TrimSpace(head[at:]), true
	}
	lead := len(head) - len(strings.TrimLeft(head, " "))
	if i := strings.Index(head[lead:], "  "); i > 0 {
		return strings.TrimSpace(head[:lead+i]), strings.TrimSpace(head[lead+i:]), true
	}
	return "", "", false
}

// propTitleRe is the title of `cluster res R /prop` and of `/priv`, which
// 2003's cluster.exe titles `Listing private properties for 'R':`.
var propTitleRe = regexp.MustCompile(`^Listing (?:private )?properties for '(.*)':$`)

// ParseProps reads `cluster res R /prop` or `/priv` (columns T, Resource,
// Name, Value). A row pushed wider by a resource name over 20 characters
// is read with the name the title gives; an empty value is empty.
func ParseProps(out string) ([]Property, error) {
	t, err := parseColumns(out, "property listing", 4)
	if err != nil {
		return nil, err
	}
	var object string
	if m := propTitleRe.FindStringSubmatch(t.title); m != nil {
		object = m[1]
	}
	var props []Property
	for _, row := range t.rows {
		p, ok := propFixed(t, row)
		if !ok {
			if p, ok = propByName(t, row, object); !ok {
				return nil, fmt.Errorf("property row %q: cannot tell its columns apart", row)
			}
		}
		props = append(props, p)
	}
	return props, nil
}

func propFixed(t table, row string) (Property, bool) {
	f, ok := t.fixed(row)
	if !ok || f[2] == "" || strings.ContainsAny(f[2], " \t") {
		return Property{}, false
	}
	return Property{ReadOnly: readOnlyFlag(f[0]), Name: f[2], Value: f[3]}, true
}

// readOnlyFlag reads the T column: NT 4.0's cluster.exe prints `R` for a
// read-only property; 2000 and 2003's print the value's type first (`D`,
// `S`, `M`, `B`, ...) and then `R` or a blank (cluster.mc's
// MSG_PROPERTY_FORMAT_CHAR and MSG_READONLY_PROPERTY).
func readOnlyFlag(flag string) bool {
	return flag == "R" || len(flag) == 2 && flag[1] == 'R'
}

// propByName handles a row pushed wider by a long object name: the title
// line names the object, so what follows it is the property name (one word)
// and the value.
func propByName(t table, row, object string) (Property, bool) {
	if object == "" || len(row) < t.starts[1] {
		return Property{}, false
	}
	flag := strings.TrimSpace(row[:t.starts[1]])
	rest := row[t.starts[1]:]
	if !strings.HasPrefix(strings.ToLower(rest), strings.ToLower(object)) {
		return Property{}, false
	}
	rest = strings.TrimSpace(rest[len(object):])
	name, value, _ := strings.Cut(rest, " ")
	if name == "" {
		return Property{}, false
	}
	return Property{ReadOnly: readOnlyFlag(flag), Name: name, Value: strings.TrimSpace(value)}, true
}

// ownersTitleRe is the title of `cluster group G /listowners` (and of a
// resource's, `Listing possible owners for resource 'R':`).
var ownersTitleRe = regexp.MustCompile(`^Listing (?:preferred|possible) owners for (?:resource group|resource|group) '.*':$`)

// ParseListOwners reads `cluster group G /listowners`: its title, then the
// node names under the `Preferred Owner Nodes` header's dashes, in
// preference order, with or without a blank line between (2003 leaves it
// out after a resource's title). The layout is unconfirmed for NT 4.0:
// without a header, the one-word lines after the title are the nodes.
// Anything else is an error, never "no preferred owners".
func ParseListOwners(out string) ([]string, error) {
	lines, err := afterTitle(out, ownersTitleRe, "Listing preferred owners for ...")
	if err != nil {
		return nil, err
	}
	var owners []string
	for _, t := range lines {
		switch {
		case isDashes(t) || len(owners) == 0 && strings.HasSuffix(t, " Owner Nodes"):
		case strings.ContainsAny(t, " \t"):
			return nil, fmt.Errorf("line %q is no node name", t)
		default:
			owners = append(owners, t)
		}
	}
	return owners, nil
}

func groupNames(gs []ClusterGroup) string {
	names := make([]string, len(gs))
	for i, g := range gs {
		names[i] = g.Name
	}
	return strings.Join(names, ", ")
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
