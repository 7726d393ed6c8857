package world

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/cmdshell"
)

// runCluster is cluster.exe: node, group and resource verbs. It talks to the
// cluster through a node's cluster service (the local node's, or the node or
// cluster named with /cluster:), so it fails with RPC error 1722 when that
// service is not running.
func runCluster(ctx context.Context, h *host, p *cmdshell.Proc) int {
	var out, errOut bytes.Buffer
	h.w.lock()
	code := clusterLocked(h, p.Args, &out, &errOut)
	if h.w.layout2003 && code == 0 && out.Len() > 0 {
		// 2003's cluster.exe ends each option's output with a blank line.
		out.WriteString("\r\n")
	}
	h.w.unlock()
	p.Stdout.Write(out.Bytes())
	p.Stderr.Write(errOut.Bytes())
	return code
}

// clusterCmd is one parsed cluster.exe command line.
type clusterCmd struct {
	w      *World
	out    io.Writer
	errOut io.Writer
	object string   // node, group, resource
	name   string   // object name, "" for all
	opt    string   // option name without its slash and value, lower-case
	value  string   // the option's ":value"
	rest   []string // arguments after the option (/prop K=V ...)
}

// clusterObjects maps cluster.exe's object words to their canonical form.
var clusterObjects = map[string]string{"node": "node", "group": "group", "res": "resource", "resource": "resource"}

func clusterLocked(h *host, args []string, out, errOut io.Writer) int {
	w := h.w
	c := &clusterCmd{w: w, out: out, errOut: errOut}
	clusterName := ""
	if len(args) > 0 {
		a := args[0]
		if v, ok := cutOption(a, "cluster", "c"); ok {
			clusterName, args = v, args[1:]
		} else if _, isObject := clusterObjects[strings.ToLower(a)]; !isObject && !strings.HasPrefix(a, "/") {
			clusterName, args = a, args[1:]
		}
	}
	if len(args) == 0 {
		return c.usage()
	}
	obj, ok := clusterObjects[strings.ToLower(args[0])]
	if !ok {
		return c.usage()
	}
	c.object = obj
	args = args[1:]
	if len(args) > 0 && !strings.HasPrefix(args[0], "/") {
		c.name, args = args[0], args[1:]
	}
	if len(args) > 0 {
		opt := strings.TrimPrefix(args[0], "/")
		c.opt, c.value, _ = strings.Cut(opt, ":")
		c.opt = strings.ToLower(c.opt)
		c.rest = args[1:]
		if !strings.HasPrefix(args[0], "/") {
			return c.usage()
		}
	}
	if code := c.connect(h.n, clusterName); code != 0 {
		return code
	}
	switch c.object {
	case "node":
		return c.node()
	case "group":
		return c.group()
	default:
		return c.resource()
	}
}

// cutOption recognises `/name:value` (or an abbreviation) and returns value.
func cutOption(arg string, names ...string) (string, bool) {
	if !strings.HasPrefix(arg, "/") {
		return "", false
	}
	k, v, ok := strings.Cut(arg[1:], ":")
	for _, n := range names {
		if ok && strings.EqualFold(k, n) {
			return v, true
		}
	}
	return "", false
}

// connect opens the cluster the way cluster.exe does: through the local
// node's cluster service, or through the named node, or through any node
// that is Up when the cluster's own name is given.
func (c *clusterCmd) connect(local *node, name string) int {
	w := c.w
	if w.cluster.name == "" {
		return c.fail(errRPCServerUnavailable)
	}
	switch {
	case name == "" || name == ".":
		if w.clusterMember(local) {
			return 0
		}
	case strings.EqualFold(name, w.cluster.name):
		for _, n := range w.nodes {
			if w.clusterMember(n) {
				return 0
			}
		}
	default:
		if n := w.node(name); n != nil && w.clusterMember(n) {
			return 0
		}
	}
	return c.fail(errRPCServerUnavailable)
}

// fail prints cluster.exe's error text and returns the code as exit status.
// 2003's prints the `System error` line on stdout and the message on stderr.
func (c *clusterCmd) fail(code int) int {
	line := c.errOut
	if c.w.layout2003 {
		line = c.out
	}
	fmt.Fprintf(line, "System error %d has occurred (0x%08x).\r\n", code, code)
	fmt.Fprintf(c.errOut, "%s\r\n", win32Messages[code])
	return code
}

// syntaxExit is what cluster.exe exits with after its syntax screen: 87,
// or -1 from 2003's.
func (c *clusterCmd) syntaxExit() int {
	if c.w.layout2003 {
		return -1
	}
	return errInvalidParameter
}

func (c *clusterCmd) usage() int {
	crlf(c.out,
		"The syntax of this command is:",
		"",
		"CLUSTER [[/CLUSTER:]cluster-name] <options>",
		"",
		"<options> =",
		"  NODE [node-name] [/STATUS]",
		"  GROUP [group-name] [/STATUS | /MOVE[:node-name] [/WAIT[:seconds]] | /ONLINE[:node-name]",
		"        | /OFFLINE | /PROPERTIES [propname=value ...] | /LISTOWNERS | /SETOWNERS:node-list]",
		"  RES[OURCE] [resource-name] [/STATUS | /ONLINE [/WAIT] | /OFFLINE [/WAIT] | /FAIL",
		"        | /PROPERTIES [propname=value ...] | /PRIVPROPERTIES | /LISTOWNERS]")
	return c.syntaxExit()
}

// isOpt reports whether the option is one of names (cluster.exe accepts the
// long forms and their documented short forms).
func (c *clusterCmd) isOpt(names ...string) bool {
	for _, n := range names {
		if c.opt == n {
			return true
		}
	}
	return false
}

func (c *clusterCmd) badOption() int {
	return c.fail(errInvalidParameter)
}

const (
	nodeHeader     = "Node           Node ID Status\r\n-------------- ------- ---------------------\r\n"
	groupHeader    = "Group                Node            Status\r\n-------------------- --------------- ------\r\n"
	resourceHeader = "Resource             Group                Node            Status\r\n-------------------- -------------------- --------------- ------\r\n"
)

func (c *clusterCmd) node() int {
	w := c.w
	if c.opt != "" && !c.isOpt("status", "stat", "sta") {
		return c.badOption()
	}
	nodes := w.nodes
	if c.name != "" {
		n := w.node(c.name)
		if n == nil {
			return c.fail(errClusterNodeNotFound)
		}
		nodes = []*node{n}
		fmt.Fprintf(c.out, "Listing status for node '%s':\r\n\r\n", n.name)
	} else {
		io.WriteString(c.out, "Listing status for all available nodes:\r\n\r\n")
	}
	io.WriteString(c.out, nodeHeader)
	for _, n := range nodes {
		fmt.Fprintf(c.out, "%-15s %6s %s\r\n", n.name, strconv.Itoa(n.id), w.nodeClusterState(n))
	}
	return 0
}

func (c *clusterCmd) groupRow(g *group) {
	fmt.Fprintf(c.out, "%-20s %-15s %s\r\n", g.name, g.owner.name, g.state())
}

func (c *clusterCmd) group() int {
	w := c.w
	if c.name == "" {
		if c.opt != "" && !c.isOpt("status", "stat", "sta") {
			return c.badOption()
		}
		io.WriteString(c.out, "Listing status for all available resource groups:\r\n\r\n"+groupHeader)
		for _, g := range w.cluster.groups {
			c.groupRow(g)
		}
		return 0
	}
	g := w.cluster.group(c.name)
	if g == nil {
		return c.fail(errGroupNotFound)
	}
	switch {
	case c.opt == "" || c.isOpt("status", "stat", "sta"):
		fmt.Fprintf(c.out, "Listing status for resource group '%s':\r\n\r\n"+groupHeader, g.name)
		c.groupRow(g)
	case c.isOpt("move", "moveto"):
		return c.moveGroup(g)
	case c.isOpt("online", "on"):
		return c.onlineGroup(g)
	case c.isOpt("offline", "off"):
		verb := "Taking resource group '%s' offline...\r\n\r\n"
		if w.layout2003 {
			verb = "Bringing resource group '%s' offline...\r\n\r\n"
		}
		fmt.Fprintf(c.out, verb+groupHeader, g.name)
		w.takeGroupOffline(g)
		g.wantOnline = false
		c.groupRow(g)
	case c.isOpt("properties", "prop"):
		return c.props(g.name, "Group", g.groupProps(), g.props)
	case c.isOpt("listowners", "listown"):
		fmt.Fprintf(c.out, "Listing preferred owners for resource group '%s':\r\n\r\nPreferred Owner Nodes\r\n---------------------\r\n", g.name)
		for _, n := range g.preferred {
			fmt.Fprintf(c.out, "%s\r\n", n.name)
		}
	case c.isOpt("setowners", "setown"):
		var owners []*node
		for _, name := range strings.Split(c.value, ",") {
			n := w.node(strings.TrimSpace(name))
			if n == nil {
				return c.fail(errClusterNodeNotFound)
			}
			owners = append(owners, n)
		}
		g.preferred = owners
	default:
		return c.badOption()
	}
	return 0
}

// waitArgs accepts what may follow /move or /online: /wait[:seconds]. Group
// operations complete synchronously here, so the wait is always satisfied.
func (c *clusterCmd) waitArgs() bool {
	for _, a := range c.rest {
		if _, ok := cutOption(a, "wait"); !ok && !strings.EqualFold(a, "/wait") {
			return false
		}
	}
	return true
}

func (c *clusterCmd) moveGroup(g *group) int {
	w := c.w
	if !c.waitArgs() {
		return c.badOption()
	}
	var target *node
	if c.value != "" {
		target = w.node(c.value)
		if target == nil {
			return c.fail(errClusterNodeNotFound)
		}
		if !w.cluster.members[target.name] {
			return c.fail(errClusterNodeDown)
		}
	} else if target = w.failoverTarget(g, nil, map[*node]bool{g.owner: true}); target == nil {
		return c.fail(errHostNodeNotAvailable)
	}
	fmt.Fprintf(c.out, "Moving resource group '%s'...\r\n\r\n"+groupHeader, g.name)
	if target != g.owner {
		affecting := affectingTheGroup(g)
		w.moveGroup(g, target, map[*node]bool{})
		if g.owner != target && len(affecting) > 0 {
			w.incidentLocked(target.name, 6, fmt.Sprintf("group %s moved to %s while %s had RestartAction 2 (\"Affect the group\" on)",
				g.name, target.name, strings.Join(affecting, ", ")),
				fmt.Sprintf("a resource that failed on %s failed the whole group back over to %s: a test there passes on the wrong node", target.name, g.owner.name))
		}
	}
	c.groupRow(g)
	return 0
}

// affectingTheGroup names the IIS Server Instance and MSDTC resources of g
// whose failure fails the group over (RestartAction 2): safety rule 6 turns
// it off for them while the KB moves groups.
func affectingTheGroup(g *group) []string {
	var names []string
	for _, r := range g.resources {
		if (r.typ == typeIIS || r.typ == typeMSDTC) && r.restartAction() == 2 {
			names = append(names, r.name)
		}
	}
	return names
}

func (c *clusterCmd) onlineGroup(g *group) int {
	w := c.w
	if !c.waitArgs() {
		return c.badOption()
	}
	var target *node
	if c.value != "" {
		if target = w.node(c.value); target == nil {
			return c.fail(errClusterNodeNotFound)
		}
		if !w.cluster.members[target.name] {
			return c.fail(errClusterNodeDown)
		}
	}
	fmt.Fprintf(c.out, "Bringing resource group '%s' online...\r\n\r\n"+groupHeader, g.name)
	g.wantOnline = true
	if target != nil && target != g.owner {
		w.moveGroup(g, target, map[*node]bool{})
	} else {
		w.groupOnline(g, map[*node]bool{})
	}
	c.groupRow(g)
	if g.state() != "Online" {
		return c.fail(errResourceFailed)
	}
	return 0
}

// resourceRow is a resource's line of a listing. NT 4.0's cluster.exe
// prints a failed resource as Offline (and a pending one as Online; the
// lab's resources are never pending): issue 25's evidence, FORMATS.md.
func (c *clusterCmd) resourceRow(r *resource) {
	state := r.state
	if !c.w.layout2003 && state == resFailed {
		state = resOffline
	}
	fmt.Fprintf(c.out, "%-20s %-20s %-15s %s\r\n", r.name, r.group.name, r.group.owner.name, state)
}

func (c *clusterCmd) resource() int {
	w := c.w
	if c.name == "" {
		if c.isOpt("properties", "prop") && len(c.rest) == 0 {
			// Every resource's common properties in one table (the
			// Resource column tells them apart), as KB Q244584's
			// `cluster res /prop:name | find ...` relies on.
			io.WriteString(c.out, "Listing properties for all resources:\r\n\r\n")
			c.propHeader("Resource")
			for _, r := range w.cluster.resources {
				c.propRows(r.name, r.commonProps())
			}
			return 0
		}
		if c.opt != "" && !c.isOpt("status", "stat", "sta") {
			return c.badOption()
		}
		io.WriteString(c.out, "Listing status for all available resources:\r\n\r\n"+resourceHeader)
		for _, r := range w.cluster.resources {
			c.resourceRow(r)
		}
		return 0
	}
	if c.isOpt("create") {
		return c.createResource()
	}
	r := w.cluster.resource(c.name)
	if r == nil {
		return c.fail(errResourceNotFound)
	}
	switch {
	case c.opt == "" || c.isOpt("status", "stat", "sta"):
		fmt.Fprintf(c.out, "Listing status for resource '%s':\r\n\r\n"+resourceHeader, r.name)
		c.resourceRow(r)
	case c.isOpt("delete", "del"):
		if len(c.rest) > 0 {
			return c.badOption()
		}
		if r.state == resOnline {
			return c.fail(errResourceOnline)
		}
		for _, d := range w.cluster.resources {
			if d != r && dependsOn(d, r) {
				return c.fail(errDependentResource)
			}
		}
		if w.layout2003 {
			fmt.Fprintf(c.out, "Deleting resource '%s'\r\n", r.name)
		} else {
			fmt.Fprintf(c.out, "Deleting resource '%s'...\r\n", r.name)
		}
		w.cluster.deleteResource(r)
	case c.isOpt("online", "on"):
		if !c.waitArgs() {
			return c.badOption()
		}
		fmt.Fprintf(c.out, "Bringing resource '%s' online...\r\n\r\n"+resourceHeader, r.name)
		code := w.bringResourceOnline(r)
		c.resourceRow(r)
		if code != 0 {
			return c.fail(code)
		}
	case c.isOpt("offline", "off"):
		if !c.waitArgs() {
			return c.badOption()
		}
		fmt.Fprintf(c.out, "Taking resource '%s' offline...\r\n\r\n"+resourceHeader, r.name)
		w.takeResourceOffline(r)
		c.resourceRow(r)
	case c.isOpt("fail"):
		if r.state != resOnline {
			return c.fail(errInvalidState)
		}
		fmt.Fprintf(c.out, "Failing resource '%s'...\r\n\r\n"+resourceHeader, r.name)
		w.resourceFailed(r)
		c.resourceRow(r)
	case c.isOpt("properties", "prop"):
		return c.props(r.name, "Resource", r.commonProps(), r.props)
	case c.isOpt("privproperties", "priv"):
		if len(c.rest) > 0 {
			return c.setProps(r.private)
		}
		listed := r.private
		if w.layout2003 && r.typ == typeNetworkName && props(r.private).get("CreatingDC") == nil {
			// 2003's Network Name has CreatingDC, empty until Kerberos is on.
			listed = append(append(props{}, listed...), &prop{name: "CreatingDC"})
			sort.SliceStable(listed, func(i, j int) bool { return listed[i].name < listed[j].name })
		}
		return c.props(r.name, "Resource", listed, r.private)
	case c.isOpt("listowners", "listown"):
		// 2003's leaves out the blank line after a resource's title.
		blank := "\r\n"
		if w.layout2003 {
			blank = ""
		}
		fmt.Fprintf(c.out, "Listing possible owners for resource '%s':\r\n%sPossible Owner Nodes\r\n--------------------\r\n", r.name, blank)
		for _, n := range r.possible {
			fmt.Fprintf(c.out, "%s\r\n", n.name)
		}
	default:
		return c.badOption()
	}
	return 0
}

// createResource is `cluster res R /create /group:G /type:T`: R created
// offline in G with the common properties' defaults.
func (c *clusterCmd) createResource() int {
	w := c.w
	var groupName, typ string
	for _, a := range c.rest {
		if v, ok := cutOption(a, "group", "g"); ok {
			groupName = v
		} else if v, ok := cutOption(a, "type", "t"); ok {
			typ = v
		} else {
			return c.badOption()
		}
	}
	if groupName == "" || typ == "" || c.value != "" {
		return c.fail(errInvalidParameter)
	}
	if w.cluster.resource(c.name) != nil {
		return c.fail(errObjectAlreadyExists)
	}
	g := w.cluster.group(groupName)
	if g == nil {
		return c.fail(errGroupNotFound)
	}
	r := newResource(c.name, typ, g, w.nodes)
	w.cluster.addResource(r)
	fmt.Fprintf(c.out, "Creating resource '%s'...\r\n\r\n"+resourceHeader, r.name)
	c.resourceRow(r)
	return 0
}

// commonProps is what `/prop` lists for a resource: its read-only identity,
// then the settable common properties.
func (r *resource) commonProps() props {
	persistent := uint32(0)
	if r.group.wantOnline && r.state == resOnline {
		persistent = 1
	}
	list := props{{name: "Name", readOnly: true, str: r.name}, {name: "Type", readOnly: true, str: r.typ}}
	for _, p := range r.props {
		if p.name == "PersistentState" {
			list = append(list, &prop{name: p.name, dword: true, readOnly: true, num: persistent})
			continue
		}
		list = append(list, p)
	}
	return list
}

func (g *group) groupProps() props {
	persistent := uint32(0)
	if g.wantOnline {
		persistent = 1
	}
	list := props{{name: "Name", readOnly: true, str: g.name}}
	for _, p := range g.props {
		if p.name == "PersistentState" {
			list = append(list, &prop{name: p.name, dword: true, readOnly: true, num: persistent})
			continue
		}
		list = append(list, p)
	}
	return list
}

// props lists (no K=V) or sets (K=V ...) properties.
func (c *clusterCmd) props(name, column string, listed, settable props) int {
	if len(c.rest) > 0 {
		return c.setProps(settable)
	}
	title := "Listing properties for '%s':\r\n\r\n"
	if c.w.layout2003 && c.isOpt("privproperties", "priv") {
		title = "Listing private properties for '%s':\r\n\r\n"
	}
	fmt.Fprintf(c.out, title, name)
	c.propHeader(column)
	c.propRows(name, listed)
	return 0
}

func (c *clusterCmd) propHeader(column string) {
	fmt.Fprintf(c.out, "T  %-20s %-30s %s\r\n", column, "Name", "Value")
	io.WriteString(c.out, "-- -------------------- ------------------------------ -----------------------\r\n")
}

// propRows prints the properties. The T column is NT 4.0's `R` for a
// read-only property; in the 2003 layout it is the value's type (`D` for a
// DWORD, `S` for a string) followed by `R` or a blank, as the cluster.exe of
// Windows 2000 and 2003 writes it (FORMATS.md).
func (c *clusterCmd) propRows(name string, listed props) {
	for _, p := range listed {
		t, v := "", p.str
		if p.readOnly {
			t = "R"
		}
		if p.dword {
			v = fmt.Sprintf("%d (0x%x)", p.num, p.num)
		}
		if c.w.layout2003 {
			kind := "S"
			if p.dword {
				kind = "D"
			}
			t = kind + t
		}
		fmt.Fprintf(c.out, "%-2s %-20s %-30s %s\r\n", t, name, p.name, v)
	}
}

// setProps applies K=V pairs, all or none: an unknown or read-only name, or
// a value that is not a DWORD in range, fails with 87 and changes nothing.
func (c *clusterCmd) setProps(settable props) int {
	type change struct {
		p   *prop
		num uint32
		str string
	}
	var changes []change
	for _, kv := range c.rest {
		k, v, ok := strings.Cut(kv, "=")
		p := settable.get(k)
		if !ok || p == nil || p.readOnly || p.name == "PersistentState" {
			return c.fail(errInvalidParameter)
		}
		ch := change{p: p, str: v}
		if p.dword {
			n, err := strconv.ParseUint(v, 0, 32)
			if err != nil || n > p.max {
				return c.fail(errInvalidParameter)
			}
			ch.num = uint32(n)
		}
		changes = append(changes, ch)
	}
	for _, ch := range changes {
		if ch.p.dword {
			ch.p.num = ch.num
		} else {
			ch.p.str = ch.str
		}
	}
	return 0
}
