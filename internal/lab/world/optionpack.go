package world

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// optionPackComponents are the [Components] names Option Pack setup knows,
// in the order OC Manager lists them (the order of the Subcomponents values).
var optionPackComponents = []string{
	"iis_common", "iis_inetmgr", "iis_www", "iis_ftp", "iis_htmla", "iis_w3samp", "iis_doc_common",
	"mts_core", "mts_mmc", "indexsrv_system", "fp_extensions", "certsrv", "iis_smtp", "iis_nntp",
	"wsh_core", "Msmq_Server_Core",
}

// componentNeeds: selecting a component selects what it needs, as OC
// Manager does when a box is checked (IIS runs on MTS, every IIS part on the
// common files, the web extras on the web service).
var componentNeeds = map[string][]string{
	"iis_common": {"mts_core"}, "iis_inetmgr": {"iis_common"}, "iis_www": {"iis_common"},
	"iis_ftp": {"iis_common"}, "iis_htmla": {"iis_www"}, "iis_w3samp": {"iis_www"},
	"iis_doc_common": {"iis_common"}, "mts_mmc": {"mts_core"}, "indexsrv_system": {"iis_www"},
	"fp_extensions": {"iis_www"}, "certsrv": {"iis_www"}, "iis_smtp": {"iis_common"},
	"iis_nntp": {"iis_common"}, "Msmq_Server_Core": {"mts_core"},
}

// The fixed component sets of the Minimal and Typical installs (FORMATS.md).
var (
	minimalComponents = []string{"iis_common", "iis_inetmgr", "iis_www", "mts_core", "wsh_core"}
	typicalComponents = []string{"iis_common", "iis_inetmgr", "iis_www", "iis_doc_common", "mts_core",
		"mts_mmc", "indexsrv_system", "fp_extensions", "iis_smtp", "wsh_core"}
)

// canonicalComponent returns the component's name as setup spells it, or "".
func canonicalComponent(name string) string {
	for _, c := range optionPackComponents {
		if strings.EqualFold(c, name) {
			return c
		}
	}
	return ""
}

// componentSet closes names over componentNeeds and returns them in OC
// Manager order; unknown names are dropped.
func componentSet(names []string) []string {
	has := map[string]bool{}
	var add func(string)
	add = func(name string) {
		c := canonicalComponent(name)
		if c == "" || has[c] {
			return
		}
		has[c] = true
		for _, need := range componentNeeds[c] {
			add(need)
		}
	}
	for _, n := range names {
		add(n)
	}
	var out []string
	for _, c := range optionPackComponents {
		if has[c] {
			out = append(out, c)
		}
	}
	return out
}

func sameComponents(a, b []string) bool {
	a, b = componentSet(a), componentSet(b)
	return strings.Join(a, ",") == strings.Join(b, ",")
}

// installMethod derives the method from an installed set: nothing on a real
// node records it, so readers do the same (FORMATS.md).
func installMethod(components []string) string {
	switch {
	case sameComponents(components, minimalComponents):
		return "minimal"
	case sameComponents(components, typicalComponents):
		return "typical"
	default:
		return "custom"
	}
}

func hasComponent(components []string, name string) bool {
	for _, c := range components {
		if strings.EqualFold(c, name) {
			return true
		}
	}
	return false
}

// unattendFile is an Option Pack unattend file as setup reads it.
type unattendFile struct {
	freshMode string   // minimal, typical, custom or ""
	maintMode string   // addremove, removeall or ""
	on, off   []string // [Components] lines naming components setup knows (others are ignored)
}

// parseUnattend reads the INI text: sections in brackets, `key = value`
// lines, `;` comments, optional quotes around values. Names and values are
// case-insensitive. MaintanenceMode is spelt as setup spells it; the
// dictionary spelling is not read.
func parseUnattend(text string) (*unattendFile, error) {
	u := &unattendFile{}
	section, signature := "", ""
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if c := strings.Index(line, ";"); c >= 0 {
			line = line[:c]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "[") {
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("line %d: %q is not a section name", i+1, line)
			}
			section = strings.ToLower(strings.TrimSpace(line[1 : len(line)-1]))
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: %q is not a key = value line", i+1, line)
		}
		key = strings.TrimSpace(key)
		value = strings.Trim(strings.TrimSpace(value), `"`)
		switch section {
		case "version":
			if strings.EqualFold(key, "Signature") {
				signature = value
			}
		case "global":
			switch strings.ToLower(key) {
			case "freshmode":
				v := strings.ToLower(value)
				if v != "minimal" && v != "typical" && v != "custom" {
					return nil, fmt.Errorf("line %d: FreshMode = %s: want Minimal, Typical or Custom", i+1, value)
				}
				u.freshMode = v
			case "maintanencemode":
				v := strings.ToLower(value)
				if v != "addremove" && v != "removeall" {
					return nil, fmt.Errorf("line %d: MaintanenceMode = %s: want AddRemove or RemoveAll", i+1, value)
				}
				u.maintMode = v
			}
		case "components":
			c := canonicalComponent(key)
			switch strings.ToUpper(value) {
			case "ON":
				if c != "" {
					u.on = append(u.on, c)
				}
			case "OFF":
				if c != "" {
					u.off = append(u.off, c)
				}
			default:
				return nil, fmt.Errorf("line %d: %s = %s: want ON or OFF", i+1, key, value)
			}
		}
	}
	if !strings.EqualFold(signature, "$Windows NT$") {
		return nil, errors.New(`[Version] Signature = "$Windows NT$" is missing`)
	}
	return u, nil
}

// Service pack levels and their CSDVersion texts. SP6a reports "Service
// Pack 6" and is told apart by its hotfix key Q246009.
var servicePackLevels = map[string]string{"3": "Service Pack 3", "4": "Service Pack 4", "5": "Service Pack 5", "6": "Service Pack 6", "6a": "Service Pack 6"}

const sp6aHotfixKey = currentVersionKey + `\Hotfix\Q246009`

// servicePackExecutables are the names a service pack package runs under:
// the extracted update.exe and the self-extracting downloads.
var servicePackExecutables = []string{"update", "nt4sp3_i", "sp4i386", "sp5i386", "sp6i386"}

// csdLevel is the number in a CSDVersion text ("Service Pack 4" -> 4), 0 for none.
func csdLevel(csd string) int {
	f := strings.Fields(csd)
	if len(f) < 3 {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimRight(f[2], "abcdefghijklmnopqrstuvwxyz"))
	return n
}

// Media file contents: a program's "version resource", read back by the
// emulated executables, so a package copied elsewhere keeps its level.
const (
	optionPackSetupImage = "MZ emulated Windows NT 4.0 Option Pack setup.exe"
	servicePackImage     = "MZ emulated Windows NT 4.0 Service Pack %s update.exe"
)

// servicePackLevelOf reads the level from a service pack image, "" when it is not one.
func servicePackLevelOf(content string) string {
	var level string
	if _, err := fmt.Sscanf(content, servicePackImage, &level); err != nil {
		return ""
	}
	if _, ok := servicePackLevels[level]; !ok {
		return ""
	}
	return level
}

// validateMedia checks a node's Option Pack and service pack locations.
func validateMedia(n NodeSpec) error {
	if p := n.OptionPackSetup; p != "" {
		if !localExePath(p) || !strings.EqualFold(baseName(p), "setup") {
			return fmt.Errorf("option_pack_setup %q: want a path like C:\\NTOPTPAK\\EN\\X86\\WINNT.SRV\\setup.exe", p)
		}
	}
	for i, sp := range n.ServicePacks {
		if !localExePath(sp.Path) || !hasComponent(servicePackExecutables, baseName(sp.Path)) {
			return fmt.Errorf("service_packs[%d]: path %q: want C:\\...\\update.exe or a package such as sp6i386.exe", i, sp.Path)
		}
		if _, ok := servicePackLevels[sp.Level]; !ok {
			return fmt.Errorf("service_packs[%d]: level %q: want 3, 4, 5, 6 or 6a", i, sp.Level)
		}
	}
	for _, c := range n.OptionPack.Components {
		if canonicalComponent(c) == "" {
			return fmt.Errorf("option_pack.components: unknown component %q", c)
		}
	}
	return nil
}

// localExePath: an absolute path on the system drive ending in .exe.
func localExePath(p string) bool {
	return len(p) > 3 && strings.EqualFold(p[:3], `C:\`) && strings.HasSuffix(strings.ToLower(p), ".exe") && !strings.Contains(p, `\\`)
}

// pendingOptionPack is an Option Pack change waiting for the reboot.
type pendingOptionPack struct {
	spec     OptionPackSpec
	mismatch bool // rule 3: components differ from another node's
}

// optionPackRegistry writes the installed state where the tools read it:
// InetStp when installed, and a Subcomponents DWORD per known component.
func (n *node) optionPackRegistry() {
	op := n.optionPack
	n.reg.deleteTree(inetStpKey)
	if op.Installed {
		n.reg.setDWord(inetStpKey, "MajorVersion", 4)
		n.reg.setDWord(inetStpKey, "MinorVersion", 0)
		n.reg.setString(inetStpKey, "InstallPath", `C:\WINNT\System32\inetsrv`)
		n.reg.setString(inetStpKey, "PathWWWRoot", `C:\InetPub\wwwroot`)
	}
	if !op.Installed {
		if _, ok := n.reg.key(subcomponentsKey); !ok {
			return // never installed: OC Manager has written nothing yet
		}
	}
	for _, c := range optionPackComponents {
		var v uint32
		if op.Installed && hasComponent(op.Components, c) {
			v = 1
		}
		n.reg.setDWord(subcomponentsKey, c, v)
	}
}

const sessionManagerKey = `HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Session Manager`

// pendingRename records a file operation for the next boot the way
// MoveFileEx(MOVEFILE_DELAY_UNTIL_REBOOT) does: a source, then "!" + the
// target to replace, or an empty target to delete the source.
func (n *node) pendingRename(source, target string) {
	k := n.reg.ensureKey(sessionManagerKey)
	v, ok := k.value("PendingFileRenameOperations")
	if !ok {
		v = &regValue{Name: "PendingFileRenameOperations", Type: regMultiSZ}
		n.reg.set(sessionManagerKey, v)
	}
	v.Multi = append(v.Multi, `\??\`+source, target)
}

// pendingReplace queues the replacement of an in-use system file.
func (n *node) pendingReplace(target string) {
	n.tempFiles++
	dir := target[:strings.LastIndex(target, `\`)]
	n.pendingRename(fmt.Sprintf(`%s\SET%X.tmp`, dir, n.tempFiles), `!\??\`+target)
}

// applyPendingLocked runs at boot: the changes setup and the service pack
// left for the reboot take effect, and the rename queue empties.
func (w *World) applyPendingLocked(n *node) {
	if n.pendingCSD != "" {
		n.csd = servicePackLevels[n.pendingCSD]
		n.reg.setString(currentVersionKey, "CSDVersion", n.csd)
		n.reg.deleteTree(sp6aHotfixKey)
		if n.pendingCSD == "6a" {
			n.reg.setDWord(sp6aHotfixKey, "Installed", 1)
		}
		if n.spFixPending {
			n.staleSystemFiles = false
		}
		n.pendingCSD, n.spFixPending = "", false
	}
	if p := n.pendingOP; p != nil {
		n.pendingOP = nil
		if p.spec.Installed {
			w.installOptionPack(n, p.spec, p.mismatch)
		} else {
			w.removeOptionPack(n)
		}
	}
	if k, ok := n.reg.key(sessionManagerKey); ok {
		for i, v := range k.values {
			if strings.EqualFold(v.Name, "PendingFileRenameOperations") {
				k.values = append(k.values[:i], k.values[i+1:]...)
				break
			}
		}
	}
}

// iisServiceNames are the services an Option Pack install may add.
var iisServiceNames = []string{"IISADMIN", "W3SVC", "MSFTPSVC"}

// CorruptIIS damages node's Option Pack install out of band, as a failed
// disk or a bad hotfix does (the KB's "IIS build is corrupted"): the IIS
// services' process dies, so they stop with 1067 and die on every start,
// until Remove All and a fresh install mend them.
func (w *World) CorruptIIS(name string) error {
	w.lock()
	defer w.unlock()
	n := w.node(name)
	if n == nil {
		return fmt.Errorf("no node %q", name)
	}
	if !n.optionPack.Installed {
		return fmt.Errorf("node %s has no Option Pack to corrupt", n.name)
	}
	n.optionPack.Corrupt = true
	for _, name := range iisServiceNames {
		if s := n.service(name); s != nil {
			s.broken = true
			if s.state != svcStopped {
				s.state, s.exitCode = svcStopped, errProcessAborted
				s.gen++
			}
		}
	}
	return nil
}

// installOptionPack is an install or AddRemove taking effect. AddRemove
// keeps a corrupt install corrupt: only Remove All and a fresh install mend it.
func (w *World) installOptionPack(n *node, spec OptionPackSpec, mismatch bool) {
	components := spec.Components
	for _, name := range iisServiceNames {
		n.applyServiceSpec(ServiceSpec{Name: name, Remove: true})
	}
	for _, s := range iisServices(components, spec.Corrupt) {
		s.State = "stopped" // the boot starts them per start type
		n.applyServiceSpec(s)
	}
	if hasComponent(components, "mts_core") && n.dtc.mode == dtcAbsent {
		// MTS setup registers MSDTC standalone: with the cluster service
		// stopped it cannot tell it is on a cluster.
		_ = writeFileMkdir(n.fs, msdtcExe, "MZ emulated msdtc.exe version="+ntopDTCVersion)
		n.dtc.version = ntopDTCVersion
		w.setMSDTC(n, dtcStandalone)
	}
	n.optionPack = OptionPackSpec{Installed: true, Method: installMethod(components), Components: componentSet(components), Corrupt: spec.Corrupt}
	n.iisMismatch = mismatch
	n.optionPackRegistry()
	if !n.mb.installed {
		// A fresh install's metabase; AddRemove keeps the one there.
		n.mb = defaultMetabase(n.name)
	}
	w.installIISFiles(n)
	n.installIISAccounts()
	for _, dir := range []string{`C:\WINNT\System32\inetsrv`, `C:\InetPub\wwwroot`, `C:\InetPub\ftproot`} {
		_ = n.fs.Mkdir(dir) // an existing folder is kept
	}
	_ = n.fs.WriteFile(`C:\WINNT\System32\inetsrv\inetinfo.exe`, []byte("MZ emulated inetinfo.exe"), false)
}

// removeOptionPack is Remove All taking effect: the IIS services go.
// MSDTC stays as it was (KB Q241573: "Normally, an uninstall of IIS will not
// remove the MSDTC components on the Node").
func (w *World) removeOptionPack(n *node) {
	for _, name := range iisServiceNames {
		n.applyServiceSpec(ServiceSpec{Name: name, Remove: true})
	}
	n.optionPack = OptionPackSpec{}
	n.iisMismatch = false
	n.optionPackRegistry()
	// The metabase and the MTS packages go with IIS and MTS.
	n.mb = metabase{}
	n.reg.deleteTree(mtsPackagesKey)
	_ = n.fs.RemoveAll(`C:\WINNT\System32\inetsrv`) // content of InetPub stays, as with the real setup
}

// clusterServiceBlocked reports whether the cluster service can't run on n
// because Option Pack setup left older system files there, and records the
// rule 4 incident each time someone starts it so.
func (w *World) clusterServiceBlocked(n *node, s *service) bool {
	if !strings.EqualFold(s.name, "ClusSvc") || !n.staleSystemFiles {
		return false
	}
	w.incidentLocked(n.name, 4, "cluster service started after Option Pack setup without the service pack (SP4 or later) re-applied",
		"ClusSvc terminated at once (exit code 1067): Option Pack setup replaced system files with older versions")
	return true
}

// corruptIISResources is the damage of rule 1: setup with the cluster service
// up corrupts the IIS cluster resources of both nodes. Every IIS Server
// Instance fails and can't come online on any node again.
func (w *World) corruptIISResources() {
	c := w.cluster
	if c == nil || c.name == "" {
		return
	}
	c.iisResourcesCorrupt = true
	for _, r := range c.resources {
		if r.typ != typeIIS {
			continue
		}
		if r.state == resOnline {
			w.resourceFailed(r)
		}
		r.state = resFailed
	}
}

// otherInstalls lists the other nodes' installed component sets, by node.
func (w *World) otherInstalls(n *node) map[string][]string {
	out := map[string][]string{}
	for _, o := range w.nodes {
		if o != n && o.optionPack.Installed {
			out[o.name] = o.optionPack.Components
		}
	}
	return out
}

// componentDiff describes how got differs from want, e.g. "+iis_smtp -iis_ftp".
func componentDiff(got, want []string) string {
	var parts []string
	for _, c := range componentSet(got) {
		if !hasComponent(want, c) {
			parts = append(parts, "+"+c)
		}
	}
	for _, c := range componentSet(want) {
		if !hasComponent(got, c) {
			parts = append(parts, "-"+c)
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
