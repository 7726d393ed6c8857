// Package wsman is the lab node's WS-Management endpoint: the HTTP(S) listener,
// Basic, NTLM and Kerberos authentication (with message sealing over plain
// HTTP, as a Windows WinRM service requires when AllowUnencrypted is false,
// and channel binding checks over HTTPS), and the
// Windows remote shell resource (cmd).
package wsman

import (
	"context"
	"io"
	"time"
)

// Executor runs one command of a shell to completion.
type Executor interface {
	// Run runs cmd, writing its output as it is produced (the writers are safe
	// for the duration of Run) and reading Stdin, and returns the exit code.
	// ctx is cancelled when the command is signalled (terminate, ctrl_c) or its
	// shell is deleted or expires.
	Run(ctx context.Context, cmd Command) int
}

// Command is one rsp:Command request in a shell.
type Command struct {
	// User is the authenticated account as the client named it, e.g. `Administrator`
	// or `LAB\Administrator`.
	User    string
	ShellID string
	// Line is the rsp:Command text followed by each rsp:Arguments, joined with
	// single spaces: the command line cmd.exe receives.
	Line             string
	WorkingDirectory string            // from the shell's WorkingDirectory, may be empty
	Env              map[string]string // from the shell's Environment, may be nil
	Stdin            io.Reader         // rsp:Send data; EOF after End="true"
	Stdout, Stderr   io.Writer
	// LoseAnswer, called before Run returns, loses the answer that carries
	// the command's end: the Receive that would bring it waits for the end,
	// takes the output as if it were sent, and closes its connection before
	// the answer is complete, as a network that fails after the command ran.
	LoseAnswer func()
}

// Accounts verifies credentials.
type Accounts interface {
	// Password returns the password of an account so Basic and NTLMv2 can be
	// verified. user is the bare account name (no domain), case-insensitive;
	// domain is what the client sent (may be empty) and must match the
	// account's domain or the node's name when not empty.
	Password(user, domain string) (string, bool)
}

// HTTPFault is a fault injected into one HTTP request of a node.
type HTTPFault struct {
	// Kind is "http500" (answer 500 with a wsman:InternalError SOAP fault),
	// "delay" (wait Delay before handling), or "drop" (hijack the connection
	// and close it before the whole response is written).
	Kind  string
	Delay time.Duration
}

// Faults is consulted once per authenticated request.
type Faults interface {
	NextHTTPFault() *HTTPFault
}

// Config configures one node's endpoint.
type Config struct {
	NodeName string // NetBIOS name, used in the NTLM challenge's target info
	Domain   string // NetBIOS domain name for the NTLM challenge
	Executor Executor
	Accounts Accounts
	Faults   Faults // may be nil

	// AllowUnencrypted mirrors WinRM's AllowUnencrypted: when false (the
	// Windows default), plain HTTP only accepts NTLM-sealed messages.
	AllowUnencrypted bool
	// DisableBasic turns Basic authentication off, as a Windows service's
	// Auth/Basic=false does (its default): Basic is no longer offered in a
	// 401, and a Basic request is refused with a bare 401.
	DisableBasic     bool
	MaxShellsPerUser int           // default 30 (Windows' default)
	IdleTimeout      time.Duration // idle shells expire after it; default 15 min
	// MaxOperationsPerShell is how many commands one shell may run:
	// Windows counts each as an operation of the user
	// (MaxConcurrentOperationsPerUser: 1,500 by default, 15 on 2008 R2) and
	// a text shell's Terminate does not give it back ([MS-WSMV] note 118),
	// so the command after the last is refused (fault 2150859174) until the
	// shell is deleted. 0 means 1,500.
	MaxOperationsPerShell int
	// IdleDropEmpty400 answers a request naming a shell that expired idle
	// with an empty HTTP 400, as Windows has been seen to (pywinrm#377),
	// instead of the shell-not-found fault.
	IdleDropEmpty400 bool
	MaxEnvelopeSize  int // bytes; default 153600 (MaxEnvelopeSizekb 150)
	// Kerberos, when not nil, accepts Kerberos (raw or SPNEGO-wrapped,
	// under Negotiate or Kerberos) with the node's own service keys.
	Kerberos *Kerberos
	// CBTHardening is WinRM's CbtHardeningLevel for HTTPS: CBTNone (or
	// ""), CBTRelaxed or CBTStrict. It applies to NTLM and Kerberos.
	CBTHardening string
	// TLSCertificate is the DER of the HTTPS listener's certificate, whose
	// hash the channel bindings carry (RFC 5929 tls-server-end-point).
	TLSCertificate []byte
	// Latency delays every answer, as a network round trip to a remote
	// node would (benchmarks of slow links); 0 answers at once.
	Latency time.Duration
}
