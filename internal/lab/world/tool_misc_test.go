package world

import "testing"

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
