package winrm

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bodgit/ntlmssp"
	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
)

const soapContentType = "application/soap+xml;charset=UTF-8"

// laneTransport posts one lane's SOAP messages (masterzen/winrm builds them
// and parses the answers) over an HTTP client of the lane's own, which keeps
// one connection to the node alive.
//
// NTLM authenticates a TCP connection, not a request ([MS-NTHT] 2.1): the
// lane runs the three-leg handshake once, on an empty POST as Windows'
// clients do, and every later message on that connection goes in one
// request; over plain HTTP each is signed and sealed with the connection's
// security context ([MS-WSMV] 2.2.9.1), its sequence numbers running across
// the messages. A 401 to an established context (the server closed the
// connection and the message went out on a new one) means the message was
// not processed: the lane shakes hands again and sends it once more. Basic
// sends the credentials with every request.
type laneTransport struct {
	c   *Client
	url string
	hc  *http.Client

	mu sync.Mutex // one message at a time on the lane's connection
	// ntlm is the connection's security context, nil before the handshake
	// and after any failure.
	ntlm *ntlmssp.Client

	// A Receive waits at the node up to the OperationTimeout for output
	// while it holds the lane's connection, so a cancelled command's Signal
	// would wait behind it. abortReceives cuts the Receive in flight and
	// refuses later ones.
	recvMu     sync.Mutex
	receives   context.Context
	stopRecvFn context.CancelFunc
}

// receiveAction marks a Receive request: its Action header's value.
const receiveAction = "/windows/shell/Receive<"

// abortReceives cuts the transport's Receive in flight, if any, and makes
// every later one fail at once, also one not sent yet when the command was
// cancelled; other messages (Signal, Delete) still go. The lane's transport
// is replaced after a cancelled command.
func (t *laneTransport) abortReceives() {
	t.receiveContext()
	t.stopRecvFn()
}

// receiveContext is the context of the transport's Receive requests.
func (t *laneTransport) receiveContext() context.Context {
	t.recvMu.Lock()
	defer t.recvMu.Unlock()
	if t.receives == nil {
		t.receives, t.stopRecvFn = context.WithCancel(context.Background())
	}
	return t.receives
}

func (t *laneTransport) Transport(ep *winrm.Endpoint) error {
	tlsConfig := &tls.Config{InsecureSkipVerify: ep.Insecure, ServerName: ep.TLSServerName, MinVersion: tls.VersionTLS12} //nolint:gosec // insecure is the operator's explicit choice
	if len(ep.CACert) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ep.CACert) {
			return errors.New("ca_cert holds no PEM certificate")
		}
		tlsConfig.RootCAs = pool
	}
	t.hc = &http.Client{
		Transport: &countingRoundTripper{c: t.c, inner: &http.Transport{
			// HTTP(S)_PROXY and NO_PROXY as before (masterzen/winrm's
			// transports honoured them). Through a proxy, HTTPS is a tunnel
			// per connection, which NTLM survives; plain HTTP through a
			// pooling proxy may not be, so NO_PROXY should name the nodes.
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSClientConfig:       tlsConfig,
			TLSHandshakeTimeout:   30 * time.Second,
			ResponseHeaderTimeout: ep.Timeout,
			MaxIdleConnsPerHost:   1,
			IdleConnTimeout:       5 * time.Minute,
		}},
		// NTLM's handshake must not follow redirects to another host.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return nil
}

func (t *laneTransport) Post(_ *winrm.Client, m *soap.SoapMessage) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.c.messages.Add(1)
	body := []byte(m.String())
	// Only a Receive can be cut short (abortReceives); the rest always go.
	ctx := context.Background()
	if bytes.Contains(body, []byte(receiveAction)) {
		ctx = t.receiveContext()
		if err := ctx.Err(); err != nil {
			return "", fmt.Errorf("receive abandoned: %w", err)
		}
	}
	if t.c.cfg.Auth == "basic" {
		req, err := t.request(ctx, body, soapContentType)
		if err != nil {
			return "", err
		}
		req.SetBasicAuth(t.c.cfg.Username, t.c.cfg.Password)
		return faultAsError(t.answer(t.hc.Do(req)))
	}
	for attempt := 1; ; attempt++ {
		established := t.ntlm != nil
		if !established {
			if err := t.handshake(); err != nil {
				return "", err
			}
		}
		resp, err := t.sendNTLM(ctx, body)
		if err != nil {
			t.ntlm = nil
			return "", err
		}
		if resp.StatusCode == http.StatusUnauthorized && established && attempt == 1 {
			drain(resp)
			t.ntlm = nil
			continue
		}
		out, err := t.unseal(resp)
		if err != nil {
			t.ntlm = nil
		}
		return faultAsError(out, err)
	}
}

// handshake authenticates the lane's connection with two empty POSTs: the
// NEGOTIATE message, answered 401 with the CHALLENGE, then the
// AUTHENTICATE, answered 200. The SOAP body never goes before the
// connection is authenticated, so it is never sent unsealed over HTTP.
func (t *laneTransport) handshake() error {
	user, domain := splitUser(t.c.cfg.Username)
	nc, err := ntlmssp.NewClient(ntlmssp.SetUserInfo(user, t.c.cfg.Password), ntlmssp.SetDomain(domain), ntlmssp.SetVersion(ntlmssp.DefaultVersion()))
	if err != nil {
		return err
	}
	var (
		challenge []byte
		bindings  *ntlmssp.ChannelBindings
	)
	for leg := 1; leg <= 2; leg++ {
		token, err := nc.Authenticate(challenge, bindings)
		if err != nil {
			return fmt.Errorf("http response error: 401 - NTLM: %w", err)
		}
		req, err := t.request(context.Background(), nil, soapContentType)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Negotiate "+base64.StdEncoding.EncodeToString(token))
		resp, err := t.hc.Do(req)
		if err != nil {
			return err
		}
		if leg == 2 || resp.StatusCode != http.StatusUnauthorized {
			_, err := t.answer(resp, nil)
			if err != nil {
				return err
			}
			break
		}
		challenge = negotiateToken(resp.Header)
		// The AUTHENTICATE goes on the connection that carried the
		// CHALLENGE (kept alive), so it binds to that one's certificate.
		bindings = channelBindings(resp.TLS)
		drain(resp)
		if challenge == nil {
			return errors.New("http response error: 401 - the server offered no NTLM challenge")
		}
	}
	if !nc.Complete() {
		return errors.New("http response error: 401 - the server did not complete the NTLM handshake")
	}
	t.ntlm = nc
	return nil
}

// negotiateToken is the token of a `WWW-Authenticate: Negotiate <token>`
// header, nil when there is none.
func negotiateToken(h http.Header) []byte {
	for _, v := range h.Values("WWW-Authenticate") {
		scheme, token, ok := strings.Cut(v, " ")
		if !ok || !strings.EqualFold(scheme, "Negotiate") {
			continue
		}
		if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token)); err == nil {
			return b
		}
	}
	return nil
}

// sendNTLM sends body on the authenticated connection: sealed over plain
// HTTP, as it is over HTTPS.
func (t *laneTransport) sendNTLM(ctx context.Context, body []byte) (*http.Response, error) {
	ct := soapContentType
	if !t.c.cfg.HTTPS {
		sealed, sig, err := t.ntlm.SecuritySession().Wrap(body)
		if err != nil {
			return nil, err
		}
		body, ct = frameSealed(sig, sealed), sealedContentType
	}
	req, err := t.request(ctx, body, ct)
	if err != nil {
		return nil, err
	}
	return t.hc.Do(req)
}

// unseal reads an answer, unsealing it when it came sealed.
func (t *laneTransport) unseal(resp *http.Response) (string, error) {
	ct := resp.Header.Get("Content-Type")
	if !strings.HasPrefix(strings.ToLower(ct), "multipart/encrypted") {
		return t.answer(resp, nil)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	sig, sealed, err := parseSealed(raw)
	if err != nil {
		return "", err
	}
	plain, err := t.ntlm.SecuritySession().Unwrap(sealed, sig)
	if err != nil {
		return "", fmt.Errorf("a sealed answer whose signature does not verify: %w", err)
	}
	return t.status(resp.StatusCode, string(plain))
}

// The framing of a sealed message ([MS-WSMV] 2.2.9.1.1), as Windows,
// pywinrm and masterzen/winrm write it: two MIME parts, the first saying
// the original content's type and length (of the plain message), the
// second the signature's length (4 bytes, little-endian), the signature
// and the sealed message.
const (
	sealedProtocol    = "application/HTTP-SPNEGO-session-encrypted"
	sealedBoundary    = "--Encrypted Boundary"
	sealedContentType = `multipart/encrypted;protocol="` + sealedProtocol + `";boundary="Encrypted Boundary"`
	sealedOctetStream = "\tContent-Type: application/octet-stream\r\n"
)

func frameSealed(sig, sealed []byte) []byte {
	var b bytes.Buffer
	b.WriteString(sealedBoundary + "\r\n\tContent-Type: " + sealedProtocol + "\r\n")
	fmt.Fprintf(&b, "\tOriginalContent: type=%s;Length=%d\r\n", soapContentType, len(sealed))
	b.WriteString(sealedBoundary + "\r\n" + sealedOctetStream)
	b.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(sig))))
	b.Write(sig)
	b.Write(sealed)
	b.WriteString(sealedBoundary + "--\r\n")
	return b.Bytes()
}

var errSealedFraming = errors.New("http response error: 400 - a sealed answer that is not multipart/encrypted as WinRM frames it")

// parseSealed reads frameSealed's framing (the part headers with or
// without their leading tab): the signature and the sealed message, whose
// length the first part gives.
func parseSealed(body []byte) (sig, sealed []byte, err error) {
	parts := bytes.SplitN(body, []byte(sealedBoundary+"\r\n"), 3)
	if len(parts) != 3 || len(parts[0]) != 0 {
		return nil, nil, errSealedFraming
	}
	_, lengthText, ok := bytes.Cut(parts[1], []byte("Length="))
	if !ok {
		return nil, nil, errSealedFraming
	}
	if i := bytes.IndexAny(lengthText, ";\r\n"); i >= 0 {
		lengthText = lengthText[:i]
	}
	length, err := strconv.Atoi(string(bytes.TrimSpace(lengthText)))
	_, data, ok := bytes.Cut(parts[2], []byte("application/octet-stream\r\n"))
	if err != nil || length < 0 || !ok || len(data) < 4 {
		return nil, nil, errSealedFraming
	}
	n := int(binary.LittleEndian.Uint32(data))
	if n != 16 || len(data) < 4+n+length {
		return nil, nil, errSealedFraming
	}
	return data[4 : 4+n], data[4+n : 4+n+length], nil
}

func (t *laneTransport) request(ctx context.Context, body []byte, contentType string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "terraform-provider-mscs")
	return req, nil
}

// answer reads a plain response: its body on 200, else an error in the form
// masterzen/winrm gives, which classify reads.
func (t *laneTransport) answer(resp *http.Response, err error) (string, error) {
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	return t.status(resp.StatusCode, string(body))
}

func (t *laneTransport) status(code int, body string) (string, error) {
	if code != http.StatusOK {
		return "", fmt.Errorf("http response error: %d - %s", code, body)
	}
	return body, nil
}

// drain reads and closes a response so its connection can carry the next request.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
}

// splitUser splits DOMAIN\user and user@domain.
func splitUser(username string) (user, domain string) {
	if d, u, ok := strings.Cut(username, `\`); ok {
		return u, d
	}
	if u, d, ok := strings.Cut(username, "@"); ok {
		return u, d
	}
	return username, ""
}

func faultAsError(body string, err error) (string, error) {
	if err == nil && isFaultBody(body) {
		return "", fmt.Errorf("wsman fault: %s", body)
	}
	return body, err
}

// countingRoundTripper counts a node's HTTP requests, the 401s among them,
// and the bytes of bodies both ways.
type countingRoundTripper struct {
	c     *Client
	inner http.RoundTripper
}

func (r *countingRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	r.c.httpRequests.Add(1)
	if req.ContentLength > 0 {
		r.c.bytesSent.Add(req.ContentLength)
	}
	resp, err := r.inner.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized {
		r.c.unauthorized.Add(1)
	}
	resp.Body = &countingBody{ReadCloser: resp.Body, c: r.c}
	return resp, nil
}

type countingBody struct {
	io.ReadCloser
	c *Client
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.c.bytesReceived.Add(int64(n))
	return n, err
}
