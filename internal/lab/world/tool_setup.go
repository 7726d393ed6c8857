package world

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/cmdshell"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/winfs"
)

// Exit codes of Option Pack setup (FORMATS.md).
const (
	setupOK          = 0
	setupFailed      = 1
	setupNoFile      = 2  // ERROR_FILE_NOT_FOUND: the unattend file
	setupNoSource    = 3  // ERROR_PATH_NOT_FOUND: the /s: folder
	setupInvalidData = 13 // ERROR_INVALID_DATA: the unattend file's content
	setupCancelled   = 1223
)

const setupTitle = "Windows NT 4.0 Option Pack Setup: "

// setupRequest is a parsed setup command line.
type setupRequest struct {
	unattend, source string
	reboot           bool
}

func parseSetupArgs(args []string) (setupRequest, error) {
	req := setupRequest{reboot: true}
	for _, a := range args {
		lower := strings.ToLower(a)
		if len(a) < 2 || a[0] != '/' && a[0] != '-' {
			return req, fmt.Errorf("invalid command-line option %q", a)
		}
		switch opt := lower[1:]; {
		case strings.HasPrefix(opt, "u:") && len(opt) > 2:
			req.unattend = a[3:]
		case strings.HasPrefix(opt, "s:") && len(opt) > 2:
			req.source = a[3:]
		case opt == "r:n":
			req.reboot = false
		case opt == "r:y":
			req.reboot = true
		default:
			return req, fmt.Errorf("invalid command-line option %q", a)
		}
	}
	return req, nil
}

// runOptionPackSetup is the NT 4.0 Option Pack's setup.exe in unattended
// mode: /u:<unattend file> [/s:<source>] [/R:N]. A fresh install (Minimal,
// Typical, Custom) or, with IIS 4.0 present, AddRemove or RemoveAll. The
// change takes effect at the next boot; without /R:N setup restarts the
// node itself once it is done.
func runOptionPackSetup(ctx context.Context, h *host, p *cmdshell.Proc) int {
	req, err := parseSetupArgs(p.Args)
	if err != nil {
		fmt.Fprintf(p.Stderr, "%s%s.\r\nUsage: setup [/u:<unattend file>] [/s:<source folder>] [/R:N]\r\n", setupTitle, err)
		return errInvalidParameter
	}
	if req.unattend == "" {
		// The wizard waits for clicks on a desktop no one sees.
		<-ctx.Done()
		return setupCancelled
	}
	fsys := h.n.fs
	source := req.source
	if source == "" {
		source = h.exe[:strings.LastIndex(h.exe, `\`)]
	}
	source = winfs.Abs(h.dir, source)
	if isDir, err := fsys.Stat(source); err != nil || !isDir {
		fmt.Fprintf(p.Stderr, "%sSetup cannot find its files in %s.\r\n", setupTitle, source)
		return setupNoSource
	}
	path := winfs.Abs(h.dir, req.unattend)
	data, err := fsys.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(p.Stderr, "%sThe unattend file %s could not be found.\r\n", setupTitle, path)
		return setupNoFile
	}
	if err != nil {
		fmt.Fprintf(p.Stderr, "%sThe unattend file %s could not be read.\r\n", setupTitle, path)
		return setupNoFile
	}
	u, err := parseUnattend(string(data))
	if err != nil {
		fmt.Fprintf(p.Stderr, "%sThe unattend file %s is not valid: %s.\r\n", setupTitle, path, err)
		return setupInvalidData
	}
	var errOut bytes.Buffer // setup prints nothing on stdout
	w := h.w
	w.lock()
	code := setupLocked(h, strings.TrimSpace(p.Name+" "+p.Line), u, req.reboot, &errOut)
	w.unlock()
	p.Stderr.Write(errOut.Bytes())
	return code
}

// setupLocked decides and records what setup does, under the world's lock.
func setupLocked(h *host, command string, u *unattendFile, reboot bool, errOut io.Writer) int {
	w, n := h.w, h.n
	if csdLevel(n.csd) < 3 {
		fmt.Fprintf(errOut, "%sThe Windows NT 4.0 Option Pack requires Windows NT 4.0 Service Pack 3 or later.\r\n", setupTitle)
		return setupFailed
	}
	if n.pendingOP != nil {
		fmt.Fprintf(errOut, "%sA previous Setup is waiting for the computer to restart. Restart the computer, then run Setup again.\r\n", setupTitle)
		return setupFailed
	}
	target := OptionPackSpec{}
	if n.optionPack.Installed {
		switch u.maintMode {
		case "removeall":
		case "addremove":
			var comps []string
			for _, c := range n.optionPack.Components {
				if !hasComponent(u.off, c) {
					comps = append(comps, c)
				}
			}
			comps = componentSet(append(comps, u.on...))
			if len(comps) > 0 {
				target = OptionPackSpec{Installed: true, Method: installMethod(comps), Components: comps, Corrupt: n.optionPack.Corrupt}
			}
		default:
			fmt.Fprintf(errOut, "%sThe Option Pack is installed: the unattend file must set MaintanenceMode = AddRemove or RemoveAll in [Global].\r\n", setupTitle)
			return setupInvalidData
		}
	} else {
		var comps []string
		switch u.freshMode {
		case "minimal":
			comps = minimalComponents
		case "typical":
			comps = typicalComponents
		case "custom":
			comps = componentSet(u.on)
			if len(comps) == 0 {
				fmt.Fprintf(errOut, "%sFreshMode = Custom selects no component: set at least one to ON in [Components].\r\n", setupTitle)
				return setupInvalidData
			}
		default:
			fmt.Fprintf(errOut, "%sThe unattend file must set FreshMode = Minimal, Typical or Custom in [Global].\r\n", setupTitle)
			return setupInvalidData
		}
		comps = componentSet(comps)
		target = OptionPackSpec{Installed: true, Method: installMethod(comps), Components: comps}
	}

	// Rule 1: setup with the cluster service up corrupts the IIS cluster
	// resources; setup goes on regardless, as the real one does.
	if clus := n.service("ClusSvc"); clus != nil && clus.state != svcStopped {
		w.incidentLocked(n.name, 1, fmt.Sprintf("%s while ClusSvc %s", command, stateNames[clus.state]),
			"IIS cluster resources corrupted on both nodes: every IIS Server Instance resource failed and can't come online on any node")
		w.corruptIISResources()
	}
	pending := &pendingOptionPack{spec: target}
	if target.Installed {
		for _, other := range sortedKeys(w.otherInstalls(n)) {
			comps := w.otherInstalls(n)[other]
			if sameComponents(target.Components, comps) {
				continue
			}
			w.incidentLocked(n.name, 3, fmt.Sprintf("%s installs components that differ from %s's (%s)", command, other, componentDiff(target.Components, comps)),
				fmt.Sprintf("IIS Server Instance resources can't run on %s once it restarts", n.name))
			pending.mismatch = true
			break
		}
	}
	// Rule 4 (KB: after Remove All, "if Service Pack 4 or greater is on the
	// Node, then you should re-apply the Service Pack before proceeding"): a
	// fresh setup over the older system files Remove All left behind.
	if target.Installed && !n.optionPack.Installed && n.staleSystemFiles && csdLevel(n.csd) >= 4 {
		w.incidentLocked(n.name, 4, fmt.Sprintf("%s after Remove All without the service pack re-applied", command),
			"setup installed over the older system files Remove All left; the service pack's fixes are missing under the new install")
	}
	// Setup copies its own (older) versions of shared system files; on SP4
	// and later they break the cluster service until the SP is re-applied.
	if csdLevel(n.csd) >= 4 {
		n.staleSystemFiles = true
	}
	n.spFixPending = false
	n.pendingOP = pending

	if n.optionPack.Installed && !target.Installed {
		removeAllLocked(w, n, errOut)
	} else {
		n.pendingReplace(`C:\WINNT\system32\ole32.dll`)
		n.pendingReplace(`C:\WINNT\system32\rpcrt4.dll`)
	}
	if reboot {
		w.scheduleShutdown(n, 0, true)
	}
	return setupOK
}

// removeAllLocked stops the IIS services and marks them for deletion (they go
// at the next boot). On a corrupt install it reports the errors the KB says
// may be ignored; Remove All still succeeds.
func removeAllLocked(w *World, n *node, errOut io.Writer) {
	var failures []string
	for _, name := range iisServiceNames {
		s := n.service(name)
		if s == nil {
			continue
		}
		if s.broken {
			failures = append(failures, fmt.Sprintf("  Stopping service %s failed: %s (%d)", name, win32Messages[errProcessAborted], errProcessAborted))
		}
		s.gen++
		s.state = svcStopped
		s.exitCode = 0
		s.markedForDelete = true
	}
	if n.optionPack.Corrupt {
		failures = append(failures,
			`  Unregistering C:\WINNT\System32\inetsrv\iisadmin.dll failed: 0x8007007e`,
			`  The metabase C:\WINNT\System32\inetsrv\MetaBase.bin could not be opened: 0x80070002`)
	}
	if len(failures) > 0 {
		fmt.Fprintf(errOut, "%sSetup encountered errors while removing components:\r\n%s\r\n%sRemove All completed.\r\n",
			setupTitle, strings.Join(failures, "\r\n"), setupTitle)
	}
	n.pendingRename(`C:\WINNT\System32\inetsrv\inetinfo.exe`, "")
	w.servicesChanged(n)
}
