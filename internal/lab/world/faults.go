package world

import (
	"fmt"
	"strings"
)

// faultState is an active fault with its counters.
type faultState struct {
	Fault
	matched int // matching commands seen (exit and lost faults)
	hits    int // requests or commands it has hit
}

var faultKinds = map[string]bool{"refuse": true, "http500": true, "delay": true, "drop": true, "exit": true, "lost": true, "slow_reboot": true,
	"metabase_in_use": true, "bad_replication_share": true, "dcomperm_noop": true}

// AddFault injects a fault. A "refuse" fault lasts until ClearFaults (its Count
// does not apply: it is a state of the endpoint, not of a request). A
// "slow_reboot" fault makes the node's next reboot take RebootSeconds.
func (w *World) AddFault(f Fault) error {
	w.lock()
	defer w.unlock()
	n := w.node(f.Node)
	if n == nil {
		return fmt.Errorf("fault: unknown node %q", f.Node)
	}
	if !faultKinds[f.Kind] {
		return fmt.Errorf("fault: unknown kind %q (want refuse, http500, delay, drop, exit, lost, slow_reboot, metabase_in_use, bad_replication_share or dcomperm_noop)", f.Kind)
	}
	if f.Count < 0 || f.Nth < 0 || f.DelayMS < 0 {
		return fmt.Errorf("fault: count, nth and delay_ms must not be negative")
	}
	switch f.Kind {
	case "slow_reboot":
		if f.RebootSeconds <= 0 {
			return fmt.Errorf("fault: slow_reboot needs reboot_seconds > 0")
		}
		n.slowReboot = f.RebootSeconds
	case "delay":
		if f.DelayMS == 0 {
			return fmt.Errorf("fault: delay needs delay_ms > 0")
		}
	case "exit", "lost":
		if f.Nth == 0 {
			f.Nth = 1
		}
	}
	f.Node = n.name
	w.faults = append(w.faults, &faultState{Fault: f})
	return nil
}

// ClearFaults removes every fault.
func (w *World) ClearFaults() {
	w.lock()
	defer w.unlock()
	w.faults = nil
	for _, n := range w.nodes {
		n.slowReboot = 0
	}
}

// NextHTTPFault consumes the next HTTP-level fault of node, or returns nil.
func (w *World) NextHTTPFault(node string) *Fault {
	w.lock()
	defer w.unlock()
	for _, f := range w.faults {
		if !strings.EqualFold(f.Node, node) || (f.Kind != "http500" && f.Kind != "delay" && f.Kind != "drop") {
			continue
		}
		w.hit(f)
		out := f.Fault
		return &out
	}
	return nil
}

// commandFault consumes the faults that hit this command of h's line: it
// returns the exit fault that replaces the command, if any, and marks the
// line's answer lost for a lost fault (the command then runs).
func (w *World) commandFault(h *host, command string) *Fault {
	if f := w.matchFault("lost", h.n.name, command); f != nil {
		h.answerLost = true
	}
	return w.matchFault("exit", h.n.name, command)
}

// matchFault consumes the fault of kind that hits this command, if any.
func (w *World) matchFault(kind, node, command string) *Fault {
	for _, f := range w.faults {
		if f.Kind != kind || !strings.EqualFold(f.Node, node) || !strings.Contains(strings.ToLower(command), strings.ToLower(f.Match)) {
			continue
		}
		f.matched++
		if f.matched < f.Nth {
			continue
		}
		w.hit(f)
		out := f.Fault
		return &out
	}
	return nil
}

// hit counts a hit and retires the fault when its Count is used up.
func (w *World) hit(f *faultState) {
	f.hits++
	if f.Count > 0 && f.hits >= f.Count {
		for i, g := range w.faults {
			if g == f {
				w.faults = append(w.faults[:i], w.faults[i+1:]...)
				break
			}
		}
	}
}
