package world

import "testing"

func TestRegQueryValue(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	expect(t, run(t, w, "NODE2", `reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion" /v CSDVersion`),
		"\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\r\n    CSDVersion    REG_SZ    Service Pack 4\r\n\r\n", 0)
	expect(t, run(t, w, "NODE2", `reg query "HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion" /v currentbuildnumber`),
		"\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\r\n    CurrentBuildNumber    REG_SZ    1381\r\n\r\n", 0)
	expect(t, run(t, w, "NODE1", `reg query \\NODE2\HKLM\SOFTWARE\Microsoft\InetStp /v MajorVersion`),
		"\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\InetStp\r\n    MajorVersion    REG_DWORD    0x4\r\n\r\n", 0)
}

func TestRegQueryKeyListsValuesThenSubkeys(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	expect(t, run(t, w, "NODE1", `reg query HKLM\SOFTWARE\Microsoft\InetStp`),
		"\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\InetStp\r\n"+
			"    MajorVersion    REG_DWORD    0x4\r\n"+
			"    MinorVersion    REG_DWORD    0x0\r\n"+
			"    InstallPath    REG_SZ    C:\\WINNT\\System32\\inetsrv\r\n"+
			"    PathWWWRoot    REG_SZ    C:\\InetPub\\wwwroot\r\n"+
			"\r\n", 0)
	expect(t, run(t, w, "NODE1", `reg query HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Setup`),
		"\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Setup\r\n"+
			"\r\n"+
			"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Setup\\OC Manager\r\n", 0)
}

func TestRegQueryErrors(t *testing.T) {
	w, _ := newTestWorld(t, "rebuilt-node")
	const notFound = "ERROR: The system was unable to find the specified registry key or value.\r\n"
	for _, c := range []struct{ line, stderr string }{
		{`reg query HKLM\SOFTWARE\Microsoft\InetStp`, notFound},
		{`reg query HKLM\SOFTWARE\Microsoft\InetStp /v MajorVersion`, notFound},
		{`reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion" /v NoSuchValue`, notFound},
		{`reg query HKXX\SOFTWARE`, "ERROR: Invalid syntax.\r\nType \"REG QUERY /?\" for usage.\r\n"},
		{`reg query HKLM\SOFTWARE /v`, "ERROR: Invalid syntax.\r\nType \"REG QUERY /?\" for usage.\r\n"},
		{`reg frobnicate HKLM`, "ERROR: Invalid syntax.\r\nType \"REG QUERY /?\" for usage.\r\n"},
		{`reg query \\NODE9\HKLM\SOFTWARE`, "ERROR: The network path was not found.\r\n"},
	} {
		r := run(t, w, "NODE2", c.line)
		if r.err != c.stderr || r.out != "" || r.code != 1 {
			t.Errorf("%s: %+v", c.line, r)
		}
	}
}
