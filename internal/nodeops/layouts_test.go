package nodeops

import (
	"reflect"
	"strings"
	"testing"
)

// The tools' output as the Windows versions that really answer WinRM print
// it (XP and Server 2003, besides the TOOLS.md layouts Vista and later
// share): samples copied from where they were published, or written from
// the tools' own format strings, never produced by the lab's formatter.

// sc qc on XP SP1 as captured in a published walkthrough (GitHub Pages
// post "windows - phishing", 2022): `[SC] GetServiceConfig SUCCESS`, a
// blank after the type, two after each string row.
const xpSCQC = "[SC] GetServiceConfig SUCCESS\r\n" +
	"\r\n" +
	"SERVICE_NAME: upnphost\r\n" +
	"        TYPE               : 20  WIN32_SHARE_PROCESS \r\n" +
	"        START_TYPE         : 3   DEMAND_START\r\n" +
	"        ERROR_CONTROL      : 1   NORMAL\r\n" +
	"        BINARY_PATH_NAME   : C:\\inetpub\\wwwroot\\ns_shell.exe  \r\n" +
	"        LOAD_ORDER_GROUP   :   \r\n" +
	"        TAG                : 0  \r\n" +
	"        DISPLAY_NAME       : Universal Plug and Play Device Host  \r\n" +
	"        DEPENDENCIES       : SSDPSRV  \r\n" +
	"        SERVICE_START_NAME : LocalSystem\r\n"

// sc query on XP, the same capture; the exit codes' separator is the tab
// of sc.c's `%d\t(0x%lx)`, which the post shows expanded to blanks.
const xpSCQuery = "\r\n" +
	"SERVICE_NAME: SSDPSRV\r\n" +
	"        TYPE               : 20  WIN32_SHARE_PROCESS \r\n" +
	"        STATE              : 4  RUNNING \r\n" +
	"                                (STOPPABLE,NOT_PAUSABLE,ACCEPTS_SHUTDOWN)\r\n" +
	"        WIN32_EXIT_CODE    : 0\t(0x0)\r\n" +
	"        SERVICE_EXIT_CODE  : 0\t(0x0)\r\n" +
	"        CHECKPOINT         : 0x0\r\n" +
	"        WAIT_HINT          : 0x0\r\n"

// reg query on XP (reg.exe 3.0) as Microsoft's PowerShell documentation
// shows it (Working with Registry Entries), tabs shown as blanks.
const xpRegQueryDocs = "\r\n! REG.EXE VERSION 3.0\r\n\r\n" +
	"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\r\n" +
	"    DevicePath  REG_EXPAND_SZ   %SystemRoot%\\inf\r\n\r\n"

// The default value as reg.exe 3.0 names it, copied from a published unit
// test of a mailto handler (WindowsURISchemeHandlerTest); the same rows with
// the tabs reg.exe 3.0 writes (its blanks above land on 8-column tab stops).
const xpRegQueryNoName = "! REG.EXE VERSION 3.0\n\n" +
	"HKEY_CURRENT_USER\\mailto\\shell\\open\\command\n" +
	"    <NO NAME>   REG_EXPAND_SZ   \"%ProgramFiles%\\Outlook Express\\msimn.exe\" /mailurl:%1"

const xpRegQueryTabs = "\r\n! REG.EXE VERSION 3.0\r\n\r\n" +
	"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Transaction Server\\Packages\\{1}\r\n" +
	"    <NO NAME>\tREG_SZ\tIIS In-Process Applications\r\n" +
	"    Name\tREG_SZ\tIIS In-Process Applications\r\n" +
	"    Components\tREG_MULTI_SZ\tIISWAM.1\\0IISWAM.2\\0\\0\r\n" +
	"    Installed\tREG_DWORD\t0x1\r\n\r\n" +
	"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Transaction Server\\Packages\\{1}\\Sub\r\n"

// cluster res /prop rows of Windows 2000 and 2003's cluster.exe, written
// from its message file (cluster.mc): the T column is the value's type
// (MSG_PROPERTY_FORMAT_CHAR) then `R` for read-only or a blank, and rows are
// `%1!-20s! %2!-30s! %3!u! (0x%3!x!)`.
const w2kResourceProps = "Listing properties for 'MSDTC':\r\n\r\n" +
	"T  Resource             Name                           Value\r\n" +
	"-- -------------------- ------------------------------ -----------------------\r\n" +
	"SR MSDTC                Name                           MSDTC\r\n" +
	"S  MSDTC                Type                           Distributed Transaction Coordinator\r\n" +
	"D  MSDTC                RestartAction                  2 (0x2)\r\n" +
	"DR MSDTC                Flags                          0 (0x0)\r\n"

func TestParseSC_XPLayout(t *testing.T) {
	st, err := ParseSCQC(xpSCQC)
	if err != nil {
		t.Fatal(err)
	}
	if want := (ServiceStatus{Name: "upnphost", DisplayName: "Universal Plug and Play Device Host", StartType: StartManual, Exists: true}); st != want {
		t.Errorf("qc: got %+v, want %+v", st, want)
	}
	st, err = ParseSCQuery(xpSCQuery)
	if err != nil {
		t.Fatal(err)
	}
	if want := (ServiceStatus{Name: "SSDPSRV", State: StateRunning, Exists: true}); st != want {
		t.Errorf("query: got %+v, want %+v", st, want)
	}
	stopped := strings.NewReplacer("4  RUNNING ", "1  STOPPED ", "0\t(0x0)\r\n        SERVICE", "1067\t(0x42b)\r\n        SERVICE").Replace(xpSCQuery)
	if st, err := ParseSCQuery(stopped); err != nil || st.State != StateStopped || st.ExitCode != 1067 {
		t.Errorf("stopped with 1067: %+v %v", st, err)
	}
}

func TestParseRegQuery_XPLayout(t *testing.T) {
	keys, err := ParseRegQuery(xpRegQueryDocs)
	if err != nil || len(keys) != 1 || keys[0].Path != `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion` || keys[0].Value("DevicePath") != `%SystemRoot%\inf` {
		t.Fatalf("docs sample: %+v %v", keys, err)
	}
	keys, err = ParseRegQuery(xpRegQueryNoName)
	if err != nil || len(keys) != 1 || keys[0].Value("(Default)") != `"%ProgramFiles%\Outlook Express\msimn.exe" /mailurl:%1` {
		t.Fatalf("<NO NAME> sample: %+v %v", keys, err)
	}
	keys, err = ParseRegQuery(xpRegQueryTabs)
	if err != nil || len(keys) != 2 {
		t.Fatalf("tab sample: %+v %v", keys, err)
	}
	want := []RegValue{
		{Name: "(Default)", Type: "REG_SZ", Data: "IIS In-Process Applications"},
		{Name: "Name", Type: "REG_SZ", Data: "IIS In-Process Applications"},
		{Name: "Components", Type: "REG_MULTI_SZ", Data: `IISWAM.1\0IISWAM.2`},
		{Name: "Installed", Type: "REG_DWORD", Data: "0x1"},
	}
	if !reflect.DeepEqual(keys[0].Values, want) || keys[1].Path != `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Transaction Server\Packages\{1}\Sub` {
		t.Fatalf("tab sample:\ngot  %+v\nwant %+v", keys, want)
	}
	// reg.exe 3.0's errors begin "Error:", not "ERROR:".
	if _, err := ParseRegQuery("\r\nError:  Access is denied.\r\n"); err == nil || err == errRegNotFound {
		t.Fatalf("XP error: %v", err)
	}
	// A value whose data says "error:" is data, not an error.
	if keys, err := ParseRegQuery("\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\X\r\n    LastError    REG_SZ    error: none\r\n"); err != nil || keys[0].Value("LastError") != "error: none" {
		t.Fatalf("data with error: %+v %v", keys, err)
	}
}

func TestParseProps_W2KTypeColumn(t *testing.T) {
	got, err := ParseProps(w2kResourceProps)
	if err != nil {
		t.Fatal(err)
	}
	want := []Property{
		{ReadOnly: true, Name: "Name", Value: "MSDTC"},
		{Name: "Type", Value: "Distributed Transaction Coordinator"},
		{Name: "RestartAction", Value: "2 (0x2)"},
		{ReadOnly: true, Name: "Flags", Value: "0 (0x0)"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}
