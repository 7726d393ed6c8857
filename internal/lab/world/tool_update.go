package world

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/cmdshell"
)

// errBadExeFormat is ERROR_BAD_EXE_FORMAT, for a file that is not the program it is named after.
const errBadExeFormat = 193

const updateUsage = "Usage: UPDATE [-u] [-f] [-n] [-o] [-z] [-q]\r\n\r\n" +
	"  -u  Unattended mode\r\n" +
	"  -f  Force other applications to close at shutdown\r\n" +
	"  -n  Do not back up files for uninstall\r\n" +
	"  -o  Overwrite OEM files without prompting\r\n" +
	"  -z  Do not restart when installation is complete\r\n" +
	"  -q  Quiet mode - no user interaction\r\n"

// runServicePack is a Windows NT 4.0 service pack's update.exe, or its
// self-extracting package (sp6i386.exe and kin), which passes its switches
// on to update.exe. Switches start with - or /. The level is the package's
// own; CSDVersion changes at the next boot. Without -z it restarts the node
// when done, as update.exe does.
func runServicePack(ctx context.Context, h *host, p *cmdshell.Proc) int {
	image, _ := h.n.fs.ReadFile(h.exe)
	level := servicePackLevelOf(string(image))
	if level == "" {
		fmt.Fprintf(p.Stderr, "%s is not a valid Windows NT application.\r\n", h.exe)
		return errBadExeFormat
	}
	flags := map[byte]bool{}
	for _, a := range p.Args {
		if len(a) != 2 || a[0] != '-' && a[0] != '/' || !strings.ContainsRune("ufnozqc", rune(lowerASCII(a[1]))) {
			io.WriteString(p.Stdout, updateUsage)
			return errInvalidParameter
		}
		flags[lowerASCII(a[1])] = true
	}
	if !flags['u'] && !flags['q'] {
		// The licence agreement waits for a click on a desktop no one sees.
		<-ctx.Done()
		return setupCancelled
	}
	w, n := h.w, h.n
	w.lock()
	defer w.unlock()
	n.pendingCSD = level
	if csdLevel(servicePackLevels[level]) >= 4 && n.staleSystemFiles {
		n.spFixPending = true
	}
	n.pendingReplace(`C:\WINNT\system32\ntoskrnl.exe`)
	n.pendingReplace(`C:\WINNT\system32\ole32.dll`)
	n.pendingReplace(`C:\WINNT\system32\rpcrt4.dll`)
	if !flags['z'] {
		w.scheduleShutdown(n, 0, true)
	}
	return 0
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
