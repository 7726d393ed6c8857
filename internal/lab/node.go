package lab

import (
	"context"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/cmdshell"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/wsman"
)

// The adapters below bind one node of the world to the wsman interfaces.

// nodeExecutor runs a shell command as cmd.exe on the node would.
type nodeExecutor struct {
	world *world.World
	node  string
}

func (e nodeExecutor) Run(ctx context.Context, cmd wsman.Command) int {
	host := e.world.Host(e.node, cmd.User, cmd.WorkingDirectory, cmd.Env)
	code := cmdshell.Run(ctx, host, cmd.Line, cmd.Stdin, cmd.Stdout, cmd.Stderr)
	// A "lost" fault hit a command of the line: its answer never arrives.
	if l, ok := host.(world.LostAnswerHost); ok && l.AnswerLost() && cmd.LoseAnswer != nil {
		cmd.LoseAnswer()
	}
	return code
}

// nodeAccounts verifies credentials against the node's domain and local accounts.
type nodeAccounts struct {
	world *world.World
	node  string
}

func (a nodeAccounts) Password(user, domain string) (string, bool) {
	return a.world.Password(a.node, user, domain)
}

// nodeFaults hands the node's HTTP-level faults from the control API to wsman.
type nodeFaults struct {
	world *world.World
	node  string
}

func (f nodeFaults) NextHTTPFault() *wsman.HTTPFault {
	return httpFault(f.world.NextHTTPFault(f.node))
}

// httpFault translates a world fault into the HTTP fault wsman applies; kinds
// that do not act on HTTP requests (refuse, exit, lost, slow_reboot) give nil.
func httpFault(f *world.Fault) *wsman.HTTPFault {
	if f == nil {
		return nil
	}
	switch f.Kind {
	case "http500", "drop":
		return &wsman.HTTPFault{Kind: f.Kind}
	case "delay":
		return &wsman.HTTPFault{Kind: f.Kind, Delay: time.Duration(f.DelayMS) * time.Millisecond}
	}
	return nil
}
