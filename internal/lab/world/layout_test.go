package world

import (
	"strings"
	"testing"
	"time"
)

// newLayoutWorld is newTestWorld printing the tools' 2003 layout.
func newLayoutWorld(t *testing.T, scenario string) *World {
	t.Helper()
	sc, err := LoadScenario(scenario)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Date(1999, 10, 1, 9, 0, 0, 0, time.UTC)}
	w, err := New(sc, Options{TimeScale: testScale, Now: clock.Now, ToolLayout: Layout2003})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

// The 2003 layout, typed from the format strings of XP and 2003's sc.exe
// (`%lx  WIN32_OWN_PROCESS `, `%d\t(0x%lx)`, rows ending in two blanks),
// reg.exe 3.0 (its version line, tabs, <NO NAME>) and 2003's cluster.exe
// (the value's type in the T column): not produced by the formatter.
func TestToolLayout2003(t *testing.T) {
	w := newLayoutWorld(t, "healthy")
	expect(t, run(t, w, "NODE1", "sc query ClusSvc"), "\r\n"+
		"SERVICE_NAME: ClusSvc\r\n"+
		"        TYPE               : 10  WIN32_OWN_PROCESS \r\n"+
		"        STATE              : 4  RUNNING \r\n"+
		"                                (STOPPABLE,NOT_PAUSABLE,ACCEPTS_SHUTDOWN)\r\n"+
		"        WIN32_EXIT_CODE    : 0\t(0x0)\r\n"+
		"        SERVICE_EXIT_CODE  : 0\t(0x0)\r\n"+
		"        CHECKPOINT         : 0x0\r\n"+
		"        WAIT_HINT          : 0x0\r\n"+
		"\r\n", 0)
	qc := run(t, w, "NODE1", "sc qc ClusSvc")
	expectLines(t, "sc qc", qc.out,
		"[SC] GetServiceConfig SUCCESS\r\n\r\nSERVICE_NAME: ClusSvc\r\n",
		"        TYPE               : 10  WIN32_OWN_PROCESS \r\n",
		"        START_TYPE         : 2   AUTO_START\r\n",
		"        LOAD_ORDER_GROUP   :   \r\n",
		"        TAG                : 0  \r\n",
		"        DISPLAY_NAME       : Cluster Server  \r\n")
	if !strings.HasSuffix(qc.out, "  \r\n") || strings.HasSuffix(qc.out, "\r\n\r\n") {
		t.Errorf("sc qc ends with its last row, no blank line: %q", qc.out[len(qc.out)-30:])
	}
	expect(t, run(t, w, "NODE1", `reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion" /v CurrentBuildNumber`),
		"\r\n! REG.EXE VERSION 3.0\r\n\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\r\n"+
			"    CurrentBuildNumber\tREG_SZ\t1381\r\n\r\n", 0)
	expectLines(t, "cluster res /prop", run(t, w, "NODE1", `cluster res "MSDTC" /prop`).out,
		"SR MSDTC                Name                           MSDTC\r\n",
		"S  MSDTC                Description                    \r\n",
		"DR MSDTC                PersistentState                1 (0x1)\r\n",
		"D  MSDTC                RestartAction                  2 (0x2)\r\n")
}

// expectLines checks that out holds each of lines.
func expectLines(t *testing.T, what, out string, lines ...string) {
	t.Helper()
	for _, line := range lines {
		if !strings.Contains(out, line) {
			t.Errorf("%s: no %q in\n%s", what, line, out)
		}
	}
}

func TestToolLayoutValidated(t *testing.T) {
	sc, err := LoadScenario("healthy")
	if err != nil {
		t.Fatal(err)
	}
	sc.ToolLayout = "xp"
	if err := sc.Validate(); err == nil || !strings.Contains(err.Error(), "tool_layout") {
		t.Fatalf("tool_layout xp: %v", err)
	}
	sc.ToolLayout = ""
	if _, err := New(sc, Options{ToolLayout: "vista"}); err == nil {
		t.Fatal("ToolLayout vista accepted")
	}
}

// cluster.exe's and net.exe's 2003 forms, typed from what issue 25 quotes
// (FORMATS.md, "Tool layouts"): /priv's title, the blank line ending each
// option's output, a resource's /listowners without a blank after its
// title, the error line on stdout and its text on stderr, -1 after the
// syntax screen, the group offline and delete lines; net localgroup one
// name a line.
func TestToolLayout2003_ClusterAndNet(t *testing.T) {
	w := newLayoutWorld(t, "healthy")
	expect(t, run(t, w, "NODE1", `cluster res "WEBVS" /priv`), "Listing private properties for 'WEBVS':\r\n\r\n"+
		"T  Resource             Name                           Value\r\n"+
		"-- -------------------- ------------------------------ -----------------------\r\n"+
		"S  WEBVS                CreatingDC                     \r\n"+
		"S  WEBVS                Name                           WEBVS\r\n"+
		"\r\n", 0)
	expect(t, run(t, w, "NODE1", `cluster res "MSDTC" /listowners`), "Listing possible owners for resource 'MSDTC':\r\n"+
		"Possible Owner Nodes\r\n--------------------\r\nNODE1\r\nNODE2\r\n\r\n", 0)
	r := run(t, w, "NODE1", `cluster group "No Group" /status`)
	if r.out != "System error 5013 has occurred (0x00001395).\r\n" || !strings.HasPrefix(r.err, "The cluster group could not be found.") || r.code != 5013 {
		t.Errorf("error split between stdout and stderr: %+v", r)
	}
	if r := run(t, w, "NODE1", "cluster bogus"); r.code != -1 || !strings.Contains(r.out, "CLUSTER [[/CLUSTER:]cluster-name]") {
		t.Errorf("syntax: %+v", r)
	}
	if r := run(t, w, "NODE1", `cluster group "Web Group" /offline`); !strings.HasPrefix(r.out, "Bringing resource group 'Web Group' offline...\r\n\r\n") ||
		!strings.HasSuffix(r.out, "Offline\r\n\r\n") {
		t.Errorf("group offline: %+v", r)
	}
	expect(t, run(t, w, "NODE1", `cluster res "FTP Server" /delete`), "Deleting resource 'FTP Server'\r\n\r\n", 0)
	r = run(t, w, "NODE2", "net localgroup")
	if !strings.Contains(r.out, "\r\n*Administrators\r\n*Backup Operators\r\n*Guests\r\n") {
		t.Errorf("net localgroup one a line: %q", r.out)
	}
}
