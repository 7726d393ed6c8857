package world

import (
	"strings"
	"testing"
)

func TestNetStopAndStartByServiceAndDisplayName(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	expect(t, run(t, w, "NODE2", "net stop ClusSvc"), "The Cluster Server service is stopping.\r\nThe Cluster Server service was stopped successfully.\r\n\r\n", 0)
	// net waited: the service is stopped, not stop-pending.
	expect(t, run(t, w, "NODE2", "sc query ClusSvc"), scQueryStopped, 0)
	expect(t, run(t, w, "NODE2", `net start "Cluster Server"`), "The Cluster Server service is starting.\r\nThe Cluster Server service was started successfully.\r\n\r\n", 0)
	expect(t, run(t, w, "NODE2", "sc query ClusSvc"), scQueryRunning, 0)
	expect(t, run(t, w, "NODE2", "net stop cluster server"), "The Cluster Server service is stopping.\r\nThe Cluster Server service was stopped successfully.\r\n\r\n", 0)
}

func TestNetErrors(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	for _, c := range []struct{ line, stderr string }{
		{"net start ClusSvc", "The requested service has already been started.\r\n\r\nMore help is available by typing NET HELPMSG 2182.\r\n\r\n"},
		{"net start NoSuch", "The service name is invalid.\r\n\r\nMore help is available by typing NET HELPMSG 2185.\r\n\r\n"},
		{"net stop NoSuch", "The service name is invalid.\r\n\r\nMore help is available by typing NET HELPMSG 2185.\r\n\r\n"},
		{"net stop MSDTC", "The MSDTC service is not started.\r\n\r\nMore help is available by typing NET HELPMSG 3521.\r\n\r\n"},
	} {
		r := run(t, w, "NODE2", c.line)
		if r.err != c.stderr || r.out != "" || r.code != 2 {
			t.Errorf("%s: %+v", c.line, r)
		}
	}
	run(t, w, "NODE2", "sc config MSDTC start= disabled")
	r := run(t, w, "NODE2", "net start MSDTC")
	if r.err != "System error 1058 has occurred.\r\n\r\nThe service cannot be started, either because it is disabled or because it has no enabled devices associated with it.\r\n\r\n" || r.code != 2 {
		t.Errorf("disabled: %+v", r)
	}
}

func TestNetStartBrokenService(t *testing.T) {
	w, _ := newTestWorld(t, "corrupted-iis")
	r := run(t, w, "NODE2", "net start IISADMIN")
	expect(t, r, "The IIS Admin Service service is starting.\r\nThe IIS Admin Service service could not be started.\r\n\r\n", 2)
	if r.err != "A system error has occurred.\r\n\r\nSystem error 1067 has occurred.\r\n\r\nThe process terminated unexpectedly.\r\n\r\n" {
		t.Errorf("stderr %q", r.err)
	}
}

func TestNetStopWithDependents(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	prompt := "The following services are dependent on the IIS Admin Service service.\r\n" +
		"Stopping the IIS Admin Service service will also stop these services.\r\n\r\n" +
		"   World Wide Web Publishing Service\r\n" +
		"   FTP Publishing Service\r\n\r\n" +
		"Do you want to continue this operation? (Y/N) [N]: "
	// No answer on stdin is N.
	expect(t, run(t, w, "NODE2", "net stop IISADMIN"), prompt+"\r\n", 2)
	expect(t, run(t, w, "NODE2", "net stop IISADMIN /y"), prompt+"Y\r\n"+
		"The World Wide Web Publishing Service service is stopping.\r\nThe World Wide Web Publishing Service service was stopped successfully.\r\n\r\n"+
		"The FTP Publishing Service service is stopping.\r\nThe FTP Publishing Service service was stopped successfully.\r\n\r\n"+
		"The IIS Admin Service service is stopping.\r\nThe IIS Admin Service service was stopped successfully.\r\n\r\n", 0)
	r := run(t, w, "NODE2", "sc query W3SVC")
	if !strings.Contains(r.out, "1  STOPPED") {
		t.Errorf("W3SVC after net stop IISADMIN /y:\n%s", r.out)
	}
}

func TestNetStartListsStartedServices(t *testing.T) {
	w, _ := newTestWorld(t, "rebuilt-node")
	expect(t, run(t, w, "NODE2", "net start"), "These Windows NT services are started:\r\n\r\n"+
		"   Cluster Server\r\n"+
		"   EventLog\r\n"+
		"   Remote Procedure Call (RPC) Service\r\n"+
		"   Server\r\n"+
		"   Workstation\r\n"+
		"\r\nThe command completed successfully.\r\n\r\n", 0)
}

func TestNetHelpmsg(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	expect(t, run(t, w, "NODE1", "net helpmsg 1722"), "\r\nThe RPC server is unavailable.\r\n\r\n", 0)
	expect(t, run(t, w, "NODE1", "net helpmsg 2182"), "\r\nThe requested service has already been started.\r\n\r\n", 0)
	if r := run(t, w, "NODE1", "net bogus"); r.code != 1 || !strings.HasPrefix(r.out, "The syntax of this command is:") {
		t.Errorf("net bogus: %+v", r)
	}
}

// wkstaStatsTail ends `net statistics workstation` as NT prints it (the layout of
// the real tool's output, with the lab's zero counters).
const wkstaStatsTail = "\r\n\r\n\r\n" +
	"  Bytes received                               0\r\n" +
	"  Server Message Blocks (SMBs) received        0\r\n" +
	"  Bytes transmitted                            0\r\n" +
	"  Server Message Blocks (SMBs) transmitted     0\r\n" +
	"  Read operations                              0\r\n" +
	"  Write operations                             0\r\n" +
	"  Raw reads denied                             0\r\n" +
	"  Raw writes denied                            0\r\n" +
	"\r\n" +
	"  Network errors                               0\r\n" +
	"  Connections made                             0\r\n" +
	"  Reconnections made                           0\r\n" +
	"  Server disconnects                           0\r\n" +
	"\r\n" +
	"  Sessions started                             0\r\n" +
	"  Hung sessions                                0\r\n" +
	"  Failed sessions                              0\r\n" +
	"  Failed operations                            0\r\n" +
	"  Use count                                    0\r\n" +
	"  Failed use count                             0\r\n" +
	"\r\n" +
	"The command completed successfully.\r\n\r\n"

func TestNetStatisticsShowsTheBootTime(t *testing.T) {
	w, clock := newTestWorld(t, "healthy")
	// The world starts at the fake clock's 10/1/1999 9:00:00 AM.
	expect(t, run(t, w, "NODE2", "net statistics workstation"),
		"Workstation Statistics for \\\\NODE2\r\n\r\n\r\nStatistics since 10/1/1999 9:00:00 AM"+wkstaStatsTail, 0)
	r := run(t, w, "NODE2", "net stats srv")
	if !strings.HasPrefix(r.out, "Server Statistics for \\\\NODE2\r\n\r\n\r\nStatistics since 10/1/1999 9:00:00 AM\r\n\r\n\r\nSessions accepted                  0\r\n") ||
		!strings.Contains(r.out, "\r\nTimes buffers exhausted\r\n\r\n  Big buffers                      0\r\n  Request buffers                  0\r\n\r\nThe command completed successfully.\r\n\r\n") || r.code != 0 {
		t.Errorf("server statistics: %+v", r)
	}

	// Ten emulated minutes later the node reboots (90 s); the statistics
	// restart with the boot, in emulated time.
	clock.Advance(emulated(600))
	if err := w.Reboot("NODE2"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(emulated(90))
	expect(t, run(t, w, "NODE2", "net statistics wksta"),
		"Workstation Statistics for \\\\NODE2\r\n\r\n\r\nStatistics since 10/1/1999 9:11:30 AM"+wkstaStatsTail, 0)
	// NODE1 did not reboot.
	if r := run(t, w, "NODE1", "net statistics workstation"); !strings.Contains(r.out, "Statistics since 10/1/1999 9:00:00 AM\r\n") {
		t.Errorf("NODE1: %q", r.out)
	}
	r = run(t, w, "NODE2", "net statistics printer")
	if r.code != 1 || !strings.HasPrefix(r.out, "The syntax of this command is:") {
		t.Errorf("unknown service: %+v", r)
	}
	expect(t, run(t, w, "NODE2", "net statistics"), "Statistics are available for the following running services:\r\n\r\n   Server\r\n   Workstation\r\n\r\nThe command completed successfully.\r\n\r\n", 0)
}
