package world

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/cmdshell"
)

// runSC is sc.exe: query, qc, config start=, start, stop, optionally against
// another node (`sc \\NODE2 query ClusSvc`).
func runSC(ctx context.Context, h *host, p *cmdshell.Proc) int {
	var buf bytes.Buffer
	h.w.lock()
	code := scLocked(h, p.Args, &buf)
	h.w.unlock()
	p.Stdout.Write(buf.Bytes())
	return code
}

// scLocked runs sc under the world's lock, writing into a buffer.
func scLocked(h *host, args []string, out io.Writer) int {
	w := h.w
	n := h.n
	if len(args) > 0 && strings.HasPrefix(args[0], `\\`) {
		n = w.node(strings.TrimPrefix(args[0], `\\`))
		args = args[1:]
		if n == nil || !w.reachableLocked(n) {
			scFailed(out, "OpenSCManager", errRPCServerUnavailable)
			return errRPCServerUnavailable
		}
	}
	if len(args) == 0 {
		scUsage(out)
		return 0
	}
	cmd := strings.ToLower(args[0])
	if cmd == "query" && len(args) == 1 || cmd == "query" && len(args) == 3 && strings.EqualFold(args[1], "state=") {
		all := len(args) == 3 && strings.EqualFold(args[2], "all")
		for _, key := range n.svcOrder {
			if s := n.services[key]; all || s.state != svcStopped {
				scStatusBlock(out, n, s, w.layout2003)
			}
		}
		return 0
	}
	switch cmd {
	case "query", "qc", "start", "stop", "config":
	default:
		scUsage(out)
		return 0
	}
	if len(args) < 2 {
		scUsage(out)
		return 0
	}
	s := n.service(args[1])
	if s == nil {
		scFailed(out, "OpenService", errServiceDoesNotExist)
		return errServiceDoesNotExist
	}
	switch cmd {
	case "query":
		scStatusBlock(out, n, s, w.layout2003)
	case "qc":
		scConfigBlock(out, n, s, w.layout2003)
	case "start":
		if code := w.startServiceLocked(n, s); code != 0 {
			scFailed(out, "StartService", code)
			return code
		}
		scStatusBlock(out, n, s, w.layout2003)
	case "stop":
		if code := w.stopServiceLocked(n, s); code != 0 {
			scFailed(out, "ControlService", code)
			return code
		}
		scStatusBlock(out, n, s, w.layout2003)
	case "config":
		return scConfig(out, n, s, args[2:])
	}
	return 0
}

// scConfig handles `sc config NAME start= auto|demand|disabled`. sc.exe's
// options are an option word ending in "=" followed by the value as the next
// argument; "start=demand" in one word is not an option.
func scConfig(out io.Writer, n *node, s *service, opts []string) int {
	if len(opts) == 0 || len(opts)%2 != 0 {
		scFailed(out, "ChangeServiceConfig", errInvalidParameter)
		return errInvalidParameter
	}
	startType := s.startType
	for i := 0; i < len(opts); i += 2 {
		if !strings.EqualFold(opts[i], "start=") {
			scFailed(out, "ChangeServiceConfig", errInvalidParameter)
			return errInvalidParameter
		}
		switch strings.ToLower(opts[i+1]) {
		case "auto":
			startType = startAuto
		case "demand":
			startType = startDemand
		case "disabled":
			startType = startDisabled
		default:
			scFailed(out, "ChangeServiceConfig", errInvalidParameter)
			return errInvalidParameter
		}
	}
	s.startType = startType
	n.syncServiceRegistry(s)
	io.WriteString(out, "[SC] ChangeServiceConfig SUCCESS\r\n")
	return 0
}

// scFailed prints sc's error: "[SC] Op FAILED code:", a blank line, the
// system message and a blank line.
func scFailed(out io.Writer, op string, code int) {
	fmt.Fprintf(out, "[SC] %s FAILED %d:\r\n\r\n%s\r\n\r\n", op, code, win32Messages[code])
}

func scUsage(out io.Writer) {
	crlf(out,
		"DESCRIPTION:",
		"        SC is a command line program used for communicating with the",
		"        NT Service Controller and services.",
		"USAGE:",
		`        sc <server> [command] [service name] <option1> <option2>...`,
		"",
		`        The option <server> has the form "\\ServerName"`,
		"        Commands: query, qc, start, stop, config (start= auto|demand|disabled)")
}

// serviceType is 10 for a service alone in its process, 20 when it shares
// its executable with others.
func serviceType(n *node, s *service) string {
	for _, key := range n.svcOrder {
		if o := n.services[key]; o != s && strings.EqualFold(o.binPath, s.binPath) {
			return "20  WIN32_SHARE_PROCESS"
		}
	}
	return "10  WIN32_OWN_PROCESS"
}

// controlsAccepted is the flags line under STATE, in the layout of TOOLS.md
// (Vista and later: a blank after each comma).
var controlsAccepted = map[int]string{
	svcStopped:      "(NOT_STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN)",
	svcStartPending: "(NOT_STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN)",
	svcStopPending:  "(STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN)",
	svcRunning:      "(STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)",
}

// scStatusBlock prints a service's status as `sc query` does. xp is the
// layout of XP and 2003's sc.exe (FORMATS.md): a blank after the type and
// the state names, no blank after the flags' commas, and a tab before the
// exit codes' hex form.
func scStatusBlock(out io.Writer, n *node, s *service, xp bool) {
	checkpoint, hint := "0x0", "0x0"
	if s.state == svcStartPending || s.state == svcStopPending {
		checkpoint, hint = "0x1", fmt.Sprintf("0x%x", serviceTransition.Milliseconds())
	}
	after, flags, codeSep := "", controlsAccepted[s.state], "  "
	if xp {
		after, flags, codeSep = " ", strings.ReplaceAll(flags, ", ", ","), "\t"
	}
	fmt.Fprintf(out, "\r\nSERVICE_NAME: %s\r\n", s.name)
	fmt.Fprintf(out, "        %-19s: %s%s\r\n", "TYPE", serviceType(n, s), after)
	fmt.Fprintf(out, "        %-19s: %d  %s%s\r\n", "STATE", s.state, stateNames[s.state], after)
	fmt.Fprintf(out, "                                %s\r\n", flags)
	fmt.Fprintf(out, "        %-19s: %d%s(0x%x)\r\n", "WIN32_EXIT_CODE", s.exitCode, codeSep, s.exitCode)
	fmt.Fprintf(out, "        %-19s: %d%s(0x%x)\r\n", "SERVICE_EXIT_CODE", 0, codeSep, 0)
	fmt.Fprintf(out, "        %-19s: %s\r\n", "CHECKPOINT", checkpoint)
	fmt.Fprintf(out, "        %-19s: %s\r\n\r\n", "WAIT_HINT", hint)
}

var startTypeNames = map[int]string{startAuto: "AUTO_START", startDemand: "DEMAND_START", startDisabled: "DISABLED"}

// scConfigBlock prints a service's configuration as `sc qc` does. In the xp
// layout the header names GetServiceConfig, the type has a blank after it,
// the string and number rows two, and no blank line ends the block.
func scConfigBlock(out io.Writer, n *node, s *service, xp bool) {
	header, typeAfter, valueAfter, end := "[SC] QueryServiceConfig SUCCESS", "", "", "\r\n"
	if xp {
		header, typeAfter, valueAfter, end = "[SC] GetServiceConfig SUCCESS", " ", "  ", ""
	}
	row := func(k, v string) { fmt.Fprintf(out, "        %-19s: %s\r\n", k, v) }
	value := func(k, v string) { row(k, v+valueAfter) }
	fmt.Fprintf(out, "%s\r\n\r\nSERVICE_NAME: %s\r\n", header, s.name)
	row("TYPE", serviceType(n, s)+typeAfter)
	row("START_TYPE", fmt.Sprintf("%d   %s", s.startType, startTypeNames[s.startType]))
	row("ERROR_CONTROL", "1   NORMAL")
	value("BINARY_PATH_NAME", s.binPath)
	value("LOAD_ORDER_GROUP", "")
	value("TAG", "0")
	value("DISPLAY_NAME", s.display)
	if len(s.deps) == 0 {
		value("DEPENDENCIES", "")
	}
	for i, d := range s.deps {
		if i == 0 {
			value("DEPENDENCIES", d)
		} else {
			value("", d)
		}
	}
	value("SERVICE_START_NAME", s.startName)
	io.WriteString(out, end)
}
