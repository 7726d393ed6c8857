package lab

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/masterzen/winrm"
)

// authMode is one way a WinRM client can reach a node.
type authMode struct {
	name  string
	https bool
	ntlm  bool
	// seal wraps NTLM in message encryption, as WinRM requires over HTTP.
	seal bool
}

var (
	httpsBasic = authMode{name: "https-basic", https: true}
	httpsNTLM  = authMode{name: "https-ntlm", https: true, ntlm: true}
	httpSealed = authMode{name: "http-ntlm-sealed", ntlm: true, seal: true}
	httpNTLM   = authMode{name: "http-ntlm-unsealed", ntlm: true}
	httpBasic  = authMode{name: "http-basic"}
)

func startLab(t testing.TB, opts Options) *Lab {
	t.Helper()
	if opts.Scenario == "" {
		opts.Scenario = "healthy"
	}
	l, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("Start(%+v): %v", opts, err)
	}
	t.Cleanup(l.Close)
	return l
}

// newClient is a masterzen/winrm client for node in the given mode, verifying
// the lab's CA on HTTPS.
func newClient(t testing.TB, l *Lab, node string, mode authMode, password string) *winrm.Client {
	t.Helper()
	ep, ok := l.Node(node)
	if !ok {
		t.Fatalf("no node %s in the lab", node)
	}
	raw := ep.HTTP
	if mode.https {
		raw = ep.HTTPS
	}
	return clientFor(t, raw, l.CAPEM(), l.Username(), password, mode)
}

func clientFor(t testing.TB, rawURL string, caPEM []byte, user, password string, mode authMode) *winrm.Client {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil || rawURL == "" {
		t.Fatalf("bad endpoint %q: %v", rawURL, err)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatalf("endpoint %q: %v", rawURL, err)
	}
	endpoint := winrm.NewEndpoint(u.Hostname(), port, mode.https, false, caPEM, nil, nil, 30*time.Second)
	params := *winrm.DefaultParameters
	switch {
	case mode.seal:
		params.TransportDecorator = func() winrm.Transporter {
			enc, err := winrm.NewEncryption("ntlm")
			if err != nil {
				t.Fatalf("NewEncryption: %v", err)
			}
			return enc
		}
	case mode.ntlm:
		params.TransportDecorator = func() winrm.Transporter { return &winrm.ClientNTLM{} }
	}
	c, err := winrm.NewClientWithParameters(endpoint, user, password, &params)
	if err != nil {
		t.Fatalf("NewClientWithParameters: %v", err)
	}
	return c
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs line in a fresh shell and fails the test on a transport error.
func run(t testing.TB, c *winrm.Client, line string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stdout, stderr, code, err := c.RunCmdWithContext(ctx, line)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return result{stdout, stderr, code}
}

// mustRun is run that also expects exit code 0.
func mustRun(t testing.TB, c *winrm.Client, line string) string {
	t.Helper()
	r := run(t, c, line)
	if r.code != 0 {
		t.Fatalf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", line, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

func wantContains(t testing.TB, what, got string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("%s: want %q in:\n%s", what, want, got)
		}
	}
}

// row finds the line of a tool's listing that starts with name followed by
// blanks, and returns its fields after the name.
func row(listing, name string) []string {
	for _, line := range strings.Split(listing, "\r\n") {
		rest, ok := strings.CutPrefix(line, name)
		if ok && (rest == "" || rest[0] == ' ') {
			return strings.Fields(rest)
		}
	}
	return nil
}

// freePortRange finds n consecutive free ports on 127.0.0.1 and returns the
// first, so a PortBase lab can start there.
func freePortRange(t testing.TB, n int) int {
	t.Helper()
	for range 50 {
		first, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr, ok := first.Addr().(*net.TCPAddr)
		if !ok {
			t.Fatalf("listener address %v is not TCP", first.Addr())
		}
		base := addr.Port
		held := []net.Listener{first}
		for p := base + 1; p < base+n && p <= 65535; p++ {
			ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err != nil {
				break
			}
			held = append(held, ln)
		}
		for _, ln := range held {
			_ = ln.Close()
		}
		if len(held) == n {
			return base
		}
	}
	t.Fatalf("found no %d consecutive free ports", n)
	return 0
}

func portURL(scheme string, port int) string {
	return scheme + "://127.0.0.1:" + strconv.Itoa(port) + "/wsman"
}
