package labtest

import (
	"strings"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
)

// KBSteps reduces a command log to the KB's steps, in order: "stop
// ClusSvc", "start ClusSvc", "RemoveAll", "setup" ("setup failed" for a
// setup that exited non-zero), "reboot", "SP". Everything else (reads,
// journal lines, settings) is left out.
func KBSteps(cmds []world.CommandRecord) []string {
	var steps []string
	for _, c := range cmds {
		prog, args := strings.ToLower(c.Program), strings.ToLower(c.Args)
		switch {
		case (prog == "sc" || prog == "net") && strings.HasPrefix(args, "stop clussvc"):
			steps = append(steps, "stop ClusSvc")
		case (prog == "sc" || prog == "net") && strings.HasPrefix(args, "start clussvc"):
			steps = append(steps, "start ClusSvc")
		case strings.HasSuffix(prog, "setup.exe") && c.ExitCode != 0:
			steps = append(steps, "setup failed")
		case strings.HasSuffix(prog, "setup.exe") && strings.Contains(args, "removeall"):
			// The unattend file is named after what it does.
			steps = append(steps, "RemoveAll")
		case strings.HasSuffix(prog, "setup.exe"):
			steps = append(steps, "setup")
		case strings.HasPrefix(prog, "shutdown"):
			steps = append(steps, "reboot")
		case strings.HasSuffix(prog, "update.exe"):
			steps = append(steps, "SP")
		}
	}
	return steps
}

// MSDTCSteps reduces a command log to the MSDTC phase's changes, in order,
// each naming its node: "NODE1: msdtc -install", "NODE2: dtcsetup",
// "NODE1: delete MSDTC" (a cluster resource deleted).
func MSDTCSteps(cmds []world.CommandRecord) []string {
	var steps []string
	for _, c := range cmds {
		prog, args := strings.ToLower(c.Program), strings.ToLower(c.Args)
		switch {
		case prog == "msdtc":
			steps = append(steps, c.Node+": msdtc "+strings.Fields(args + " ?")[0])
		case strings.HasSuffix(prog, "dtcsetup.exe"):
			steps = append(steps, c.Node+": dtcsetup")
		case prog == "cluster" && strings.HasSuffix(args, "/delete"):
			f := strings.Fields(c.Args)
			steps = append(steps, c.Node+": delete "+strings.Join(f[1:len(f)-1], " "))
		}
	}
	return steps
}

// OnNode is the records of cmds that ran on node.
func OnNode(cmds []world.CommandRecord, node string) []world.CommandRecord {
	var mine []world.CommandRecord
	for _, c := range cmds {
		if strings.EqualFold(c.Node, node) {
			mine = append(mine, c)
		}
	}
	return mine
}

// IsReadOnly reports whether a command only reads: sc query / qc, reg
// query, hostname, type, ver, cd, net statistics, `if exist PATH echo found`,
// the echoed line between the parts of a batch of reads, `set NAME`,
// adsutil.vbs's ENUM, ENUM_ALL and GET, net localgroup listings, showpriv,
// dcomperm's lists, and cluster.exe listings.
func IsReadOnly(c world.CommandRecord) bool {
	prog := strings.TrimSuffix(strings.ToLower(c.Program), ".exe")
	args := strings.Fields(strings.ToLower(c.Args))
	switch prog {
	case "reg":
		return len(args) > 0 && args[0] == "query"
	case "hostname", "type", "ver", "cd", "chdir":
		// cd moves the shell, not the node.
		return true
	case "echo":
		// `if exist PATH echo found`: a look for a file, printed to the
		// provider, as is the line that ends each part of a batch of reads
		// (nodeops' partEnd), and the line after a file type printed whole
		// (nodeops' fileEnd); a test there keeps them alike. Journal and
		// lock lines are echoed into files.
		a := strings.TrimSpace(c.Args)
		return a == "found" || a == "--- end of part ---" || a == "--- end of file ---"
	case "net":
		if len(args) > 0 && (args[0] == "localgroup" || args[0] == "user") {
			return !strings.Contains(c.Args, "/add") && !strings.Contains(strings.ToLower(c.Args), "/del")
		}
		return len(args) > 0 && args[0] == "statistics"
	case "showpriv":
		return true
	case "set":
		// `set NAME` lists variables; `set NAME=value` sets one.
		return len(args) == 1 && !strings.Contains(c.Args, "=")
	case "dcomperm":
		return len(args) == 2 && args[1] == "list"
	case "sc":
		return len(args) > 0 && (args[0] == "query" || args[0] == "qc")
	case "cscript":
		// adsutil.vbs's reading verbs.
		for i, a := range args {
			if strings.HasSuffix(strings.Trim(a, `"`), "adsutil.vbs") && i+1 < len(args) {
				v := args[i+1]
				return v == "enum" || v == "enum_all" || v == "get"
			}
		}
		return false
	case "cluster":
		for _, a := range args {
			if strings.Contains(a, "=") || strings.HasPrefix(a, "/move") || strings.HasPrefix(a, "/online") ||
				strings.HasPrefix(a, "/offline") || strings.HasPrefix(a, "/set") || strings.HasPrefix(a, "/fail") ||
				strings.HasPrefix(a, "/create") || strings.HasPrefix(a, "/delete") {
				return false
			}
		}
		return true
	}
	return false
}
