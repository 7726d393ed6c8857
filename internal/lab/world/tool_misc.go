package world

import (
	"context"
	"fmt"
	"io"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/cmdshell"
)

// runHostname is hostname.exe: the node's name; NT 4.0's hostname refuses
// to set it.
func runHostname(ctx context.Context, h *host, p *cmdshell.Proc) int {
	if len(p.Args) > 0 {
		io.WriteString(p.Stderr, "sethostname: Use the Network Control Panel Applet to set hostname.\r\n")
		return 1
	}
	fmt.Fprintf(p.Stdout, "%s\r\n", h.n.name)
	return 0
}

// runVer is cmd.exe's ver on NT 4.0 (two spaces after the version, as cmd
// prints it).
func runVer(ctx context.Context, h *host, p *cmdshell.Proc) int {
	io.WriteString(p.Stdout, "\r\nWindows NT Version 4.0  \r\n")
	return 0
}
