// Package winrm is the provider's transport to a node: WS-Management shell
// messages (built by masterzen/winrm, their answers read in shell.go) over
// lanes of their own (one connection and, with NTLM, one security context
// each), behind a small Runner interface, with shell reuse, a bound on
// concurrent commands per node, retries of read-only commands, and counters.
package winrm

import (
	"context"
	"time"
)

// Result is what one command printed and its exit code (%ERRORLEVEL%).
type Result struct {
	Stdout   string
	Stderr   string
	ExitCode int
}

// Runner runs cmd.exe command lines on one node.
type Runner interface {
	// Run runs line in the node's cmd shell. readOnly commands (queries) are
	// retried with backoff on transport errors; others never are, since a
	// mutating command may have run before the transport failed. A non-zero
	// exit code is not an error: err is only for transport and protocol failures.
	Run(ctx context.Context, line string, readOnly bool) (Result, error)
	// Node is the NetBIOS name the runner talks to.
	Node() string
}

// Config is one node's connection settings.
type Config struct {
	Node          string // NetBIOS name, for messages
	Host          string
	Port          int
	HTTPS         bool
	Insecure      bool   // skip TLS verification
	CACert        []byte // PEM; nil = system roots
	TLSServerName string
	Auth          string // "ntlm" (default), "basic" or "kerberos"
	Username      string // DOMAIN\user or user@REALM; with kerberos, optional with a credential cache
	Password      string
	// Kerberos (Auth "kerberos"): the credential is Password, else Keytab,
	// else the credential cache CCache (default: KRB5CCNAME).
	Realm            string   // default: the username's @REALM, else krb5.conf's default_realm
	SPN              string   // the node's service principal; default HTTP/<Host>
	Krb5Conf         string   // krb5.conf path; default KRB5_CONFIG or /etc/krb5.conf unless KDC is set
	KDC              []string // the realm's KDCs (host or host:port), added to krb5.conf's
	Keytab           string   // keytab path holding Username's keys
	CCache           string   // credential cache path (FILE:); default KRB5CCNAME
	AllowUnencrypted bool     // Basic over plain HTTP is refused without it
	OperationTimeout time.Duration
	MaxConcurrent    int  // commands at once on this node; default 2
	ReuseShell       bool // keep one shell open across commands (default in the provider: true)
	// RetryBackoff is the first wait before a read-only command is sent
	// again (0: 500ms), doubling, 4 tries in all. Not a provider setting:
	// tests that make a node unreachable shorten it, since they wait out
	// every retry of every read.
	RetryBackoff time.Duration
}

// Stats are a node's transport counters, for the debug log, benchmarks and tests.
type Stats struct {
	Messages      int64 // WS-Management messages (Create, Command, Receive, Signal, Delete)
	HTTPRequests  int64 // HTTP requests, NTLM's handshakes included
	Unauthorized  int64 // 401 answers among them
	BytesSent     int64 // request bodies
	BytesReceived int64 // response bodies
	ShellsOpened  int64
	Commands      int64
	Retries       int64
}

// Add is s and o counted together.
func (s Stats) Add(o Stats) Stats {
	return Stats{Messages: s.Messages + o.Messages, HTTPRequests: s.HTTPRequests + o.HTTPRequests,
		Unauthorized: s.Unauthorized + o.Unauthorized, BytesSent: s.BytesSent + o.BytesSent,
		BytesReceived: s.BytesReceived + o.BytesReceived, ShellsOpened: s.ShellsOpened + o.ShellsOpened,
		Commands: s.Commands + o.Commands, Retries: s.Retries + o.Retries}
}
