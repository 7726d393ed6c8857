package nodeops

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// formatsRegQuery is `reg query` as the lab's FORMATS.md describes it: blank
// line, the full key name, `    NAME    TYPE    DATA` rows, blank, subkeys.
const formatsRegQuery = "\r\n" +
	"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Setup\\OC Manager\\Subcomponents\r\n" +
	"    iis_common    REG_DWORD    0x1\r\n" +
	"    iis_www    REG_DWORD    0x1\r\n" +
	"    iis_ftp    REG_DWORD    0x0\r\n" +
	"    Msmq_Server_Core    REG_DWORD    0x1\r\n" +
	"\r\n" +
	"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Setup\\OC Manager\\Subcomponents\\Extra\r\n"

// formatsRegQueryValue is `reg query KEY /v NAME`: blank, key, the one row, blank.
const formatsRegQueryValue = "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\r\n" +
	"    PendingFileRenameOperations    REG_MULTI_SZ    \\??\\C:\\WINNT\\system32\\SET1.tmp\\0!\\??\\C:\\WINNT\\system32\\ole32.dll\r\n\r\n"

func TestParseRegQuery(t *testing.T) {
	keys, err := ParseRegQuery(formatsRegQuery)
	if err != nil {
		t.Fatal(err)
	}
	want := RegKey{Path: `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Setup\OC Manager\Subcomponents`, Values: []RegValue{
		{"iis_common", "REG_DWORD", "0x1"}, {"iis_www", "REG_DWORD", "0x1"}, {"iis_ftp", "REG_DWORD", "0x0"}, {"Msmq_Server_Core", "REG_DWORD", "0x1"},
	}}
	if len(keys) != 2 || !reflect.DeepEqual(keys[0], want) || keys[1].Path != want.Path+`\Extra` || len(keys[1].Values) != 0 {
		t.Errorf("got %+v", keys)
	}
	keys, err = ParseRegQuery(formatsRegQueryValue)
	if err != nil || len(keys) != 1 || keys[0].Value("pendingfilerenameoperations") != `\??\C:\WINNT\system32\SET1.tmp\0!\??\C:\WINNT\system32\ole32.dll` {
		t.Errorf("value query: %+v, %v", keys, err)
	}
	// The NT Resource Kit's reg.exe separates with tabs; names may hold blanks.
	keys, err = ParseRegQuery("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\InetStp\n\tInstall Path\tREG_SZ\tC:\\WINNT\\System32\\inetsrv\n\tMajorVersion\tREG_DWORD\t0x4\n")
	if err != nil || keys[0].Value("Install Path") != `C:\WINNT\System32\inetsrv` || regDWORD(keys[0].Value("MajorVersion")) != 4 {
		t.Errorf("tabs: %+v, %v", keys, err)
	}
	if _, err := ParseRegQuery("ERROR: The system was unable to find the specified registry key or value.\r\n"); !errors.Is(err, errRegNotFound) {
		t.Errorf("not found: %v", err)
	}
	if _, err := ParseRegQuery("ERROR: Invalid syntax.\r\nType \"REG QUERY /?\" for usage.\r\n"); err == nil || errors.Is(err, errRegNotFound) {
		t.Errorf("syntax error: %v", err)
	}
	if _, err := ParseRegQuery("    orphan    REG_SZ    x\r\n"); err == nil {
		t.Error("a value row before any key was accepted")
	}
}

func TestServicePackLevel(t *testing.T) {
	for csd, want := range map[string]string{
		"Service Pack 4": "4", "Service Pack 6": "6", "service pack 6a": "6a", "": "", "RC 1.2": "", "Service Pack 3  ": "3",
	} {
		if got := ServicePackLevel(csd); got != want {
			t.Errorf("%q: %q, want %q", csd, got, want)
		}
	}
}

func TestMethodComponentsAndDerivedMethod(t *testing.T) {
	minimal, err := MethodComponents("Minimal")
	if err != nil || !reflect.DeepEqual(minimal, []string{"iis_common", "iis_inetmgr", "iis_www", "mts_core", "wsh_core"}) {
		t.Errorf("minimal: %v, %v", minimal, err)
	}
	typ, err := MethodComponents("typical")
	if err != nil || len(typ) != 10 {
		t.Errorf("typical: %v, %v", typ, err)
	}
	if _, err := MethodComponents("custom"); err == nil {
		t.Error("custom has no fixed set")
	}
	for _, c := range append(minimal, typ...) {
		if !known(c) {
			t.Errorf("%s is not in KnownComponents", c)
		}
	}
	if methodOf(minimal) != "minimal" || methodOf(typ) != "typical" || methodOf(node1Components) != "custom" || methodOf(nil) != "" {
		t.Error("derived methods wrong")
	}
}

// ntWkstaStats is `net statistics workstation` on a real node (layout as
// published output shows it).
const ntWkstaStats = "Workstation Statistics for \\\\SERVER2020\r\n\r\n\r\n" +
	"Statistics since 1/1/2021 6:08:25 PM\r\n\r\n\r\n" +
	"  Bytes received                               2994818\r\n" +
	"  Server Message Blocks (SMBs) received        8\r\n\r\n" +
	"The command completed successfully.\r\n\r\n"

func TestParseBootTime(t *testing.T) {
	bt, err := ParseBootTime(ntWkstaStats)
	if err != nil || bt.Raw != "1/1/2021 6:08:25 PM" || !bt.Time.Equal(time.Date(2021, 1, 1, 18, 8, 25, 0, time.UTC)) {
		t.Errorf("US: %+v, %v", bt, err)
	}
	// A German node: the date is kept raw even where it parses.
	bt, err = ParseBootTime("Server Statistics for \\\\XXX\r\n\r\n\r\nStatistics since 22.05.2017 14:48:02\r\n")
	if err != nil || bt.Raw != "22.05.2017 14:48:02" || bt.Time.Day() != 22 {
		t.Errorf("German: %+v, %v", bt, err)
	}
	bt, err = ParseBootTime("Statistics since 31/1/2018 12:46:11 \xe0\xb8\n")
	if err != nil || bt.Raw == "" {
		t.Errorf("unknown locale: %+v, %v", bt, err)
	}
	if _, err := ParseBootTime("The Workstation service is not started.\r\n"); !errors.Is(err, errUnreadableBootTime) {
		t.Errorf("no date: %v", err)
	}
}

// rebootingNode answers the reboot wait's probes from a script: each
// probe takes the next answer ("down", "shutting", or a boot time), the
// last one repeating.
type rebootingNode struct {
	script []string
	lines  []string
	// lost: the answers to shutdown are lost on the wire (it may or may
	// not have run); resent: the script the probes follow once a second
	// shutdown came.
	lost      bool
	resent    []string
	shutdowns int
}

func (r *rebootingNode) Node() string { return "NODE2" }

func (r *rebootingNode) Run(ctx context.Context, line string, readOnly bool) (winrm.Result, error) {
	r.lines = append(r.lines, line)
	if line == "shutdown /r /t 0" {
		r.shutdowns++
		if r.shutdowns == 2 && r.resent != nil {
			r.script = r.resent
		}
		if r.lost {
			return winrm.Result{}, fmt.Errorf("%w; `%s` %w, and was not retried because it changes the node",
				&winrm.Error{Kind: winrm.KindTransport, Detail: "NODE2 (https://node2:5986/wsman): the connection dropped before the answer was complete"}, line, winrm.ErrOutcomeUnknown)
		}
		return winrm.Result{}, nil
	}
	a := r.script[0]
	if len(r.script) > 1 {
		r.script = r.script[1:]
	}
	switch a {
	case "down":
		return winrm.Result{}, &winrm.Error{Kind: winrm.KindUnreachable, Detail: "NODE2 unreachable at https://node2:5986/wsman (connection refused)"}
	case "shutting":
		return winrm.Result{Stderr: "A system shutdown is in progress.\r\n", ExitCode: 1115}, nil
	case "garbled":
		return winrm.Result{Stdout: "?\r\n"}, nil
	case "starting":
		// net.exe early in a boot: NERR_WkstaNotStarted, a NET message
		// (FORMATS.md, net.exe's errors).
		return winrm.Result{Stderr: "The Workstation service has not been started.\r\n\r\nMore help is available by typing NET HELPMSG 2138.\r\n\r\n", ExitCode: 2}, nil
	}
	return winrm.Result{Stdout: "Workstation Statistics for \\\\NODE2\r\n\r\n\r\nStatistics since " + a + "\r\n"}, nil
}

func TestRebootWait(t *testing.T) {
	const old, boot = "10/1/1999 9:00:00 AM", "10/1/1999 9:11:30 AM"
	for _, c := range []struct {
		name   string
		script []string
		want   string // "" = success, else a substring of the error
	}{
		{"down then back", []string{old, old, "shutting", "down", "down", boot}, ""},
		// The down window fell between two polls: the boot time tells.
		{"down window missed", []string{old, boot}, ""},
		// Still up with the old boot time: not rebooted, however long.
		{"never goes down", []string{old}, "did not come back rebooted within 50ms (last seen: still up since " + old + ")"},
		{"back without rebooting", []string{old, "down", old}, "last seen: answering again but still up since " + old + " (not rebooted)"},
		{"stays down", []string{old, "down"}, "last seen: not answering: NODE2 unreachable at https://node2:5986/wsman (connection refused)"},
		// Answering before its Workstation service started: not up yet; the
		// new boot time, once readable, ends the wait.
		{"workstation starting after", []string{old, "down", "starting", "starting", boot}, ""},
		// No new boot time ever: not known to be rebooted, however it answers.
		{"boot time unreadable after", []string{old, "down", "garbled"}, "last seen: answering again, boot time not readable yet: "},
		{"workstation never starts", []string{old, "down", "starting"}, "The Workstation service has not been started"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &rebootingNode{script: c.script}
			err := (&Node{R: r, Poll: time.Millisecond}).Reboot(context.Background(), 50*time.Millisecond)
			switch {
			case c.want == "" && err != nil:
				t.Fatal(err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "NODE2: reboot: ")):
				t.Fatalf("got  %v\nwant %s", err, c.want)
			}
			if r.lines[0] != "net statistics workstation" || r.lines[1] != "shutdown /r /t 0" {
				t.Errorf("lines %v: the boot time is read before the shutdown", r.lines[:2])
			}
		})
	}
}

// TestRebootWait_LostAnswer: the answer to shutdown is lost on the wire (a
// node that reboots drops its connections). The boot time says whether the
// reboot happened; shutdown goes again, once, only to a node never seen
// going down that still runs since before after the grace.
func TestRebootWait_LostAnswer(t *testing.T) {
	t.Parallel() // its own lab or fakes; it mostly waits (polls, emulated reboots and moves)
	const old, boot = "10/1/1999 9:00:00 AM", "10/1/1999 9:11:30 AM"
	for _, c := range []struct {
		name      string
		poll      time.Duration // the grace is 60 polls
		script    []string
		resent    []string
		want      string // "" = success, else a substring of the error
		shutdowns int
	}{
		// The shutdown ran: the node goes down and comes back.
		{"rebooted", time.Millisecond, []string{old, old, "shutting", "down", boot}, nil, "", 1},
		{"rebooted, down window missed", time.Millisecond, []string{old, boot}, nil, "", 1},
		// Within the grace the old boot time is no evidence: not sent again
		// (an hour's poll: the grace is 2 minutes, or half the timeout).
		{"slow to go down", time.Hour, []string{old, old, old, old, "down", boot}, nil, "", 1},
		// The shutdown never ran: after the grace, sent again, once.
		{"never ran", time.Millisecond, []string{old}, []string{"down", boot}, "", 2},
		{"never ran, nor the second", time.Millisecond, []string{old}, []string{old},
			"did not come back rebooted within 1s (last seen: still up since " + old + ", shutdown sent again (its answer lost too))", 2},
		// Seen going down: never sent again, whatever it answers after.
		{"shutting down, then back unrebooted", time.Millisecond, []string{old, "shutting", old}, nil,
			"answering again but still up since " + old + " (not rebooted)", 1},
		{"down, then back unrebooted", time.Millisecond, []string{old, "down", old}, nil,
			"answering again but still up since " + old + " (not rebooted)", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &rebootingNode{script: c.script, resent: c.resent, lost: true}
			timeout := time.Second
			if c.poll == time.Hour {
				timeout = time.Hour // the grace outlasts the script
			}
			err := (&Node{R: r, Poll: c.poll}).Reboot(context.Background(), timeout)
			switch {
			case c.want == "" && err != nil:
				t.Fatal(err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("got  %v\nwant %s", err, c.want)
			}
			if r.shutdowns != c.shutdowns {
				t.Errorf("shutdown sent %d times, want %d: %v", r.shutdowns, c.shutdowns, r.lines)
			}
		})
	}
	// A shutdown that exits with an error of its own still fails the step.
	r := &rebootingNode{script: []string{"10/1/1999 9:00:00 AM"}}
	n := &Node{R: &failingShutdown{r}, Poll: time.Millisecond}
	if err := n.Reboot(context.Background(), time.Second); err == nil || !strings.Contains(err.Error(), "`shutdown /r /t 0` exited 5 (access is denied)") {
		t.Errorf("shutdown exiting 5: %v", err)
	}
}

// failingShutdown is a node whose shutdown.exe exits 5.
type failingShutdown struct{ *rebootingNode }

func (f *failingShutdown) Run(ctx context.Context, line string, readOnly bool) (winrm.Result, error) {
	if line == "shutdown /r /t 0" {
		return winrm.Result{Stderr: "NODE2: Access is denied.(5)\r\n", ExitCode: 5}, nil
	}
	return f.rebootingNode.Run(ctx, line, readOnly)
}

func TestInfo_SP6aAndNoOptionPack(t *testing.T) {
	notFound := []winrm.Result{{Stderr: "ERROR: The system was unable to find the specified registry key or value.\r\n", ExitCode: 1}}
	f := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{
		"hostname": ok("NODE2\r\n"),
		`reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion"`: ok("\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\r\n" +
			"    CurrentVersion    REG_SZ    4.0\r\n    CurrentBuildNumber    REG_SZ    1381\r\n    CSDVersion    REG_SZ    Service Pack 6\r\n\r\n"),
		`reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Hotfix\Q246009" /v Installed`:        ok("\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix\\Q246009\r\n    Installed    REG_DWORD    0x1\r\n\r\n"),
		`reg query HKLM\SOFTWARE\Microsoft\InetStp /v MajorVersion`:                                        notFound,
		`reg query "HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Setup\OC Manager\Subcomponents"`:        notFound,
		`reg query "HKLM\SYSTEM\CurrentControlSet\Control\Session Manager" /v PendingFileRenameOperations`: notFound,
		"sc query ClusSvc": ok(kbSCQueryRunning),
		"sc qc ClusSvc":    ok(scQCClusSvc),
	}}
	for _, s := range []string{"MSDTC", "IISADMIN", "W3SVC", "MSFTPSVC"} {
		f.answers["sc query "+s] = []winrm.Result{{Stdout: scNotFound, ExitCode: 1060}}
	}
	info, err := (&Node{R: f}).Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "NODE2" || info.OSVersion != "4.0" || info.Build != "1381" || info.CSDVersion != "Service Pack 6" || info.ServicePack != "6a" ||
		!reflect.DeepEqual(info.OptionPack, OptionPack{}) || len(info.Services) != 5 || !info.Services[0].Exists || info.Services[4].Exists {
		t.Errorf("got %+v", info)
	}
	for i, ro := range f.readOnly {
		if !ro {
			t.Errorf("%s not read-only", f.lines[i])
		}
	}
}
