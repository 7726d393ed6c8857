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
	"github.com/jcmturner/gokrb5/v8/messages"
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
	// sec is the connection's security context (NTLM or Kerberos), nil
	// before the handshake and after any failure.
	sec securityContext

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
		resp, err := t.hc.Do(req)
		if err == nil && resp.StatusCode == http.StatusUnauthorized && !offers(resp.Header, "Basic") {
			drain(resp)
			return "", t.schemeDisabled(resp.Header)
		}
		return faultAsError(t.answer(resp, err))
	}
	for attempt := 1; ; attempt++ {
		established := t.sec != nil
		if !established {
			var err error
			if t.c.cfg.Auth == "kerberos" {
				err = t.handshakeKerberos()
			} else {
				err = t.handshake()
			}
			if err != nil {
				return "", err
			}
		}
		resp, err := t.send(ctx, body)
		if err != nil {
			t.sec = nil
			return "", err
		}
		if resp.StatusCode == http.StatusUnauthorized && established && attempt == 1 {
			drain(resp)
			t.sec = nil
			continue
		}
		out, err := t.unseal(resp)
		if err != nil {
			t.sec = nil
		}
		return faultAsError(out, err)
	}
}

// securityContext is a connection's authenticated context, which seals and
// unseals its messages over plain HTTP.
type securityContext interface {
	seal(plain []byte) (sig, sealed []byte, err error)
	open(sig, sealed []byte) ([]byte, error)
	// protocol is the sealed framing's protocol, sigLen its signature's
	// length (0: any).
	protocol() string
	sigLen() int
}

// ntlmContext is NTLM's context ([MS-NLMP] sealing with signatures of 16 bytes).
type ntlmContext struct{ nc *ntlmssp.Client }

func (n ntlmContext) seal(plain []byte) (sig, sealed []byte, err error) {
	sealed, sig, err = n.nc.SecuritySession().Wrap(plain)
	return sig, sealed, err
}

func (n ntlmContext) open(sig, sealed []byte) ([]byte, error) {
	return n.nc.SecuritySession().Unwrap(sealed, sig)
}
func (ntlmContext) protocol() string { return sealedProtocol }
func (ntlmContext) sigLen() int      { return 16 }

func (k *krbContext) protocol() string { return k.proto }
func (*krbContext) sigLen() int        { return 0 }

// handshakeKerberos authenticates the lane's connection with one empty POST
// carrying the AP-REQ, answered 200 with the node's AP-REP. Over HTTPS an
// unauthenticated empty POST goes first: its connection (kept alive) is the
// one the AP-REQ binds to, and its 401 says which schemes the node offers.
// The token goes under `Kerberos`, or SPNEGO-wrapped under `Negotiate` when
// the node offers only that.
func (t *laneTransport) handshakeKerberos() error {
	cl, err := t.c.krbLogin()
	if err != nil {
		return err
	}
	scheme := "Kerberos"
	var bindings []byte
	if t.c.cfg.HTTPS {
		req, err := t.request(context.Background(), nil, soapContentType)
		if err != nil {
			return err
		}
		resp, err := t.hc.Do(req)
		if err != nil {
			return err
		}
		drain(resp)
		if resp.StatusCode != http.StatusUnauthorized {
			return fmt.Errorf("http response error: %d - an unauthenticated request was not answered 401", resp.StatusCode)
		}
		switch {
		case offers(resp.Header, "Kerberos"):
		case offers(resp.Header, "Negotiate"):
			scheme = "Negotiate"
		default:
			return t.schemeDisabled(resp.Header)
		}
		if cb := channelBindings(resp.TLS); cb != nil {
			bindings = bindingsHash(cb)
		}
	}
	for attempt := 1; ; attempt++ {
		ap, err := t.c.newAPReq(cl, bindings)
		if err != nil {
			return err
		}
		token := ap.token
		if scheme == "Negotiate" {
			if token, err = spnegoInit(ap.token); err != nil {
				return err
			}
		}
		req, err := t.request(context.Background(), nil, soapContentType)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", scheme+" "+base64.StdEncoding.EncodeToString(token))
		resp, err := t.hc.Do(req)
		if err != nil {
			return err
		}
		drain(resp)
		answer := schemeToken(resp.Header, "Kerberos", "Negotiate")
		if resp.StatusCode == http.StatusUnauthorized {
			if attempt == 1 && scheme == "Kerberos" && !offers(resp.Header, "Kerberos") && offers(resp.Header, "Negotiate") {
				scheme = "Negotiate"
				continue
			}
			return t.kerberosRefused(resp.Header, answer)
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("http response error: %d - the node answered the Kerberos AP-REQ with status %d", resp.StatusCode, resp.StatusCode)
		}
		ctx, err := ap.checkAPRep(answer)
		if err != nil {
			return t.c.krbError(KindAuth, "mutual authentication failed: "+err.Error()+"; the answer did not come from a holder of the node's key (check spn, and that nothing between this machine and the node answers in its place)", err)
		}
		ctx.proto = sealedKerberos
		if scheme == "Negotiate" {
			ctx.proto = sealedProtocol
		}
		t.sec = ctx
		return nil
	}
}

// kerberosRefused words a 401 to a ticket the KDC issued: the node's
// KRB-ERROR when it sent one, else the scheme being off, else a refused
// channel binding (HTTPS) or a key the node does not have.
func (t *laneTransport) kerberosRefused(h http.Header, token []byte) error {
	t.c.forgetLogin()
	if !offers(h, "Kerberos", "Negotiate") {
		return t.schemeDisabled(h)
	}
	if token != nil {
		if id, msg, err := gssUnframe(token); err == nil && string(id) == string(tokKRBErr) {
			var ke messages.KRBError
			if ke.Unmarshal(msg) == nil {
				if ke.ErrorCode == 37 { // KRB_AP_ERR_SKEW
					return t.c.krbFailure(ke, "authenticate")
				}
				return t.c.krbError(KindAuth, fmt.Sprintf("the node refused the ticket for %s: %s; the node's key for that principal differs from the KDC's (check spn: it must belong to the node's own account)", t.c.spn(), ke.Error()), ke)
			}
		}
	}
	if t.c.cfg.HTTPS {
		return t.c.krbError(KindAuth, fmt.Sprintf("the node refused a ticket the KDC issued for %s (401): over HTTPS this is a refused channel binding (the node's CbtHardeningLevel with a certificate other than the one this client saw: a TLS-inspecting proxy?), or a ticket the node cannot read (spn on another account, stale key version)", t.c.spn()), nil)
	}
	return t.c.krbError(KindAuth, fmt.Sprintf("the node refused a ticket the KDC issued for %s (401): the node cannot read it (spn registered on another account, or a stale key version)", t.c.spn()), nil)
}

// offers says whether a 401 offers one of the schemes (a 401 that offers
// none is taken to offer them all: nothing is known).
func offers(h http.Header, schemes ...string) bool {
	vals := h.Values("WWW-Authenticate")
	if len(vals) == 0 {
		return true
	}
	for _, v := range vals {
		for _, part := range strings.Split(v, ",") {
			name, _, _ := strings.Cut(strings.TrimSpace(part), " ")
			for _, s := range schemes {
				if strings.EqualFold(name, s) {
					return true
				}
			}
		}
	}
	return false
}

// offered lists the schemes a 401 offers, for messages.
func offered(h http.Header) string {
	var names []string
	for _, v := range h.Values("WWW-Authenticate") {
		for _, part := range strings.Split(v, ",") {
			if name, _, _ := strings.Cut(strings.TrimSpace(part), " "); name != "" {
				names = append(names, name)
			}
		}
	}
	return strings.Join(names, ", ")
}

// schemeDisabled is the error for a node whose 401 does not offer the
// configured auth: the service has it turned off.
func (t *laneTransport) schemeDisabled(h http.Header) error {
	at := fmt.Sprintf("%s (%s)", t.c.cfg.Node, t.c.endpoint)
	var d string
	switch t.c.cfg.Auth {
	case "basic":
		d = `Basic authentication is disabled on the node; Basic must be enabled on the node (winrm set winrm/config/service/auth @{Basic="true"}), or use auth = "ntlm" or "kerberos"`
	case "ntlm":
		d = `NTLM (Negotiate) authentication is disabled on the node (winrm set winrm/config/service/auth @{Negotiate="true"}), or use auth = "kerberos"`
	default:
		d = `Kerberos authentication is disabled on the node (winrm set winrm/config/service/auth @{Kerberos="true"}), or use auth = "ntlm"`
	}
	return &Error{Kind: KindAuth, Node: t.c.cfg.Node, Endpoint: t.c.endpoint,
		Detail: fmt.Sprintf("%s: %s; it offers only: %s", at, d, offered(h))}
}

// schemeToken is the token of a `WWW-Authenticate: <scheme> <token>` header
// for one of the schemes, nil when there is none.
func schemeToken(h http.Header, schemes ...string) []byte {
	for _, v := range h.Values("WWW-Authenticate") {
		scheme, token, ok := strings.Cut(strings.TrimSpace(v), " ")
		if !ok {
			continue
		}
		for _, s := range schemes {
			if strings.EqualFold(scheme, s) {
				if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token)); err == nil {
					return b
				}
			}
		}
	}
	return nil
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
		if leg == 1 && resp.StatusCode == http.StatusUnauthorized && !offers(resp.Header, "Negotiate") {
			drain(resp)
			return t.schemeDisabled(resp.Header)
		}
		if leg == 2 || resp.StatusCode != http.StatusUnauthorized {
			_, err := t.answer(resp, nil)
			if err != nil {
				return err
			}
			break
		}
		challenge = schemeToken(resp.Header, "Negotiate")
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
	t.sec = ntlmContext{nc}
	return nil
}

// send sends body on the authenticated connection: sealed over plain
// HTTP, as it is over HTTPS.
func (t *laneTransport) send(ctx context.Context, body []byte) (*http.Response, error) {
	ct := soapContentType
	if !t.c.cfg.HTTPS {
		sig, sealed, err := t.sec.seal(body)
		if err != nil {
			return nil, err
		}
		body, ct = frameSealed(t.sec.protocol(), sig, sealed), sealedContentType(t.sec.protocol())
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
	isSealed := strings.HasPrefix(strings.ToLower(ct), "multipart/encrypted")
	if t.sec == nil || t.c.cfg.HTTPS {
		if isSealed {
			drain(resp)
			return "", fmt.Errorf("http response error: %d - a sealed answer on a connection that seals nothing", resp.StatusCode)
		}
		return t.answer(resp, nil)
	}
	// Over plain HTTP the context's sealing is all that tells the node's
	// answer from anyone else's on the path: an answer in clear text (or
	// sealed for another protocol) is refused, its body never read as a
	// fault or an output. Only its status is taken, from an error that
	// carries nothing else: Windows answers a request for a shell it
	// dropped while idle with an empty 400, in clear.
	if !isSealed || !strings.Contains(ct, `protocol="`+t.sec.protocol()+`"`) {
		drain(resp)
		if resp.StatusCode != http.StatusOK {
			return t.status(resp.StatusCode, "")
		}
		return "", fmt.Errorf("http response error: %d - an answer not sealed as %s on a sealed connection; refused "+
			"(it could come from anyone on the path)", resp.StatusCode, t.sec.protocol())
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	sig, sealed, err := parseSealed(raw, t.sec.sigLen())
	if err != nil {
		return "", err
	}
	plain, err := t.sec.open(sig, sealed)
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
	sealedKerberos    = "application/HTTP-Kerberos-session-encrypted"
	sealedBoundary    = "--Encrypted Boundary"
	sealedOctetStream = "\tContent-Type: application/octet-stream\r\n"
)

func sealedContentType(protocol string) string {
	return `multipart/encrypted;protocol="` + protocol + `";boundary="Encrypted Boundary"`
}

func frameSealed(protocol string, sig, sealed []byte) []byte {
	var b bytes.Buffer
	b.WriteString(sealedBoundary + "\r\n\tContent-Type: " + protocol + "\r\n")
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
// without their leading tab): the signature (sigLen bytes long, or at least
// 16 when sigLen is 0) and the sealed message, whose length the first part
// gives.
func parseSealed(body []byte, sigLen int) (sig, sealed []byte, err error) {
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
	if (sigLen != 0 && n != sigLen) || n < 16 || len(data) < 4+n+length {
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
