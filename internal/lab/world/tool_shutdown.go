package world

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/cmdshell"
)

// shutdownGrace is how long a node keeps answering after its shutdown
// begins (Windows stops applications and services before the network goes),
// so the reply of the command that asked for it still reaches the client.
const shutdownGrace = 10 * time.Second

// defaultShutdownSeconds is the Resource Kit tool's default /T.
const defaultShutdownSeconds = 20

const (
	errNetworkPathNotFound = 53
	errNoShutdownInProgess = 1116
)

func init() {
	win32Messages[errNetworkPathNotFound] = "The network path was not found."
	win32Messages[errNoShutdownInProgess] = "Unable to abort the system shutdown because no shutdown was in progress."
}

const shutdownUsage = "Usage: SHUTDOWN [\\\\Computername] [/L] [/A] [/R] [/T:xx] [\"Msg\"] [/Y] [/C]\r\n\r\n" +
	"    \\\\Computername  Specifies a remote computer to shut down.\r\n" +
	"    /L              Specifies a local shutdown.\r\n" +
	"    /A              Aborts a system shutdown during the time-out period.\r\n" +
	"    /R              Restarts the computer after the shutdown.\r\n" +
	"    /T:xx           Sets the time-out for the shutdown to xx seconds (default 20).\r\n" +
	"    \"Msg\"           Specifies a shutdown message of 127 characters at most.\r\n" +
	"    /Y              Answers yes to every question.\r\n" +
	"    /C              Forces running applications to close.\r\n"

// shutdownRequest is a parsed shutdown command line.
type shutdownRequest struct {
	target  string
	reboot  bool
	abort   bool
	seconds int
}

// parseShutdownArgs reads the NT Resource Kit form (`shutdown /L /R /T:0 /Y
// /C`, `\\NODE`, a quoted message) and the Windows 2000/XP form (`shutdown /r
// /t 0 /f /m \\NODE /c "msg" /d p:4:1`). Without /R (or /r) the machine shuts
// down and stays off, as with the Resource Kit tool; `-` works like `/`.
func parseShutdownArgs(args []string) (shutdownRequest, bool) {
	req := shutdownRequest{seconds: defaultShutdownSeconds}
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() (string, bool) {
			if i+1 < len(args) {
				i++
				return args[i], true
			}
			return "", false
		}
		if strings.HasPrefix(a, `\\`) {
			req.target = a[2:]
			continue
		}
		if len(a) < 2 || a[0] != '/' && a[0] != '-' {
			continue // the Resource Kit's "Msg"
		}
		opt := strings.ToLower(a[1:])
		switch {
		case opt == "l" || opt == "y" || opt == "f" || opt == "s":
		case opt == "r":
			req.reboot = true
		case opt == "a":
			req.abort = true
		case opt == "c":
			// XP's /c takes a comment; the Resource Kit's /C stands alone.
			if i+1 < len(args) && !strings.HasPrefix(args[i+1], "/") && !strings.HasPrefix(args[i+1], "-") && !strings.HasPrefix(args[i+1], `\\`) {
				i++
			}
		case opt == "m":
			v, ok := next()
			if !ok || !strings.HasPrefix(v, `\\`) {
				return req, false
			}
			req.target = v[2:]
		case opt == "d":
			if _, ok := next(); !ok {
				return req, false
			}
		case opt == "t" || strings.HasPrefix(opt, "t:"):
			v := strings.TrimPrefix(opt, "t:")
			if opt == "t" {
				var ok bool
				if v, ok = next(); !ok {
					return req, false
				}
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return req, false
			}
			req.seconds = n
		default:
			return req, false
		}
	}
	return req, true
}

// runShutdown is shutdown.exe: it prints nothing on success and the node
// shuts down (or restarts) after the time-out plus shutdownGrace.
func runShutdown(ctx context.Context, h *host, p *cmdshell.Proc) int {
	if len(p.Args) == 1 && p.Args[0] == "/?" {
		io.WriteString(p.Stdout, shutdownUsage)
		return 0
	}
	req, ok := parseShutdownArgs(p.Args)
	if !ok || len(p.Args) == 0 {
		io.WriteString(p.Stdout, shutdownUsage)
		return errInvalidParameter
	}
	w := h.w
	w.lock()
	n := h.n
	if req.target != "" {
		n = w.node(req.target)
	}
	code := 0
	switch {
	case n == nil || !w.reachableLocked(n):
		code = errNetworkPathNotFound
	case req.abort && !n.shutdownPending:
		code = errNoShutdownInProgess
	case req.abort:
		n.shutdownPending = false
		n.shutdownGen++
	case n.shutdownPending:
		code = errShutdownInProgress
	default:
		w.scheduleShutdown(n, time.Duration(req.seconds)*time.Second, req.reboot)
	}
	w.unlock()
	if code != 0 {
		name := req.target
		if name == "" {
			name = h.n.name
		}
		fmt.Fprintf(p.Stderr, "%s: %s(%d)\r\n", strings.ToUpper(name), win32Messages[code], code)
	}
	return code
}

// scheduleShutdown makes n restart (or power off) once countdown and the
// grace time have passed, unless aborted or overtaken by another reboot.
func (w *World) scheduleShutdown(n *node, countdown time.Duration, reboot bool) {
	n.shutdownPending = true
	n.shutdownGen++
	gen := n.shutdownGen
	w.after(countdown+shutdownGrace, func() {
		if n.shutdownGen != gen || !n.shutdownPending || n.status != nodeUp {
			return
		}
		n.shutdownPending = false
		if reboot {
			_ = w.rebootLocked(n) // n is up: it can't fail
			return
		}
		w.powerOffLocked(n)
	})
}

// powerOffLocked shuts n down for good: it stays down (nothing in the lab
// presses its power button).
func (w *World) powerOffLocked(n *node) {
	wasMember := w.clusterMember(n)
	n.status = nodeDown
	n.shutdownGen++
	for _, key := range n.svcOrder {
		s := n.services[key]
		s.gen++
		s.state = svcStopped
		s.exitCode = 0
	}
	if wasMember {
		w.nodeLeft(n)
	}
}
