package world

import (
	"strings"
	"testing"
)

// The layouts below are TOOLS.md's samples, typed in, not produced by sc's formatter.
const scQueryRunning = "\r\n" +
	"SERVICE_NAME: ClusSvc\r\n" +
	"        TYPE               : 10  WIN32_OWN_PROCESS\r\n" +
	"        STATE              : 4  RUNNING\r\n" +
	"                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)\r\n" +
	"        WIN32_EXIT_CODE    : 0  (0x0)\r\n" +
	"        SERVICE_EXIT_CODE  : 0  (0x0)\r\n" +
	"        CHECKPOINT         : 0x0\r\n" +
	"        WAIT_HINT          : 0x0\r\n" +
	"\r\n"

const scQueryStopped = "\r\n" +
	"SERVICE_NAME: ClusSvc\r\n" +
	"        TYPE               : 10  WIN32_OWN_PROCESS\r\n" +
	"        STATE              : 1  STOPPED\r\n" +
	"                                (NOT_STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN)\r\n" +
	"        WIN32_EXIT_CODE    : 0  (0x0)\r\n" +
	"        SERVICE_EXIT_CODE  : 0  (0x0)\r\n" +
	"        CHECKPOINT         : 0x0\r\n" +
	"        WAIT_HINT          : 0x0\r\n" +
	"\r\n"

func TestSCQuery(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	expect(t, run(t, w, "NODE1", "sc query ClusSvc"), scQueryRunning, 0)
	// Service names are case-insensitive; sc prints the installed name.
	expect(t, run(t, w, "NODE1", "sc.exe query clussvc"), scQueryRunning, 0)
	expect(t, run(t, w, "NODE1", `C:\WINNT\system32\sc.exe query CLUSSVC`), scQueryRunning, 0)
	expect(t, run(t, w, "NODE1", `sc \\NODE2 query ClusSvc`), scQueryRunning, 0)
}

func TestSCQueryShareProcessService(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	r := run(t, w, "NODE1", "sc query W3SVC")
	if !strings.Contains(r.out, "        TYPE               : 20  WIN32_SHARE_PROCESS\r\n") {
		t.Errorf("W3SVC shares inetinfo.exe:\n%s", r.out)
	}
}

func TestSCErrors(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	expect(t, run(t, w, "NODE1", "sc query NoSuch"), "[SC] OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n\r\n", 1060)
	expect(t, run(t, w, "NODE1", "sc start ClusSvc"), "[SC] StartService FAILED 1056:\r\n\r\nAn instance of the service is already running.\r\n\r\n", 1056)
	expect(t, run(t, w, "NODE2", "sc stop MSDTC"), "[SC] ControlService FAILED 1062:\r\n\r\nThe service has not been started.\r\n\r\n", 1062)
	expect(t, run(t, w, "NODE1", "sc stop IISADMIN"), "[SC] ControlService FAILED 1051:\r\n\r\nA stop control has been sent to a service which other running services are dependent on.\r\n\r\n", 1051)
	expect(t, run(t, w, "NODE1", `sc \\NODE7 query ClusSvc`), "[SC] OpenSCManager FAILED 1722:\r\n\r\nThe RPC server is unavailable.\r\n\r\n", 1722)
	// A failure is visible to the rest of the line.
	r := run(t, w, "NODE1", "sc query NoSuch >nul || echo failed")
	if r.out != "failed\r\n" {
		t.Errorf("|| after sc failure: %q", r.out)
	}
}

func TestSCStopAndStartGoThroughPendingStates(t *testing.T) {
	w, clock := newTestWorld(t, "healthy")
	r := run(t, w, "NODE2", "sc stop ClusSvc")
	expect(t, r, "\r\n"+
		"SERVICE_NAME: ClusSvc\r\n"+
		"        TYPE               : 10  WIN32_OWN_PROCESS\r\n"+
		"        STATE              : 3  STOP_PENDING\r\n"+
		"                                (STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN)\r\n"+
		"        WIN32_EXIT_CODE    : 0  (0x0)\r\n"+
		"        SERVICE_EXIT_CODE  : 0  (0x0)\r\n"+
		"        CHECKPOINT         : 0x1\r\n"+
		"        WAIT_HINT          : 0x7d0\r\n"+
		"\r\n", 0)
	if r := run(t, w, "NODE2", "sc query ClusSvc"); !strings.Contains(r.out, "3  STOP_PENDING") {
		t.Fatalf("not pending before the transition time:\n%s", r.out)
	}
	clock.Advance(emulated(2))
	expect(t, run(t, w, "NODE2", "sc query ClusSvc"), scQueryStopped, 0)
	r = run(t, w, "NODE2", "sc start ClusSvc")
	if !strings.Contains(r.out, "        STATE              : 2  START_PENDING\r\n                                (NOT_STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN)\r\n") || r.code != 0 {
		t.Fatalf("sc start: %+v", r)
	}
	clock.Advance(emulated(2))
	expect(t, run(t, w, "NODE2", "sc query ClusSvc"), scQueryRunning, 0)
}

func TestSCStartOfBrokenServiceStopsWithExitCode(t *testing.T) {
	w, clock := newTestWorld(t, "corrupted-iis")
	if r := run(t, w, "NODE2", "sc start IISADMIN"); r.code != 0 {
		t.Fatalf("sc start: %+v", r)
	}
	clock.Advance(emulated(2))
	r := run(t, w, "NODE2", "sc query IISADMIN")
	if !strings.Contains(r.out, "1  STOPPED") || !strings.Contains(r.out, "WIN32_EXIT_CODE    : 1067  (0x42b)") {
		t.Errorf("broken IISADMIN:\n%s", r.out)
	}
}

func TestSCQC(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	expect(t, run(t, w, "NODE1", "sc qc ClusSvc"), "[SC] QueryServiceConfig SUCCESS\r\n"+
		"\r\n"+
		"SERVICE_NAME: ClusSvc\r\n"+
		"        TYPE               : 10  WIN32_OWN_PROCESS\r\n"+
		"        START_TYPE         : 2   AUTO_START\r\n"+
		"        ERROR_CONTROL      : 1   NORMAL\r\n"+
		"        BINARY_PATH_NAME   : C:\\WINNT\\cluster\\clussvc.exe\r\n"+
		"        LOAD_ORDER_GROUP   : \r\n"+
		"        TAG                : 0\r\n"+
		"        DISPLAY_NAME       : Cluster Server\r\n"+
		"        DEPENDENCIES       : RpcSs\r\n"+
		"        SERVICE_START_NAME : LocalSystem\r\n"+
		"\r\n", 0)
	expect(t, run(t, w, "NODE1", "sc config ClusSvc start= demand"), "[SC] ChangeServiceConfig SUCCESS\r\n", 0)
	if r := run(t, w, "NODE1", "sc qc ClusSvc"); !strings.Contains(r.out, "        START_TYPE         : 3   DEMAND_START\r\n") {
		t.Errorf("after start= demand:\n%s", r.out)
	}
	expect(t, run(t, w, "NODE1", "sc config ClusSvc start= disabled"), "[SC] ChangeServiceConfig SUCCESS\r\n", 0)
	if r := run(t, w, "NODE1", "sc qc ClusSvc"); !strings.Contains(r.out, "        START_TYPE         : 4   DISABLED\r\n") {
		t.Errorf("after start= disabled:\n%s", r.out)
	}
	// The registry follows the SCM's configuration.
	expect(t, run(t, w, "NODE1", `reg query HKLM\SYSTEM\CurrentControlSet\Services\ClusSvc /v Start`),
		"\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\ClusSvc\r\n    Start    REG_DWORD    0x4\r\n\r\n", 0)
}

func TestSCConfigRejectsMalformedOptions(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	const invalid = "[SC] ChangeServiceConfig FAILED 87:\r\n\r\nThe parameter is incorrect.\r\n\r\n"
	for _, line := range []string{"sc config ClusSvc start=demand", "sc config ClusSvc start= sometimes", "sc config ClusSvc start=", "sc config ClusSvc"} {
		expect(t, run(t, w, "NODE1", line), invalid, 87)
	}
	if r := run(t, w, "NODE1", "sc qc ClusSvc"); !strings.Contains(r.out, "AUTO_START") {
		t.Errorf("a rejected config changed the start type:\n%s", r.out)
	}
}

func TestSCStartDisabledService(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	run(t, w, "NODE1", "sc config MSDTC start= disabled")
	// The MSDTC resource is online on NODE1 and needs the service: disabling
	// doesn't stop it, but a start of another disabled service fails.
	run(t, w, "NODE2", "sc config MSDTC start= disabled")
	expect(t, run(t, w, "NODE2", "sc start MSDTC"), "[SC] StartService FAILED 1058:\r\n\r\nThe service cannot be started, either because it is disabled or because it has no enabled devices associated with it.\r\n\r\n", 1058)
}
