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
