package world

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/cmdshell"
)

const (
	setupExe   = `C:\NTOPTPAK\EN\X86\WINNT.SRV\setup.exe`
	updateExe  = `C:\SP4\I386\UPDATE\update.exe`
	unattendAt = `C:\temp\unattend.txt`
)

// node1Components is the working node's Custom install in the built-in
// scenarios: Typical with Index Server and SMTP unchecked and FTP checked.
var node1Components = []string{"iis_common", "iis_inetmgr", "iis_www", "iis_ftp", "iis_doc_common", "mts_core", "mts_mmc", "fp_extensions", "wsh_core"}

// writeUnattend types the unattend file line by line, as an administrator
// (or the provider) does over a cmd shell.
func writeUnattend(t *testing.T, w *World, node string, lines ...string) {
	t.Helper()
	for i, line := range lines {
		op := ">>"
		if i == 0 {
			op = ">"
		}
		if r := run(t, w, node, "echo "+line+op+" "+unattendAt); r.code != 0 {
			t.Fatalf("echo %s: %+v", line, r)
		}
	}
}

// customUnattend is a Custom install of components (others OFF).
func customUnattend(components []string) []string {
	lines := []string{"[Version]", `Signature = "$Windows NT$"`, "[Global]", "FreshMode = Custom  ; as on NODE1", "[Components]"}
	for _, c := range optionPackComponents {
		state := "OFF"
		if hasComponent(components, c) {
			state = "ON"
		}
		lines = append(lines, c+" = "+state)
	}
	return lines
}

var removeAllUnattend = []string{"[Version]", `Signature = "$Windows NT$"`, "[Global]", "MaintanenceMode = RemoveAll"}

// mustRun runs a command that must succeed silently.
func mustRun(t *testing.T, w *World, node, line string) {
	t.Helper()
	if r := run(t, w, node, line); r.code != 0 || r.out != "" || r.err != "" {
		t.Fatalf("%s: %+v", line, r)
	}
}

// rebootWith runs a reboot command and checks the node answers during the
// grace time, is away for the reboot, and comes back.
func rebootWith(t *testing.T, w *World, clock *fakeClock, node, line string) {
	t.Helper()
	mustRun(t, w, node, line)
	if !w.Reachable(node) {
		t.Fatalf("%s gone at once after %q: its reply could not reach the client", node, line)
	}
	clock.Advance(emulated(10))
	if w.Reachable(node) {
		t.Fatalf("%s still up after %q and the grace time", node, line)
	}
	clock.Advance(emulated(90))
	if !w.Reachable(node) {
		t.Fatalf("%s not back after the reboot", node)
	}
}

func stopClusterService(t *testing.T, w *World, node string) {
	t.Helper()
	if r := run(t, w, node, "net stop ClusSvc"); r.code != 0 {
		t.Fatalf("net stop ClusSvc: %+v", r)
	}
	expect(t, run(t, w, node, "sc config ClusSvc start= demand"), "[SC] ChangeServiceConfig SUCCESS\r\n", 0)
	expect(t, run(t, w, node, "sc query ClusSvc"), scQueryStopped, 0)
}

func subcomponents(t *testing.T, w *World, node string) map[string]string {
	t.Helper()
	r := run(t, w, node, `reg query "HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Setup\OC Manager\Subcomponents"`)
	out := map[string]string{}
	for _, line := range strings.Split(r.out, "\r\n") {
		if f := strings.Fields(line); len(f) == 3 && f[1] == "REG_DWORD" {
			out[f[0]] = f[2]
		}
	}
	return out
}

func installedComponents(t *testing.T, w *World, node string) []string {
	t.Helper()
	var on []string
	for _, c := range optionPackComponents {
		if subcomponents(t, w, node)[c] == "0x1" {
			on = append(on, c)
		}
	}
	return on
}

func queryState(t *testing.T, w *World, node, svc string) string {
	t.Helper()
	r := run(t, w, node, "sc query "+svc)
	if r.code != 0 {
		return "MISSING"
	}
	for _, s := range []string{"RUNNING", "STOPPED", "START_PENDING", "STOP_PENDING"} {
		if strings.Contains(r.out, "  "+s+"\r\n") {
			return s
		}
	}
	return r.out
}

// resourceStatus is res's state in the model: the nt4 layout's listing
// prints Failed as Offline.
func resourceStatus(t *testing.T, w *World, res string) string {
	t.Helper()
	w.lock()
	defer w.unlock()
	r := w.cluster.resource(res)
	if r == nil {
		t.Fatalf("no resource %s", res)
	}
	return r.state
}

func canRunOn(w *World, res, node string) bool {
	w.lock()
	defer w.unlock()
	w.cluster.members[w.node(node).name] = w.clusterMember(w.node(node))
	return w.canRun(w.cluster.resource(res), w.node(node))
}

func incidentRules(w *World) []int {
	var rules []int
	for _, i := range w.Incidents() {
		rules = append(rules, i.Rule)
	}
	return rules
}

// The KB's order on a rebuilt node: cluster service stopped and manual,
// Custom install with NODE1's components, reboot, SP re-applied, reboot,
// cluster service started and automatic.
func TestKBOrderOnRebuiltNodeInstallsWithoutIncidents(t *testing.T) {
	w, clock := newTestWorld(t, "rebuilt-node")
	stopClusterService(t, w, "NODE2")
	writeUnattend(t, w, "NODE2", customUnattend(node1Components)...)
	mustRun(t, w, "NODE2", setupExe+" /u:"+unattendAt+" /s:C:\\NTOPTPAK\\EN\\X86\\WINNT.SRV /R:N")

	// Pending the reboot: nothing installed yet, the rename queue says why.
	if r := run(t, w, "NODE2", `reg query HKLM\SOFTWARE\Microsoft\InetStp`); r.code != 1 {
		t.Errorf("InetStp before the reboot: %+v", r)
	}
	if got := queryState(t, w, "NODE2", "W3SVC"); got != "MISSING" {
		t.Errorf("W3SVC before the reboot: %s", got)
	}
	if r := run(t, w, "NODE2", `reg query "HKLM\SYSTEM\CurrentControlSet\Control\Session Manager" /v PendingFileRenameOperations`); r.code != 0 || !strings.Contains(r.out, `!\??\C:\WINNT\system32\ole32.dll`) {
		t.Errorf("no pending file renames: %+v", r)
	}
	rebootWith(t, w, clock, "NODE2", "shutdown /L /R /T:0 /Y /C")

	expect(t, run(t, w, "NODE2", `reg query HKLM\SOFTWARE\Microsoft\InetStp /v MajorVersion`),
		"\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\InetStp\r\n    MajorVersion    REG_DWORD    0x4\r\n\r\n", 0)
	if got, want := strings.Join(installedComponents(t, w, "NODE2"), ","), strings.Join(installedComponents(t, w, "NODE1"), ","); got != want {
		t.Errorf("NODE2 components %s, NODE1 %s", got, want)
	}
	if sub := subcomponents(t, w, "NODE2"); sub["indexsrv_system"] != "0x0" || sub["iis_smtp"] != "0x0" {
		t.Errorf("unchecked components not 0: %v", sub)
	}
	for svc, want := range map[string]string{"IISADMIN": "RUNNING", "W3SVC": "RUNNING", "MSFTPSVC": "RUNNING", "ClusSvc": "STOPPED"} {
		if got := queryState(t, w, "NODE2", svc); got != want {
			t.Errorf("%s after the install's reboot: %s, want %s", svc, got, want)
		}
	}
	if r := run(t, w, "NODE2", `reg query "HKLM\SYSTEM\CurrentControlSet\Control\Session Manager" /v PendingFileRenameOperations`); r.code != 1 {
		t.Errorf("rename queue not emptied by the boot: %+v", r)
	}

	mustRun(t, w, "NODE2", updateExe+" -u -z -n -q")
	rebootWith(t, w, clock, "NODE2", "shutdown /r /t 0")
	expect(t, run(t, w, "NODE2", `reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion" /v CSDVersion`),
		"\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\r\n    CSDVersion    REG_SZ    Service Pack 4\r\n\r\n", 0)

	if r := run(t, w, "NODE2", "net start ClusSvc"); r.code != 0 {
		t.Fatalf("net start ClusSvc: %+v", r)
	}
	expect(t, run(t, w, "NODE2", "sc config ClusSvc start= auto"), "[SC] ChangeServiceConfig SUCCESS\r\n", 0)
	if r := run(t, w, "NODE1", "cluster node NODE2"); !strings.HasSuffix(r.out, "NODE2                2 Up\r\n") {
		t.Errorf("NODE2 not Up:\n%s", r.out)
	}
	// "Do not expect any WEB or FTP Instances to come online yet": the
	// fresh metabase has none of the cluster's sites until IISSYNC.
	for _, res := range []string{"Web Server", "FTP Server"} {
		if canRunOn(w, res, "NODE2") {
			t.Errorf("%s can run on NODE2 before the metabase sync", res)
		}
	}
	syncMetabase(t, w, "NODE1", "NODE2")
	for _, res := range []string{"Web Server", "FTP Server"} {
		if !canRunOn(w, res, "NODE2") {
			t.Errorf("%s can't run on NODE2 after the recovery", res)
		}
	}
	if got := incidentRules(w); len(got) != 0 {
		t.Errorf("incidents: %+v", w.Incidents())
	}
}

// Rule 1: setup while the cluster service runs corrupts the IIS cluster
// resources on both nodes, for good.
func TestSetupWithClusterServiceRunningCorruptsIISResources(t *testing.T) {
	w, clock := newTestWorld(t, "rebuilt-node")
	writeUnattend(t, w, "NODE2", customUnattend(node1Components)...)
	mustRun(t, w, "NODE2", setupExe+" /u:"+unattendAt+" /R:N")
	inc := w.Incidents()
	if len(inc) != 1 || inc[0].Rule != 1 || inc[0].Node != "NODE2" || !strings.Contains(inc[0].What, "while ClusSvc RUNNING") {
		t.Fatalf("incidents: %+v", inc)
	}
	for _, res := range []string{"Web Server", "FTP Server"} {
		if got := resourceStatus(t, w, res); got != "Failed" {
			t.Errorf("%s: %s, want Failed", res, got)
		}
	}
	if r := run(t, w, "NODE1", `cluster res "Web Server" /online`); r.code != errResourceFailed {
		t.Errorf("/online of a corrupted IIS resource: %+v", r)
	}
	rebootWith(t, w, clock, "NODE1", "shutdown /r /t 0")
	clock.Advance(emulated(2))
	if got := resourceStatus(t, w, "Web Server"); got != "Failed" {
		t.Errorf("Web Server after NODE1's reboot: %s", got)
	}
	if got := resourceStatus(t, w, "WEBVS"); got != "Online" {
		t.Errorf("the rest of the group suffered too: WEBVS %s", got)
	}
}

// Rule 1 holds for Remove All too, and for a cluster service merely pending.
func TestRemoveAllWhileClusterServiceStopPending(t *testing.T) {
	w, _ := newTestWorld(t, "corrupted-iis")
	if r := run(t, w, "NODE2", "sc stop ClusSvc"); r.code != 0 || !strings.Contains(r.out, "3  STOP_PENDING") {
		t.Fatalf("sc stop ClusSvc: %+v", r)
	}
	writeUnattend(t, w, "NODE2", removeAllUnattend...)
	run(t, w, "NODE2", setupExe+" /u:"+unattendAt+" /R:N")
	if got := incidentRules(w); len(got) != 1 || got[0] != 1 {
		t.Fatalf("incidents: %+v", w.Incidents())
	}
	if !strings.Contains(w.Incidents()[0].What, "STOP_PENDING") {
		t.Errorf("incident: %+v", w.Incidents()[0])
	}
}

// Rule 3: an install whose components differ from the working node's.
func TestTypicalInstallDiffersFromWorkingNode(t *testing.T) {
	w, clock := newTestWorld(t, "rebuilt-node")
	stopClusterService(t, w, "NODE2")
	writeUnattend(t, w, "NODE2", "[Version]", `Signature = "$Windows NT$"`, "[Global]", "FreshMode = Typical")
	mustRun(t, w, "NODE2", setupExe+" /u:"+unattendAt+" /R:N")
	inc := w.Incidents()
	if len(inc) != 1 || inc[0].Rule != 3 || !strings.Contains(inc[0].What, "NODE1's (+iis_smtp +indexsrv_system -iis_ftp)") {
		t.Fatalf("incidents: %+v", inc)
	}
	rebootWith(t, w, clock, "NODE2", "shutdown /r /t 0")
	if got := strings.Join(installedComponents(t, w, "NODE2"), ","); got != strings.Join(componentSet(typicalComponents), ",") {
		t.Errorf("typical install: %s", got)
	}
	if got := queryState(t, w, "NODE2", "MSFTPSVC"); got != "MISSING" {
		t.Errorf("MSFTPSVC without iis_ftp: %s", got)
	}
	mustRun(t, w, "NODE2", updateExe+" -u -n -q") // no -z: update.exe restarts the node itself
	clock.Advance(emulated(100))
	mustRun(t, w, "NODE2", "net start ClusSvc >nul")
	if canRunOn(w, "Web Server", "NODE2") {
		t.Error("Web Server can run on NODE2 whose components differ")
	}
	if !canRunOn(w, "Web Server", "NODE1") {
		t.Error("NODE1 suffered for NODE2's components")
	}
}

// Rule 4: the cluster service fails until the service pack is re-applied and
// the node restarted.
func TestClusterServiceFailsUntilServicePackReapplied(t *testing.T) {
	w, clock := newTestWorld(t, "rebuilt-node")
	stopClusterService(t, w, "NODE2")
	writeUnattend(t, w, "NODE2", customUnattend(node1Components)...)
	mustRun(t, w, "NODE2", setupExe+" /u:"+unattendAt+" /R:N")
	rebootWith(t, w, clock, "NODE2", "shutdown /r /t 0")

	if r := run(t, w, "NODE2", "sc start ClusSvc"); r.code != 0 || !strings.Contains(r.out, "START_PENDING") {
		t.Fatalf("sc start ClusSvc: %+v", r)
	}
	clock.Advance(emulated(2))
	r := run(t, w, "NODE2", "sc query ClusSvc")
	if !strings.Contains(r.out, "1  STOPPED") || !strings.Contains(r.out, "WIN32_EXIT_CODE    : 1067  (0x42b)") {
		t.Errorf("ClusSvc after a start without the SP:\n%s", r.out)
	}
	if got := incidentRules(w); len(got) != 1 || got[0] != 4 {
		t.Fatalf("incidents: %+v", w.Incidents())
	}
	// The service pack counts only once the node has restarted.
	mustRun(t, w, "NODE2", "sp4i386 -u -z -n -q 2>nul || "+updateExe+" /u /z /n /q")
	r = run(t, w, "NODE2", "net start ClusSvc")
	if r.code != 2 || !strings.Contains(r.err, "System error 1067 has occurred.") {
		t.Errorf("net start before the reboot: %+v", r)
	}
	if got := incidentRules(w); len(got) != 2 {
		t.Errorf("second start not recorded: %+v", w.Incidents())
	}
	rebootWith(t, w, clock, "NODE2", "shutdown /r /t 0")
	if r := run(t, w, "NODE2", "net start ClusSvc"); r.code != 0 {
		t.Errorf("net start after SP and reboot: %+v", r)
	}
	if got := incidentRules(w); len(got) != 2 {
		t.Errorf("incidents after the fix: %+v", w.Incidents())
	}
}

// A service pack applied before setup doesn't count: setup's files come after it.
func TestServicePackBeforeSetupDoesNotCount(t *testing.T) {
	w, clock := newTestWorld(t, "rebuilt-node")
	stopClusterService(t, w, "NODE2")
	mustRun(t, w, "NODE2", updateExe+" -u -z -n -q")
	writeUnattend(t, w, "NODE2", customUnattend(node1Components)...)
	mustRun(t, w, "NODE2", setupExe+" /u:"+unattendAt+" /R:N")
	rebootWith(t, w, clock, "NODE2", "shutdown /r /t 0")
	if r := run(t, w, "NODE2", "net start ClusSvc"); r.code == 0 {
		t.Errorf("ClusSvc started with setup's older files: %+v", r)
	}
}

// Remove All on a corrupt install reports errors, succeeds, and the node
// can then be reinstalled cleanly.
// Rule 4 after Remove All: setup on a node whose service pack was not
// re-applied since Remove All is recorded (and not when it was).
func TestSetupAfterRemoveAllWithoutServicePack(t *testing.T) {
	w, clock := newTestWorld(t, "corrupted-iis")
	stopClusterService(t, w, "NODE2")
	writeUnattend(t, w, "NODE2", removeAllUnattend...)
	if r := run(t, w, "NODE2", setupExe+" /u:"+unattendAt+" /R:N"); r.code != 0 {
		t.Fatalf("Remove All: %+v", r)
	}
	rebootWith(t, w, clock, "NODE2", "shutdown /r /t 0")
	if got := incidentRules(w); len(got) != 0 {
		t.Fatalf("incidents before setup: %+v", w.Incidents())
	}
	writeUnattend(t, w, "NODE2", customUnattend(node1Components)...)
	mustRun(t, w, "NODE2", setupExe+" /u:"+unattendAt+" /R:N")
	if got := incidentRules(w); len(got) != 1 || got[0] != 4 || !strings.Contains(w.Incidents()[0].What, "after Remove All without the service pack re-applied") {
		t.Fatalf("incidents: %+v", w.Incidents())
	}
}

func TestRemoveAllOnCorruptedIIS(t *testing.T) {
	w, clock := newTestWorld(t, "corrupted-iis")
	stopClusterService(t, w, "NODE2")
	writeUnattend(t, w, "NODE2", removeAllUnattend...)
	r := run(t, w, "NODE2", setupExe+" /u:"+unattendAt+" /R:N")
	if r.code != 0 || r.out != "" || !strings.HasPrefix(r.err, setupTitle+"Setup encountered errors while removing components:\r\n  Stopping service IISADMIN failed: The process terminated unexpectedly. (1067)\r\n") ||
		!strings.HasSuffix(r.err, setupTitle+"Remove All completed.\r\n") {
		t.Fatalf("Remove All: %+v", r)
	}
	expect(t, run(t, w, "NODE2", "sc start W3SVC"), "[SC] StartService FAILED 1072:\r\n\r\nThe specified service has been marked for deletion.\r\n\r\n", 1072)
	// Still installed until the reboot.
	if r := run(t, w, "NODE2", `reg query HKLM\SOFTWARE\Microsoft\InetStp /v MajorVersion`); r.code != 0 {
		t.Errorf("InetStp gone before the reboot: %+v", r)
	}
	rebootWith(t, w, clock, "NODE2", "shutdown /l /r /t:0 /y /c")
	for _, svc := range []string{"IISADMIN", "W3SVC", "MSFTPSVC"} {
		if got := queryState(t, w, "NODE2", svc); got != "MISSING" {
			t.Errorf("%s after Remove All: %s", svc, got)
		}
	}
	// "Normally, an uninstall of IIS will not remove the MSDTC components."
	if got := queryState(t, w, "NODE2", "MSDTC"); got != "STOPPED" {
		t.Errorf("MSDTC after Remove All: %s, want it kept", got)
	}
	if r := run(t, w, "NODE2", `reg query HKLM\SOFTWARE\Microsoft\InetStp`); r.code != 1 {
		t.Errorf("InetStp after Remove All: %+v", r)
	}
	if got := installedComponents(t, w, "NODE2"); len(got) != 0 {
		t.Errorf("components after Remove All: %v", got)
	}
	if sub := subcomponents(t, w, "NODE2"); sub["iis_www"] != "0x0" {
		t.Errorf("Subcomponents after Remove All: %v", sub)
	}
	mustRun(t, w, "NODE2", updateExe+" -u -z -n -q")
	rebootWith(t, w, clock, "NODE2", "shutdown /r /t 0")

	writeUnattend(t, w, "NODE2", customUnattend(node1Components)...)
	mustRun(t, w, "NODE2", setupExe+" /u:"+unattendAt+" /R:N")
	rebootWith(t, w, clock, "NODE2", "shutdown /r /t 0")
	mustRun(t, w, "NODE2", updateExe+" -u -z -n -q")
	rebootWith(t, w, clock, "NODE2", "shutdown /r /t 0")
	for svc, want := range map[string]string{"IISADMIN": "RUNNING", "W3SVC": "RUNNING", "MSFTPSVC": "RUNNING", "MSDTC": "STOPPED"} {
		if got := queryState(t, w, "NODE2", svc); got != want {
			t.Errorf("%s after the reinstall: %s, want %s", svc, got, want)
		}
	}
	if r := run(t, w, "NODE2", "net start ClusSvc"); r.code != 0 {
		t.Fatalf("net start ClusSvc: %+v", r)
	}
	if canRunOn(w, "Web Server", "NODE2") {
		t.Error("Web Server can run on the reinstalled NODE2 before the metabase sync")
	}
	syncMetabase(t, w, "NODE1", "NODE2")
	if !canRunOn(w, "Web Server", "NODE2") {
		t.Error("Web Server can't run on the reinstalled NODE2 after the metabase sync")
	}
	if !canRunOn(w, "MSDTC", "NODE2") {
		t.Error("MSDTC did not stay clustered on NODE2 through the reinstall")
	}
	if got := incidentRules(w); len(got) != 0 {
		t.Errorf("incidents: %+v", w.Incidents())
	}
}

func TestAddRemoveChangesComponents(t *testing.T) {
	w, clock := newTestWorld(t, "healthy")
	stopClusterService(t, w, "NODE2")
	writeUnattend(t, w, "NODE2", "[Version]", `Signature = "$Windows NT$"`, "[Global]", "MaintanenceMode = AddRemove", "[Components]", "iis_ftp = OFF", "iis_smtp = ON", "no_such_thing = ON")
	mustRun(t, w, "NODE2", setupExe+" /u:"+unattendAt+" /R:N")
	if got := incidentRules(w); len(got) != 1 || got[0] != 3 {
		t.Fatalf("incidents: %+v", w.Incidents())
	}
	if got := queryState(t, w, "NODE2", "MSFTPSVC"); got != "RUNNING" {
		t.Errorf("MSFTPSVC before the reboot: %s", got)
	}
	rebootWith(t, w, clock, "NODE2", "shutdown /r /t 0")
	if got := queryState(t, w, "NODE2", "MSFTPSVC"); got != "MISSING" {
		t.Errorf("MSFTPSVC after AddRemove without iis_ftp: %s", got)
	}
	sub := subcomponents(t, w, "NODE2")
	if sub["iis_smtp"] != "0x1" || sub["iis_ftp"] != "0x0" || sub["iis_www"] != "0x1" {
		t.Errorf("Subcomponents: %v", sub)
	}
}

func TestSetupErrors(t *testing.T) {
	w, _ := newTestWorld(t, "rebuilt-node")
	stopClusterService(t, w, "NODE2")
	sig := []string{"[Version]", `Signature = "$Windows NT$"`}
	for _, c := range []struct {
		name  string
		lines []string
		args  string
		code  int
		err   string
	}{
		{"missing file", nil, `/u:C:\temp\none.txt`, 2, "The unattend file C:\\temp\\none.txt could not be found.\r\n"},
		{"bad option", nil, "/x", 87, "invalid command-line option \"/x\".\r\nUsage: setup [/u:<unattend file>] [/s:<source folder>] [/R:N]\r\n"},
		{"missing source", sig, `/u:` + unattendAt + ` /s:D:\NTOPTPAK`, 3, "Setup cannot find its files in D:\\NTOPTPAK.\r\n"},
		{"no signature", []string{"[Global]", "FreshMode = Typical"}, "/u:" + unattendAt, 13, "is not valid: [Version] Signature = \"$Windows NT$\" is missing.\r\n"},
		{"bad mode", append(sig, "[Global]", "FreshMode = Complete"), "/u:" + unattendAt, 13, "is not valid: line 4: FreshMode = Complete: want Minimal, Typical or Custom.\r\n"},
		{"bad component value", append(sig, "[Components]", "iis_www = YES"), "/u:" + unattendAt, 13, "line 4: iis_www = YES: want ON or OFF.\r\n"},
		{"no line", append(sig, "[Global]", "FreshMode"), "/u:" + unattendAt, 13, "line 4: \"FreshMode\" is not a key = value line.\r\n"},
		{"no fresh mode", append(sig, "[Global]", "MaintanenceMode = RemoveAll"), "/u:" + unattendAt, 13, "must set FreshMode = Minimal, Typical or Custom in [Global].\r\n"},
		{"custom without components", append(sig, "[Global]", "FreshMode = Custom", "[Components]", "iis_www = OFF"), "/u:" + unattendAt, 13, "FreshMode = Custom selects no component"},
	} {
		if c.lines != nil {
			writeUnattend(t, w, "NODE2", c.lines...)
		}
		r := run(t, w, "NODE2", setupExe+" "+c.args)
		if r.code != c.code || r.out != "" || !strings.HasPrefix(r.err, setupTitle) || !strings.Contains(r.err, c.err) {
			t.Errorf("%s: %+v", c.name, r)
		}
	}
	// IIS present: only the maintenance modes apply, spelt as setup spells them.
	w2, _ := newTestWorld(t, "healthy")
	stopClusterService(t, w2, "NODE2")
	writeUnattend(t, w2, "NODE2", append(sig, "[Global]", "FreshMode = Custom", "MaintenanceMode = RemoveAll")...)
	if r := run(t, w2, "NODE2", setupExe+" /u:"+unattendAt); r.code != 13 || !strings.Contains(r.err, "MaintanenceMode = AddRemove or RemoveAll") {
		t.Errorf("dictionary spelling: %+v", r)
	}
	// A second setup before the reboot.
	writeUnattend(t, w2, "NODE2", removeAllUnattend...)
	mustRun(t, w2, "NODE2", setupExe+" /u:"+unattendAt+" /R:N")
	if r := run(t, w2, "NODE2", setupExe+" /u:"+unattendAt+" /R:N"); r.code != 1 || !strings.Contains(r.err, "waiting for the computer to restart") {
		t.Errorf("setup while a setup is pending: %+v", r)
	}
	if len(w.Incidents())+len(w2.Incidents()) != 0 {
		t.Errorf("incidents: %+v %+v", w.Incidents(), w2.Incidents())
	}
}

func TestSetupWithoutUnattendWaitsForTheWizard(t *testing.T) {
	w, _ := newTestWorld(t, "rebuilt-node")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h := w.Host("NODE2", `LAB\Administrator`, "", nil)
	prog, ok := h.LookupProgram(setupExe)
	if !ok {
		t.Fatal("setup.exe not found")
	}
	var out strings.Builder
	if code := prog(ctx, procFor(h, "", &out)); code != setupCancelled {
		t.Errorf("cancelled wizard: exit %d", code)
	}
}

func TestSetupWithoutRNRestartsTheNode(t *testing.T) {
	w, clock := newTestWorld(t, "rebuilt-node")
	stopClusterService(t, w, "NODE2")
	writeUnattend(t, w, "NODE2", "[Version]", `Signature = "$Windows NT$"`, "[Global]", "FreshMode = Minimal")
	mustRun(t, w, "NODE2", `cd /d C:\NTOPTPAK\EN\X86\WINNT.SRV && setup /u:`+unattendAt)
	clock.Advance(emulated(10))
	if w.Reachable("NODE2") {
		t.Fatal("setup without /R:N did not restart the node")
	}
	clock.Advance(emulated(90))
	if got := strings.Join(installedComponents(t, w, "NODE2"), ","); got != strings.Join(componentSet(minimalComponents), ",") {
		t.Errorf("minimal install: %s", got)
	}
}

func TestSetupRequiresServicePack3(t *testing.T) {
	sc, err := LoadScenario("rebuilt-node")
	if err != nil {
		t.Fatal(err)
	}
	sc.Nodes[1].CSDVersion = ""
	w, err := New(sc, Options{TimeScale: testScale})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	writeUnattend(t, w, "NODE2", "[Version]", `Signature = "$Windows NT$"`, "[Global]", "FreshMode = Minimal")
	if r := run(t, w, "NODE2", setupExe+" /u:"+unattendAt); r.code != 1 || !strings.Contains(r.err, "requires Windows NT 4.0 Service Pack 3") {
		t.Errorf("setup on NT 4.0 without SP: %+v", r)
	}
}

func TestServicePackPackagesAndLevels(t *testing.T) {
	sc, err := LoadScenario("rebuilt-node")
	if err != nil {
		t.Fatal(err)
	}
	sc.Nodes[1].ServicePacks = append(sc.Nodes[1].ServicePacks, ServicePackSpec{Path: `C:\SP6A\sp6i386.exe`, Level: "6a"}, ServicePackSpec{Path: `C:\SP5\I386\UPDATE\update.exe`, Level: "5"})
	clock := &fakeClock{t: time.Date(1999, 12, 1, 9, 0, 0, 0, time.UTC)}
	w, err := New(sc, Options{TimeScale: testScale, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	csd := func() string {
		return run(t, w, "NODE2", `reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion" /v CSDVersion`).out
	}
	mustRun(t, w, "NODE2", `C:\SP6A\sp6i386.exe /U /Z /N /Q`)
	if !strings.Contains(csd(), "Service Pack 4") {
		t.Errorf("CSDVersion changed before the reboot: %s", csd())
	}
	rebootWith(t, w, clock, "NODE2", "shutdown /r /t 0")
	if !strings.Contains(csd(), "REG_SZ    Service Pack 6\r\n") {
		t.Errorf("after SP6a: %s", csd())
	}
	if r := run(t, w, "NODE2", `reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Hotfix\Q246009" /v Installed`); r.code != 0 {
		t.Errorf("SP6a hotfix key: %+v", r)
	}
	mustRun(t, w, "NODE2", `C:\SP5\I386\UPDATE\update.exe -u -z`)
	rebootWith(t, w, clock, "NODE2", "shutdown /r /t 0")
	if !strings.Contains(csd(), "REG_SZ    Service Pack 5\r\n") {
		t.Errorf("after SP5: %s", csd())
	}
	if r := run(t, w, "NODE2", `reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Hotfix\Q246009"`); r.code != 1 {
		t.Errorf("SP6a key outlived SP5: %+v", r)
	}
	expect(t, run(t, w, "NODE2", updateExe+" -u -x"), updateUsage, 87)
	mustRun(t, w, "NODE2", `echo not a program> `+updateExe)
	if r := run(t, w, "NODE2", updateExe+" -u -z"); r.code != errBadExeFormat || r.err != updateExe+" is not a valid Windows NT application.\r\n" {
		t.Errorf("overwritten update.exe: %+v", r)
	}
}

func TestShutdownAbortRemoteAndPowerOff(t *testing.T) {
	w, clock := newTestWorld(t, "healthy")
	r := run(t, w, "NODE1", "shutdown /a")
	if r.code != 1116 || r.err != "NODE1: Unable to abort the system shutdown because no shutdown was in progress.(1116)\r\n" {
		t.Errorf("abort without shutdown: %+v", r)
	}
	mustRun(t, w, "NODE1", "shutdown -r -t 60")
	if r := run(t, w, "NODE1", "shutdown /r /t 0"); r.code != 1115 {
		t.Errorf("second shutdown: %+v", r)
	}
	clock.Advance(emulated(30))
	mustRun(t, w, "NODE1", "shutdown /l /a /y")
	clock.Advance(emulated(100))
	if !w.Reachable("NODE1") || len(w.Commands("NODE1")) == 0 {
		t.Fatal("aborted shutdown happened")
	}
	// Another node, Resource Kit style with a message, then XP style.
	mustRun(t, w, "NODE1", `shutdown \\NODE2 /R /T:5 "Option Pack setup" /Y /C`)
	clock.Advance(emulated(14))
	if !w.Reachable("NODE2") {
		t.Fatal("NODE2 went before /T:5 and the grace time")
	}
	clock.Advance(emulated(1))
	if w.Reachable("NODE2") {
		t.Fatal("remote reboot did not happen")
	}
	if r := run(t, w, "NODE1", `shutdown /r /m \\NODE2 /t 0`); r.code != 53 || r.err != "NODE2: The network path was not found.(53)\r\n" {
		t.Errorf("shutdown of a rebooting node: %+v", r)
	}
	clock.Advance(emulated(90))
	// Without /R the node powers off and stays off.
	mustRun(t, w, "NODE2", "shutdown /l /t:0 /y")
	clock.Advance(emulated(1000))
	if w.Reachable("NODE2") {
		t.Error("powered-off node came back")
	}
	expect(t, run(t, w, "NODE1", "shutdown"), shutdownUsage, 87)
	expect(t, run(t, w, "NODE1", "shutdown /?"), shutdownUsage, 0)
	expect(t, run(t, w, "NODE1", "shutdown /r /t:soon"), shutdownUsage, 87)
}

func TestParseShutdownArgs(t *testing.T) {
	for _, c := range []struct {
		line string
		want shutdownRequest
		ok   bool
	}{
		{"/L /R /T:0 /Y /C", shutdownRequest{reboot: true}, true},
		{"/r /t 0", shutdownRequest{reboot: true}, true},
		{"-r -f -t 15 -c \"patch\" -d p:4:1", shutdownRequest{reboot: true, seconds: 15}, true},
		{`\\node2 /r`, shutdownRequest{target: "node2", reboot: true, seconds: 20}, true},
		{`/m \\NODE1 /a`, shutdownRequest{target: "NODE1", abort: true, seconds: 20}, true},
		{"/l /y", shutdownRequest{seconds: 20}, true},
		{"/t", shutdownRequest{}, false},
		{"/m NODE1", shutdownRequest{}, false},
		{"/q", shutdownRequest{}, false},
	} {
		got, ok := parseShutdownArgs(splitForTest(c.line))
		if ok != c.ok || ok && got != c.want {
			t.Errorf("%q: %+v %v, want %+v %v", c.line, got, ok, c.want, c.ok)
		}
	}
}

func TestScenarioMediaValidation(t *testing.T) {
	for _, c := range []struct {
		node NodeSpec
		want string
	}{
		{NodeSpec{Name: "N1", OptionPackSetup: `D:\setup.exe`}, "option_pack_setup"},
		{NodeSpec{Name: "N1", OptionPackSetup: `C:\NTOPTPAK\install.exe`}, "option_pack_setup"},
		{NodeSpec{Name: "N1", ServicePacks: []ServicePackSpec{{Path: `C:\SP4\update.exe`, Level: "7"}}}, "level \"7\""},
		{NodeSpec{Name: "N1", ServicePacks: []ServicePackSpec{{Path: `C:\SP4\hotfix.exe`, Level: "4"}}}, "service_packs[0]: path"},
		{NodeSpec{Name: "N1", OptionPack: OptionPackSpec{Installed: true, Method: "custom", Components: []string{"iis_gopher"}}}, "unknown component"},
	} {
		sc := &Scenario{Domain: "LAB", Nodes: []NodeSpec{c.node}}
		if err := sc.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.node, err, c.want)
		}
	}
}

func TestInstallMethodFromComponents(t *testing.T) {
	for _, c := range []struct {
		comps []string
		want  string
	}{
		{minimalComponents, "minimal"},
		{[]string{"iis_www", "iis_inetmgr", "wsh_core"}, "minimal"}, // needs fill in the rest
		{typicalComponents, "typical"},
		{node1Components, "custom"},
	} {
		if got := installMethod(c.comps); got != c.want {
			t.Errorf("%v: %s, want %s", c.comps, got, c.want)
		}
	}
}

func splitForTest(line string) []string { return cmdshell.SplitArgs(line) }

func procFor(h cmdshell.Host, line string, out io.Writer) *cmdshell.Proc {
	return &cmdshell.Proc{Name: setupExe, Line: line, Args: cmdshell.SplitArgs(line), Stdin: strings.NewReader(""), Stdout: out, Stderr: out, Host: h}
}

// AddRemove doesn't mend a corrupt install: the KB's way is Remove All.
func TestAddRemoveKeepsCorruptInstallCorrupt(t *testing.T) {
	w, clock := newTestWorld(t, "corrupted-iis")
	stopClusterService(t, w, "NODE2")
	writeUnattend(t, w, "NODE2", "[Version]", `Signature = "$Windows NT$"`, "[Global]", "MaintanenceMode = AddRemove", "[Components]", "iis_www = ON")
	mustRun(t, w, "NODE2", setupExe+" /u:"+unattendAt+" /R:N")
	rebootWith(t, w, clock, "NODE2", "shutdown /r /t 0")
	if r := run(t, w, "NODE2", "sc query IISADMIN"); !strings.Contains(r.out, "1  STOPPED") || !strings.Contains(r.out, "1067") {
		t.Errorf("IISADMIN of a corrupt install after AddRemove:\n%s", r.out)
	}
	if got := incidentRules(w); len(got) != 0 {
		t.Errorf("incidents: %+v", w.Incidents())
	}
}

// Leaving the cluster service automatic across setup's reboot starts it at
// boot with setup's older files: rule 4, recorded by the boot itself.
func TestBootStartsClusterServiceBeforeServicePack(t *testing.T) {
	w, clock := newTestWorld(t, "rebuilt-node")
	if r := run(t, w, "NODE2", "net stop ClusSvc"); r.code != 0 {
		t.Fatalf("net stop ClusSvc: %+v", r)
	}
	writeUnattend(t, w, "NODE2", customUnattend(node1Components)...)
	mustRun(t, w, "NODE2", setupExe+" /u:"+unattendAt+" /R:N")
	rebootWith(t, w, clock, "NODE2", "shutdown /r /t 0")
	if got := incidentRules(w); len(got) != 1 || got[0] != 4 {
		t.Fatalf("incidents: %+v", w.Incidents())
	}
	if r := run(t, w, "NODE2", "sc query ClusSvc"); !strings.Contains(r.out, "WIN32_EXIT_CODE    : 1067  (0x42b)") {
		t.Errorf("ClusSvc after the boot:\n%s", r.out)
	}
}
