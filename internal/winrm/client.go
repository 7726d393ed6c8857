package winrm

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/masterzen/winrm"
)

const (
	defaultMaxConcurrent    = 2
	defaultRetryBackoff     = 500 * time.Millisecond
	defaultOperationTimeout = 60 * time.Second
	// readTries bounds the attempts of a read-only command (the first one included).
	readTries = 4
)

// Client is one node's WinRM connection. It runs up to MaxConcurrent commands
// at once, each in a lane of its own, and keeps a lane's shell open between
// commands when ReuseShell is set, so a command costs Command + Receive +
// Signal instead of also Create + Delete.
type Client struct {
	cfg      Config
	endpoint string
	ep       *winrm.Endpoint
	params   *winrm.Parameters
	sem      chan struct{} // one token per lane in use

	mu     sync.Mutex
	free   []*lane // lanes not in use, the most recently used last
	all    []*lane
	closed bool
	// bg tracks command goroutines that outlive a cancelled Run (they signal
	// the command and delete its shell), so Close can wait for them.
	bg sync.WaitGroup

	messages      atomic.Int64
	httpRequests  atomic.Int64
	unauthorized  atomic.Int64
	bytesSent     atomic.Int64
	bytesReceived atomic.Int64
	shellsOpened  atomic.Int64
	commands      atomic.Int64
	retries       atomic.Int64
	// opsLimit is the operations quota a node was seen to enforce (0: not
	// seen); shells are rotated before it.
	opsLimit atomic.Int64
}

var _ Runner = (*Client)(nil)

// lane is one concurrency slot: a transport with a connection of its own
// (laneTransport), used by one command at a time. NTLM authenticates a TCP
// connection: two commands sharing one could interleave a handshake with
// another's messages, and Windows (HTTP.sys) answers such an AUTHENTICATE
// with 401.
type lane struct {
	lt   *laneTransport
	idle *shell // kept open between commands when ReuseShell
	uses int    // commands started in the lane's current shell
}

// New checks cfg and prepares a client; it does not connect (the first
// command opens the shell). The errors name the node and the setting at fault.
func New(cfg Config) (*Client, error) {
	if cfg.Node == "" {
		return nil, errors.New("winrm: the node name is empty")
	}
	if cfg.Host == "" {
		return nil, fmt.Errorf("%s: the host is empty", cfg.Node)
	}
	cfg.Auth = strings.ToLower(cfg.Auth)
	if cfg.Auth == "" {
		cfg.Auth = "ntlm"
	}
	if cfg.Auth != "ntlm" && cfg.Auth != "basic" && cfg.Auth != "kerberos" {
		return nil, fmt.Errorf("%s: auth %q is not supported (use \"ntlm\", \"basic\" or \"kerberos\")", cfg.Node, cfg.Auth)
	}
	if cfg.Auth == "kerberos" {
		if err := checkKerberos(cfg); err != nil {
			return nil, err
		}
	} else if cfg.Username == "" {
		return nil, fmt.Errorf("%s: the username is empty", cfg.Node)
	}
	if cfg.Port == 0 {
		cfg.Port = 5985
		if cfg.HTTPS {
			cfg.Port = 5986
		}
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = defaultMaxConcurrent
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = defaultRetryBackoff
	}
	if cfg.OperationTimeout <= 0 {
		cfg.OperationTimeout = defaultOperationTimeout
	}
	ep := &winrm.Endpoint{
		Host:          cfg.Host,
		Port:          cfg.Port,
		HTTPS:         cfg.HTTPS,
		Insecure:      cfg.Insecure,
		TLSServerName: cfg.TLSServerName,
		CACert:        cfg.CACert,
		// A Receive legitimately waits up to OperationTimeout on the server
		// before answering; the HTTP header timeout must outlast it.
		Timeout: cfg.OperationTimeout + 30*time.Second,
	}
	endpoint := (&url.URL{Scheme: scheme(cfg.HTTPS), Host: net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)), Path: "/wsman"}).String()
	if !cfg.HTTPS && cfg.Auth == "basic" && !cfg.AllowUnencrypted {
		return nil, fmt.Errorf("%s (%s): Basic authentication over plain HTTP sends the password in clear text; use https, auth \"ntlm\", or set allow_unencrypted = true (the node's WinRM must allow it too)", cfg.Node, endpoint)
	}
	if len(cfg.CACert) > 0 && !x509.NewCertPool().AppendCertsFromPEM(cfg.CACert) {
		return nil, fmt.Errorf("%s: ca_cert holds no PEM certificate", cfg.Node)
	}

	c := &Client{cfg: cfg, endpoint: endpoint, ep: ep, sem: make(chan struct{}, cfg.MaxConcurrent)}
	c.params = winrm.NewParameters(fmt.Sprintf("PT%dS", int(cfg.OperationTimeout.Seconds()+0.5)), "en-US", 153600)
	for range cfg.MaxConcurrent {
		lt, err := c.newLaneTransport()
		if err != nil {
			return nil, err
		}
		c.all = append(c.all, &lane{lt: lt})
	}
	c.free = append(c.free, c.all...)
	return c, nil
}

// newLaneTransport is a transport (and so a connection pool) of its own.
func (c *Client) newLaneTransport() (*laneTransport, error) {
	lt := &laneTransport{c: c, url: c.endpoint}
	if err := lt.Transport(c.ep); err != nil {
		return nil, fmt.Errorf("%s (%s): %w", c.cfg.Node, c.endpoint, err)
	}
	return lt, nil
}

func scheme(https bool) string {
	if https {
		return "https"
	}
	return "http"
}

// Node is the NetBIOS name the client talks to.
func (c *Client) Node() string { return c.cfg.Node }

// Endpoint is the URL the client sends its requests to.
func (c *Client) Endpoint() string { return c.endpoint }

// Stats returns the counters so far.
func (c *Client) Stats() Stats {
	return Stats{
		Messages:      c.messages.Load(),
		HTTPRequests:  c.httpRequests.Load(),
		Unauthorized:  c.unauthorized.Load(),
		BytesSent:     c.bytesSent.Load(),
		BytesReceived: c.bytesReceived.Load(),
		ShellsOpened:  c.shellsOpened.Load(),
		Commands:      c.commands.Load(),
		Retries:       c.retries.Load(),
	}
}

// MaskSecrets returns a ctx whose tflog output has every secret replaced,
// in messages and in field values, and hides fields named like passwords.
// The provider calls it once per request with the configured passwords.
func MaskSecrets(ctx context.Context, secrets ...string) context.Context {
	var nonEmpty []string
	for _, s := range secrets {
		// An empty string would match between every character.
		if s != "" {
			nonEmpty = append(nonEmpty, s)
		}
	}
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, "password")
	if len(nonEmpty) == 0 {
		return ctx
	}
	ctx = tflog.MaskMessageStrings(ctx, nonEmpty...)
	return tflog.MaskAllFieldValuesStrings(ctx, nonEmpty...)
}

// Run runs line in a cmd shell of the node. See Runner.
func (c *Client) Run(ctx context.Context, line string, readOnly bool) (Result, error) {
	c.commands.Add(1)
	start := time.Now()
	res, err := c.run(ctx, line, readOnly)
	fields := map[string]any{
		"node":        c.cfg.Node,
		"command":     line,
		"read_only":   readOnly,
		"duration_ms": time.Since(start).Milliseconds(),
	}
	if err != nil {
		fields["error"] = err.Error()
	} else {
		fields["exit_code"] = res.ExitCode
	}
	debug(ctx, "command", fields)
	return res, err
}

// logMu serialises the client's log entries: terraform-plugin-log's masking
// writes to maps shared by every logger derived from one context, so two
// commands of one request logging at once (the listowners of many groups
// go out together) race there, and Go stops the process on a concurrent map
// write (hashicorp/terraform-plugin-log#246).
var logMu sync.Mutex

func debug(ctx context.Context, msg string, fields map[string]any) {
	logMu.Lock()
	defer logMu.Unlock()
	tflog.Debug(ctx, msg, fields)
}

// scrub hides the connection password in text bound for an error; masking
// in logs is MaskSecrets' job.
func (c *Client) scrub(s string) string {
	if c.cfg.Password == "" {
		return s
	}
	return strings.ReplaceAll(s, c.cfg.Password, "***")
}

func (c *Client) run(ctx context.Context, line string, readOnly bool) (Result, error) {
	backoff := c.cfg.RetryBackoff
	for attempt := 1; ; attempt++ {
		res, sent, err := c.runOnce(ctx, line)
		if err == nil {
			return res, nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return Result{}, fmt.Errorf("%s: `%s` abandoned: %w", c.cfg.Node, c.scrub(line), ctxErr)
		}
		var te *Error
		if !errors.As(err, &te) {
			return Result{}, err
		}
		// A shell that was gone before the server accepted the command never
		// ran it, so any command may go again on a fresh shell.
		reopen := (te.Kind == KindShellGone || te.Kind == KindShellSpent) && !sent
		retry := readOnly && te.retryable() && !noRetries(ctx)
		if !reopen && !retry || attempt >= readTries {
			if te.Kind == KindAuth {
				e := *te
				e.Detail += c.identifyHint(ctx)
				return Result{}, &e
			}
			if sent && !readOnly && te.Kind != KindTLS {
				return Result{}, fmt.Errorf("%w; `%s` %w, and was not retried because it changes the node", te, c.scrub(line), ErrOutcomeUnknown)
			}
			return Result{}, te
		}
		c.retries.Add(1)
		debug(ctx, "retrying command", map[string]any{"node": c.cfg.Node, "command": line, "attempt": attempt + 1, "error": te.Error()})
		if reopen {
			continue
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return Result{}, fmt.Errorf("%s: `%s` abandoned while waiting to retry (%v): %w", c.cfg.Node, c.scrub(line), te, ctx.Err())
		case <-t.C:
		}
		backoff *= 2
	}
}

type noRetriesKey struct{}

// WithoutRetries returns a ctx under which Run makes a single attempt at a
// read-only command instead of retrying it with backoff. It is for callers
// that poll in a loop of their own, such as waiting for a node to come back
// from a reboot: there a failure is the expected answer, and retries would
// only delay seeing the node back. A shell that turns out to be gone before
// the command went out (the node restarted since it was opened) is still
// replaced by a fresh one, since the command never ran.
func WithoutRetries(ctx context.Context) context.Context {
	return context.WithValue(ctx, noRetriesKey{}, true)
}

func noRetries(ctx context.Context) bool {
	v, _ := ctx.Value(noRetriesKey{}).(bool)
	return v
}

type outcome struct {
	res  Result
	sent bool // the Command request went out: the command may have started
	err  error
}

// runOnce makes one attempt. The attempt runs in its own goroutine so that a
// cancelled ctx stops the wait at once (the transport's Post, shaped by
// masterzen/winrm's Transporter, takes no context); the goroutine then
// signals the command and deletes its shell.
func (c *Client) runOnce(ctx context.Context, line string) (Result, bool, error) {
	// A command whose context has ended must not go out, even when a slot
	// is free (select would pick either ready case).
	if err := ctx.Err(); err != nil {
		return Result{}, false, err
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return Result{}, false, ctx.Err()
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		<-c.sem
		return Result{}, false, fmt.Errorf("%s: the WinRM client is closed", c.cfg.Node)
	}
	// The most recently used lane is the likeliest to hold an open shell.
	l := c.free[len(c.free)-1]
	c.free = c.free[:len(c.free)-1]
	c.bg.Add(1)
	c.mu.Unlock()

	done := make(chan outcome, 1)
	go func() {
		defer c.bg.Done()
		o, sh, healthy := c.attempt(ctx, l, line)
		switch {
		case sh == nil:
		case healthy && c.cfg.ReuseShell && ctx.Err() == nil && c.keepIdle(l, sh):
		case healthy:
			_ = c.deleteShell(sh)
		default:
			// The shell's transport just failed: deleting it may be slow or
			// fail too, so answer (and free the lane for a retry) first. The
			// lane gets a fresh transport, so the old one's connections serve
			// only that delete, never the lane's next command.
			if lt, err := c.newLaneTransport(); err == nil {
				l.lt = lt
			}
			c.release(l)
			done <- o
			_ = c.deleteShell(sh)
			return
		}
		c.release(l)
		done <- o
	}()
	select {
	case o := <-done:
		return o.res, o.sent, o.err
	case <-ctx.Done():
		return Result{}, true, ctx.Err()
	}
}

// release hands lane l back for the next command.
func (c *Client) release(l *lane) {
	c.mu.Lock()
	c.free = append(c.free, l)
	c.mu.Unlock()
	<-c.sem
}

// attempt gets a shell of lane l and runs line in it. It returns the shell
// (nil when none was obtained) and whether the shell can be used again.
func (c *Client) attempt(ctx context.Context, l *lane, line string) (outcome, *shell, bool) {
	sh, err := c.shell(l)
	if err != nil {
		return outcome{err: err}, nil, false
	}
	if err := ctx.Err(); err != nil {
		// Cancelled while the shell was being opened: the command never went out.
		return outcome{err: err}, sh, true
	}
	o, healthy := c.execute(ctx, sh, line)
	var te *Error
	switch {
	case o.sent:
		l.uses++
	case errors.As(o.err, &te) && te.Kind == KindShellSpent:
		// The node's quota, learnt: later shells are rotated before it.
		c.learnOperationsLimit(l.uses)
	}
	return o, sh, healthy
}

// rotateAfter is how many commands a shell runs before the client replaces
// it: below Windows' default operations quota (1,500), or below the quota a
// node was seen to enforce (15 on 2008 R2).
const rotateAfter = 1000

// learnOperationsLimit records that a shell was refused after n commands.
func (c *Client) learnOperationsLimit(n int) {
	if n <= 0 {
		return
	}
	for {
		cur := c.opsLimit.Load()
		if cur != 0 && cur <= int64(n) || c.opsLimit.CompareAndSwap(cur, int64(n)) {
			return
		}
	}
}

// operationsLimit is how many commands a shell may run before rotation.
func (c *Client) operationsLimit() int {
	if n := c.opsLimit.Load(); n > 0 && n < rotateAfter {
		return int(n)
	}
	return rotateAfter
}

// shell hands out lane l's idle shell or opens one.
func (c *Client) shell(l *lane) (*shell, error) {
	c.mu.Lock()
	sh := l.idle
	l.idle = nil
	c.mu.Unlock()
	if sh != nil && l.uses < c.operationsLimit() {
		return sh, nil
	}
	if sh != nil {
		// Spent, or about to be: a new shell takes over before the node
		// refuses a command.
		_ = c.deleteShell(sh)
	}
	l.uses = 0
	sh, err := c.openShell(l.lt)
	if err != nil {
		return nil, c.classify(err)
	}
	c.shellsOpened.Add(1)
	return sh, nil
}

// keepIdle keeps sh open in lane l for the lane's next command; false when
// the client is closing.
func (c *Client) keepIdle(l *lane, sh *shell) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	l.idle = sh
	return true
}

// deleteShell deletes sh over the transport that opened it.
func (c *Client) deleteShell(sh *shell) error {
	if _, err := post(sh.lt, winrm.NewDeleteShellRequest(c.endpoint, sh.id, c.params)); err != nil {
		return c.classify(err)
	}
	return nil
}

// execute runs line in sh and reports whether sh may be reused.
func (c *Client) execute(ctx context.Context, sh *shell, line string) (outcome, bool) {
	id, err := c.startCommand(sh, line)
	if err != nil {
		te := c.classify(err)
		return outcome{err: te, sent: te.Kind != KindShellGone && te.Kind != KindShellSpent}, false
	}
	var stdout, stderr bytes.Buffer
	type received struct {
		exitCode int
		err      error
	}
	finished := make(chan received, 1)
	go func() {
		code, err := c.receiveAll(sh, id, &stdout, &stderr)
		finished <- received{code, err}
	}()
	var r received
	select {
	case r = <-finished:
	case <-ctx.Done():
		// Cut the Receive waiting for output (it holds the lane's
		// connection for up to the OperationTimeout), signal terminate at
		// once, then let the receive loop wind down.
		sh.lt.abortReceives()
		_ = c.signal(sh, id)
		<-finished
		return outcome{err: ctx.Err(), sent: true}, false
	}
	if r.err != nil {
		return outcome{err: c.classify(r.err), sent: true}, false
	}
	res := Result{Stdout: stdout.String(), Stderr: stderr.String(), ExitCode: r.exitCode}
	// Windows keeps a finished command's resources until it is signalled.
	healthy := c.signal(sh, id) == nil
	return outcome{res: res, sent: true}, healthy
}

// Close deletes the idle shells and waits for abandoned commands to wind
// down, or for ctx to end.
func (c *Client) Close(ctx context.Context) error {
	c.mu.Lock()
	c.closed = true
	var idle []*shell
	for _, l := range c.all {
		if l.idle != nil {
			idle = append(idle, l.idle)
			l.idle = nil
		}
	}
	c.mu.Unlock()

	errs := make(chan error, 1)
	go func() {
		var first error
		for _, sh := range idle {
			if err := c.deleteShell(sh); err != nil && first == nil {
				first = err
			}
		}
		c.bg.Wait()
		errs <- first
	}()
	select {
	case err := <-errs:
		return err
	case <-ctx.Done():
		return fmt.Errorf("%s: closing the WinRM client: %w", c.cfg.Node, ctx.Err())
	}
}
