package wsman

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/masterzen/winrm"
)

const (
	testUser     = "Administrator"
	testPassword = "P@ssw0rd!"
)

type testAccounts struct{}

func (testAccounts) Password(user, domain string) (string, bool) {
	if !strings.EqualFold(user, testUser) {
		return "", false
	}
	if domain != "" && !strings.EqualFold(domain, "LAB") && !strings.EqualFold(domain, "NODE1") {
		return "", false
	}
	return testPassword, true
}

// fakeExecutor interprets a few command lines so each verb can be observed.
type fakeExecutor struct{}

func (fakeExecutor) Run(ctx context.Context, cmd Command) int {
	name, arg, _ := strings.Cut(cmd.Line, " ")
	switch name {
	case "echo":
		fmt.Fprintf(cmd.Stdout, "%s\r\n", arg)
		return 0
	case "fail":
		fmt.Fprintf(cmd.Stderr, "failed\r\n")
		code, _ := strconv.Atoi(arg)
		return code
	case "cat":
		data, _ := io.ReadAll(cmd.Stdin)
		_, _ = cmd.Stdout.Write(data)
		return 0
	case "whoami":
		fmt.Fprintf(cmd.Stdout, "%s|%s|%s\r\n", cmd.User, cmd.WorkingDirectory, cmd.Env["LAB_VAR"])
		return 0
	case "sleep":
		d, _ := time.ParseDuration(arg)
		select {
		case <-time.After(d):
			fmt.Fprintf(cmd.Stdout, "slept\r\n")
			return 0
		case <-ctx.Done():
			return 1
		}
	case "wait":
		<-ctx.Done()
		return 130
	case "big":
		n, _ := strconv.Atoi(arg)
		_, _ = cmd.Stdout.Write(bytes.Repeat([]byte("x"), n))
		return 0
	}
	fmt.Fprintf(cmd.Stderr, "'%s' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", name)
	return 9009
}

type faultQueue struct {
	mu sync.Mutex
	q  []*HTTPFault
}

func (f *faultQueue) push(h *HTTPFault) { f.mu.Lock(); f.q = append(f.q, h); f.mu.Unlock() }

func (f *faultQueue) NextHTTPFault() *HTTPFault {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.q) == 0 {
		return nil
	}
	h := f.q[0]
	f.q = f.q[1:]
	return h
}

type lab struct {
	h      *Handler
	ep     *Endpoint
	caPEM  []byte
	faults *faultQueue
}

func newLab(t testing.TB, mutate func(*Config)) *lab {
	t.Helper()
	ca, err := NewCA("Lab CA")
	if err != nil {
		t.Fatal(err)
	}
	tlsConf, err := ca.ServerTLSConfig("127.0.0.1", "localhost", "NODE1")
	if err != nil {
		t.Fatal(err)
	}
	faults := &faultQueue{}
	cfg := Config{NodeName: "NODE1", Domain: "LAB", Executor: fakeExecutor{}, Accounts: testAccounts{}, Faults: faults,
		TLSCertificate: tlsConf.Certificates[0].Certificate[0]}
	if mutate != nil {
		mutate(&cfg)
	}
	h := NewHandler(cfg)
	ep, err := Listen(h, "127.0.0.1:0", "127.0.0.1:0", tlsConf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ep.Close(); h.Close() })
	return &lab{h: h, ep: ep, caPEM: ca.PEM(), faults: faults}
}

type authMode int

const (
	basicAuth authMode = iota
	ntlmAuth
	ntlmSealed
)

func (l *lab) client(t testing.TB, https bool, mode authMode, user, password string, params *winrm.Parameters) *winrm.Client {
	t.Helper()
	raw := l.ep.HTTPURL()
	if https {
		raw = l.ep.HTTPSURL()
	}
	u, _ := url.Parse(raw)
	port, _ := strconv.Atoi(u.Port())
	var ca []byte
	if https {
		ca = l.caPEM
	}
	ep := winrm.NewEndpoint(u.Hostname(), port, https, false, ca, nil, nil, 0)
	if params == nil {
		params = winrm.NewParameters("PT60S", "en-US", 153600)
	}
	switch mode {
	case ntlmAuth:
		params.TransportDecorator = func() winrm.Transporter { return &winrm.ClientNTLM{} }
	case ntlmSealed:
		enc, err := winrm.NewEncryption("ntlm")
		if err != nil {
			t.Fatal(err)
		}
		params.TransportDecorator = func() winrm.Transporter { return enc }
	}
	c, err := winrm.NewClientWithParameters(ep, user, password, params)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAuthModes(t *testing.T) {
	for _, tc := range []struct {
		name       string
		https      bool
		mode       authMode
		user, pass string
		allowClear bool
		wantErr    string
	}{
		{name: "https basic", https: true, mode: basicAuth, user: testUser, pass: testPassword},
		{name: "https ntlm", https: true, mode: ntlmAuth, user: testUser, pass: testPassword},
		{name: "https ntlm with domain", https: true, mode: ntlmAuth, user: `LAB\` + testUser, pass: testPassword},
		{name: "http ntlm sealed", mode: ntlmSealed, user: testUser, pass: testPassword},
		{name: "http ntlm sealed with domain", mode: ntlmSealed, user: `LAB\` + testUser, pass: testPassword},
		{name: "http basic allowed", mode: basicAuth, user: testUser, pass: testPassword, allowClear: true},
		{name: "http ntlm clear allowed", mode: ntlmAuth, user: testUser, pass: testPassword, allowClear: true},
		{name: "http basic refused", mode: basicAuth, user: testUser, pass: testPassword, wantErr: "401"},
		{name: "http ntlm clear refused", mode: ntlmAuth, user: testUser, pass: testPassword, wantErr: "500"},
		{name: "https basic wrong password", https: true, mode: basicAuth, user: testUser, pass: "wrong", wantErr: "401"},
		{name: "https ntlm wrong password", https: true, mode: ntlmAuth, user: testUser, pass: "wrong", wantErr: "401"},
		{name: "http ntlm sealed wrong password", mode: ntlmSealed, user: testUser, pass: "wrong", wantErr: "401"},
		// bodgit/ntlmssp (sealing) answers with the domain the user named, so
		// the sealed handshake fails; masterzen then falls back to
		// go-ntlmssp, which always answers with the server's domain and
		// authenticates, but sends the body in clear: refused with a 500.
		{name: "http ntlm sealed unknown domain", mode: ntlmSealed, user: `OTHER\` + testUser, pass: testPassword, wantErr: "500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t, func(c *Config) { c.AllowUnencrypted = tc.allowClear })
			c := l.client(t, tc.https, tc.mode, tc.user, tc.pass, nil)
			stdout, stderr, code, err := run(c, "echo hello world")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || stdout != "hello world\r\n" || stderr != "" || code != 0 {
				t.Fatalf("got %q %q %d %v", stdout, stderr, code, err)
			}
			// A second command reuses the authenticated connection.
			stdout, stderr, code, err = run(c, "fail 3")
			if err != nil || stdout != "" || stderr != "failed\r\n" || code != 3 {
				t.Fatalf("second command: got %q %q %d %v", stdout, stderr, code, err)
			}
		})
	}
}

// run runs a command without stdin. masterzen/winrm sends stdin from a
// goroutine of its own, concurrently with Receive, and its NTLM sealing
// transport then interleaves two NTLM handshakes on different connections,
// which a Windows server refuses as this one does; so the sealed cases here
// run without stdin, as a caller of that transport must.
func run(c *winrm.Client, command string) (string, string, int, error) {
	var stdout, stderr bytes.Buffer
	code, err := c.RunWithContext(context.Background(), command, &stdout, &stderr)
	return stdout.String(), stderr.String(), code, err
}

// faultBody is the SOAP fault masterzen/winrm got, or "".
func faultBody(err error) string {
	var e *winrm.ExecuteCommandError
	if errors.As(err, &e) {
		return e.Body
	}
	return ""
}

func TestWrongPasswordIsBare401(t *testing.T) {
	l := newLab(t, nil)
	for _, auth := range []string{"Basic " + basic(testUser, "nope"), ""} {
		req, _ := http.NewRequest(http.MethodPost, l.ep.HTTPSURL(), strings.NewReader("<x/>"))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := l.httpsClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || len(body) != 0 {
			t.Fatalf("%q: status %d body %q", auth, resp.StatusCode, body)
		}
		got := resp.Header.Values("WWW-Authenticate")
		if auth != "" && len(got) != 0 {
			t.Fatalf("wrong password answered with challenges %q", got)
		}
		if auth == "" && strings.Join(got, ",") != `Negotiate,Kerberos,Basic realm="WSMAN"` {
			t.Fatalf("anonymous request challenges = %q", got)
		}
	}
}

func TestShellVerbs(t *testing.T) {
	l := newLab(t, nil)
	c := l.client(t, true, basicAuth, testUser, testPassword, nil)
	ctx := context.Background()

	stdout, _, code, err := c.RunWithContextWithString(ctx, "cat", "line one\r\nline two\r\n")
	if err != nil || code != 0 || stdout != "line one\r\nline two\r\n" {
		t.Fatalf("stdin: %q %d %v", stdout, code, err)
	}
	_, stderr, code, err := c.RunWithContextWithString(ctx, "nosuch", "")
	if err != nil || code != 9009 || !strings.Contains(stderr, "is not recognized") {
		t.Fatalf("unknown program: %q %d %v", stderr, code, err)
	}
	// Output larger than one Receive answer arrives in several.
	big, _, code, err := c.RunWithContextWithString(ctx, "big 400000", "")
	if err != nil || code != 0 || len(big) != 400000 {
		t.Fatalf("big: %d bytes, %d %v", len(big), code, err)
	}

	shell, err := c.CreateShell()
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := shell.ExecuteWithContext(ctx, "echo", "a", "b")
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(cmd.Stdout)
	cmd.Wait()
	if string(out) != "a b\r\n" || cmd.ExitCode() != 0 {
		t.Fatalf("arguments: %q %d", out, cmd.ExitCode())
	}
	_ = cmd.Close()
	if err := shell.Close(); err != nil {
		t.Fatal(err)
	}
	// The deleted shell is gone.
	_, err = shell.ExecuteWithContext(ctx, "echo", "x")
	if !strings.Contains(faultBody(err), `Code="2150858843"`) {
		t.Fatalf("command in deleted shell: %v", err)
	}
}

func TestReceiveTimedOutRoundTrip(t *testing.T) {
	l := newLab(t, nil)
	// masterzen retries Receive when it gets the TimedOut fault.
	c := l.client(t, true, basicAuth, testUser, testPassword, winrm.NewParameters("PT0.1S", "en-US", 153600))
	stdout, _, code, err := c.RunWithContextWithString(context.Background(), "sleep 500ms", "")
	if err != nil || code != 0 || stdout != "slept\r\n" {
		t.Fatalf("got %q %d %v", stdout, code, err)
	}
}

func basic(user, password string) string {
	req, _ := http.NewRequest(http.MethodGet, "http://x", nil)
	req.SetBasicAuth(user, password)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

func (l *lab) httpsClient() *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(l.caPEM)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// post sends one SOAP envelope with Basic auth over HTTPS.
func (l *lab) post(t testing.TB, envelope string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, l.ep.HTTPSURL(), strings.NewReader(envelope))
	req.SetBasicAuth(testUser, testPassword)
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	resp, err := l.httpsClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestReachability(t *testing.T) {
	l := newLab(t, nil)
	c := l.client(t, true, basicAuth, testUser, testPassword, nil)
	url := l.ep.HTTPSURL()
	if err := l.ep.SetReachable(false); err != nil {
		t.Fatal(err)
	}
	_, _, _, err := c.RunWithContextWithString(context.Background(), "echo hi", "")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("unreachable: err = %v, want connection refused", err)
	}
	if err := l.ep.SetReachable(true); err != nil {
		t.Fatal(err)
	}
	if l.ep.HTTPSURL() != url {
		t.Fatalf("URL changed from %s to %s", url, l.ep.HTTPSURL())
	}
	stdout, _, _, err := c.RunWithContextWithString(context.Background(), "echo hi", "")
	if err != nil || stdout != "hi\r\n" {
		t.Fatalf("reachable again: %q %v", stdout, err)
	}
}

func TestInjectedFaults(t *testing.T) {
	l := newLab(t, nil)
	c := l.client(t, true, basicAuth, testUser, testPassword, nil)
	ctx := context.Background()

	l.faults.push(&HTTPFault{Kind: "http500"})
	_, _, _, err := c.RunWithContextWithString(ctx, "echo hi", "")
	if !strings.Contains(faultBody(err), "<s:Value>w:InternalError</s:Value>") {
		t.Fatalf("http500: %v", err)
	}

	l.faults.push(&HTTPFault{Kind: "drop"})
	_, _, _, err = c.RunWithContextWithString(ctx, "echo hi", "")
	if err == nil || !strings.Contains(err.Error(), "EOF") {
		t.Fatalf("drop: %v", err)
	}

	l.faults.push(&HTTPFault{Kind: "delay", Delay: 50 * time.Millisecond})
	stdout, _, _, err := c.RunWithContextWithString(ctx, "echo hi", "")
	if err != nil || stdout != "hi\r\n" {
		t.Fatalf("delay: %q %v", stdout, err)
	}
	if len(l.faults.q) != 0 {
		t.Fatal("faults not consumed")
	}

	// Over a sealed NTLM connection the fault answer is sealed too, and the
	// client still reads it as a fault.
	sealed := l.client(t, false, ntlmSealed, testUser, testPassword, nil)
	l.faults.push(&HTTPFault{Kind: "http500"})
	_, _, _, err = run(sealed, "echo hi")
	if !strings.Contains(faultBody(err), "<s:Value>w:InternalError</s:Value>") {
		t.Fatalf("sealed http500: %v", err)
	}
	if stdout, _, _, err := run(sealed, "echo hi"); err != nil || stdout != "hi\r\n" {
		t.Fatalf("sealed after fault: %q %v", stdout, err)
	}
}

func TestDelayRespectsRequestContext(t *testing.T) {
	l := newLab(t, nil)
	l.faults.push(&HTTPFault{Kind: "delay", Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, l.ep.HTTPSURL(), strings.NewReader(pywinrmEnvelope(l.ep.HTTPSURL(), actionCreate, "", "PT1S", "", "")))
	req.SetBasicAuth(testUser, testPassword)
	resp, err := l.httpsClient().Do(req)
	if err == nil {
		// Seen once under load: say what answered, for the next time.
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		t.Fatalf("the delayed request was answered %d %q: %s", resp.StatusCode, resp.Header, body)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	// The handler gave up on the delayed request: the next one is served
	// at once and no shell was created by the abandoned one.
	status, answer := l.post(t, pywinrmEnvelope(l.ep.HTTPSURL(), actionCreate, "", "PT1S", "", ""))
	if status != http.StatusOK {
		t.Fatalf("after delay: %d %s", status, answer)
	}
	l.h.shells.mu.Lock()
	n := len(l.h.shells.m)
	l.h.shells.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d shells: the delayed request was handled after its client left", n)
	}
}
