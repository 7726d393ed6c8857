package world

import (
	"strings"
	"testing"
)

func TestHostnameAndVer(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	expect(t, run(t, w, "NODE2", "hostname"), "NODE2\r\n", 0)
	expect(t, run(t, w, "NODE1", "hostname.exe"), "NODE1\r\n", 0)
	r := run(t, w, "NODE1", "hostname newname")
	if r.code != 1 || r.err != "sethostname: Use the Network Control Panel Applet to set hostname.\r\n" {
		t.Errorf("hostname newname: %+v", r)
	}
	expect(t, run(t, w, "NODE1", "ver"), "\r\nWindows NT Version 4.0  \r\n", 0)
}

func TestUsageTexts(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	if r := run(t, w, "NODE1", "cluster"); r.code != 87 || !strings.HasPrefix(r.out, "The syntax of this command is:\r\n") {
		t.Errorf("cluster: %+v", r)
	}
	if r := run(t, w, "NODE1", "cluster bogus words"); r.code != 87 {
		t.Errorf("cluster bogus: %+v", r)
	}
	if r := run(t, w, "NODE1", "sc"); r.code != 0 || !strings.HasPrefix(r.out, "DESCRIPTION:\r\n") {
		t.Errorf("sc: %+v", r)
	}
}

func TestCdChangesWhereProgramsAreFound(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	expect(t, run(t, w, "NODE1", `cd /d C:\WINNT\cluster & cd`), "C:\\WINNT\\cluster\r\n", 0)
	expect(t, run(t, w, "NODE1", `set PATH=C:\TEMP& cd /d C:\WINNT\cluster & cluster node NODE1 /status`), "Listing status for node 'NODE1':\r\n\r\n"+
		"Node           Node ID Status\r\n"+
		"-------------- ------- ---------------------\r\n"+
		"NODE1                1 Up\r\n", 0)
}
