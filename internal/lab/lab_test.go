package lab

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
)

func TestAuthModes(t *testing.T) {
	strict := startLab(t, Options{})
	relaxed := startLab(t, Options{AllowUnencrypted: true})
	for _, tc := range []struct {
		lab  *Lab
		mode authMode
		// refusedWith is the HTTP status of a refusal, "" when the command runs.
		refusedWith string
	}{
		{strict, httpsBasic, ""},
		{strict, httpsNTLM, ""},
		{strict, httpSealed, ""},
		// A default WinRM service takes nothing unsealed over plain HTTP: Basic
		// is challenged again (401); an NTLM-authenticated but unsealed body is
		// answered 500, as Windows does ("unencrypted message forbidden").
		{strict, httpBasic, "401"},
		{strict, httpNTLM, "500"},
		{relaxed, httpBasic, ""},
		{relaxed, httpSealed, ""},
	} {
		name := tc.mode.name
		if tc.lab == relaxed {
			name += "/allow-unencrypted"
		}
		t.Run(name, func(t *testing.T) {
			c := newClient(t, tc.lab, "NODE2", tc.mode, tc.lab.Password())
			logged := len(tc.lab.World().Commands(""))
			stdout, stderr, code, err := c.RunCmdWithContext(t.Context(), "hostname")
			if tc.refusedWith != "" {
				if err == nil {
					t.Fatalf("hostname ran (exit %d, %q) though %s must be refused", code, stdout, tc.mode.name)
				}
				if !strings.Contains(err.Error(), tc.refusedWith) {
					t.Errorf("refused request: %v, want HTTP %s", err, tc.refusedWith)
				}
				if n := len(tc.lab.World().Commands("")); n != logged {
					t.Errorf("command log grew by %d entries on a refused request", n-logged)
				}
				return
			}
			if err != nil {
				t.Fatalf("hostname: %v", err)
			}
			if stdout != "NODE2\r\n" || stderr != "" || code != 0 {
				t.Errorf("hostname = %q, %q, exit %d; want NODE2 CRLF, no stderr, exit 0", stdout, stderr, code)
			}
		})
	}
}

func TestWrongPasswordFails(t *testing.T) {
	l := startLab(t, Options{})
	for _, mode := range []authMode{httpsBasic, httpsNTLM, httpSealed} {
		t.Run(mode.name, func(t *testing.T) {
			c := newClient(t, l, "NODE1", mode, l.Password()+"x")
			if _, _, code, err := c.RunCmdWithContext(t.Context(), "hostname"); err == nil {
				t.Fatalf("hostname with a wrong password ran (exit %d)", code)
			}
		})
	}
	if n := len(l.World().Commands("")); n != 0 {
		t.Errorf("command log has %d entries after failed logons", n)
	}
}

func TestReadyInfo(t *testing.T) {
	l := startLab(t, Options{Scenario: "rebuilt-node", HTTPSOnly: true})
	info, err := ReadReadyFile(l.ReadyFile())
	if err != nil {
		t.Fatal(err)
	}
	if info.Username != `LAB\Administrator` || info.Password == "" || info.Password != l.Password() {
		t.Errorf("ready file credentials = %q / %d-char password, want LAB\\Administrator and the lab's password", info.Username, len(info.Password))
	}
	if info.CAFile != l.CAFile() || info.ControlURL != l.ControlURL() || info.Scenario != "rebuilt-node" {
		t.Errorf("ready file = %+v, lab = %+v", info, l.Ready())
	}
	pem, err := os.ReadFile(info.CAFile)
	if err != nil || string(pem) != string(l.CAPEM()) {
		t.Errorf("CA file %s does not hold the lab's CA (err %v)", info.CAFile, err)
	}
	if len(info.Nodes) != 2 || info.Nodes[0].Name != "NODE1" || info.Nodes[1].Name != "NODE2" {
		t.Fatalf("nodes = %+v, want NODE1 and NODE2", info.Nodes)
	}
	for _, n := range info.Nodes {
		if n.HTTP != "" || !strings.HasPrefix(n.HTTPS, "https://127.0.0.1:") || !strings.HasSuffix(n.HTTPS, "/wsman") {
			t.Errorf("node %+v: want only an https://127.0.0.1:PORT/wsman endpoint", n)
		}
	}
	st, err := os.Stat(l.ReadyFile())
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("ready file mode = %v (err %v), want 0600: it holds a password", st.Mode(), err)
	}
}

func TestPortBase(t *testing.T) {
	// Two nodes' four ports, the control API's, then one per web site:
	// the range held free must cover the sites too (with 5 it once met a
	// site's port taken by another test's connection).
	const ports = 8
	base := freePortRange(t, ports)
	l := startLab(t, Options{PortBase: base})
	for addr, u := range l.Sites() {
		if !strings.HasPrefix(u, "http://127.0.0.1:") {
			t.Fatalf("site %s at %s", addr, u)
		}
		if p, err := strconv.Atoi(strings.TrimPrefix(u, "http://127.0.0.1:")); err != nil || p < base+5 || p >= base+ports {
			t.Errorf("site %s at %s, outside the ports %d to %d the test held free", addr, u, base+5, base+ports-1)
		}
	}
	nodes := l.Nodes()
	want := []NodeEndpoint{
		{"NODE1", "node1.lab.test", portURL("http", base), portURL("https", base+1)},
		{"NODE2", "node2.lab.test", portURL("http", base+2), portURL("https", base+3)},
	}
	for i := range want {
		if nodes[i] != want[i] {
			t.Errorf("node %d = %+v, want %+v", i, nodes[i], want[i])
		}
	}
	if l.ControlURL() != strings.TrimSuffix(portURL("http", base+4), "/wsman") {
		t.Errorf("control URL = %s, want port %d", l.ControlURL(), base+4)
	}
	mustRun(t, newClient(t, l, "NODE1", httpsNTLM, l.Password()), "hostname")
}

func TestCloseRemovesTempDir(t *testing.T) {
	l, err := Start(t.Context(), Options{Scenario: "healthy"})
	if err != nil {
		t.Fatal(err)
	}
	dir := l.Dir()
	l.Close()
	l.Close() // twice is harmless
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("temp dir %s still there after Close (err %v)", dir, err)
	}
}

func TestDirOption(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lab")
	l, err := Start(t.Context(), Options{Scenario: "healthy", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if l.CAFile() != filepath.Join(dir, "ca.pem") || l.ReadyFile() != filepath.Join(dir, "lab.json") {
		t.Errorf("CA file %s, ready file %s, want both in %s", l.CAFile(), l.ReadyFile(), dir)
	}
	if _, err := ReadReadyFile(l.ReadyFile()); err != nil {
		t.Error(err)
	}
	l.Close()
	if _, err := os.Stat(l.ReadyFile()); !os.IsNotExist(err) {
		t.Errorf("ready file left after Close (stat err %v)", err)
	}
	if _, err := os.Stat(l.CAFile()); err != nil {
		t.Errorf("the CA file in a folder of the caller's went away: %v", err)
	}
}

func TestCancelledContextClosesLab(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	l, err := Start(ctx, Options{Scenario: "healthy"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	c := newClient(t, l, "NODE1", httpsNTLM, l.Password())
	mustRun(t, c, "hostname")
	cancel()
	// Close runs on its own goroutine after the cancel; the deadline only
	// guards against a hang.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(l.Dir()); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lab did not close after its context was cancelled")
		}
	}
	if _, _, _, err := c.RunCmdWithContext(t.Context(), "hostname"); err == nil {
		t.Error("hostname ran on a closed lab")
	}
}

func TestStartErrors(t *testing.T) {
	for _, opts := range []Options{
		{},
		{Scenario: "no-such-scenario"},
		{Scenario: "/nonexistent/scenario.json"},
	} {
		if l, err := Start(t.Context(), opts); err == nil {
			l.Close()
			t.Errorf("Start(%+v) succeeded", opts)
		}
	}
}

func TestNoIncidentsInNormalUse(t *testing.T) {
	l := startLab(t, Options{})
	c := newClient(t, l, "NODE1", httpsNTLM, l.Password())
	for _, line := range []string{"hostname", "ver", "sc query ClusSvc", "sc qc ClusSvc", "cluster node", "cluster group", "cluster res", `cluster res "MSDTC" /prop`} {
		mustRun(t, c, line)
	}
	incidents, err := l.Control().Incidents()
	if err != nil {
		t.Fatal(err)
	}
	if len(incidents) != 0 {
		t.Errorf("incidents = %+v, want none", incidents)
	}
}

func TestCommandLog(t *testing.T) {
	l := startLab(t, Options{})
	c := newClient(t, l, "NODE2", httpsBasic, l.Password())
	mustRun(t, c, "sc query ClusSvc")
	if r := run(t, c, "sc query NoSuchService"); r.code != 1060 {
		t.Errorf("sc query NoSuchService: exit %d, want 1060", r.code)
	}
	records, err := l.Control().Commands("node2")
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 2 {
		t.Fatalf("NODE2 log = %+v, want the two sc commands", records)
	}
	for i, want := range []struct {
		args string
		code int
	}{{"query ClusSvc", 0}, {"query NoSuchService", 1060}} {
		r := records[i]
		if r.Node != "NODE2" || !strings.EqualFold(r.Program, "sc") || r.Args != want.args || r.ExitCode != want.code || !strings.Contains(r.User, "Administrator") {
			t.Errorf("record %d = %+v, want sc %s by Administrator exiting %d", i, r, want.args, want.code)
		}
	}
	if records[0].Seq >= records[1].Seq {
		t.Errorf("seq not increasing: %d then %d", records[0].Seq, records[1].Seq)
	}
	node1, err := l.Control().Commands("NODE1")
	if err != nil || len(node1) != 0 {
		t.Errorf("NODE1 log = %+v (err %v), want empty", node1, err)
	}
	all, err := l.Control().Commands("")
	if err != nil || len(all) != 2 {
		t.Errorf("whole log = %+v (err %v), want the two records", all, err)
	}
}

// The world's Go API and the control API describe the same world.
func TestWorldAccess(t *testing.T) {
	l := startLab(t, Options{})
	var _ world.API = l.World()
	if got := l.World().NodeNames(); len(got) != 2 {
		t.Errorf("NodeNames = %v", got)
	}
}
