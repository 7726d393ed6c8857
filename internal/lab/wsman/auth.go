package wsman

import (
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"
)

// connState is what NTLM remembers about one TCP connection: NTLM
// authenticates the connection, not the request ([MS-NTHT] 2.1).
type connState struct {
	mu       sync.Mutex
	acceptor *ntlmServer
	user     string // set once an AUTHENTICATE verified
	seal     sealer // set when sealing was negotiated
	// mechTypes is the client's SPNEGO mechanism list while it
	// authenticates with SPNEGO-wrapped NTLM (nil for raw NTLM): the
	// answers are wrapped too, and the mechListMIC is computed over it.
	mechTypes []byte
	lastUsed  time.Time
}

// conns tracks NTLM state per remote address (one per TCP connection).
type conns struct {
	mu sync.Mutex
	m  map[string]*connState
}

// staleConn is how long an idle connection's NTLM state is kept when the
// server does not report closed connections (a server built without Listen).
const staleConn = time.Hour

func (c *conns) get(addr string) *connState {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*connState{}
	}
	now := time.Now()
	st, ok := c.m[addr]
	if !ok {
		for k, v := range c.m {
			if now.Sub(v.lastUsed) > staleConn {
				delete(c.m, k)
			}
		}
		st = &connState{}
		c.m[addr] = st
	}
	st.lastUsed = now
	return st
}

func (c *conns) forget(addr string) {
	c.mu.Lock()
	delete(c.m, addr)
	c.mu.Unlock()
}

// authResult is an authenticated request, its SOAP body in clear, and the
// session to seal the answer with (nil for a clear answer).
type authResult struct {
	user string
	body []byte
	seal sealer
	conn *connState
}

// challenge answers 401 with the schemes a Windows WinRM service offers:
// Negotiate and Kerberos, and Basic only where it is enabled; never a bare
// NTLM (a client sends NTLM inside Negotiate, raw or SPNEGO-wrapped).
func (h *Handler) challenge(w http.ResponseWriter) {
	w.Header().Add("WWW-Authenticate", "Negotiate")
	w.Header().Add("WWW-Authenticate", "Kerberos")
	if !h.cfg.DisableBasic {
		w.Header().Add("WWW-Authenticate", `Basic realm="WSMAN"`)
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusUnauthorized)
}

// denied is the bare 401 for wrong credentials or a refused scheme.
func denied(w http.ResponseWriter) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusUnauthorized)
}

// refuseClear answers a clear SOAP body from an NTLM-authenticated client
// on plain HTTP when AllowUnencrypted is false: Windows answers HTTP 500 and
// logs that it received an unencrypted message (diyan/pywinrm#129, #208).
func refuseClear(w http.ResponseWriter) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusInternalServerError)
}

// authenticate runs the authentication of one request. It answers the
// request itself (401, 200 for the empty NTLM handshake POST, 400) and
// returns nil when there is nothing more to do.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request, body []byte) *authResult {
	secure := r.TLS != nil
	clearAllowed := secure || h.cfg.AllowUnencrypted
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	switch strings.ToLower(scheme) {
	case "basic":
		if !clearAllowed || h.cfg.DisableBasic {
			denied(w)
			return nil
		}
		// Basic over plain HTTP is refused with a 401 even for good
		// credentials, as Windows does (pywinrm users see "the specified
		// credentials were rejected by the server").
		user, ok := h.checkBasic(token)
		if !ok {
			denied(w)
			return nil
		}
		return &authResult{user: user, body: body}
	case "negotiate", "ntlm", "kerberos":
		raw, err := base64.StdEncoding.DecodeString(token)
		if err != nil {
			denied(w)
			return nil
		}
		if inner, ok := isKerberosToken(raw); ok {
			return h.authenticateKerberos(w, r, scheme, inner, nil, body, clearAllowed)
		}
		if isSPNEGO(raw) {
			if sp, err := parseSPNEGO(raw); err == nil && sp.mechTypes != nil && sp.token != nil {
				if inner, ok := isKerberosToken(sp.token); ok {
					return h.authenticateKerberos(w, r, scheme, inner, sp, body, clearAllowed)
				}
			}
		}
		if strings.EqualFold(scheme, "kerberos") {
			denied(w)
			return nil
		}
		// A bare NTLM scheme is not offered but still understood.
		return h.authenticateNTLM(w, r, scheme, token, body, clearAllowed)
	case "":
		st := h.conns.get(r.RemoteAddr)
		st.mu.Lock()
		user := st.user
		st.mu.Unlock()
		if user == "" {
			h.challenge(w)
			return nil
		}
		return h.connBody(w, r, st, user, body, clearAllowed)
	default:
		h.challenge(w)
		return nil
	}
}

func (h *Handler) checkBasic(token string) (string, bool) {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return "", false
	}
	name, password, ok := strings.Cut(string(raw), ":")
	if !ok || name == "" || h.cfg.Accounts == nil {
		return "", false
	}
	user, domain := splitUser(name)
	want, ok := h.cfg.Accounts.Password(user, domain)
	if !ok || subtle.ConstantTimeCompare([]byte(want), []byte(password)) != 1 {
		return "", false
	}
	return name, true
}

// splitUser splits `DOMAIN\user` and `user@domain` into user and domain.
func splitUser(name string) (user, domain string) {
	if d, u, ok := strings.Cut(name, `\`); ok {
		return u, d
	}
	if u, d, ok := strings.Cut(name, "@"); ok {
		return u, d
	}
	return name, ""
}

func (h *Handler) authenticateNTLM(w http.ResponseWriter, r *http.Request, scheme, token string, body []byte, clearAllowed bool) *authResult {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		denied(w)
		return nil
	}
	st := h.conns.get(r.RemoteAddr)
	st.mu.Lock()
	defer st.mu.Unlock()
	// answer sets the WWW-Authenticate of the answer: the NTLM token, in
	// SPNEGO when the client wrapped its own.
	var sp *spnegoToken
	answer := func(state int, ntlm, mic []byte) {
		tok := ntlm
		if sp != nil {
			tok = negTokenResp(state, state == negAcceptIncomplete, ntlm, mic)
		}
		if tok != nil {
			w.Header().Set("WWW-Authenticate", scheme+" "+base64.StdEncoding.EncodeToString(tok))
		}
	}
	if isSPNEGO(raw) {
		if sp, err = parseSPNEGO(raw); err != nil {
			denied(w)
			return nil
		}
		switch {
		case sp.mechTypes != nil && !sp.offersNTLM:
			// Kerberos only: the lab has no KDC.
			st.mechTypes, st.acceptor = nil, nil
			answer(negReject, nil, nil)
			denied(w)
			return nil
		case sp.mechTypes != nil:
			st.user, st.seal, st.acceptor = "", nil, nil
			st.mechTypes = sp.mechTypes
			if !sp.ntlmFirst || sp.token == nil {
				// The client's optimistic token is for a mechanism it
				// prefers (Kerberos): choose NTLM and wait for its NEGOTIATE.
				answer(negAcceptIncomplete, nil, nil)
				denied(w)
				return nil
			}
		case st.mechTypes == nil:
			denied(w)
			return nil
		}
		raw = sp.token
	} else {
		st.mechTypes = nil
	}
	switch ntlmMessageType(raw) {
	case 1:
		// A new NEGOTIATE restarts authentication on this connection.
		st.user, st.seal = "", nil
		st.acceptor = &ntlmServer{nodeName: h.cfg.NodeName, domain: h.cfg.Domain, accounts: h.cfg.Accounts}
		msg, err := st.acceptor.Challenge(raw)
		if err != nil {
			denied(w)
			return nil
		}
		answer(negAcceptIncomplete, msg, nil)
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusUnauthorized)
		return nil
	case 3:
		if st.acceptor == nil {
			denied(w)
			return nil
		}
		res, err := st.acceptor.Authenticate(raw)
		st.acceptor = nil
		if err != nil || !h.bindingOK(r.TLS != nil, res.ChannelBindings) {
			denied(w)
			return nil
		}
		var seal *sealSession
		if res.Flags&flagSeal != 0 {
			seal, _ = newServerSeal(res.Flags, res.ExportedSessionKey)
		}
		var ownMIC []byte
		if sp != nil && sp.mic != nil {
			mic := seal
			if mic == nil {
				if mic, err = newServerSession(res.Flags, res.ExportedSessionKey); err != nil {
					denied(w)
					return nil
				}
			}
			if ownMIC, err = mic.checkMechListMIC(st.mechTypes, sp.mic); err != nil {
				denied(w)
				return nil
			}
		}
		st.user = res.User
		if res.Domain != "" {
			st.user = res.Domain + `\` + res.User
		}
		st.seal = nil
		if seal != nil {
			st.seal = seal
		}
		answer(negAcceptCompleted, nil, ownMIC)
		return authenticated(w, st, body, clearAllowed)
	default:
		denied(w)
		return nil
	}
}

// connBody accepts a request on an NTLM-authenticated connection: sealed, or
// in clear where clear traffic is allowed.
func (h *Handler) connBody(w http.ResponseWriter, r *http.Request, st *connState, user string, body []byte, clearAllowed bool) *authResult {
	if strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "multipart/encrypted") {
		st.mu.Lock()
		defer st.mu.Unlock()
		if st.seal == nil {
			denied(w)
			return nil
		}
		plain, err := st.seal.unwrapEncrypted(body)
		if err != nil {
			http.Error(w, "", http.StatusBadRequest)
			return nil
		}
		return &authResult{user: user, body: plain, seal: st.seal, conn: st}
	}
	if !clearAllowed {
		if len(body) == 0 {
			// The empty POST a sealing client starts each exchange with:
			// authenticate again.
			h.challenge(w)
			return nil
		}
		refuseClear(w)
		return nil
	}
	return &authResult{user: user, body: body, conn: st}
}

// authenticateKerberos accepts a Kerberos AP-REQ (inner: the GSS-API token
// id and message), raw or from a SPNEGO NegTokenInit (sp), and answers the
// mutual authentication token in the scheme and form the client used. The
// context it makes is the connection's, as NTLM's is.
func (h *Handler) authenticateKerberos(w http.ResponseWriter, r *http.Request, scheme string, inner []byte, sp *spnegoToken, body []byte, clearAllowed bool) *authResult {
	st := h.conns.get(r.RemoteAddr)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.user, st.seal, st.acceptor, st.mechTypes = "", nil, nil, nil
	acc, err := h.acceptKerberos(inner, r.TLS != nil)
	if err != nil {
		if sp != nil {
			w.Header().Set("WWW-Authenticate", scheme+" "+base64.StdEncoding.EncodeToString(negTokenResp(negReject, false, nil, nil)))
		}
		denied(w)
		return nil
	}
	tok := acc.apRep
	// A client that named Kerberos seals with the Kerberos protocol, one
	// that negotiated with the SPNEGO one (pywinrm and Windows do so).
	acc.ctx.protocol = kerberosProtocol
	if sp != nil || strings.EqualFold(scheme, "negotiate") {
		acc.ctx.protocol = encryptedProtocol
	}
	if sp != nil {
		tok = negTokenRespMech(negAcceptCompleted, sp.firstMech(), acc.apRep, nil)
	}
	w.Header().Set("WWW-Authenticate", scheme+" "+base64.StdEncoding.EncodeToString(tok))
	st.user, st.seal = acc.user, acc.ctx
	return authenticated(w, st, body, clearAllowed)
}

// authenticated answers the request that completed a connection's
// authentication: the empty POST that sealing clients authenticate with gets
// an empty 200; a body is served only where clear text is allowed.
func authenticated(w http.ResponseWriter, st *connState, body []byte, clearAllowed bool) *authResult {
	if len(body) == 0 {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return nil
	}
	if !clearAllowed {
		refuseClear(w)
		return nil
	}
	return &authResult{user: st.user, body: body, conn: st}
}
