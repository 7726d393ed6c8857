package world

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/cmdshell"
)

// NET message numbers.
const (
	netServiceAlreadyStarted = 2182
	netServiceNameInvalid    = 2185
	netSystemError           = 3502
	netServiceNotStarted     = 3521
	netMoreHelp              = 3514
)

// netExitError is net.exe's exit code for any failure.
const netExitError = 2

var netMessages = map[int]string{
	netServiceAlreadyStarted: "The requested service has already been started.",
	netServiceNameInvalid:    "The service name is invalid.",
	netServiceNotStarted:     "The %s service is not started.",
	netSystemError:           "System error %d has occurred.",
	netMoreHelp:              "More help is available by typing NET HELPMSG %d.",
}

// runNet is net.exe's service verbs: `net start [X]`, `net stop X [/y]`,
// `net helpmsg N`, and `net statistics [workstation | server]`.
func runNet(ctx context.Context, h *host, p *cmdshell.Proc) int {
	if len(p.Args) == 0 {
		netSyntax(p.Stdout)
		return 1
	}
	switch strings.ToUpper(p.Args[0]) {
	case "START":
		return netStart(ctx, h, p)
	case "STOP":
		return netStop(ctx, h, p)
	case "HELPMSG":
		return netHelpmsg(p)
	case "STATISTICS", "STATS":
		return netStatistics(h, p)
	case "LOCALGROUP":
		return netLocalgroup(h, p)
	case "USER":
		return netUser(h, p)
	}
	netSyntax(p.Stdout)
	return 1
}

func netSyntax(out io.Writer) {
	crlf(out, "The syntax of this command is:", "", "",
		"NET [ ACCOUNTS | COMPUTER | CONFIG | CONTINUE | FILE | GROUP | HELP |",
		"      HELPMSG | LOCALGROUP | NAME | PAUSE | PRINT | SEND | SESSION |",
		"      SHARE | START | STATISTICS | STOP | TIME | USE | USER | VIEW ]", "")
}

// netError prints a NET message and the HELPMSG hint to stderr.
func netError(out io.Writer, msg string, helpmsg int) int {
	fmt.Fprintf(out, "%s\r\n\r\n", msg)
	fmt.Fprintf(out, netMessages[netMoreHelp]+"\r\n\r\n", helpmsg)
	return netExitError
}

// netSystemErr prints "System error N has occurred." and the system text.
func netSystemErr(out io.Writer, code int) int {
	fmt.Fprintf(out, netMessages[netSystemError]+"\r\n\r\n%s\r\n\r\n", code, win32Messages[code])
	return netExitError
}

// serviceArg joins the arguments after the verb: net accepts a display name
// with spaces unquoted (`net stop Cluster Server`), and strips /options.
func serviceArg(args []string) (name string, yes bool) {
	var words []string
	for _, a := range args {
		switch strings.ToLower(a) {
		case "/y", "/yes":
			yes = true
			continue
		}
		words = append(words, a)
	}
	return strings.Join(words, " "), yes
}

func netStart(ctx context.Context, h *host, p *cmdshell.Proc) int {
	w := h.w
	name, _ := serviceArg(p.Args[1:])
	if name == "" {
		return netListStarted(h, p.Stdout)
	}
	w.lock()
	s := h.n.serviceByName(name)
	code := -1
	if s != nil {
		code = w.startServiceLocked(h.n, s)
	}
	w.unlock()
	switch code {
	case -1:
		return netError(p.Stderr, netMessages[netServiceNameInvalid], netServiceNameInvalid)
	case errServiceAlreadyRunning:
		return netError(p.Stderr, netMessages[netServiceAlreadyStarted], netServiceAlreadyStarted)
	case 0:
	default:
		return netSystemErr(p.Stderr, code)
	}
	fmt.Fprintf(p.Stdout, "The %s service is starting.\r\n", s.display)
	if code := w.waitTransition(ctx, h.n, s); code != 0 {
		return netSystemErr(p.Stderr, code)
	}
	w.lock()
	state, exit := s.state, s.exitCode
	w.unlock()
	if state != svcRunning {
		fmt.Fprintf(p.Stdout, "The %s service could not be started.\r\n\r\n", s.display)
		if exit == 0 {
			exit = errProcessAborted
		}
		fmt.Fprintf(p.Stderr, "A system error has occurred.\r\n\r\n")
		return netSystemErr(p.Stderr, exit)
	}
	fmt.Fprintf(p.Stdout, "The %s service was started successfully.\r\n\r\n", s.display)
	return 0
}

// waitTransition is net.exe waiting for a start or stop to complete: it
// lets the transition's (scaled) time pass, then completes it. It returns 0,
// or the Win32 error that ended the wait (cancelled, or the node went down
// under it).
func (w *World) waitTransition(ctx context.Context, n *node, s *service) int {
	t := time.NewTimer(w.scaled(serviceTransition))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return errServiceRequestTimeout
	case <-t.C:
	}
	w.lock()
	defer w.unlock()
	if n.status != nodeUp {
		return errShutdownInProgress
	}
	w.finishPendingLocked(n, s)
	return 0
}

func netListStarted(h *host, out io.Writer) int {
	var buf bytes.Buffer
	h.w.lock()
	buf.WriteString("These Windows NT services are started:\r\n\r\n")
	var names []string
	for _, key := range h.n.svcOrder {
		if s := h.n.services[key]; s.state == svcRunning {
			names = append(names, s.display)
		}
	}
	h.w.unlock()
	sortFold(names)
	for _, d := range names {
		fmt.Fprintf(&buf, "   %s\r\n", d)
	}
	buf.WriteString("\r\nThe command completed successfully.\r\n\r\n")
	out.Write(buf.Bytes())
	return 0
}

func netStop(ctx context.Context, h *host, p *cmdshell.Proc) int {
	w := h.w
	name, yes := serviceArg(p.Args[1:])
	if name == "" {
		netSyntax(p.Stdout)
		return 1
	}
	w.lock()
	s := h.n.serviceByName(name)
	var dependents []*service
	state := 0
	if s != nil {
		state = s.state
		dependents = h.n.activeDependents(s)
	}
	w.unlock()
	if s == nil {
		return netError(p.Stderr, netMessages[netServiceNameInvalid], netServiceNameInvalid)
	}
	if state == svcStopped {
		return netError(p.Stderr, fmt.Sprintf(netMessages[netServiceNotStarted], s.display), netServiceNotStarted)
	}
	if len(dependents) > 0 {
		fmt.Fprintf(p.Stdout, "The following services are dependent on the %s service.\r\n", s.display)
		fmt.Fprintf(p.Stdout, "Stopping the %s service will also stop these services.\r\n\r\n", s.display)
		for _, d := range dependents {
			fmt.Fprintf(p.Stdout, "   %s\r\n", d.display)
		}
		io.WriteString(p.Stdout, "\r\nDo you want to continue this operation? (Y/N) [N]: ")
		if yes {
			io.WriteString(p.Stdout, "Y\r\n")
		} else if !confirmed(ctx, p.Stdin) {
			io.WriteString(p.Stdout, "\r\n")
			return netExitError
		}
		for _, d := range dependents {
			if code := netStopOne(ctx, h, p, d); code != 0 {
				return code
			}
		}
	}
	return netStopOne(ctx, h, p, s)
}

func netStopOne(ctx context.Context, h *host, p *cmdshell.Proc, s *service) int {
	w := h.w
	w.lock()
	code := w.stopServiceLocked(h.n, s)
	w.unlock()
	switch code {
	case 0:
	case errServiceNotActive:
		return netError(p.Stderr, fmt.Sprintf(netMessages[netServiceNotStarted], s.display), netServiceNotStarted)
	default:
		return netSystemErr(p.Stderr, code)
	}
	fmt.Fprintf(p.Stdout, "The %s service is stopping.\r\n", s.display)
	if code := w.waitTransition(ctx, h.n, s); code != 0 {
		return netSystemErr(p.Stderr, code)
	}
	fmt.Fprintf(p.Stdout, "The %s service was stopped successfully.\r\n\r\n", s.display)
	return 0
}

// confirmed reads a Y/N answer from stdin; no answer (EOF, cancel) is N.
func confirmed(ctx context.Context, in io.Reader) bool {
	if in == nil {
		return false
	}
	answer := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(in).ReadString('\n')
		answer <- line
	}()
	select {
	case <-ctx.Done():
		return false
	case line := <-answer:
		line = strings.TrimSpace(strings.ToUpper(line))
		return line == "Y" || line == "YES"
	}
}

func netHelpmsg(p *cmdshell.Proc) int {
	if len(p.Args) != 2 {
		netSyntax(p.Stdout)
		return 1
	}
	code, err := strconv.Atoi(p.Args[1])
	msg, ok := win32Messages[code]
	if err == nil && !ok {
		msg, ok = netMessages[code]
		msg = strings.ReplaceAll(strings.ReplaceAll(msg, "%s ", "*** "), "%d", "***")
	}
	if !ok {
		fmt.Fprintf(p.Stderr, "%s is not a valid Windows NT network message number.\r\n\r\n", p.Args[1])
		return netExitError
	}
	fmt.Fprintf(p.Stdout, "\r\n%s\r\n\r\n", msg)
	return 0
}

// sortFold sorts names case-insensitively, as NET lists services.
func sortFold(names []string) {
	for i := 1; i < len(names); i++ {
		for j := i; j > 0 && strings.ToLower(names[j]) < strings.ToLower(names[j-1]); j-- {
			names[j], names[j-1] = names[j-1], names[j]
		}
	}
}

// Rows of `net statistics workstation` and `net statistics server`, as NT
// prints them; a blank string is an empty line between groups. The lab keeps
// no traffic counters: every count is 0.
var (
	wkstaStatRows = []string{"Bytes received", "Server Message Blocks (SMBs) received", "Bytes transmitted",
		"Server Message Blocks (SMBs) transmitted", "Read operations", "Write operations", "Raw reads denied",
		"Raw writes denied", "", "Network errors", "Connections made", "Reconnections made", "Server disconnects", "",
		"Sessions started", "Hung sessions", "Failed sessions", "Failed operations", "Use count", "Failed use count"}
	serverStatRows = []string{"Sessions accepted", "Sessions timed-out", "Sessions errored-out", "",
		"Kilobytes sent", "Kilobytes received", "", "Mean response time (msec)", "",
		"System errors", "Permission violations", "Password violations", "",
		"Files accessed", "Communication devices accessed", "Print jobs spooled"}
)

// statisticsSince is how NT (US English) prints the statistics' start date.
const statisticsSince = "1/2/2006 3:04:05 PM"

// netStatistics is `net statistics [workstation | server]` (also `net stats`,
// `wksta`, `srv`). The statistics start when the service does, at the boot,
// which is why administrators read the boot time from it.
func netStatistics(h *host, p *cmdshell.Proc) int {
	if len(p.Args) > 2 {
		netStatisticsSyntax(p.Stdout)
		return 1
	}
	what := ""
	if len(p.Args) == 2 {
		what = strings.ToUpper(p.Args[1])
	}
	h.w.lock()
	since := h.n.bootTime.Format(statisticsSince)
	name := h.n.name
	h.w.unlock()
	var b bytes.Buffer
	switch what {
	case "":
		crlf(&b, "Statistics are available for the following running services:", "", "   Server", "   Workstation", "",
			"The command completed successfully.", "")
	case "WORKSTATION", "WKSTA":
		crlf(&b, `Workstation Statistics for \\`+name, "", "", "Statistics since "+since, "", "")
		for _, r := range wkstaStatRows {
			if r == "" {
				crlf(&b, "")
				continue
			}
			fmt.Fprintf(&b, "  %-45s0\r\n", r)
		}
		crlf(&b, "", "The command completed successfully.", "")
	case "SERVER", "SRV":
		crlf(&b, `Server Statistics for \\`+name, "", "", "Statistics since "+since, "", "")
		for _, r := range serverStatRows {
			if r == "" {
				crlf(&b, "")
				continue
			}
			fmt.Fprintf(&b, "%-35s0\r\n", r)
		}
		crlf(&b, "", "Times buffers exhausted", "", fmt.Sprintf("  %-33s0", "Big buffers"), fmt.Sprintf("  %-33s0", "Request buffers"),
			"", "The command completed successfully.", "")
	default:
		netStatisticsSyntax(p.Stdout)
		return 1
	}
	p.Stdout.Write(b.Bytes())
	return 0
}

func netStatisticsSyntax(out io.Writer) {
	crlf(out, "The syntax of this command is:", "", "", "NET STATISTICS", "[WORKSTATION | SERVER]", "")
}
