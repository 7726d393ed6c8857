package nodeops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// cmd.exe's answer for a program it cannot find, as Windows prints it.
func notRecognized(program string) string {
	return "'" + program + "' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"
}

// reg query output reg does not print is an error, never keys without
// values (which read as every value absent): cmd's message for a missing
// reg.exe, and rows of a layout not known here (type first, unindented).
func TestParseRegQuery_Unrecognised(t *testing.T) {
	for name, out := range map[string]string{
		"not recognized": notRecognized("reg"),
		"type first": "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\r\n" +
			"REG_SZ\tCSDVersion\tService Pack 6\r\n",
		"usage": "Usage: REG QUERY <key>\r\n",
	} {
		if keys, err := ParseRegQuery(out); err == nil {
			t.Errorf("%s: %+v, no error", name, keys)
		}
	}
	// The known forms still read, the key named in full or by its root.
	keys, err := ParseRegQuery("\r\nHKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\r\n    CSDVersion    REG_SZ    Service Pack 6\r\n")
	if err != nil || len(keys) != 1 || keys[0].Value("CSDVersion") != "Service Pack 6" {
		t.Errorf("HKLM key: %+v, %v", keys, err)
	}
}

// A registry read on a node without reg.exe fails naming the command and
// quoting cmd's message (or wording 9009), whatever the line's exit code (Windows gives 1 for
// a missing program last on its line): never "the value is absent".
func TestRegRead_MissingReg(t *testing.T) {
	for _, code := range []int{1, 9009} {
		f := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{}}
		line := `reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion" /v CSDVersion`
		f.answers[line] = []winrm.Result{{Stdout: notRecognized("reg"), ExitCode: code}}
		n := &Node{R: f}
		key, found, err := n.regQuery(context.Background(), "read the service pack", `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`, "CSDVersion")
		if err == nil || !strings.Contains(err.Error(), "reg query") ||
			!strings.Contains(err.Error(), "is not recognized") && !strings.Contains(err.Error(), "not installed") {
			t.Errorf("exit %d: %+v, found %v, %v; want an error naming the command and quoting its output", code, key, found, err)
		}
	}
}

// sc's failure lines: the XP-and-later form and the NT 4.0 Resource Kit's
// (issue 25: `[SC]EnumQueryServicesStatus:OpenService failed 1060`) both
// mean "no such service"; a missing sc.exe or an unknown layout is an error.
func TestParseSC_FailureForms(t *testing.T) {
	for _, out := range []string{
		"[SC] OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n\r\n",
		"[SC]EnumQueryServicesStatus:OpenService failed 1060\r\n\r\n",
	} {
		if _, err := ParseSCQuery(out); !errors.Is(err, ErrServiceNotFound) {
			t.Errorf("%q: %v, want ErrServiceNotFound", out, err)
		}
		if code := partExit(out); code != 1060 {
			t.Errorf("%q in a batch: exit %d, want 1060", out, code)
		}
	}
	if _, err := ParseSCQuery("[SC]OpenSCManager failed 1722\r\n"); err == nil || errors.Is(err, ErrServiceNotFound) {
		t.Errorf("NT 4.0 1722: %v", err)
	}
	for name, out := range map[string]string{
		"not recognized": notRecognized("sc"),
		"usage":          "DESCRIPTION:\r\n        SC is a command line program used for communicating with the\r\n",
		"no state":       "SERVICE_NAME: ClusSvc\r\n        TYPE               : 10  WIN32_OWN_PROCESS\r\n",
	} {
		if st, err := ParseSCQuery(out); err == nil {
			t.Errorf("sc query %s: %+v, no error", name, st)
		}
		if st, err := ParseSCQC(out); err == nil {
			t.Errorf("sc qc %s: %+v, no error", name, st)
		}
	}
}

// adsutil.vbs output that is not its ENUM layout is an error, not a
// metabase with nothing in it: the 1997 script's answer to ENUM_ALL (issue
// 25), a missing script, an output without a property. A password line
// never reaches the diagnostic.
func TestParseAdsutilEnum_Unrecognised(t *testing.T) {
	for name, out := range map[string]string{
		"no ENUM_ALL":    "ENUM_ALL Command not yet supported\r\n",
		"no script":      "Input Error: Can not find script file \"C:\\WINNT\\System32\\inetsrv\\adminsamples\\adsutil.vbs\".\r\n",
		"not recognized": notRecognized("cscript"),
		"empty":          "\r\n",
		"paths only":     "[/w3svc/1]\r\n[/w3svc/2]\r\n",
	} {
		if nodes, err := ParseAdsutilEnum(out); err == nil {
			t.Errorf("%s: %v, no error", name, nodes)
		}
	}
	// The old script prints the passwords in clear: never kept.
	inClear := "AnonymousUserName               : (STRING) \"LAB\\IUSR_CLUSTER\"\r\n" +
		"AnonymousUserPass               : (STRING) \"s3cret\"\r\nWAMUserPass                     : (STRING) \"s3cret\"\r\n"
	if nodes, err := ParseAdsutilEnum(inClear); err != nil || fmt.Sprint(nodes) != `map[:map[AnonymousUserName:[LAB\IUSR_CLUSTER]]]` {
		t.Errorf("passwords kept: %v, %v", nodes, err)
	}
	secret := "WAMUserPass                     : (STRING) \"s3cret\"\r\nThis line is not adsutil's\r\n"
	_, err := ParseAdsutilEnum(secret)
	if err == nil || strings.Contains(err.Error(), "s3cret") || strings.Contains(withoutPasswords(secret), "s3cret") {
		t.Errorf("a password line reached the diagnostic: %v / %q", err, withoutPasswords(secret))
	}
}

// An MTS package listing with no key in it (exit 0, nothing printed) is not
// reg's: an error naming the command, never "no packages", which would let
// IISSYNC's losses go unseen.
func TestReadMTS_EmptyListing(t *testing.T) {
	local := regQ{mtsLocalKey, ""}
	localLine, err := local.line()
	if err != nil {
		t.Fatal(err)
	}
	packagesLine := "reg query " + quoteKey(mtsPackagesKey) + " /s"
	f := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{
		packagesLine: {{Stdout: "\r\n"}},
		localLine:    {{Stdout: "\r\n" + mtsLocalKey + "\r\n    ReplicationShare    REG_SZ    \r\n"}},
	}}
	cfg := IISConfig{Packages: map[string]string{}}
	if err := (&Node{R: f}).readMTS(context.Background(), &cfg); err == nil || !strings.Contains(err.Error(), "`"+packagesLine+"`") {
		t.Errorf("packages %v, %v; want an error naming the command", cfg.Packages, err)
	}
}
