package wsman

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Handler is a node's WS-Management endpoint at /wsman.
type Handler struct {
	cfg    Config
	ctx    context.Context
	cancel context.CancelFunc
	conns  conns
	shells shells
	done   chan struct{}
	once   sync.Once
	// bindings is the channel bindings hash a client of the HTTPS listener
	// sends (nil without a certificate).
	bindings []byte
	replays  replayCache
}

// Defaults of a Windows WinRM service (winrm get winrm/config).
const (
	defaultMaxShellsPerUser = 30
	defaultIdleTimeout      = 15 * time.Minute
	// defaultMaxOperationsPerShell is Windows' MaxConcurrentOperationsPerUser.
	defaultMaxOperationsPerShell = 1500
	defaultMaxEnvelopeSize       = 150 * 1024
	defaultOperationTimeout      = 60 * time.Second
	minEnvelopeSize              = 8192
	// envelopeOverhead is room left in a Receive answer for everything
	// around the base64 stream data.
	envelopeOverhead = 2048
)

// NewHandler returns the endpoint; Close it to stop its commands.
func NewHandler(cfg Config) *Handler {
	if cfg.MaxShellsPerUser <= 0 {
		cfg.MaxShellsPerUser = defaultMaxShellsPerUser
	}
	if cfg.MaxOperationsPerShell <= 0 {
		cfg.MaxOperationsPerShell = defaultMaxOperationsPerShell
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = defaultIdleTimeout
	}
	if cfg.MaxEnvelopeSize <= 0 {
		cfg.MaxEnvelopeSize = defaultMaxEnvelopeSize
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Handler{cfg: cfg, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	if cfg.TLSCertificate != nil {
		h.bindings = channelBindingsHash(cfg.TLSCertificate)
	}
	h.shells.m = map[string]*shell{}
	h.shells.idleDropped = map[string]bool{}
	go h.janitor()
	return h
}

// Close cancels every running command and deletes every shell.
func (h *Handler) Close() {
	h.once.Do(func() {
		h.cancel()
		<-h.done
		h.shells.mu.Lock()
		h.shells.m = map[string]*shell{}
		h.shells.mu.Unlock()
	})
}

func (h *Handler) janitor() {
	defer close(h.done)
	tick := time.NewTicker(min(max(h.cfg.IdleTimeout/4, 5*time.Millisecond), 30*time.Second))
	defer tick.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case now := <-tick.C:
			h.expireIdle(now)
		}
	}
}

// ConnClosed drops the NTLM state of a closed connection; Listen wires it
// to http.Server.ConnState, other servers may call it likewise.
func (h *Handler) ConnClosed(remoteAddr string) { h.conns.forget(remoteAddr) }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Latency > 0 {
		time.Sleep(h.cfg.Latency)
	}
	if r.URL.Path != "/wsman" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "", http.StatusMethodNotAllowed)
		return
	}
	// Read a little more than the limit so that an oversized envelope can be
	// answered with a fault once the sender is authenticated.
	limit := int64(h.cfg.MaxEnvelopeSize) + 4096
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		http.Error(w, "", http.StatusBadRequest)
		return
	}
	// Identify may be asked without credentials (WSMANIDENTIFY:
	// unauthenticated), as `winrm id -auth:none` and Test-WSMan do.
	if strings.EqualFold(r.Header.Get("WSMANIDENTIFY"), "unauthenticated") && isIdentify(body) {
		h.write(w, &authResult{}, http.StatusOK, identifyResponse(false))
		return
	}
	auth := h.authenticate(w, r, body)
	if auth == nil {
		return
	}
	if h.cfg.Faults != nil {
		if f := h.cfg.Faults.NextHTTPFault(); f != nil {
			if !h.injectFault(w, r, f, auth) {
				return
			}
		}
	}
	status, answer := h.serveSOAP(r, auth)
	if status == statusLost {
		dropConnection(w)
		return
	}
	h.write(w, auth, status, answer)
}

// errEmptyBadRequest is dispatch's answer for an idle-dropped shell with
// Config.IdleDropEmpty400: an HTTP 400 with no body (so nothing sealed).
var errEmptyBadRequest = &soapFault{}

// errLoseAnswer is dispatch's answer when the answer is to be lost
// (Command.LoseAnswer): the connection is dropped instead.
var errLoseAnswer = &soapFault{}

// statusLost is serveSOAP's status for errLoseAnswer.
const statusLost = -1

func (h *Handler) write(w http.ResponseWriter, auth *authResult, status int, answer []byte) {
	if status == http.StatusBadRequest && answer == nil {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(status)
		return
	}
	if auth.seal != nil {
		auth.conn.mu.Lock()
		answer = auth.seal.wrapEncrypted(answer)
		auth.conn.mu.Unlock()
		w.Header().Set("Content-Type", auth.seal.mediaType())
	} else {
		w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(answer)))
	w.WriteHeader(status)
	_, _ = w.Write(answer)
}

// injectFault applies an injected HTTP fault; it reports whether the
// request is still to be handled.
func (h *Handler) injectFault(w http.ResponseWriter, r *http.Request, f *HTTPFault, auth *authResult) bool {
	switch f.Kind {
	case "delay":
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-r.Context().Done():
			return false
		}
	case "http500":
		h.write(w, auth, http.StatusInternalServerError, faultInternal().envelope(messageID(auth.body), h.cfg.NodeName))
		return false
	case "drop":
		dropConnection(w)
		return false
	}
	return true
}

// dropConnection closes the request's connection partway through a
// response, as a network failure does.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream instead
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: 4096\r\n\r\n<s:Envelope xml:lang=\"en-US\" ")
	_ = buf.Flush()
	_ = conn.Close()
}

// messageID fishes the request's MessageID out for fault answers that are
// made before the envelope is parsed.
func messageID(body []byte) string {
	var req request
	_ = xml.Unmarshal(body, &req)
	return req.Header.MessageID
}

// serveSOAP answers one authenticated WS-Management request.
func (h *Handler) serveSOAP(r *http.Request, auth *authResult) (int, []byte) {
	var req request
	if len(auth.body) > h.cfg.MaxEnvelopeSize {
		return faultStatus, faultEncodingLimit("the request is larger than MaxEnvelopeSize.", "ServiceEnvelopeLimit").envelope(messageID(auth.body), h.cfg.NodeName)
	}
	if err := xml.Unmarshal(auth.body, &req); err != nil {
		return faultStatus, faultInvalidBody().envelope("", h.cfg.NodeName)
	}
	if req.Body.Identify != nil {
		return http.StatusOK, identifyResponse(true)
	}
	body, err := h.dispatch(r.Context(), &req, auth.user)
	if err == errEmptyBadRequest {
		return http.StatusBadRequest, nil
	}
	if err == errLoseAnswer {
		return statusLost, nil
	}
	if err != nil {
		return faultStatus, err.envelope(req.Header.MessageID, h.cfg.NodeName)
	}
	return http.StatusOK, body
}

func (h *Handler) dispatch(ctx context.Context, req *request, user string) ([]byte, *soapFault) {
	maxEnvelope := h.cfg.MaxEnvelopeSize
	if v := strings.TrimSpace(req.Header.MaxEnvelopeSize); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < minEnvelopeSize {
			return nil, faultEncodingLimit("the MaxEnvelopeSize of the request is below 8192.", "MinimumEnvelopeLimit")
		}
		maxEnvelope = min(maxEnvelope, n)
	}
	if req.Header.ResourceURI != resourceCmd {
		return nil, faultResourceNotFound()
	}
	action, relates := req.Header.Action, req.Header.MessageID
	if action == actionCreate {
		s, f := h.createShell(req, user)
		if f != nil {
			return nil, f
		}
		to := req.Header.To
		if to == "" {
			to = anonymous
		}
		body := `<x:ResourceCreated><a:Address>` + escape(to) + `</a:Address><a:ReferenceParameters>` +
			`<w:ResourceURI>` + resourceCmd + `</w:ResourceURI><w:SelectorSet><w:Selector Name="ShellId">` + s.id +
			`</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>` +
			`<rsp:Shell><rsp:ShellId>` + s.id + `</rsp:ShellId><rsp:ResourceUri>` + resourceCmd + `</rsp:ResourceUri>` +
			`<rsp:Owner>` + escape(user) + `</rsp:Owner><rsp:ClientIP>` + "127.0.0.1" + `</rsp:ClientIP>` +
			workingDirectoryElement(s.workingDirectory) +
			`<rsp:IdleTimeOut>PT` + strconv.FormatFloat(s.idleTimeout.Seconds(), 'f', 3, 64) + `S</rsp:IdleTimeOut>` +
			`<rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams>` +
			`<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime><rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity></rsp:Shell>`
		return envelope(actionCreate+"Response", relates, body), nil
	}
	switch action {
	case actionDelete, actionCommand, actionReceive, actionSend, actionSignal:
	default:
		return nil, faultActionNotSupported(action)
	}
	s, f := h.lookup(req)
	if f != nil {
		if h.cfg.IdleDropEmpty400 && h.droppedIdle(req.selector("ShellId")) {
			return nil, errEmptyBadRequest
		}
		return nil, f
	}
	switch action {
	case actionDelete:
		h.deleteShell(s)
		return envelope(actionDelete+"Response", relates, ""), nil
	case actionCommand:
		cl := req.Body.CommandLine
		if cl == nil {
			return nil, faultInvalidBody()
		}
		line := strings.Join(append([]string{strings.TrimSpace(cl.Command)}, cl.Arguments...), " ")
		if !h.takeOperation(s) {
			return nil, faultOperationsQuota(h.cfg.MaxOperationsPerShell)
		}
		c := h.startCommand(s, line)
		return envelope(actionCommand+"Response", relates,
			`<rsp:CommandResponse><rsp:CommandId>`+c.id+`</rsp:CommandId></rsp:CommandResponse>`), nil
	case actionReceive:
		if req.Body.Receive == nil {
			return nil, faultInvalidBody()
		}
		c, f := h.lookupCommand(s, req.Body.Receive.DesiredStream.CommandID)
		if f != nil {
			return nil, f
		}
		timeout := defaultOperationTimeout
		if d, ok := parseDuration(req.Header.OperationTimeout); ok {
			timeout = d
		}
		// base64 makes 3 bytes 4; leave room for the rest of the envelope.
		maxData := max((maxEnvelope-envelopeOverhead)*3/4, 1024)
		body, lost, f := c.receive(ctx, timeout, maxData)
		if f != nil {
			return nil, f
		}
		if lost {
			return nil, errLoseAnswer
		}
		return envelope(actionReceive+"Response", relates, body), nil
	case actionSend:
		if req.Body.Send == nil {
			return nil, faultInvalidBody()
		}
		for _, st := range req.Body.Send.Streams {
			c, f := h.lookupCommand(s, st.CommandID)
			if f != nil {
				return nil, f
			}
			data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(st.Data))
			if err != nil {
				return nil, faultInvalidBody()
			}
			// xs:boolean, whose case Windows ignores: pypsrp sends End="True".
			c.stdin.write(data, strings.EqualFold(st.End, "true") || st.End == "1")
		}
		return envelope(actionSend+"Response", relates, `<rsp:SendResponse></rsp:SendResponse>`), nil
	default: // actionSignal
		sig := req.Body.Signal
		if sig == nil {
			return nil, faultInvalidBody()
		}
		c, f := h.lookupCommand(s, sig.CommandID)
		if f != nil {
			return nil, f
		}
		// Windows compares the code without case: pypsrp sends .../signal/Terminate.
		switch strings.ToLower(strings.TrimSpace(sig.Code)) {
		case signalTerminate:
			c.cancel()
			h.shells.mu.Lock()
			delete(s.commands, c.id)
			h.shells.mu.Unlock()
		case signalCtrlC, signalCtrlBreak:
			c.cancel()
		default:
			return nil, faultInvalidBody()
		}
		return envelope(actionSignal+"Response", relates, `<rsp:SignalResponse></rsp:SignalResponse>`), nil
	}
}

// workingDirectoryElement echoes the WorkingDirectory a Create asked for, as
// Windows does (where it stands among the Shell's elements is unconfirmed:
// FORMATS.md).
func workingDirectoryElement(dir string) string {
	if dir == "" {
		return ""
	}
	return "<rsp:WorkingDirectory>" + escape(dir) + "</rsp:WorkingDirectory>"
}
