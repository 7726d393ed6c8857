package winrm

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"regexp"
	"strings"
	"syscall"
)

// Kind says what went wrong with a node's transport, so callers (and the
// retry loop) can act on the class of failure instead of on message text.
type Kind int

const (
	// KindTransport: the connection broke or the server answered garbage;
	// the request may or may not have reached the node.
	KindTransport Kind = iota
	// KindUnreachable: nothing listens at the endpoint, or it did not answer in time.
	KindUnreachable
	// KindAuth: the server refused the credentials (HTTP 401).
	KindAuth
	// KindTLS: the server's certificate could not be verified.
	KindTLS
	// KindFault: the server answered with a WS-Management SOAP fault.
	KindFault
	// KindShellGone: the server no longer knows the shell (expired, deleted, restarted).
	KindShellGone
	// KindShellSpent: the shell has run as many commands as the server
	// allows (its operations quota); the command was refused, not run.
	KindShellSpent
	// KindConfig: the connection settings are unusable; nothing was sent.
	KindConfig
)

// ErrOutcomeUnknown marks the failure of a changing command whose request
// went out but whose answer was lost (the connection dropped, the node went
// away): it may or may not have run. A caller that can read whether it ran
// (a reboot: the boot time) tells by reading, instead of failing.
var ErrOutcomeUnknown = errors.New("may or may not have run")

// Error is a transport failure worded for an operator: it names the node and
// the endpoint, never the password.
type Error struct {
	Kind     Kind
	Node     string
	Endpoint string
	// Detail is the whole operator-facing sentence, node and endpoint included.
	Detail string
	// Fault is the WSManFault message text for KindFault and KindShellGone.
	Fault string
	Err   error
}

func (e *Error) Error() string {
	return e.Detail
}

func (e *Error) Unwrap() error { return e.Err }

// retryable says whether a read-only command may be sent again after err:
// the failure must be one a later attempt can plausibly get past.
func (e *Error) retryable() bool {
	switch e.Kind {
	case KindTransport, KindUnreachable, KindShellGone, KindShellSpent:
		return true
	case KindFault:
		// wsman:InternalError is the server's "try again"; other faults
		// (bad request, quota) would fail the same way again.
		return strings.Contains(e.Err.Error(), "InternalError")
	}
	return false
}

var (
	// The element name must end at a blank or '>': <a:MessageID> is not a Message.
	faultMessageRe = regexp.MustCompile(`(?s)<(?:\w+:)?Message(?:\s[^>]*)?>(.*?)</(?:\w+:)?Message>`)
	faultTextRe    = regexp.MustCompile(`(?s)<(?:\w+:)?Text(?:\s[^>]*)?>(.*?)</(?:\w+:)?Text>`)
	httpStatusRe   = regexp.MustCompile(`http (?:response )?error:? (\d{3})`)
)

// faultText extracts the human-readable text of a SOAP fault: the
// WSManFault's Message when present, else the SOAP Reason text.
func faultText(body string) string {
	for _, re := range []*regexp.Regexp{faultMessageRe, faultTextRe} {
		if m := re.FindStringSubmatch(body); m != nil {
			t := strings.TrimSpace(html.UnescapeString(stripTags(m[1])))
			if t != "" {
				return t
			}
		}
	}
	return ""
}

var tagRe = regexp.MustCompile(`<[^>]*>`)

func stripTags(s string) string { return tagRe.ReplaceAllString(s, "") }

// isFaultBody tells a SOAP fault apart from a normal response. The sealed
// (NTLM over HTTP) transport of masterzen/winrm hands fault bodies back as if
// they were successes, so the client has to look.
func isFaultBody(body string) bool {
	return strings.Contains(body, "/wsman/fault<") || strings.Contains(body, ":Fault>") || strings.Contains(body, "<Fault>")
}

// shellSpent recognises Windows' refusal of an operation beyond
// MaxConcurrentOperationsPerUser (WSManFault code 2150859174), which a text
// shell reaches after that many commands: Terminate does not give them back
// ([MS-WSMV] note 118).
func shellSpent(text string) bool {
	return strings.Contains(text, "2150859174") || strings.Contains(text, "concurrent operations")
}

// shellGone recognises Windows' "shell was not found" fault (WSManFault code
// 2150858843, subcode w:InvalidSelectors on Receive/Command/Signal).
func shellGone(text string) bool {
	return strings.Contains(text, "2150858843") ||
		strings.Contains(text, "InvalidSelectors") ||
		strings.Contains(strings.ToLower(text), "shell was not found")
}

// classify turns whatever masterzen/winrm returned into an operator-facing
// *Error. Every message it builds is scrubbed of the password.
func (c *Client) classify(err error) *Error {
	var already *Error
	if errors.As(err, &already) {
		return already
	}
	e := &Error{Kind: KindTransport, Node: c.cfg.Node, Endpoint: c.endpoint, Err: err}
	at := fmt.Sprintf("%s (%s)", c.cfg.Node, c.endpoint)
	msg := err.Error()
	var (
		unknownCA  x509.UnknownAuthorityError
		hostname   x509.HostnameError
		invalid    x509.CertificateInvalidError
		verify     *tls.CertificateVerificationError
		recordErr  tls.RecordHeaderError
		netErr     net.Error
		statusCode string
	)
	if m := httpStatusRe.FindStringSubmatch(msg); m != nil {
		statusCode = m[1]
	}
	switch {
	case statusCode == "401":
		e.Kind = KindAuth
		e.Detail = fmt.Sprintf("authentication failed (401) for user %s on %s: check username, password and auth (%s)", c.cfg.Username, at, c.cfg.Auth)
		if c.cfg.Auth != "basic" && c.cfg.HTTPS {
			// The client sends channel bindings; a refusal of good
			// credentials then means the node saw another certificate.
			e.Detail += "; over HTTPS the logon is bound to the node's certificate (channel binding): a node with CbtHardeningLevel=Strict refuses it when something in between (a TLS-inspecting proxy) presents another one"
		}
		if c.cfg.Auth == "basic" {
			// Windows turns Basic off by default and answers it with the
			// same bare 401 as a wrong password.
			e.Detail += `; Basic must be enabled on the node (winrm set winrm/config/service/auth @{Basic="true"}), or use auth = "ntlm"`
		}
	case statusCode == "400" && emptyAnswer(msg):
		// Windows has been seen to answer a request naming a shell it
		// dropped idle with an empty 400 (pywinrm#377): the request was not
		// processed, and the shell is gone.
		e.Kind = KindShellGone
		e.Detail = fmt.Sprintf("%s: the remote shell is gone: the node answered an empty HTTP 400 (a shell it dropped while idle)", at)
	case errors.As(err, &hostname):
		e.Kind = KindTLS
		e.Detail = fmt.Sprintf("TLS verification failed for %s: %v; set tls_server_name to a name the certificate holds", at, &hostname)
	case errors.As(err, &unknownCA), errors.As(err, &invalid), errors.As(err, &verify):
		e.Kind = KindTLS
		e.Detail = fmt.Sprintf("TLS verification failed for %s: %v; set ca_cert to the CA that signed the node's certificate (or tls_server_name if the name differs)", at, unwrapTLS(err))
	case errors.As(err, &recordErr), strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		e.Kind = KindTLS
		e.Detail = fmt.Sprintf("TLS handshake with %s failed: the endpoint does not speak HTTPS (check https and port)", at)
	case isFaultBody(msg) || statusCode == "500":
		e.Fault = faultText(msg)
		switch {
		case shellGone(msg):
			e.Kind = KindShellGone
			e.Detail = fmt.Sprintf("%s: the remote shell is gone: %s", at, e.Fault)
		case shellSpent(msg):
			e.Kind = KindShellSpent
			e.Detail = fmt.Sprintf("%s: the remote shell has run as many commands as the node allows: %s", at, e.Fault)
		default:
			e.Kind = KindFault
			if e.Fault == "" {
				e.Fault = "no fault text"
			}
			e.Detail = fmt.Sprintf("server fault from %s: %s", at, e.Fault)
		}
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Kind = KindUnreachable
		e.Detail = fmt.Sprintf("%s unreachable at %s (connection refused): is WinRM listening on that port?", c.cfg.Node, c.endpoint)
	case errors.As(err, &netErr) && netErr.Timeout():
		e.Kind = KindUnreachable
		e.Detail = fmt.Sprintf("%s unreachable at %s (timeout): the node did not answer in time", c.cfg.Node, c.endpoint)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH), isDNSError(err):
		e.Kind = KindUnreachable
		e.Detail = fmt.Sprintf("%s unreachable at %s: %s", c.cfg.Node, c.endpoint, lastCause(err))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET), strings.Contains(msg, "EOF"):
		e.Detail = fmt.Sprintf("%s: the connection dropped before the answer was complete", at)
	case statusCode != "":
		e.Detail = fmt.Sprintf("%s answered with unexpected HTTP status %s", at, statusCode)
	default:
		e.Detail = fmt.Sprintf("%s: transport error: %s", at, lastCause(err))
	}
	e.Detail, e.Fault = c.scrub(e.Detail), c.scrub(e.Fault)
	return e
}

// emptyAnswer reports whether an HTTP error (`http response error: 400 -
// BODY`) came with no body.
func emptyAnswer(msg string) bool {
	_, body, ok := strings.Cut(msg, " - ")
	return ok && strings.TrimSpace(body) == ""
}

func isDNSError(err error) bool {
	var d *net.DNSError
	return errors.As(err, &d)
}

// unwrapTLS finds the innermost certificate error so the message shows the
// reason (unknown authority, expired) rather than the URL wrapping it.
func unwrapTLS(err error) error {
	var verify *tls.CertificateVerificationError
	if errors.As(err, &verify) && verify.Err != nil {
		return verify.Err
	}
	return errors.New(lastCause(err))
}

// lastCause is the innermost error's text: masterzen/winrm wraps errors as
// "unknown error Post \"url\": dial tcp ...", and the operator needs the end.
func lastCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}
