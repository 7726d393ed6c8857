package nodeops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// Defaults of the waits when Node leaves them zero.
const (
	defaultRebootTimeout = 20 * time.Minute
	// probeTimeout bounds one "is it back?" command during a reboot wait: a
	// node that is powering up may accept the connection and answer nothing.
	probeTimeout = 30 * time.Second
)

// errShutdownInProgress is Windows' 1115, which every command gets on a node
// that is shutting down, and shutdown.exe when a shutdown is already pending.
const errShutdownInProgress = 1115

func (n *Node) poll() time.Duration {
	if n.Poll > 0 {
		return n.Poll
	}
	return defaultPoll
}

// Reboot restarts the node (`shutdown /r /t 0`) and waits, within timeout,
// until it has rebooted and answers again.
func (n *Node) Reboot(ctx context.Context, timeout time.Duration) error {
	return n.reboot(ctx, "reboot", timeout)
}

// rebootLine is the reboot, as every Windows version's shutdown.exe (and
// the NT 4.0 Resource Kit's) takes it.
const rebootLine = "shutdown /r /t 0"

// rebootGrace is how long a node whose answer to shutdown was lost may
// still answer with its old boot time before the shutdown counts as never
// run: Windows stops its services before the network goes, so a node that
// took the shutdown answers for a while yet. 60 polls, at most 2 minutes
// (the default poll gives 2 minutes; a test's short poll, a short grace),
// and at most half the wait's timeout, so that a reboot sent again has
// time to come back.
func (n *Node) rebootGrace(timeout time.Duration) time.Duration {
	return min(60*n.poll(), 2*time.Minute, timeout/2)
}

// reboot restarts the node as part of step and waits for it to come back.
//
// It reads the boot time (`net statistics workstation`'s "Statistics since")
// before and after: a node that has not gone down yet still shows the old
// one, and a reboot whose down window fell between two polls shows a new
// one, so neither fools the wait. Only when the boot time cannot be read
// does "seen unreachable, then answering again" count as rebooted.
//
// A node that reboots drops its connections, so the answer to shutdown may
// be lost (a slow link, a busy node): that is no failure, the boot time
// tells. The wait sends the reboot again, once, only when the node was never
// seen going down and still answers with the old boot time after
// rebootGrace: then shutdown never ran. It never sends it to a node that is
// down or shutting down.
func (n *Node) reboot(ctx context.Context, step string, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = defaultRebootTimeout
	}
	before, err := n.BootTime(ctx)
	if err != nil {
		return err
	}
	sentAt := time.Now()
	lost, err := n.sendReboot(ctx, step)
	if err != nil {
		return err
	}
	return n.waitRebooted(ctx, step, before, timeout, lost, sentAt)
}

// sendReboot sends the reboot; lost reports that its answer was lost after
// the request went out, so that it may or may not have run. 1115: a
// shutdown is already counting down; the node goes down anyway and the wait
// tells whether it came back rebooted.
func (n *Node) sendReboot(ctx context.Context, step string) (lost bool, err error) {
	_, err = n.run(ctx, step, rebootLine, false, okCodes(errShutdownInProgress))
	if err != nil && errors.Is(err, winrm.ErrOutcomeUnknown) && ctx.Err() == nil {
		return true, nil
	}
	return false, err
}

// waitRebooted polls until the boot time differs from before. unsure says
// the answer to the shutdown sent at sentAt was lost (see reboot).
func (n *Node) waitRebooted(ctx context.Context, step string, before BootTime, timeout time.Duration, unsure bool, sentAt time.Time) error {
	ctx = FreshReads(ctx) // a wait: each poll asks the node
	deadline := time.Now().Add(timeout)
	sawDown := false
	still := "still up since " + before.Raw
	last := still
	b := newBackoff(n.Poll)
	for {
		probeCtx, cancel := context.WithTimeout(winrm.WithoutRetries(ctx), probeTimeout)
		bt, err := n.BootTime(probeCtx)
		cancel()
		var se *StepError
		switch {
		case err == nil && bt.Raw != before.Raw:
			return nil
		case err == nil && unsure && !sawDown && time.Since(sentAt) >= n.rebootGrace(timeout):
			// Never seen going down, still up since before, long after the
			// shutdown whose answer was lost: it never ran. Sent again, once.
			unsure = false
			lost, err := n.sendReboot(ctx, step+" (sent again: the node did not go down after the first shutdown, whose answer was lost)")
			if err != nil {
				return err
			}
			still += ", shutdown sent again"
			if lost {
				still += " (its answer lost too)"
			}
			last = still
		case err == nil:
			last = still
			if sawDown {
				last = "answering again but still up since " + before.Raw + " (not rebooted)"
			}
		case errors.As(err, &se) && se.ExitCode == errShutdownInProgress:
			sawDown, last = true, "shutting down"
		case errors.As(err, &se) || errors.Is(err, errUnreadableBootTime):
			// The node answers but its boot time can't be read yet: early in
			// a boot net.exe answers that the Workstation service has not
			// started (NET 2138). Only a new boot time says the reboot is
			// over and the node is up for the next step, so the wait goes on.
			last = err.Error()
			if sawDown {
				last = "answering again, boot time not readable yet: " + err.Error()
			}
		case ctx.Err() != nil:
			return fmt.Errorf("%s: %s: abandoned while waiting for the node to come back (last seen: %s): %w", n.R.Node(), step, last, ctx.Err())
		default:
			// Transport errors are what a rebooting node gives.
			sawDown, last = true, "not answering: "+transportDetail(err)
		}
		wctx, cancel := context.WithDeadline(ctx, deadline)
		err = b.wait(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("%s: %s: abandoned while waiting for the node to come back (last seen: %s): %w", n.R.Node(), step, last, ctx.Err())
		case err != nil:
			return fmt.Errorf("%s: %s: the node did not come back rebooted within %s (last seen: %s); run again once it answers, the next run picks up from here", n.R.Node(), step, timeout, last)
		}
	}
}

// transportDetail is the transport's own sentence (it names node and
// endpoint) without the step wrapped around it.
func transportDetail(err error) string {
	var te *winrm.Error
	if errors.As(err, &te) {
		return te.Detail
	}
	return err.Error()
}

// BootTime is when the node last started, as `net statistics workstation`
// prints it.
type BootTime struct {
	// Raw is the text after "Statistics since", in the node's locale; two
	// readings are compared by it.
	Raw string
	// Time is Raw parsed, when its layout is one ParseBootTime knows; zero otherwise.
	Time time.Time
}

var errUnreadableBootTime = errors.New("no \"Statistics since\" line")

// BootTime runs `net statistics workstation` and reads its "Statistics
// since" line: the workstation service starts with the system.
func (n *Node) BootTime(ctx context.Context) (BootTime, error) {
	const step, line = "read the boot time", "net statistics workstation"
	res, err := n.run(ctx, step, line, true, win32)
	if err != nil {
		return BootTime{}, err
	}
	bt, err := ParseBootTime(res.Stdout)
	if err != nil {
		return BootTime{}, n.parseError(step, line, res.Stdout, err)
	}
	return bt, nil
}

// bootTimeLayouts are the short date and time forms NT prints, US English first.
var bootTimeLayouts = []string{
	"1/2/2006 3:04:05 PM", "1/2/2006 3:04 PM", "1/2/2006 15:04:05", "1/2/2006 15:04",
	"2.1.2006 15:04:05", "2.1.2006 15:04", "2006-01-02 15:04:05", "2006-01-02 15:04",
	"2/1/2006 15:04:05",
}

// ParseBootTime reads the "Statistics since <date time>" line of `net
// statistics workstation` or `server`.
func ParseBootTime(out string) (BootTime, error) {
	for _, l := range splitLines(out) {
		l = strings.TrimSpace(l)
		rest, ok := strings.CutPrefix(l, "Statistics since ")
		if !ok || strings.TrimSpace(rest) == "" {
			continue
		}
		bt := BootTime{Raw: strings.TrimSpace(rest)}
		for _, layout := range bootTimeLayouts {
			if t, err := time.Parse(layout, bt.Raw); err == nil {
				bt.Time = t
				break
			}
		}
		return bt, nil
	}
	return BootTime{}, errUnreadableBootTime
}
