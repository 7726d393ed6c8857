package nodeops

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// Registry keys the node's state is read from (TOOLS.md, FORMATS.md).
const (
	currentVersionKey = `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`
	sp6aHotfixKey     = `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Hotfix\Q246009`
	inetStpKey        = `HKLM\SOFTWARE\Microsoft\InetStp`
	subcomponentsKey  = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Setup\OC Manager\Subcomponents`
	sessionManagerKey = `HKLM\SYSTEM\CurrentControlSet\Control\Session Manager`
)

// Install methods of Option Pack setup, as mscs_optionpack_install names them.
const (
	MethodMinimal = "minimal"
	MethodTypical = "typical"
	MethodCustom  = "custom"
)

// KnownComponents are the Option Pack components setup's [Components]
// section takes (TOOLS.md), lower-case; plan-time validation checks against it.
var KnownComponents = []string{
	"certsrv", "fp_extensions", "iis_common", "iis_doc_common", "iis_ftp", "iis_htmla", "iis_inetmgr",
	"iis_nntp", "iis_smtp", "iis_w3samp", "iis_www", "indexsrv_system", "msmq_server_core", "mts_core",
	"mts_mmc", "wsh_core",
}

// The fixed sets of the Minimal and Typical installs (the lab's FORMATS.md);
// setup ignores [Components] for both.
var (
	minimalComponents = []string{"iis_common", "iis_inetmgr", "iis_www", "mts_core", "wsh_core"}
	typicalComponents = []string{"fp_extensions", "iis_common", "iis_doc_common", "iis_inetmgr", "iis_smtp",
		"iis_www", "indexsrv_system", "mts_core", "mts_mmc", "wsh_core"}
)

// MethodComponents is the fixed component set of the minimal and typical
// methods, sorted. A custom install has no fixed set: that is an error.
func MethodComponents(method string) ([]string, error) {
	switch strings.ToLower(method) {
	case MethodMinimal:
		return append([]string(nil), minimalComponents...), nil
	case MethodTypical:
		return append([]string(nil), typicalComponents...), nil
	case MethodCustom:
		return nil, errors.New("a custom install has no fixed component set: list the components")
	}
	return nil, fmt.Errorf("install method %q is not one of minimal, typical, custom", method)
}

// methodOf derives the install method from the installed components: no
// node records it (FORMATS.md), so exactly the Minimal set reads as minimal,
// exactly the Typical set as typical, anything else as custom.
func methodOf(components []string) string {
	switch {
	case len(components) == 0:
		return ""
	case SameComponents(components, minimalComponents):
		return MethodMinimal
	case SameComponents(components, typicalComponents):
		return MethodTypical
	}
	return MethodCustom
}

// normalizeComponents lower-cases, de-duplicates and sorts component names.
func normalizeComponents(names []string) []string {
	out := []string{}
	for _, n := range names {
		if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// SameComponents compares two component lists as sets, ignoring case.
func SameComponents(a, b []string) bool {
	a, b = normalizeComponents(a), normalizeComponents(b)
	return strings.Join(a, ",") == strings.Join(b, ",")
}

// ComponentDiff words how got differs from want: "+iis_smtp -iis_ftp".
func ComponentDiff(got, want []string) string {
	in := func(set []string, c string) bool {
		for _, s := range set {
			if s == c {
				return true
			}
		}
		return false
	}
	got, want = normalizeComponents(got), normalizeComponents(want)
	var d []string
	for _, c := range got {
		if !in(want, c) {
			d = append(d, "+"+c)
		}
	}
	for _, c := range want {
		if !in(got, c) {
			d = append(d, "-"+c)
		}
	}
	return strings.Join(d, " ")
}

// OptionPack is the Option Pack state of a node as its registry shows it.
type OptionPack struct {
	Installed bool
	// Method is derived from Components (see methodOf): the node records none.
	Method string
	// Components are the installed ones (OC Manager Subcomponents = 1), sorted, lower-case.
	Components []string
	// Removed: no Option Pack now, but setup's Subcomponents key shows one
	// was installed before (Remove All leaves every component at 0; a node
	// that never had the Option Pack has no key).
	Removed bool
	// PendingReboot: Session Manager's PendingFileRenameOperations is present,
	// so setup or a service pack waits for a restart to take effect.
	PendingReboot bool
}

// NodeInfo is what mscs_node shows about a node.
type NodeInfo struct {
	Name, OSVersion, Build, CSDVersion string
	// ServicePack is the level parsed from CSDVersion: "4", "5", "6", "6a"
	// (SP6 with the Hotfix\Q246009 key), "" for none.
	ServicePack string
	OptionPack  OptionPack
	// Services are InfoServices in that order; Exists is false for one that
	// is not installed.
	Services []ServiceStatus
}

// iisServicesOf are the services an Option Pack install with these
// components runs: IIS Admin always, the web and FTP services with their
// components.
func iisServicesOf(components []string) []string {
	svcs := []string{"IISADMIN"}
	for _, c := range [][2]string{{"iis_www", "W3SVC"}, {"iis_ftp", "MSFTPSVC"}} {
		if slices.Contains(normalizeComponents(components), c[0]) {
			svcs = append(svcs, c[1])
		}
	}
	return svcs
}

// IISProblems says what is wrong with an installed Option Pack's services:
// one missing, or stopped because its process died (a corrupt install, which
// the KB mends with Remove All and a reinstall). A service an administrator
// stopped cleanly, or one still starting, is not a problem. services must
// hold the ones iisServicesOf names (Info's do).
func IISProblems(op OptionPack, services []ServiceStatus) []string {
	if !op.Installed {
		return nil
	}
	var problems []string
	for _, name := range iisServicesOf(op.Components) {
		var st *ServiceStatus
		for i := range services {
			if strings.EqualFold(services[i].Name, name) {
				st = &services[i]
			}
		}
		switch {
		case st == nil || !st.Exists:
			problems = append(problems, name+" is not installed")
		case st.State == StateStopped && st.ExitCode != 0:
			problems = append(problems, fmt.Sprintf("%s stopped with exit code %d (%s)", name, st.ExitCode, win32Meaning(st.ExitCode)))
		}
	}
	return problems
}

// InfoServices are the services NodeInfo reports.
var InfoServices = []string{"ClusSvc", "MSDTC", "IISADMIN", "W3SVC", "MSFTPSVC"}

// Info reads the node's name (`hostname`), OS and service pack level, its
// Option Pack state and the services of InfoServices, all in one command
// line. It only reads.
func (n *Node) Info(ctx context.Context) (NodeInfo, error) {
	var info NodeInfo
	r, err := n.readNode(ctx, "read the node's name, version, Option Pack and services", []string{"hostname"}, InfoServices)
	if err != nil {
		return info, err
	}
	info.Name = strings.TrimSpace(r.own[0].Stdout)
	info.OSVersion, info.Build, info.CSDVersion, info.ServicePack = r.os.version, r.os.build, r.os.csd, r.os.servicePack
	info.OptionPack, info.Services = r.op, r.services
	return info, nil
}

// nodeRead is what readNode read.
type nodeRead struct {
	own      []winrm.Result // the results of the caller's own lines
	os       osVersion
	op       OptionPack
	services []ServiceStatus
}

// readNode reads, in one command line (a batch, see readBatch), the
// caller's own read-only lines, the Windows version, the Option Pack state
// and services. The own lines' results are checked as run checks a command
// (Win32 exit codes) and come back for the caller to read. It only reads.
func (n *Node) readNode(ctx context.Context, step string, own, services []string) (nodeRead, error) {
	var r nodeRead
	qs := append(append([]regQ{}, osVersionQueries...), optionPackQueries...)
	regs, err := regLines(qs)
	if err != nil {
		return r, err
	}
	svcs, err := serviceLines(services)
	if err != nil {
		return r, err
	}
	lines := append(append(append([]string{}, own...), regs...), svcs...)
	results, err := n.readBatch(ctx, step, lines...)
	if err != nil {
		return r, err
	}
	r.own, results = results[:len(own)], results[len(own):]
	for i, res := range r.own {
		if err := n.checkPart(step, own[i], res, win32); err != nil {
			return r, err
		}
	}
	a, err := n.regAnswers(step, regs, qs, results[:len(regs)])
	if err != nil {
		return r, err
	}
	if r.os, err = n.osVersionOf(a[:len(osVersionQueries)]); err != nil {
		return r, err
	}
	r.op = optionPackOf(a[len(osVersionQueries):])
	r.services, err = n.serviceStatuses(step, services, svcs, results[len(regs):])
	return r, err
}

// Template is what a working node gives the rebuilt node to copy (safety
// rule 3): its Option Pack and its service pack level.
type Template struct {
	OptionPack OptionPack
	// ServicePack is the level as NodeInfo has it ("4", "6a"); CSDVersion the raw value.
	ServicePack, CSDVersion string
}

// Template reads the node's Option Pack and service pack level. It only reads.
func (n *Node) Template(ctx context.Context) (Template, error) {
	var t Template
	osv, op, err := n.versionAndOptionPack(ctx)
	if err != nil {
		return t, err
	}
	t.ServicePack, t.CSDVersion, t.OptionPack = osv.servicePack, osv.csd, op
	return t, nil
}

// The registry reads of osVersion and OptionPackState, which
// versionAndOptionPack runs in one command line.
var (
	osVersionQueries  = []regQ{{currentVersionKey, ""}, {sp6aHotfixKey, "Installed"}}
	optionPackQueries = []regQ{{inetStpKey, "MajorVersion"}, {subcomponentsKey, ""}, {sessionManagerKey, "PendingFileRenameOperations"}}
)

// versionAndOptionPack is osVersion and OptionPackState in one round trip.
func (n *Node) versionAndOptionPack(ctx context.Context) (osVersion, OptionPack, error) {
	r, err := n.readNode(ctx, "read the Windows version and the Option Pack state", nil, nil)
	return r.os, r.op, err
}

type osVersion struct {
	version, build, csd, servicePack string
	systemRoot                       string
}

// osVersion reads CurrentVersion and the SP6a hotfix key (which counts on
// SP6 only).
func (n *Node) osVersion(ctx context.Context) (osVersion, error) {
	a, err := n.regQueries(ctx, "read the Windows version", osVersionQueries...)
	if err != nil {
		return osVersion{}, err
	}
	return n.osVersionOf(a)
}

func (n *Node) osVersionOf(a []regAnswer) (osVersion, error) {
	k, found := a[0].key, a[0].found
	if !found {
		return osVersion{}, fmt.Errorf("%s: read the Windows version: the registry key %s does not exist", n.R.Node(), currentVersionKey)
	}
	v := osVersion{
		version: k.Value("CurrentVersion"), build: k.Value("CurrentBuildNumber"),
		csd: k.Value("CSDVersion"), systemRoot: k.Value("SystemRoot"),
	}
	n.learnSystemRoot(v.systemRoot)
	v.servicePack = ServicePackLevel(v.csd)
	if v.servicePack == "6" && a[1].found && regDWORD(a[1].key.Value("Installed")) == 1 {
		v.servicePack = "6a"
	}
	return v, nil
}

var csdRe = regexp.MustCompile(`(?i)^\s*Service Pack\s+(\d+[a-z]?)\s*$`)

// ServicePackLevel reads the level out of a CSDVersion such as "Service Pack 4";
// "" when there is none or it is not a service pack.
func ServicePackLevel(csd string) string {
	if m := csdRe.FindStringSubmatch(csd); m != nil {
		return strings.ToLower(m[1])
	}
	return ""
}

// OptionPackState reads the Option Pack's registry state: InetStp
// MajorVersion (installed), OC Manager Subcomponents (components) and
// PendingFileRenameOperations (a reboot is pending).
func (n *Node) OptionPackState(ctx context.Context) (OptionPack, error) {
	a, err := n.regQueries(ctx, "read the Option Pack state, its components and a pending reboot", optionPackQueries...)
	if err != nil {
		return OptionPack{}, err
	}
	return optionPackOf(a), nil
}

func optionPackOf(a []regAnswer) OptionPack {
	var op OptionPack
	op.Installed = a[0].found
	k, found := a[1].key, a[1].found
	op.Removed = found && !op.Installed
	if found && op.Installed {
		var on []string
		for _, v := range k.Values {
			if regDWORD(v.Data) == 1 {
				on = append(on, v.Name)
			}
		}
		op.Components = normalizeComponents(on)
	}
	op.Method = methodOf(op.Components)
	op.PendingReboot = a[2].found
	return op
}

// --- reg.exe ---

// regQuery runs `reg query KEY [/v NAME]`. A missing key or value is not an
// error: found is false.
func (n *Node) regQuery(ctx context.Context, step, key, value string) (RegKey, bool, error) {
	a, err := n.regQueries(ctx, step, regQ{key, value})
	if err != nil {
		return RegKey{}, false, err
	}
	return a[0].key, a[0].found, nil
}

// regQ is one `reg query KEY [/v VALUE]`.
type regQ struct{ key, value string }

type regAnswer struct {
	key   RegKey
	found bool
}

func (q regQ) line() (string, error) {
	k, err := Quote(q.key)
	if err != nil {
		return "", fmt.Errorf("registry key: %w", err)
	}
	line := "reg query " + k
	if q.value != "" {
		v, err := Quote(q.value)
		if err != nil {
			return "", fmt.Errorf("registry value name: %w", err)
		}
		line += " /v " + v
	}
	return line, nil
}

// regLines are the command lines of qs.
func regLines(qs []regQ) ([]string, error) {
	lines := make([]string, len(qs))
	for i, q := range qs {
		l, err := q.line()
		if err != nil {
			return nil, err
		}
		lines[i] = l
	}
	return lines, nil
}

// regQueries runs every query of qs in one command line (a batch, see
// readBatch). A part that printed reg's `ERROR:` line failed as that reg
// query alone would have, with exit code 1, which is how its answer is read.
func (n *Node) regQueries(ctx context.Context, step string, qs ...regQ) ([]regAnswer, error) {
	lines, err := regLines(qs)
	if err != nil {
		return nil, err
	}
	results, err := n.readBatch(ctx, step, lines...)
	if err != nil {
		return nil, err
	}
	return n.regAnswers(step, lines, qs, results)
}

// regAnswers reads the results of the reg queries qs (command lines lines).
func (n *Node) regAnswers(step string, lines []string, qs []regQ, results []winrm.Result) ([]regAnswer, error) {
	answers := make([]regAnswer, len(qs))
	for i := range qs {
		var err error
		if answers[i], err = n.regAnswer(step, lines[i], qs[i], results[i]); err != nil {
			return nil, err
		}
	}
	return answers, nil
}

// regAnswer reads one reg query's output.
func (n *Node) regAnswer(step, line string, q regQ, res winrm.Result) (regAnswer, error) {
	keys, err := ParseRegQuery(res.Stdout + res.Stderr)
	if errors.Is(err, errRegNotFound) {
		return regAnswer{}, nil
	}
	if err != nil || len(keys) == 0 {
		if err == nil {
			err = errors.New("no key in the output")
		}
		if res.ExitCode != 0 {
			return regAnswer{}, n.stepError(step, line, res, win32)
		}
		return regAnswer{}, n.parseError(step, line, res.Stdout, err)
	}
	if q.value != "" {
		if _, ok := keys[0].Lookup(q.value); !ok {
			return regAnswer{key: keys[0]}, nil
		}
	}
	return regAnswer{key: keys[0], found: true}, nil
}

// RegValue is one value row of reg query.
type RegValue struct {
	Name, Type, Data string
}

// RegKey is one key block of reg query: its full name and its values.
type RegKey struct {
	Path   string
	Values []RegValue
}

// Lookup finds a value by name (case-insensitive, as the registry is).
func (k RegKey) Lookup(name string) (RegValue, bool) {
	for _, v := range k.Values {
		if strings.EqualFold(v.Name, name) {
			return v, true
		}
	}
	return RegValue{}, false
}

// Value is the data of the named value, "" when absent.
func (k RegKey) Value(name string) string {
	v, _ := k.Lookup(name)
	return v.Data
}

// regRowRe finds a value row: an indented name, a REG_ type and the data,
// separated by runs of blanks (reg.exe of XP and later: 4 spaces) or tabs
// (the NT Resource Kit's reg.exe).
var regRowRe = regexp.MustCompile(`^[ \t]+(.*?)[ \t]+(REG_[A-Z_]+)(?:[ \t]+(.*?))?[ \t]*$`)

// regKeyLineRe is a key's name as reg prints it: its root key in full or
// abbreviated, optionally after a machine's `\\NODE\`.
var regKeyLineRe = regexp.MustCompile(`(?i)^(?:\\\\[^\\]+\\)?(?:HKEY_[A-Z_]+|HKLM|HKCU|HKCR|HKU|HKCC)(?:\\.*)?$`)

// ParseRegQuery reads `reg query`: each key's full name on a line of its
// own (not indented), followed by its indented value rows. The subkey names
// listed after a key's values come back as keys without values; the key
// asked for is the first. reg's not-found error gives errRegNotFound.
//
// Both generations of reg.exe that a WinRM-speaking Windows has are read:
// Vista and later (four-blank separators, `(Default)`), and reg.exe 3.0 of
// XP and 2003, which starts with `! REG.EXE VERSION 3.0`, separates with
// tabs, names the default value `<NO NAME>` (read as `(Default)`) and ends
// a REG_MULTI_SZ with `\0\0` (dropped). Its errors begin `Error:`.
func ParseRegQuery(out string) ([]RegKey, error) {
	if strings.Contains(out, "unable to find the specified registry key or value") {
		return nil, errRegNotFound
	}
	if regErrorLineRe.MatchString(out) {
		return nil, fmt.Errorf("reg failed: %s", firstLines(out, 2))
	}
	var keys []RegKey
	for _, l := range splitLines(out) {
		switch {
		case strings.TrimSpace(l) == "", strings.HasPrefix(l, "! REG.EXE"):
		case l[0] != ' ' && l[0] != '\t':
			// Only a key's name stands unindented: any other line (cmd's
			// "'reg' is not recognized", a layout not known here) is an
			// error, never a key without values, which would read as every
			// value absent.
			if !regKeyLineRe.MatchString(strings.TrimSpace(l)) {
				return nil, fmt.Errorf("line %q is neither a key's name nor an indented value row", strings.TrimSpace(l))
			}
			keys = append(keys, RegKey{Path: strings.TrimSpace(l)})
		case len(keys) > 0:
			m := regRowRe.FindStringSubmatch(l)
			if m == nil {
				return nil, fmt.Errorf("value row %q: no REG_ type in it", strings.TrimSpace(l))
			}
			k := &keys[len(keys)-1]
			name, data := m[1], m[3]
			if name == "<NO NAME>" {
				name = "(Default)"
			}
			if m[2] == "REG_MULTI_SZ" {
				data = strings.TrimSuffix(data, `\0\0`)
			}
			k.Values = append(k.Values, RegValue{Name: name, Type: m[2], Data: data})
		default:
			return nil, fmt.Errorf("value row %q before any key", strings.TrimSpace(l))
		}
	}
	return keys, nil
}

// regDWORD reads a REG_DWORD as reg prints it (0x1, or plain decimal); -1 when unreadable.
func regDWORD(s string) int64 {
	s = strings.TrimSpace(s)
	var v int64
	var err error
	if strings.HasPrefix(strings.ToLower(s), "0x") {
		_, err = fmt.Sscanf(s[2:], "%x", &v)
	} else {
		_, err = fmt.Sscanf(s, "%d", &v)
	}
	if err != nil {
		return -1
	}
	return v
}

// systemRoot is the node's SystemRoot (where the journal, the record and the
// lock live), read once per Node: it does not change.
func (n *Node) systemRoot(ctx context.Context) (string, error) {
	if root := n.knownSystemRoot(); root != "" {
		return root, nil
	}
	osv, err := n.osVersion(ctx)
	if err != nil {
		return "", err
	}
	if osv.systemRoot == "" {
		return "", fmt.Errorf("%s: the registry names no SystemRoot (%s)", n.R.Node(), currentVersionKey)
	}
	return osv.systemRoot, nil
}
