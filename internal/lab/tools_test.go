package lab

import (
	"strings"
	"testing"
)

// Each tool of the cluster service phase once, end to end through WinRM.

func TestToolsServiceConfig(t *testing.T) {
	l := startLab(t, Options{})
	c := newClient(t, l, "NODE1", httpsNTLM, l.Password())

	out := mustRun(t, c, "sc query ClusSvc")
	wantContains(t, "sc query", out, "SERVICE_NAME: ClusSvc\r\n", "STATE              : 4  RUNNING")

	out = mustRun(t, c, "sc qc ClusSvc")
	wantContains(t, "sc qc", out, "[SC] QueryServiceConfig SUCCESS", "START_TYPE         : 2   AUTO_START")

	out = mustRun(t, c, "sc config ClusSvc start= demand")
	wantContains(t, "sc config", out, "[SC] ChangeServiceConfig SUCCESS")
	out = mustRun(t, c, "sc qc ClusSvc")
	wantContains(t, "sc qc after config", out, "START_TYPE         : 3   DEMAND_START")

	// The change is the node's own: the other node keeps its start type.
	other := newClient(t, l, "NODE2", httpsNTLM, l.Password())
	wantContains(t, "sc qc on NODE2", mustRun(t, other, "sc qc ClusSvc"), "AUTO_START")
}

func TestToolsClusterServiceStopStart(t *testing.T) {
	l := startLab(t, Options{})
	node1 := newClient(t, l, "NODE1", httpsNTLM, l.Password())
	node2 := newClient(t, l, "NODE2", httpSealed, l.Password())

	groups := mustRun(t, node2, "cluster group")
	wantContains(t, "cluster group", groups, "Cluster Group", "Web Group")
	if f := row(groups, "Web Group"); len(f) < 2 || f[len(f)-1] != "Online" {
		t.Fatalf("Web Group row = %q, want it Online", f)
	}

	out := mustRun(t, node1, "net stop ClusSvc")
	wantContains(t, "net stop", out, "service was stopped successfully.")
	wantContains(t, "sc query after stop", mustRun(t, node1, "sc query ClusSvc"), "STATE              : 1  STOPPED")

	nodes := mustRun(t, node2, "cluster node")
	if f := row(nodes, "NODE1"); len(f) != 2 || f[1] != "Down" {
		t.Errorf("NODE1 row after net stop = %q, want Down:\n%s", f, nodes)
	}
	groups = mustRun(t, node2, "cluster group")
	for _, g := range []string{"Cluster Group", "Web Group"} {
		if f := row(groups, g); len(f) < 1 || f[0] != "NODE2" {
			t.Errorf("%s row after NODE1's cluster service stopped = %q, want owner NODE2:\n%s", g, f, groups)
		}
	}
	state := worldState(t, l)
	if got := node(t, state, "NODE1").ClusterState; !strings.EqualFold(got, "down") {
		t.Errorf("GET /state: NODE1 cluster state %q, want Down", got)
	}
	if got := groupOwner(t, state, "Web Group"); got != "NODE2" {
		t.Errorf("GET /state: Web Group owner %q, want NODE2", got)
	}

	out = mustRun(t, node1, "net start ClusSvc")
	wantContains(t, "net start", out, "service was started successfully.")
	nodes = mustRun(t, node2, "cluster node")
	if f := row(nodes, "NODE1"); len(f) != 2 || f[1] != "Up" {
		t.Errorf("NODE1 row after net start = %q, want Up:\n%s", f, nodes)
	}
	if got := node(t, worldState(t, l), "NODE1").ClusterState; !strings.EqualFold(got, "up") {
		t.Errorf("GET /state: NODE1 cluster state %q after net start, want Up", got)
	}

	// Starting a running service is the documented NET 2182 error.
	r := run(t, node1, "net start ClusSvc")
	if r.code != 2 || !strings.Contains(r.stdout+r.stderr, "The requested service has already been started.") {
		t.Errorf("second net start = %+v, want exit 2 and NET 2182's text", r)
	}
}

func TestToolsClusterResourceProperties(t *testing.T) {
	l := startLab(t, Options{})
	c := newClient(t, l, "NODE1", httpsBasic, l.Password())

	out := mustRun(t, c, `cluster res "MSDTC" /prop`)
	wantContains(t, "cluster res /prop", out, "Listing properties for 'MSDTC':", "RestartAction", "2 (0x2)")

	mustRun(t, c, `cluster res "MSDTC" /prop RestartAction=1`)
	out = mustRun(t, c, `cluster res "MSDTC" /prop`)
	found := false
	for _, line := range strings.Split(out, "\r\n") {
		if strings.Contains(line, "RestartAction") {
			found = true
			if !strings.HasSuffix(strings.TrimSpace(line), "1 (0x1)") {
				t.Errorf("RestartAction after setting 1: %q", line)
			}
		}
	}
	if !found {
		t.Errorf("no RestartAction in:\n%s", out)
	}
	var props map[string]string
	for _, r := range worldState(t, l).Cluster.Resources {
		if r.Name == "MSDTC" {
			props = r.Properties
		}
	}
	if props["RestartAction"] != "1" {
		t.Errorf("GET /state: MSDTC properties %v, want RestartAction 1", props)
	}
}

func TestToolsNodeInfo(t *testing.T) {
	l := startLab(t, Options{})
	c := newClient(t, l, "NODE2", httpsNTLM, l.Password())

	if out := mustRun(t, c, "hostname"); out != "NODE2\r\n" {
		t.Errorf("hostname = %q", out)
	}
	wantContains(t, "ver", mustRun(t, c, "ver"), "Windows NT", "4.0")
	out := mustRun(t, c, `reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion" /v CSDVersion`)
	wantContains(t, "reg query", out, "CSDVersion", "REG_SZ", "Service Pack 4")

	// echo, redirection and type through the shell, with an expanded
	// variable. As in cmd.exe, the blank before && belongs to echo's text.
	mustRun(t, c, `echo built on %COMPUTERNAME%> C:\lab-note.txt && echo second line>> C:\lab-note.txt`)
	if out := mustRun(t, c, `type C:\lab-note.txt`); out != "built on NODE2 \r\nsecond line\r\n" {
		t.Errorf("type = %q", out)
	}
	// A file written on one node is not on the other.
	other := newClient(t, l, "NODE1", httpsNTLM, l.Password())
	if r := run(t, other, `type C:\lab-note.txt`); r.code == 0 {
		t.Errorf("NODE1 sees NODE2's file: %+v", r)
	}

	// Over WinRM a missing program as the line's last command exits 1;
	// inside the line ERRORLEVEL is 9009.
	r := run(t, c, "frobnicate /now")
	if r.code != 1 || !strings.Contains(r.stderr, "'frobnicate' is not recognized as an internal or external command,") {
		t.Errorf("unknown program = %+v, want 1 and cmd's text", r)
	}
	if r := run(t, c, "frobnicate /now & if errorlevel 9009 echo 9009"); r.code != 0 || r.stdout != "9009\r\n" {
		t.Errorf("ERRORLEVEL after an unknown program: %+v, want 9009", r)
	}
}
