package nodeops

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Tool is a program a phase runs on a node: a bare file name the phase
// runs from the PATH (reg.exe) or a path it runs by name (setup.exe on the
// Option Pack CD, adsutil.vbs), and where an administrator gets it.
type Tool struct {
	Name string // "reg.exe", or a full path
	From string // e.g. "the Windows NT 4.0 Resource Kit"
}

// The tools the phases run, and where each comes from (TOOLS.md,
// TOOLS-PHASES.md). cluster.exe is in %SystemRoot%\cluster, which MSCS
// setup adds to the PATH; iissync.exe comes with IIS, so it is looked for
// only where IIS is installed.
// adsutilScript is IIS 4.0's administration script, run by cscript.
const adsutilScript = `%SystemRoot%\system32\inetsrv\adminsamples\adsutil.vbs`

var (
	ToolCluster  = Tool{"cluster.exe", "MSCS (Windows NT 4.0 Enterprise Edition's cluster setup)"}
	ToolReg      = Tool{"reg.exe", "the Windows NT 4.0 Resource Kit"}
	ToolSC       = Tool{"sc.exe", "the Windows NT 4.0 Resource Kit"}
	ToolNet      = Tool{"net.exe", "Windows NT itself"}
	ToolShutdown = Tool{"shutdown.exe", "the Windows NT 4.0 Resource Kit"}
	ToolNtrights = Tool{"ntrights.exe", "the Windows NT 4.0 Resource Kit Supplement 3"}
	ToolShowpriv = Tool{"showpriv.exe", "the Windows NT 4.0 Resource Kit"}
	ToolDcomperm = Tool{"dcomperm.exe", "the Platform SDK's DCOMPERM sample, built"}
	ToolCScript  = Tool{"cscript.exe", "Windows Scripting Host (the Option Pack's WSH component)"}
	ToolIISSync  = Tool{`%SystemRoot%\system32\inetsrv\iissync.exe`, "IIS 4.0 (the Option Pack)"}
	ToolAdsutil  = Tool{adsutilScript, "IIS 4.0 (the Option Pack's administration samples)"}
	ToolMSDTC    = Tool{"msdtc.exe", "MTS 2.0 (the Option Pack)"}
)

// AccountsTools are what the accounts phase runs on its node: its reads
// (showpriv, dcomperm, net) and its grants (ntrights, dcomperm, net), each
// checked before the first change (ntrights runs only after a net.exe
// change otherwise).
var AccountsTools = []Tool{ToolNet, ToolNtrights, ToolShowpriv, ToolDcomperm}

// SyncTools are what the metabase sync runs on its source (the working
// node): IISSYNC, and adsutil.vbs through cscript to read the metabase;
// reg and cluster to read MTS and the cluster. The target's IIS is read
// too, but a target without adsutil has no IIS yet: the sync's own error.
var SyncTools = []Tool{ToolIISSync, ToolCScript, ToolAdsutil, ToolReg, ToolCluster}

// checkNodesTools checks each node's tools (nodes by name), one batch a
// node, in the order given; the first node that lacks one is the error.
func (c *Cluster) checkNodesTools(ctx context.Context, tools map[string][]Tool) error {
	for _, name := range slices.Sorted(maps.Keys(tools)) {
		n := c.Node(name)
		if n == nil {
			return fmt.Errorf("%s is not a configured node", name)
		}
		if err := n.CheckTools(ctx, tools[name]...); err != nil {
			return err
		}
	}
	return nil
}

// InstallTools are what the Option Pack phase runs on its node besides the
// media (checked by path, checkMedia): sc for the cluster service, reg for
// the Option Pack's state, net for the boot time, shutdown for the
// reboots, which come only after the first change.
var InstallTools = []Tool{ToolSC, ToolReg, ToolNet, ToolShutdown}

// ServiceTools are what mscs_cluster_node_service runs on its node: sc
// (cluster.exe, for the node's state, is asked through whichever node
// answers).
var ServiceTools = []Tool{ToolSC}

// FailoverTools are what the failover test runs on each node: cluster.exe
// (each move runs on the node the group moves to).
var FailoverTools = []Tool{ToolCluster}

// MissingToolsError is a node without some of the tools a phase runs.
type MissingToolsError struct {
	Node    string
	Missing []Tool
}

func (e *MissingToolsError) Error() string {
	var parts []string
	for _, t := range e.Missing {
		parts = append(parts, fmt.Sprintf("%s (from %s)", t.Name, t.From))
	}
	return fmt.Sprintf("%s does not have %s: install each there first; nothing was run", e.Node, strings.Join(parts, ", "))
}

var (
	toolNameRe = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	// toolRootRe is a tool under %SystemRoot%: the folders and name are
	// letters, digits and '_.-', so the quotes hold around the variable.
	toolRootRe = regexp.MustCompile(`(?i)^%SystemRoot%(\\[A-Za-z0-9_.-]+)+$`)
)

// toolParts is MissingTools' first batch: PATH, and SystemRoot unless
// root is the one a registry read gave already (each with cmd's set, not
// reg: reg.exe may be what is missing), then each full path, each bare
// name in system32 (the name is letters, digits and '_.-', so the quotes
// around it and %SystemRoot% hold, which Quote refuses for a value).
func toolParts(tools []Tool, root string) ([]string, error) {
	parts := []string{"set PATH"}
	if root == "" {
		parts = append(parts, "set SystemRoot")
	}
	for _, t := range tools {
		var q string
		switch {
		case toolRootRe.MatchString(t.Name):
			q = `"` + t.Name + `"`
		case strings.Contains(t.Name, `\`):
			var err error
			if q, err = Quote(t.Name); err != nil {
				return nil, fmt.Errorf("%s: %w", t.Name, err)
			}
		case !toolNameRe.MatchString(t.Name):
			return nil, fmt.Errorf("tool name %q: only letters, digits, '_', '.' and '-'", t.Name)
		default:
			q = `"%SystemRoot%\system32\` + t.Name + `"`
		}
		parts = append(parts, "if exist "+q+" echo found")
	}
	return parts, nil
}

// MissingTools reads which of tools the node lacks; it only reads. NT 4.0
// has no where.exe (and FOR's %~$PATH: is not used): a bare name is looked
// for, as cmd runs it, in %SystemRoot%\system32 and then in each folder of
// the node's PATH (read in the same batch as the paths given in full), in
// a second batch only when a name is not in the system folder. A nil error with an
// empty result: all there; a read that fails is an error, never "missing".
func (n *Node) MissingTools(ctx context.Context, tools []Tool) ([]Tool, error) {
	const step = "look for the tools the phase runs"
	root := n.knownSystemRoot()
	parts, err := toolParts(tools, root)
	if err != nil {
		return nil, err
	}
	results, err := n.readBatch(ctx, step, parts...)
	if err != nil {
		return nil, err
	}
	for i, res := range results {
		if err := n.checkPart(step, parts[i], res, win32); err != nil {
			return nil, err
		}
	}
	path, ok := envValue(results[0].Stdout, "PATH")
	if !ok {
		return nil, n.parseError(step, parts[0], results[0].Stdout, fmt.Errorf("no PATH= line"))
	}
	if root == "" {
		if root, ok = envValue(results[1].Stdout, "SystemRoot"); !ok {
			return nil, n.parseError(step, parts[1], results[1].Stdout, fmt.Errorf("no SystemRoot= line"))
		}
		results = results[1:]
	}
	results = results[1:] // the tools' own, in tools' order
	sys := root + `\system32`
	var dirs []string
	for _, d := range strings.Split(path, ";") {
		d = strings.TrimRight(strings.Trim(strings.TrimSpace(d), `"`), `\`)
		if d != "" && !strings.EqualFold(d, sys) {
			if _, err := Quote(d + `\x`); err == nil {
				dirs = append(dirs, d)
			}
		}
	}
	gone := map[int]bool{} // by index in tools
	var look []int         // bare names not in system32: along the PATH
	inOrder := func() []Tool {
		var missing []Tool
		for i, t := range tools {
			if gone[i] {
				missing = append(missing, t)
			}
		}
		return missing
	}
	own := parts[len(parts)-len(tools):]
	for i, t := range tools {
		found := strings.TrimSpace(results[i].Stdout)
		switch {
		case found == "found":
		case found != "":
			return nil, n.parseError(step, own[i], results[i].Stdout, fmt.Errorf("want \"found\" or nothing"))
		case strings.Contains(t.Name, `\`) || len(dirs) == 0:
			gone[i] = true
		default:
			look = append(look, i)
		}
	}
	if len(look) == 0 {
		return inOrder(), nil
	}
	var lines []string
	for _, ti := range look {
		for _, d := range dirs {
			q, err := Quote(d + `\` + tools[ti].Name)
			if err != nil {
				return nil, err
			}
			lines = append(lines, "if exist "+q+" echo found")
		}
	}
	results, err = n.readBatch(ctx, step, lines...)
	if err != nil {
		return nil, err
	}
	for i, ti := range look {
		found := false
		for j := range dirs {
			res := results[i*len(dirs)+j]
			if err := n.checkPart(step, lines[i*len(dirs)+j], res, win32); err != nil {
				return nil, err
			}
			found = found || strings.TrimSpace(res.Stdout) == "found"
		}
		gone[ti] = !found
	}
	return inOrder(), nil
}

// envValue is name's value in the output of `set name` (which lists each
// variable whose name starts with name: PATH and PATHEXT).
func envValue(out, name string) (string, bool) {
	for _, l := range splitLines(out) {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), "="); ok && strings.EqualFold(k, name) && v != "" {
			return v, true
		}
	}
	return "", false
}

// CheckTools is MissingTools as an error: a *MissingToolsError naming each
// missing tool and where it comes from.
func (n *Node) CheckTools(ctx context.Context, tools ...Tool) error {
	missing, err := n.MissingTools(ctx, tools)
	if err != nil || len(missing) == 0 {
		return err
	}
	return &MissingToolsError{Node: n.R.Node(), Missing: missing}
}
