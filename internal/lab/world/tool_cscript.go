package world

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/cmdshell"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/winfs"
)

const (
	cscriptBanner = "Microsoft (R) Windows Scripting Host Version 1.0 for Windows\r\n" +
		"Copyright (C) Microsoft Corporation 1996-1997. All rights reserved.\r\n\r\n"
	cscriptUsage = "Usage: CScript scriptname.extension [option...] [arguments...]\r\n"
	adsutilUsage = "Usage:\r\n      ADSUTIL.VBS <cmd> [<path> [<value>]]\r\n\r\n" +
		"Commands: GET SET ENUM ENUM_ALL\r\n"
	// adsNotSet is E_ADS_PROPERTY_NOT_FOUND (&H80005006), adsutil's exit
	// code for a property not set at a node.
	adsNotSet = -2147463162
)

// runCScript is Windows Scripting Host's cscript.exe (installed with the
// Option Pack's wsh_core): it runs a script that exists on the node, with
// the banner unless //nologo. The one script the lab emulates is IIS 4.0's
// adsutil.vbs (TOOLS-PHASES.md 2.5).
func runCScript(_ context.Context, h *host, p *cmdshell.Proc) int {
	args := p.Args
	banner := true
	for len(args) > 0 && strings.HasPrefix(args[0], "//") {
		if strings.EqualFold(args[0], "//nologo") {
			banner = false
		}
		args = args[1:]
	}
	if banner {
		io.WriteString(p.Stdout, cscriptBanner)
	}
	if len(args) == 0 {
		io.WriteString(p.Stdout, cscriptUsage)
		return 1
	}
	script := winfs.Abs(h.dir, args[0])
	if isDir, err := h.n.fs.Stat(script); err != nil || isDir {
		fmt.Fprintf(p.Stderr, "Input Error: Can not find script file \"%s\".\r\n", script)
		return 1
	}
	if !strings.EqualFold(baseName(script), "adsutil") {
		fmt.Fprintf(p.Stderr, "CScript Error: %s: the lab runs adsutil.vbs only.\r\n", script)
		return 1
	}
	h.w.lock()
	defer h.w.unlock()
	code := runAdsutil(h.n, args[1:], p.Stdout, h.w.layout2003)
	h.w.checkResources(h.n) // a root moved off the shared disk fails its instance
	return code
}

// adsNode is a node of the metabase tree as adsutil shows it.
type adsNode struct {
	path     string // e.g. /w3svc/1/root
	props    []adsProp
	children []string
}

type adsProp struct {
	name  string
	list  []string // LIST values
	value string   // STRING value
	isSet bool
	isLst bool
}

func (p adsProp) line() string {
	if p.isLst {
		var b strings.Builder
		fmt.Fprintf(&b, "%-32s: (LIST) (%d Items)\r\n", p.name, len(p.list))
		for _, v := range p.list {
			fmt.Fprintf(&b, "  \"%s\"\r\n", v)
		}
		return b.String()
	}
	return fmt.Sprintf("%-32s: (STRING) \"%s\"\r\n", p.name, p.value)
}

// adsLookup is the metabase node at path (w3svc, w3svc/1, w3svc/1/root,
// msftpsvc, ...), or nil.
func adsLookup(m metabase, path string) *adsNode {
	parts := strings.Split(strings.ToLower(strings.Trim(strings.ReplaceAll(path, `\`, "/"), "/")), "/")
	if len(parts) > 0 && parts[0] == "lm" {
		parts = parts[1:]
	}
	if len(parts) == 0 || !m.installed {
		return nil
	}
	svc := strings.ToUpper(parts[0])
	if svc != "W3SVC" && svc != "MSFTPSVC" {
		return nil
	}
	var ids []int
	for _, in := range m.instances {
		if in.service == svc {
			ids = append(ids, in.id)
		}
	}
	sort.Ints(ids)
	base := "/" + strings.ToLower(svc)
	if len(parts) == 1 {
		n := &adsNode{path: base}
		if svc == "W3SVC" {
			n.props = []adsProp{{name: "AnonymousUserName", value: m.w3AnonUser, isSet: true}, {name: "WAMUserName", value: m.wamUser, isSet: true}}
		} else {
			n.props = []adsProp{{name: "AnonymousUserName", value: m.ftpAnonUser, isSet: true}}
		}
		for _, id := range ids {
			n.children = append(n.children, fmt.Sprintf("%s/%d", base, id))
		}
		return n
	}
	id, err := strconv.Atoi(parts[1])
	if err != nil {
		return nil
	}
	in := m.instance(svc, id)
	if in == nil || len(parts) > 3 || len(parts) == 3 && parts[2] != "root" {
		return nil
	}
	if len(parts) == 3 {
		return &adsNode{path: fmt.Sprintf("%s/%d/root", base, id), props: []adsProp{{name: "Path", value: in.root, isSet: true}}}
	}
	return &adsNode{path: fmt.Sprintf("%s/%d", base, id), children: []string{fmt.Sprintf("%s/%d/root", base, id)}, props: []adsProp{
		{name: "ServerComment", value: in.comment, isSet: true},
		{name: "ServerBindings", list: in.bindings, isLst: true, isSet: true},
		{name: "AnonymousUserName", value: in.anonUser, isSet: in.anonUser != ""},
	}}
}

// runAdsutil is adsutil.vbs: GET, SET, ENUM, ENUM_ALL on n's metabase.
// IIS 4.0's script of 1997 (the nt4 layout; enumAll false) has no ENUM_ALL:
// the script's history adds it on 5/8/98, and the code before prints
// `ENUM_ALL Command not yet supported` and exits 0 (issue 25,
// source-derived).
func runAdsutil(n *node, args []string, out io.Writer, enumAll bool) int {
	if len(args) < 2 {
		io.WriteString(out, adsutilUsage)
		return 1
	}
	cmd, path := strings.ToLower(args[0]), args[1]
	notFound := func(p string) int {
		fmt.Fprintf(out, "Error Trying To Get the Object: IIS://LocalHost/%s\r\nErrNumber: -2147024893 (0x80070003)\r\n"+
			"The path requested could not be found.\r\n", strings.Trim(p, "/"))
		return 1
	}
	if cmd == "enum_all" && !enumAll {
		io.WriteString(out, "ENUM_ALL Command not yet supported\r\n")
		return 0
	}
	switch cmd {
	case "enum", "enum_all":
		node := adsLookup(n.mb, path)
		if node == nil {
			return notFound(path)
		}
		adsEnum(n.mb, node, cmd == "enum_all", out)
		return 0
	case "get", "set":
		i := strings.LastIndexAny(path, `/\`)
		if i < 0 {
			return notFound(path)
		}
		node := adsLookup(n.mb, path[:i])
		if node == nil {
			return notFound(path[:i])
		}
		name := path[i+1:]
		if cmd == "set" {
			if len(args) < 3 || !adsSet(&n.mb, node.path, name, args[2:]) {
				fmt.Fprintf(out, "Error Trying To SET the Property: %s\r\nErrNumber: -2147463162 (0x80005006)\r\n", name)
				return 1
			}
			node = adsLookup(n.mb, node.path)
		}
		for _, p := range node.props {
			if strings.EqualFold(p.name, name) {
				if !p.isSet {
					fmt.Fprintf(out, "The parameter \"%s\" is not set at this node.\r\n", p.name)
					return adsNotSet
				}
				io.WriteString(out, p.line())
				return 0
			}
		}
		fmt.Fprintf(out, "The parameter \"%s\" is not set at this node.\r\n", name)
		return adsNotSet
	}
	io.WriteString(out, adsutilUsage)
	return 1
}

func adsEnum(m metabase, node *adsNode, all bool, out io.Writer) {
	for _, p := range node.props {
		if p.isSet {
			io.WriteString(out, p.line())
		}
	}
	if !all {
		for _, c := range node.children {
			fmt.Fprintf(out, "[%s]\r\n", c)
		}
		io.WriteString(out, "\r\n")
		return
	}
	io.WriteString(out, "\r\n")
	for _, c := range node.children {
		fmt.Fprintf(out, "[%s]\r\n", c)
		adsEnum(m, adsLookup(m, c), true, out)
	}
}

// adsSet sets a writable property at path; false when it is not one.
func adsSet(m *metabase, path, name string, values []string) bool {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	svc := strings.ToUpper(parts[0])
	one := strings.Join(values, " ")
	if len(parts) == 1 {
		switch {
		case strings.EqualFold(name, "AnonymousUserName") && svc == "W3SVC":
			m.w3AnonUser = one
		case strings.EqualFold(name, "AnonymousUserName"):
			m.ftpAnonUser = one
		case strings.EqualFold(name, "WAMUserName") && svc == "W3SVC":
			m.wamUser = one
		default:
			return false
		}
		return true
	}
	id, _ := strconv.Atoi(parts[1])
	in := m.instance(svc, id)
	switch {
	case len(parts) == 3 && strings.EqualFold(name, "Path"):
		in.root = one
	case len(parts) == 2 && strings.EqualFold(name, "ServerComment"):
		in.comment = one
	case len(parts) == 2 && strings.EqualFold(name, "ServerBindings"):
		in.bindings = append([]string(nil), values...)
	case len(parts) == 2 && strings.EqualFold(name, "AnonymousUserName"):
		in.anonUser = one
	default:
		return false
	}
	return true
}
