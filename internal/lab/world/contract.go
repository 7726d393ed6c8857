// Package world is the lab's model of a two-node MSCS cluster: nodes, services,
// registry, cluster membership, groups and resources, file systems and the shared
// disk, the emulated tools that act on it, a per-node command log and an
// incident log of safety-rule violations. It knows nothing of the provider.
//
// This file is the contract the rest of the lab builds on; the signatures are
// fixed, the bodies live in the other files of the package.
package world

import (
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/cmdshell"
)

// Options tunes a world.
type Options struct {
	// TimeScale multiplies every emulated duration (a reboot that takes
	// Scenario.RebootSeconds on hardware takes RebootSeconds*TimeScale here).
	// 0 means the scenario's own scale, or 0.001 if it has none.
	TimeScale float64
	Seed      int64
	// Now is the clock; nil means time.Now. Tests inject their own.
	Now func() time.Time
	// ToolLayout overrides the scenario's tool_layout when not empty.
	ToolLayout string
}

// The generations of tool output (Scenario.ToolLayout).
const (
	LayoutNT4  = "nt4"
	Layout2003 = "2003"
)

func validToolLayout(s string) bool { return s == "" || s == LayoutNT4 || s == Layout2003 }

// CommandRecord is one entry of a node's command log.
type CommandRecord struct {
	Seq      int       `json:"seq"` // global order across nodes
	Node     string    `json:"node"`
	User     string    `json:"user"`
	Program  string    `json:"program"` // as typed, e.g. "sc" or "C:\\NTOP\\setup.exe"
	Args     string    `json:"args"`    // argument tail
	ExitCode int       `json:"exit_code"`
	Time     time.Time `json:"time"`
	// Run numbers the command lines the node's shells ran (from 1, across
	// nodes): the simple commands of one line share it, and so share the
	// one answer that carries their output back.
	Run int `json:"run"`
}

// Incident is a violated safety rule (see DESIGN.md), recorded with the damage
// the world suffered because of it.
type Incident struct {
	Seq    int       `json:"seq"`
	Node   string    `json:"node"`
	Rule   int       `json:"rule"`   // DESIGN.md safety rule number
	What   string    `json:"what"`   // what was done, e.g. "setup.exe /u:... while ClusSvc RUNNING"
	Damage string    `json:"damage"` // what the world did about it
	Time   time.Time `json:"time"`
}

// Fault is a fault injected through the control API.
type Fault struct {
	Node string `json:"node"` // required
	// Kind: "refuse" (endpoint refuses connections), "http500", "delay", "drop"
	// (see wsman.HTTPFault), "exit" (make the Nth command matching Match exit
	// with ExitCode and print Stderr), "lost" (the Nth command matching Match
	// runs, then the answer carrying its command line's end is lost: the
	// connection is closed before that answer is complete, as when the
	// network fails after the command ran), "slow_reboot" (the next reboot of the node
	// takes RebootSeconds emulated seconds), "metabase_in_use" (the node's
	// metabase is in use: IISSYNC to it ends with status 3), "bad_replication_share"
	// (the node's MTS replication share is invalid: IISSYNC from it ends with
	// 2148598794), "dcomperm_noop" (dcomperm set/remove on the node report
	// success and change nothing). The last three last until cleared.
	Kind          string  `json:"kind"`
	Count         int     `json:"count,omitempty"`          // how many requests/commands it hits; 0 = every one until cleared
	DelayMS       int     `json:"delay_ms,omitempty"`       // for "delay"
	Match         string  `json:"match,omitempty"`          // for "exit" and "lost": case-insensitive substring of "program args"
	Nth           int     `json:"nth,omitempty"`            // for "exit" and "lost": 1 = the next matching command (default 1)
	ExitCode      int     `json:"exit_code,omitempty"`      // for "exit"
	Stderr        string  `json:"stderr,omitempty"`         // for "exit"
	RebootSeconds float64 `json:"reboot_seconds,omitempty"` // for "slow_reboot"
}

// The World's exported API, used by the lab assembly (package lab) and tests.
// Implemented in world.go and friends.
type API interface {
	// NodeNames lists the nodes in scenario order, e.g. ["NODE1","NODE2"].
	NodeNames() []string
	// Host is a fresh cmd.exe context on node for one command of user, with the
	// shell's environment and working directory (both may be empty). Program
	// lookups, the file system and the command log go through it.
	Host(node, user, dir string, env map[string]string) cmdshell.Host
	// Password verifies accounts (see wsman.Accounts); accounts are domain
	// accounts valid on every node, or local accounts of one node.
	Password(node, user, domain string) (string, bool)
	// Domain is the NetBIOS domain of the lab, e.g. "LAB".
	Domain() string
	// Reachable reports whether the node's endpoint should accept connections
	// (node up and no "refuse" fault).
	Reachable(node string) bool
	// OnReachability registers f to be called (from any goroutine) whenever a
	// node's reachability changes (reboot start/end, node down/up, refuse faults).
	OnReachability(f func(node string, reachable bool))
	// NextHTTPFault consumes the next HTTP-level fault of node, or nil.
	NextHTTPFault(node string) *Fault
	AddFault(f Fault) error
	ClearFaults()
	// Commands is node's command log ("" = every node), in order.
	Commands(node string) []CommandRecord
	// OnCommand registers f to be called with each command as it is logged,
	// on the goroutine that ran it, before its command line goes on.
	OnCommand(f func(CommandRecord))
	Incidents() []Incident
	// State is the whole world as JSON-friendly values (GET /state).
	State() Snapshot
	// Close stops timers (pending reboots).
	Close()
}
