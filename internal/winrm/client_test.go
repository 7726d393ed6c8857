package winrm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/wsman"
)

const (
	testUser     = "Administrator"
	testPassword = "Sup3r-s3cret"
)

type accounts struct{}

func (accounts) Password(user, domain string) (string, bool) {
	if strings.EqualFold(user, testUser) {
		return testPassword, true
	}
	return "", false
}

// executor is the fake cmd.exe behind the lab endpoint. It records every
// command with the shell it ran in.
type executor struct {
	mu     sync.Mutex
	lines  []string
	shells map[string]bool
	// started receives the line of each "wait" command once it runs;
	// stopped gets it when its ctx ended (signal or shell deletion).
	started, stopped chan string
	// block commands wait for release; active/maxActive measure concurrency.
	release           chan struct{}
	active, maxActive atomic.Int64
}

func newExecutor() *executor {
	return &executor{shells: map[string]bool{}, started: make(chan string, 16), stopped: make(chan string, 16), release: make(chan struct{})}
}

func (e *executor) Run(ctx context.Context, cmd wsman.Command) int {
	e.mu.Lock()
	e.lines = append(e.lines, cmd.Line)
	e.shells[cmd.ShellID] = true
	e.mu.Unlock()
	name, arg, _ := strings.Cut(cmd.Line, " ")
	switch name {
	case "echo":
		fmt.Fprintf(cmd.Stdout, "%s\r\n", arg)
		return 0
	case "fail":
		fmt.Fprintf(cmd.Stderr, "failed\r\n")
		code, _ := strconv.Atoi(arg)
		return code
	case "wait":
		e.started <- cmd.Line
		<-ctx.Done()
		e.stopped <- cmd.Line
		return 130
	case "block":
		n := e.active.Add(1)
		for {
			m := e.maxActive.Load()
			if n <= m || e.maxActive.CompareAndSwap(m, n) {
				break
			}
		}
		e.started <- cmd.Line
		<-e.release
		e.active.Add(-1)
		return 0
	}
	return 9009
}

func (e *executor) ran(line string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, l := range e.lines {
		if l == line {
			n++
		}
	}
	return n
}

func (e *executor) shellCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.shells)
}

type faultQueue struct {
	mu sync.Mutex
	q  []*wsman.HTTPFault
}

func (f *faultQueue) push(kinds ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range kinds {
		f.q = append(f.q, &wsman.HTTPFault{Kind: k})
	}
}

func (f *faultQueue) NextHTTPFault() *wsman.HTTPFault {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.q) == 0 {
		return nil
	}
	h := f.q[0]
	f.q = f.q[1:]
	return h
}

// restartable serves a wsman.Handler that a test can replace with a fresh
// one, as if the node's WinRM service restarted and forgot every shell.
type restartable struct {
	mu  sync.Mutex
	h   *wsman.Handler
	cfg wsman.Config
	// seen, when set, is shown each request's body (HTTPS: in clear).
	seen func(body []byte)
}

func (r *restartable) current() *wsman.Handler {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.h
}

func (r *restartable) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	seen := r.seen
	r.mu.Unlock()
	if seen != nil {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		seen(body)
	}
	r.current().ServeHTTP(w, req)
}

func (r *restartable) ConnClosed(addr string) { r.current().ConnClosed(addr) }

func (r *restartable) restart() {
	r.mu.Lock()
	old := r.h
	r.h = wsman.NewHandler(r.cfg)
	r.mu.Unlock()
	old.Close()
}

type lab struct {
	ep     *wsman.Endpoint
	srv    *restartable
	exec   *executor
	faults *faultQueue
	caPEM  []byte
}

func newLab(t testing.TB) *lab {
	t.Helper()
	return newLabWith(t, nil)
}

// newLabWith is newLab with the server's configuration adjusted.
func newLabWith(t testing.TB, mutate func(*wsman.Config)) *lab {
	t.Helper()
	ca, err := wsman.NewCA("Lab CA")
	if err != nil {
		t.Fatal(err)
	}
	tlsConf, err := ca.ServerTLSConfig("127.0.0.1", "NODE1")
	if err != nil {
		t.Fatal(err)
	}
	l := &lab{exec: newExecutor(), faults: &faultQueue{}, caPEM: ca.PEM()}
	cfg := wsman.Config{NodeName: "NODE1", Domain: "LAB", Executor: l.exec, Accounts: accounts{}, Faults: l.faults}
	if mutate != nil {
		mutate(&cfg)
	}
	l.srv = &restartable{h: wsman.NewHandler(cfg), cfg: cfg}
	l.ep, err = wsman.Listen(l.srv, "127.0.0.1:0", "127.0.0.1:0", tlsConf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.ep.Close(); l.srv.current().Close() })
	return l
}

// config is a Basic-over-HTTPS config verifying the lab's CA; mutate adjusts it.
func (l *lab) config(https bool, mutate func(*Config)) Config {
	raw := l.ep.HTTPURL()
	if https {
		raw = l.ep.HTTPSURL()
	}
	u, _ := url.Parse(raw)
	port, _ := strconv.Atoi(u.Port())
	cfg := Config{
		Node: "NODE1", Host: u.Hostname(), Port: port, HTTPS: https, CACert: l.caPEM,
		Auth: "basic", Username: testUser, Password: testPassword,
		ReuseShell: true, RetryBackoff: 1, MaxConcurrent: 2,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	return cfg
}

func (l *lab) client(t testing.TB, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

func TestAuthModesRunCommands(t *testing.T) {
	l := newLab(t)
	for name, cfg := range map[string]Config{
		"basic https":      l.config(true, nil),
		"ntlm https":       l.config(true, func(c *Config) { c.Auth = "ntlm" }),
		"ntlm sealed http": l.config(false, func(c *Config) { c.Auth = "ntlm" }),
		"basic http allowed": l.config(false, func(c *Config) {
			c.AllowUnencrypted = true
		}),
	} {
		t.Run(name, func(t *testing.T) {
			c := l.client(t, cfg)
			res, err := c.Run(context.Background(), "echo hello", true)
			if name == "basic http allowed" {
				// The lab node keeps Windows' default AllowUnencrypted=false,
				// so the server refuses what the client allowed itself.
				if err == nil {
					t.Fatal("server accepted unencrypted Basic")
				}
				return
			}
			if err != nil || res.Stdout != "hello\r\n" || res.ExitCode != 0 {
				t.Fatalf("got %+v, %v", res, err)
			}
			res, err = c.Run(context.Background(), "fail 1062", false)
			if err != nil || res.ExitCode != 1062 || res.Stderr != "failed\r\n" {
				t.Fatalf("non-zero exit: got %+v, %v", res, err)
			}
		})
	}
}

func TestShellReuse(t *testing.T) {
	const n = 5
	for _, reuse := range []bool{true, false} {
		l := newLab(t)
		// A Receive may come back with the output before the command has
		// ended (Running), as Windows' may: the next one brings the end.
		// Those extra Receives depend on timing; the rest is counted exactly.
		var receives atomic.Int64
		l.srv.mu.Lock()
		l.srv.seen = func(body []byte) {
			if bytes.Contains(body, []byte(receiveAction)) {
				receives.Add(1)
			}
		}
		l.srv.mu.Unlock()
		c := l.client(t, l.config(true, func(c *Config) { c.ReuseShell = reuse }))
		for i := range n {
			res, err := c.Run(context.Background(), fmt.Sprintf("echo %d", i), true)
			if err != nil || res.Stdout != fmt.Sprintf("%d\r\n", i) {
				t.Fatalf("reuse=%v command %d: %+v, %v", reuse, i, res, err)
			}
		}
		wantShells := int64(n)
		if reuse {
			wantShells = 1
		}
		st := c.Stats()
		if st.ShellsOpened != wantShells || int64(l.exec.shellCount()) != wantShells || st.Commands != n || st.Retries != 0 {
			t.Errorf("reuse=%v: stats %+v, server saw %d shells; want %d shells", reuse, st, l.exec.shellCount(), wantShells)
		}
		// Reused: Create + n×(Command, Receive, Signal); fresh adds a Delete
		// per command. Receives beyond one per command are added.
		extra := receives.Load() - n
		wantRequests := 1 + 3*n + extra
		if !reuse {
			wantRequests = 5*n + extra
		}
		if extra < 0 || st.Messages != wantRequests || st.HTTPRequests != st.Messages {
			t.Errorf("reuse=%v: %d messages in %d requests (%d Receives), want %d", reuse, st.Messages, st.HTTPRequests, receives.Load(), wantRequests)
		}
		before := st.Messages
		if err := c.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		deletes := c.Stats().Messages - before
		if reuse && deletes != 1 || !reuse && deletes != 0 {
			t.Errorf("reuse=%v: Close sent %d requests", reuse, deletes)
		}
		if _, err := c.Run(context.Background(), "echo x", true); err == nil {
			t.Error("Run after Close succeeded")
		}
	}
}

func TestReopenWhenServerForgotTheShell(t *testing.T) {
	l := newLab(t)
	c := l.client(t, l.config(true, nil))
	ctx := context.Background()
	if _, err := c.Run(ctx, "echo one", true); err != nil {
		t.Fatal(err)
	}
	l.srv.restart()
	// Mutating too: the server refused the command before running it.
	res, err := c.Run(ctx, "fail 3", false)
	if err != nil || res.ExitCode != 3 {
		t.Fatalf("after restart: %+v, %v", res, err)
	}
	if got := l.exec.ran("fail 3"); got != 1 {
		t.Errorf("command ran %d times", got)
	}
	if st := c.Stats(); st.ShellsOpened != 2 {
		t.Errorf("stats %+v, want 2 shells", st)
	}
}

// A server that forgot a sealed connection's security context (restarted:
// its 401 says the message was not processed) gets a new handshake and the
// message again, mutating or not; the sequence numbers start afresh.
func TestSealedContextRenewedAfterServerForgotIt(t *testing.T) {
	l := newLab(t)
	c := l.client(t, l.config(false, func(c *Config) { c.Auth = "ntlm"; c.MaxConcurrent = 1; c.ReuseShell = false }))
	ctx := context.Background()
	for i := range 3 {
		if res, err := c.Run(ctx, fmt.Sprintf("echo %d", i), true); err != nil || res.Stdout != fmt.Sprintf("%d\r\n", i) {
			t.Fatalf("command %d: %+v, %v", i, res, err)
		}
	}
	before := c.Stats()
	if before.HTTPRequests != before.Messages+2 || before.Unauthorized != 1 {
		t.Fatalf("one handshake for three commands: %+v", before)
	}
	l.srv.restart()
	if res, err := c.Run(ctx, "fail 3", false); err != nil || res.ExitCode != 3 || l.exec.ran("fail 3") != 1 {
		t.Fatalf("after the restart: %+v, %v; ran %d times", res, err, l.exec.ran("fail 3"))
	}
	after := c.Stats()
	// The refused message, then a new handshake (401 + 200), then the message again.
	if got := after.HTTPRequests - before.HTTPRequests - (after.Messages - before.Messages); got != 3 || after.Unauthorized-before.Unauthorized != 2 {
		t.Errorf("renewal cost %d extra requests and %d 401s, want 3 and 2", got, after.Unauthorized-before.Unauthorized)
	}
}

// A shell the node dropped while idle, answered with an empty HTTP 400 as
// Windows has been seen to: the next command, mutating or not, never
// started, so it goes on a new shell and runs exactly once.
func TestIdleShellDroppedWithEmpty400(t *testing.T) {
	l := newLabWith(t, func(c *wsman.Config) { c.IdleTimeout = 200 * time.Millisecond; c.IdleDropEmpty400 = true })
	for name, https := range map[string]bool{"https": true, "sealed http": false} {
		t.Run(name, func(t *testing.T) {
			code := map[bool]int{true: 41, false: 42}[https]
			c := l.client(t, l.config(https, func(c *Config) { c.Auth = "ntlm"; c.MaxConcurrent = 1 }))
			ctx := context.Background()
			if _, err := c.Run(ctx, "echo one", true); err != nil {
				t.Fatal(err)
			}
			line := fmt.Sprintf("fail %d", code)
			for i := 0; l.srv.current().OpenShells() > 0; i++ {
				if i > 500 {
					t.Fatal("the idle shell never expired")
				}
				time.Sleep(10 * time.Millisecond)
			}
			res, err := c.Run(ctx, line, false)
			if err != nil || res.ExitCode != code || l.exec.ran(line) != 1 {
				t.Fatalf("after the idle drop: %+v, %v; ran %d times", res, err, l.exec.ran(line))
			}
			if st := c.Stats(); st.ShellsOpened != 2 {
				t.Errorf("shells opened: %d, want 2", st.ShellsOpened)
			}
		})
	}
}

// A node that allows a shell only so many commands (Windows' operations
// quota: 15 on 2008 R2; a text shell's Terminate does not give them back):
// the refused command never ran, so it goes on a new shell, and the client
// then rotates its shells before the quota. Every command runs exactly once.
func TestShellOperationsQuota(t *testing.T) {
	l := newLabWith(t, func(c *wsman.Config) { c.MaxOperationsPerShell = 5 })
	c := l.client(t, l.config(true, func(c *Config) { c.Auth = "ntlm"; c.MaxConcurrent = 1 }))
	ctx := context.Background()
	for i := range 13 {
		line := fmt.Sprintf("fail %d", 100+i)
		res, err := c.Run(ctx, line, i%2 == 0)
		if err != nil || res.ExitCode != 100+i || l.exec.ran(line) != 1 {
			t.Fatalf("command %d: %+v, %v; ran %d times", i, res, err, l.exec.ran(line))
		}
	}
	// 5 in the first shell, refused on the 6th (the quota learnt), then
	// shells of 5 rotated before the node refuses again.
	if st := c.Stats(); st.ShellsOpened != 3 || st.Retries != 1 {
		t.Errorf("shells opened %d (want 3), reopened after a refusal %d times (want 1)", st.ShellsOpened, st.Retries)
	}
	// The refused shell is deleted after the retry has answered (Run's
	// delete of a failed shell runs in the background): wait for it.
	for i := 0; l.srv.current().OpenShells() != 1; i++ {
		if i > 500 {
			t.Fatalf("the node holds %d shells: the spent ones were not deleted", l.srv.current().OpenShells())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestReadOnlyRetriedAfterTransportFault(t *testing.T) {
	for _, kind := range []string{"drop", "http500"} {
		for _, stage := range []string{"create", "receive", "sealed receive"} {
			t.Run(kind+" at "+stage, func(t *testing.T) {
				l := newLab(t)
				cfg := l.config(true, nil)
				if stage == "sealed receive" {
					// The sealed transport hands faults back as bodies; they
					// must still count as faults.
					cfg = l.config(false, func(c *Config) { c.Auth = "ntlm" })
				}
				c := l.client(t, cfg)
				ctx := context.Background()
				if stage != "create" {
					if _, err := c.Run(ctx, "echo warm", true); err != nil {
						t.Fatal(err)
					}
					l.faults.push("delay", kind) // Command passes, Receive fails
				} else {
					l.faults.push(kind)
				}
				res, err := c.Run(ctx, "echo again", true)
				if err != nil || res.Stdout != "again\r\n" {
					t.Fatalf("got %+v, %v", res, err)
				}
				if st := c.Stats(); st.Retries != 1 {
					t.Errorf("stats %+v, want 1 retry", st)
				}
			})
		}
	}
}

func TestMutatingNeverRetried(t *testing.T) {
	for _, kind := range []string{"drop", "http500"} {
		t.Run(kind, func(t *testing.T) {
			l := newLab(t)
			c := l.client(t, l.config(true, nil))
			ctx := context.Background()
			if _, err := c.Run(ctx, "echo warm", true); err != nil {
				t.Fatal(err)
			}
			l.faults.push("delay", kind) // the command starts, its output is lost
			_, err := c.Run(ctx, "fail 0", false)
			if _, err2 := c.Run(ctx, "echo warm", true); err2 != nil {
				t.Fatal(err2)
			}
			// The failed command's clean-up (signal, delete the shell) runs in
			// the background; under load it could take the next faults.
			c.bg.Wait()
			l.faults.push("delay", kind)
			if _, err := c.Run(ctx, "fail 0 "+testPassword, false); err == nil || strings.Contains(err.Error(), testPassword) {
				t.Errorf("password in %v", err)
			}
			if err == nil || !strings.Contains(err.Error(), "may or may not have run") || !strings.Contains(err.Error(), "NODE1") || !errors.Is(err, ErrOutcomeUnknown) {
				t.Fatalf("got %v", err)
			}
			if kind == "http500" && (!strings.Contains(err.Error(), "server fault from NODE1 ("+c.endpoint+"): The WS-Management service cannot process the request because an internal error occurred.") || strings.Contains(err.Error(), "uuid:")) {
				t.Errorf("fault not named: %v", err)
			}
			if got := l.exec.ran("fail 0"); got != 1 {
				t.Errorf("command ran %d times, want 1", got)
			}
			if st := c.Stats(); st.Retries != 0 {
				t.Errorf("stats %+v, want no retry", st)
			}
			// The next command gets a healthy shell.
			if res, err := c.Run(ctx, "echo next", false); err != nil || res.Stdout != "next\r\n" {
				t.Fatalf("next: %+v, %v", res, err)
			}
		})
	}
}

func TestAuthenticationFailure(t *testing.T) {
	l := newLab(t)
	for name, cfg := range map[string]Config{
		"basic https":      l.config(true, func(c *Config) { c.Password = "wrong-horse" }),
		"ntlm https":       l.config(true, func(c *Config) { c.Password = "wrong-horse"; c.Auth = "ntlm" }),
		"ntlm sealed http": l.config(false, func(c *Config) { c.Password = "wrong-horse"; c.Auth = "ntlm" }),
	} {
		t.Run(name, func(t *testing.T) {
			c := l.client(t, cfg)
			_, err := c.Run(context.Background(), "echo x", true)
			if !isKind(err, KindAuth) {
				t.Fatalf("got %v, want an authentication error", err)
			}
			want := "authentication failed (401) for user Administrator on NODE1 (" + c.endpoint + ")"
			if !strings.Contains(err.Error(), want) {
				t.Errorf("got  %v\nwant %s", err, want)
			}
			// The unauthenticated Identify says WinRM is there.
			if !strings.Contains(err.Error(), "the endpoint is a WinRM service (it answers WS-Management Identify, OS: 0.0.0 SP: 0.0 Stack: 2.0)") {
				t.Errorf("no Identify hint: %v", err)
			}
			if strings.Contains(err.Error(), "wrong-horse") {
				t.Errorf("password in error: %v", err)
			}
			if st := c.Stats(); st.Retries != 0 {
				t.Errorf("authentication failure retried: %+v", st)
			}
		})
	}
}

// A node as Windows is set up by default (Basic off, a 401 offering only
// Negotiate and Kerberos): NTLM works over HTTPS and sealed over HTTP, and
// Basic fails with an error that says Basic may be off.
func TestWindowsDefaultAuth(t *testing.T) {
	l := newLabWith(t, func(c *wsman.Config) { c.DisableBasic = true })
	for name, cfg := range map[string]Config{
		"ntlm https":       l.config(true, func(c *Config) { c.Auth = "ntlm" }),
		"ntlm sealed http": l.config(false, func(c *Config) { c.Auth = "ntlm" }),
	} {
		c := l.client(t, cfg)
		if res, err := c.Run(context.Background(), "echo x", true); err != nil || res.Stdout != "x\r\n" {
			t.Fatalf("%s: %+v %v", name, res, err)
		}
	}
	c := l.client(t, l.config(true, nil))
	_, err := c.Run(context.Background(), "echo x", true)
	if !isKind(err, KindAuth) || !strings.Contains(err.Error(), "Basic must be enabled on the node") {
		t.Fatalf("basic against a node without it: %v", err)
	}
}

// A 401 from something that is not WinRM (a web server asking every
// request for Windows credentials, or one without /wsman): the error says
// the endpoint does not look like a WinRM listener, and the probe carried
// no credentials.
func TestAuthenticationFailureNotWinRM(t *testing.T) {
	for name, identify := range map[string]int{"401 to everything": http.StatusUnauthorized, "404 to Identify": http.StatusNotFound} {
		t.Run(name, func(t *testing.T) {
			var probes atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("WSMANIDENTIFY") == "unauthenticated" {
					probes.Add(1)
					if r.Header.Get("Authorization") != "" {
						t.Errorf("the Identify probe sent credentials")
					}
					w.WriteHeader(identify)
					return
				}
				w.Header().Set("WWW-Authenticate", "Negotiate")
				w.WriteHeader(http.StatusUnauthorized)
			}))
			defer srv.Close()
			u, _ := url.Parse(srv.URL)
			port, _ := strconv.Atoi(u.Port())
			c := (&lab{}).client(t, Config{Node: "NODE1", Host: u.Hostname(), Port: port, Auth: "ntlm", Username: testUser, Password: testPassword})
			_, err := c.Run(context.Background(), "echo x", true)
			want := "this is not its WinRM listener"
			if identify == http.StatusNotFound {
				want = "answers WS-Management Identify with HTTP 404 and no IdentifyResponse"
			}
			if !isKind(err, KindAuth) || !strings.Contains(err.Error(), want) || probes.Load() != 1 {
				t.Fatalf("got %v (%d probes), want an authentication error saying %q", err, probes.Load(), want)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	l := newLab(t)
	c := l.client(t, l.config(true, nil))
	if err := l.ep.SetReachable(false); err != nil {
		t.Fatal(err)
	}
	_, err := c.Run(context.Background(), "echo x", true)
	want := "NODE1 unreachable at " + c.endpoint + " (connection refused)"
	if !isKind(err, KindUnreachable) || !strings.Contains(err.Error(), want) {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
	if st := c.Stats(); st.Retries != readTries-1 {
		t.Errorf("read-only retries: %+v", st)
	}
	_, err = c.Run(context.Background(), "fail 0", false)
	if !isKind(err, KindUnreachable) || c.Stats().Retries != readTries-1 {
		t.Errorf("mutating: %v, %+v", err, c.Stats())
	}
	// The node comes back: the client recovers without being rebuilt.
	if err := l.ep.SetReachable(true); err != nil {
		t.Fatal(err)
	}
	if res, err := c.Run(context.Background(), "echo back", true); err != nil || res.Stdout != "back\r\n" {
		t.Fatalf("after coming back: %+v, %v", res, err)
	}
}

func TestTLSVerification(t *testing.T) {
	l := newLab(t)
	for name, c := range map[string]struct {
		mutate  func(*Config)
		wantErr string
	}{
		"lab CA":              {func(*Config) {}, ""},
		"system roots":        {func(c *Config) { c.CACert = nil }, "set ca_cert"},
		"wrong server name":   {func(c *Config) { c.TLSServerName = "node9.example" }, "tls_server_name"},
		"matching alias":      {func(c *Config) { c.TLSServerName = "NODE1" }, ""},
		"insecure":            {func(c *Config) { c.CACert = nil; c.Insecure = true }, ""},
		"https to plain http": {func(c *Config) { c.Port = l.config(false, nil).Port }, "does not speak HTTPS"},
	} {
		t.Run(name, func(t *testing.T) {
			cl := l.client(t, l.config(true, c.mutate))
			_, err := cl.Run(context.Background(), "echo x", true)
			if c.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !isKind(err, KindTLS) || !strings.Contains(err.Error(), c.wantErr) || !strings.Contains(err.Error(), "NODE1") {
				t.Fatalf("got %v, want a TLS error mentioning %q", err, c.wantErr)
			}
			if cl.Stats().Retries != 0 {
				t.Error("TLS failure retried")
			}
		})
	}
}

func TestNewRefusesUnsafeConfig(t *testing.T) {
	l := newLab(t)
	for name, c := range map[string]struct {
		mutate func(*Config)
		want   string
	}{
		"basic over http":           {func(c *Config) { c.HTTPS = false }, "allow_unencrypted"},
		"bad CA":                    {func(c *Config) { c.CACert = []byte("not a cert") }, "ca_cert"},
		"unknown auth":              {func(c *Config) { c.Auth = "digest" }, "digest"},
		"kerberos, two credentials": {func(c *Config) { c.Auth = "kerberos"; c.Realm = "LAB.EXAMPLE"; c.Keytab = "/k" }, "one credential"},
		"kerberos, KEYRING cache":   {func(c *Config) { c.Auth = "kerberos"; c.Password = ""; c.CCache = "KEYRING:persistent:0" }, "only FILE: credential caches"},
		"kerberos, no realm":        {func(c *Config) { c.Auth = "kerberos" }, "realm"},
		"kerberos, bad kdc":         {func(c *Config) { c.Auth = "kerberos"; c.Realm = "LAB.EXAMPLE"; c.KDC = []string{"kdc one"} }, "kdc"},
		"no host":                   {func(c *Config) { c.Host = "" }, "host"},
	} {
		_, err := New(l.config(true, c.mutate))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "NODE1") {
			t.Errorf("%s: got %v, want an error naming NODE1 and %q", name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), testPassword) {
			t.Errorf("%s: password in %v", name, err)
		}
	}
}

func TestCancelStopsWaitingAndSignals(t *testing.T) {
	l := newLab(t)
	// The Receive waiting for the command's output would hold the lane's
	// connection for two minutes: the cancel must not wait behind it.
	c := l.client(t, l.config(true, func(c *Config) { c.OperationTimeout = 2 * time.Minute }))
	receiving := make(chan struct{}, 1)
	l.srv.mu.Lock()
	l.srv.seen = func(body []byte) {
		if bytes.Contains(body, []byte("/windows/shell/Receive<")) {
			select {
			case receiving <- struct{}{}:
			default:
			}
		}
	}
	l.srv.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := c.Run(ctx, "wait forever", true)
		errc <- err
	}()
	<-l.exec.started
	<-receiving
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "NODE1") {
		t.Fatalf("got %v", err)
	}
	// The remote command is told to stop, not left running, and not only
	// when the Receive in flight gives up.
	select {
	case got := <-l.exec.stopped:
		if got != "wait forever" {
			t.Fatal(got)
		}
	case <-time.After(time.Minute):
		t.Fatal("the command was not signalled: the Signal is waiting behind the Receive in flight")
	}
	if c.Stats().Retries != 0 {
		t.Error("cancelled command retried")
	}
	res, err := c.Run(context.Background(), "echo after", true)
	if err != nil || res.Stdout != "after\r\n" {
		t.Fatalf("after cancel: %+v, %v", res, err)
	}
	// A cancelled command's shell is not reused.
	if st := c.Stats(); st.ShellsOpened != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestConcurrencyBound(t *testing.T) {
	l := newLab(t)
	c := l.client(t, l.config(true, func(c *Config) { c.MaxConcurrent = 2 }))
	const n = 5
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Run(context.Background(), fmt.Sprintf("block %d", i), true)
			errs <- err
		}()
	}
	// Let the commands through two at a time: each release frees a slot.
	for range n {
		<-l.exec.started
		l.exec.release <- struct{}{}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if m := l.exec.maxActive.Load(); m > 2 {
		t.Errorf("%d commands ran at once, bound is 2", m)
	}
	if st := c.Stats(); st.ShellsOpened > 2 {
		t.Errorf("stats %+v: more shells than concurrent commands", st)
	}
}

func TestCancelWhileWaitingForASlot(t *testing.T) {
	l := newLab(t)
	c := l.client(t, l.config(true, func(c *Config) { c.MaxConcurrent = 1 }))
	done := make(chan error, 1)
	go func() {
		_, err := c.Run(context.Background(), "block busy", true)
		done <- err
	}()
	<-l.exec.started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Run(ctx, "echo queued", false); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v", err)
	}
	l.exec.release <- struct{}{}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := l.exec.ran("echo queued"); got != 0 {
		t.Errorf("queued command ran %d times after its context ended", got)
	}
}

func TestDebugLogShowsCommandsButNoPassword(t *testing.T) {
	l := newLab(t)
	c := l.client(t, l.config(true, nil))
	var buf bytes.Buffer
	ctx := MaskSecrets(tflogtest.RootLogger(context.Background(), &buf), testPassword, "")
	if _, err := c.Run(ctx, "fail 1062", false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Run(ctx, "echo "+testPassword, true); err != nil {
		t.Fatal(err)
	}
	entries, err := tflogtest.MultilineJSONDecode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("log entries: %v", entries)
	}
	e := entries[0]
	if e["@message"] != "command" || e["node"] != "NODE1" || e["command"] != "fail 1062" || e["exit_code"] != float64(1062) || e["@level"] != "debug" {
		t.Errorf("entry %v", e)
	}
	if _, ok := e["duration_ms"]; !ok {
		t.Errorf("no duration: %v", e)
	}
	if strings.Contains(fmt.Sprint(entries), testPassword) {
		t.Errorf("password logged: %v", entries)
	}
	if entries[1]["command"] != "echo ***" {
		t.Errorf("masked command: %v", entries[1]["command"])
	}
}

// Commands of one request running at once log under one masked context:
// terraform-plugin-log's masking writes to maps that context shares, which
// two log entries at once would race on (and the Go runtime stops a process
// on a concurrent map write); the client serialises its entries.
func TestConcurrentCommandsLogUnderOneMaskedContext(t *testing.T) {
	l := newLab(t)
	c := l.client(t, l.config(true, func(c *Config) { c.MaxConcurrent = 4 }))
	var buf bytes.Buffer
	// A field on the context, as the provider's requests carry (the resource).
	ctx := tflog.SetField(MaskSecrets(tflogtest.RootLogger(context.Background(), &buf), testPassword), "resource", "mscs_cluster")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				if _, err := c.Run(ctx, fmt.Sprintf("echo %d-%d %s", g, i, testPassword), true); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if strings.Contains(buf.String(), testPassword) {
		t.Error("password logged")
	}
	entries, err := tflogtest.MultilineJSONDecode(&buf)
	if err != nil || len(entries) != 80 {
		t.Fatalf("%d entries, %v", len(entries), err)
	}
}

// BenchmarkCommand compares a reused shell with a shell per command against
// the lab endpoint, for Basic over HTTPS and sealed NTLM over HTTP: wall time
// and WS-Management requests per command.
func BenchmarkCommand(b *testing.B) {
	for _, auth := range []string{"basic-https", "ntlm-sealed-http"} {
		for _, reuse := range []bool{true, false} {
			name := auth + "/fresh-shell"
			if reuse {
				name = auth + "/reused-shell"
			}
			b.Run(name, func(b *testing.B) { benchmarkCommand(b, auth == "basic-https", reuse) })
		}
	}
}

func benchmarkCommand(b *testing.B, basicHTTPS, reuse bool) {
	l := newLab(b)
	cfg := l.config(true, func(c *Config) { c.ReuseShell = reuse })
	if !basicHTTPS {
		cfg = l.config(false, func(c *Config) { c.ReuseShell = reuse; c.Auth = "ntlm" })
	}
	c := l.client(b, cfg)
	ctx := context.Background()
	if _, err := c.Run(ctx, "echo warm", true); err != nil {
		b.Fatal(err)
	}
	start := c.Stats().HTTPRequests
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Run(ctx, "echo x", true); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(c.Stats().HTTPRequests-start)/float64(b.N), "requests/op")
}

// TestWithoutRetriesAcrossARestart is what a reboot wait sees: while the
// node is down a probe fails at once (no retries), and once it is back with
// its shells forgotten, the probe runs on a fresh shell.
func TestWithoutRetriesAcrossARestart(t *testing.T) {
	l := newLab(t)
	c := l.client(t, l.config(true, nil))
	ctx := context.Background()
	probe := WithoutRetries(ctx)
	if _, err := c.Run(ctx, "echo warm", true); err != nil {
		t.Fatal(err)
	}
	// The node restarts: its WinRM service forgets the shell the client keeps.
	l.srv.restart()
	res, err := c.Run(probe, "echo after restart", true)
	if err != nil || res.Stdout != "after restart\r\n" {
		t.Fatalf("after restart: %+v, %v", res, err)
	}
	if st := c.Stats(); st.ShellsOpened != 2 {
		t.Errorf("stats %+v, want a second shell", st)
	}

	if err := l.ep.SetReachable(false); err != nil {
		t.Fatal(err)
	}
	before := c.Stats().Retries
	_, err = c.Run(probe, "echo down", true)
	// The first request may go out on the kept-alive connection the node
	// just closed (EOF: "dropped") rather than meet a refused dial; both are
	// "not answering" to a reboot wait, and neither may be retried.
	if !isKind(err, KindUnreachable) && !isKind(err, KindTransport) {
		t.Fatalf("got %v, want unreachable or a dropped connection", err)
	}
	if st := c.Stats(); st.Retries != before {
		t.Errorf("a probe was retried: %+v", st)
	}
	if got := l.exec.ran("echo down"); got != 0 {
		t.Errorf("echo down ran %d times", got)
	}
	// Without the marker the same command is retried as usual.
	if _, err := c.Run(ctx, "echo down", true); !isKind(err, KindUnreachable) || c.Stats().Retries != before+readTries-1 {
		t.Errorf("plain read: %v, %+v", err, c.Stats())
	}
	if err := l.ep.SetReachable(true); err != nil {
		t.Fatal(err)
	}
	if res, err := c.Run(probe, "echo back", true); err != nil || res.Stdout != "back\r\n" {
		t.Fatalf("back: %+v, %v", res, err)
	}
}

// TestConcurrentCommandsAuthenticate runs commands from several goroutines on
// one client in every auth mode. NTLM authenticates a connection through
// three round trips; with one connection pool shared by concurrent commands
// the handshake could straddle two connections and the node answered 401.
func TestConcurrentCommandsAuthenticate(t *testing.T) {
	l := newLab(t)
	for name, cfg := range map[string]Config{
		"basic https":      l.config(true, func(c *Config) { c.MaxConcurrent = 4 }),
		"ntlm https":       l.config(true, func(c *Config) { c.Auth = "ntlm"; c.MaxConcurrent = 4 }),
		"ntlm sealed http": l.config(false, func(c *Config) { c.Auth = "ntlm"; c.MaxConcurrent = 4 }),
	} {
		t.Run(name, func(t *testing.T) {
			c := l.client(t, cfg)
			var wg sync.WaitGroup
			errs := make(chan error, 8*15)
			for g := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 15 {
						want := fmt.Sprintf("g%d-%d", g, i)
						res, err := c.Run(context.Background(), "echo "+want, true)
						if err == nil && res.Stdout != want+"\r\n" {
							err = fmt.Errorf("echo %s printed %q", want, res.Stdout)
						}
						if err != nil {
							errs <- err
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			n := 0
			for err := range errs {
				if n++; n <= 3 {
					t.Error(err)
				}
			}
			if n > 0 {
				t.Errorf("%d of %d commands failed", n, 8*15)
			}
			st := c.Stats()
			if st.ShellsOpened > int64(cfg.MaxConcurrent) {
				t.Errorf("opened %d shells for %d lanes", st.ShellsOpened, cfg.MaxConcurrent)
			}
			// One request per message, plus NTLM's two per lane's connection
			// (NEGOTIATE answered 401, AUTHENTICATE): never a handshake per message.
			handshakes := int64(0)
			if cfg.Auth == "ntlm" {
				handshakes = int64(cfg.MaxConcurrent)
			}
			if st.HTTPRequests > st.Messages+2*handshakes || st.Unauthorized > handshakes {
				t.Errorf("%d messages took %d requests (%d answered 401) on %d lanes", st.Messages, st.HTTPRequests, st.Unauthorized, cfg.MaxConcurrent)
			}
		})
	}
}

// isKind reports whether err is a transport Error of kind k.
func isKind(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}
