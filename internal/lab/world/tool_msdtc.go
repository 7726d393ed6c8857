package world

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/cmdshell"
)

// msdtcFailed is what msdtc.exe exits with when it fails: -1, which Windows
// reports as 0xffffffff (KB Q223258: "Error Code = 0xffffffff" from setup
// running `msdtc.exe -join`). What it prints is unconfirmed: FORMATS.md.
const msdtcFailed = -1

const msdtcUsage = "Usage: msdtc [-install -d <dtc directory> -l <log directory> -v <virtual server>]\r\n" +
	"             [-remove] [-join [<dtc directory>]] [-start] [-stop]\r\n"

// runMSDTC is MTS 2.0's msdtc.exe: -remove, -install -d -l -v, -join [dir],
// -start, -stop (TOOLS-PHASES.md 1.1). Later Windows' switches (-uninstall,
// -resetlog, ...) are refused with the usage text. Success prints nothing.
func runMSDTC(_ context.Context, h *host, p *cmdshell.Proc) int {
	args := p.Args
	if len(args) == 0 || len(args[0]) < 2 || args[0][0] != '-' && args[0][0] != '/' {
		io.WriteString(p.Stderr, msdtcUsage)
		return msdtcFailed
	}
	w, n := h.w, h.n
	w.lock()
	defer w.unlock()
	fail := func(format string, a ...any) int {
		fmt.Fprintf(p.Stderr, "MSDTC: "+format+"\r\n", a...)
		return msdtcFailed
	}
	switch verb := strings.ToLower(args[0][1:]); {
	case verb == "remove" && len(args) == 1:
		return w.msdtcRemove(n)
	case verb == "install":
		opts, ok := msdtcOptions(args[1:], "d", "l", "v")
		if !ok || opts["d"] == "" || opts["l"] == "" || opts["v"] == "" {
			io.WriteString(p.Stderr, msdtcUsage)
			return msdtcFailed
		}
		return w.msdtcInstall(n, opts["d"], opts["l"], opts["v"], fail)
	case verb == "join" && len(args) <= 2:
		if len(args) == 2 && !strings.EqualFold(strings.TrimRight(args[1], `\`), `C:\WINNT\system32`) {
			return fail("%s is not the MSDTC directory.", args[1])
		}
		return w.msdtcJoin(n, fail)
	case (verb == "start" || verb == "stop") && len(args) == 1:
		return w.msdtcStartStop(n, verb == "start", fail)
	}
	io.WriteString(p.Stderr, msdtcUsage)
	return msdtcFailed
}

// msdtcOptions reads `-k value` pairs for the keys given.
func msdtcOptions(args []string, keys ...string) (map[string]string, bool) {
	opts := map[string]string{}
	for i := 0; i < len(args); i += 2 {
		k := strings.ToLower(strings.TrimLeft(args[i], "-/"))
		known := false
		for _, want := range keys {
			known = known || k == want
		}
		if !known || i+1 >= len(args) || len(args[i]) < 2 || args[i][0] != '-' && args[i][0] != '/' {
			return nil, false
		}
		opts[k] = args[i+1]
	}
	return opts, true
}

// msdtcRemove unregisters MSDTC on n. On a node that owns the group of an
// online MSDTC resource that was not deleted first, that resource fails
// (safety rule 5: the KB deletes the resource before any -remove).
func (w *World) msdtcRemove(n *node) int {
	if r := w.cluster.dtcResource(); r != nil && r.group.owner == n && r.state == resOnline {
		w.incidentLocked(n.name, 5, "msdtc -remove on "+n.name+" while the MSDTC resource was online there and not deleted first",
			"the MSDTC resource failed in group "+r.group.name)
		w.resourceFailed(r)
	}
	w.setMSDTC(n, dtcAbsent)
	w.servicesChanged(n)
	return 0
}

// msdtcInstall is `msdtc -install -d dir -l log -v vs`: MSDTC clustered on
// n, the MSDTC resource created in the group whose Network Name is vs,
// depending on that name and the group's disk. Run anywhere but on the
// group's owner, or with a log folder that is not an existing folder on
// the group's disk, it damages MSDTC on both nodes (safety rule 5).
func (w *World) msdtcInstall(n *node, dir, log, vs string, fail func(string, ...any) int) int {
	c := w.cluster
	if c.name == "" || !c.members[n.name] {
		return fail("cannot open the cluster: the cluster service is not running on %s.", n.name)
	}
	if !strings.EqualFold(strings.TrimRight(dir, `\`), `C:\WINNT\system32`) {
		return fail("The filename, directory name, or volume label syntax is incorrect. (%s)", dir)
	}
	if c.dtcResource() != nil {
		return fail("the cluster already has an MSDTC resource (%s).", win32Messages[errObjectAlreadyExists])
	}
	g, name := c.networkNameGroup(vs)
	if g == nil {
		return fail("no Network Name resource in the cluster has the name %s.", vs)
	}
	c.dtc = clusterDTC{log: strings.TrimRight(log, `\`), virtualServer: vs, installedOn: n.name}
	r := newResource("MSDTC", typeMSDTC, g, w.nodes)
	r.deps = []*resource{name}
	if d := diskResource(g, log); d != nil {
		r.deps = append(r.deps, d)
	}
	c.addResource(r)
	w.setMSDTC(n, dtcClustered)
	switch {
	case g.owner != n:
		w.damageDTC(n, fmt.Sprintf("msdtc -install on %s, which does not own group %s (%s does)", n.name, g.name, g.owner.name))
	case groupDisk(g, log) == nil:
		w.damageDTC(n, fmt.Sprintf("msdtc -install with the log folder %s, which is not on a disk of group %s", log, g.name))
	case !w.logFolderOnGroupDisk(g, log):
		w.damageDTC(n, fmt.Sprintf("msdtc -install with the log folder %s, which does not exist on the shared disk", log))
	}
	return 0
}

// msdtcJoin is `msdtc -join`: n's MSDTC clustered, with the cluster's.
// Run on the node that ran -install, it damages MSDTC (safety rule 5).
func (w *World) msdtcJoin(n *node, fail func(string, ...any) int) int {
	c := w.cluster
	if c.name == "" || c.dtcResource() == nil || c.dtc.log == "" {
		return fail("there is no clustered MSDTC to join: run msdtc -install on the node that owns the group first.")
	}
	if strings.EqualFold(c.dtc.installedOn, n.name) {
		w.damageDTC(n, "msdtc -join on "+n.name+", the node that ran msdtc -install")
	}
	w.setMSDTC(n, dtcClustered)
	return 0
}

// msdtcStartStop is -start / -stop: on a clustered node the MSDTC resource
// goes online or offline (through the node that owns its group); on a
// standalone one the service starts or stops.
func (w *World) msdtcStartStop(n *node, start bool, fail func(string, ...any) int) int {
	switch n.dtc.mode {
	case dtcAbsent:
		return fail("MSDTC is not installed on this computer.")
	case dtcStandalone:
		s := n.service("MSDTC")
		code := 0
		if start {
			code = w.startServiceLocked(n, s)
		} else {
			code = w.stopServiceLocked(n, s)
		}
		if code != 0 && code != errServiceAlreadyRunning && code != errServiceNotActive {
			return fail("%s", win32Messages[code])
		}
		w.finishPendingLocked(n, s)
		return 0
	}
	r := w.cluster.dtcResource()
	if r == nil || r.group.owner != n {
		return fail("this node does not own the MSDTC resource.")
	}
	if !start {
		w.takeResourceOffline(r)
		return 0
	}
	if code := w.bringResourceOnline(r); code != 0 {
		return fail("the MSDTC resource failed to come online (%s)", win32Messages[code])
	}
	return 0
}

// runDTCSetup is dtcsetup.exe (KB Q241573, "Installing Clustered MSDTC using
// Dtcsetup"): with the MSDTC resource offline, run on the node that owns it
// first, then on the other node; each run makes its node's MSDTC clustered
// at the package's version. Its prompt for the other node is answered by
// that second run. What it prints is unconfirmed: FORMATS.md.
func runDTCSetup(_ context.Context, h *host, p *cmdshell.Proc) int {
	w, n := h.w, h.n
	image, _ := n.fs.ReadFile(h.exe)
	w.lock()
	defer w.unlock()
	r := w.cluster.dtcResource()
	switch {
	case r == nil:
		io.WriteString(p.Stderr, "Microsoft DTC Setup: there is no Microsoft DTC cluster resource to upgrade.\r\n")
		return 1
	case r.state == resOnline:
		io.WriteString(p.Stderr, "Microsoft DTC Setup: stop the Microsoft DTC cluster resource and the services that depend on it before running setup.\r\n")
		return 1
	case r.group.owner != n && !strings.EqualFold(w.cluster.dtc.installedOn, r.group.owner.name):
		io.WriteString(p.Stderr, "Microsoft DTC Setup: run Dtcsetup.exe on the node that owns the Microsoft DTC cluster resource first.\r\n")
		return 1
	}
	if r.group.owner == n {
		w.cluster.dtc.installedOn = n.name
		w.cluster.dtc.damaged = ""
	}
	if v := imageVersion(string(image)); v != "" {
		n.dtc.version = v
	}
	_ = writeFileMkdir(n.fs, msdtcExe, "MZ emulated msdtc.exe version="+n.dtc.version)
	w.setMSDTC(n, dtcClustered)
	io.WriteString(p.Stdout, "Microsoft DTC Setup completed successfully.\r\n")
	return 0
}

// imageVersion is the `version=` an emulated program file carries.
func imageVersion(image string) string {
	_, v, ok := strings.Cut(image, "version=")
	if !ok {
		return ""
	}
	return strings.Fields(v + " ")[0]
}
