//go:build krb5

package winrm

// The Kerberos handshake and sealing of the lane's transport, end to end,
// against an acceptor written here from the specs with gokrb5's service
// side (VerifyAPREQ) and RFC 3962 crypto, with tickets from the MIT KDC.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bodgit/ntlmssp"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"
	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/service"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/masterzen/winrm/soap"
)

// acceptor is a WinRM endpoint's Kerberos side: the 401 offering its
// schemes, the AP-REQ under `Authorization: Kerberos`, the AP-REP on the
// 200, sealed messages echoed back sealed.
type acceptor struct {
	t      *testing.T
	kt     *keytab.Keytab
	strict bool // check the channel bindings (CbtHardeningLevel=Strict)
	offer  []string
	// misbehaviours
	noAPRep, badAPRep bool
	// what it saw
	bindingsSeen []byte
	key          types.EncryptionKey
	recvSeq      uint64
	sendSeq      uint64
	echoed       []string
	certHash     []byte
	scheme       string
	// forward, when set, answers an authenticated message (the plain SOAP
	// envelope) instead of echoing it: the lab's WS-Management server.
	forward func(soap []byte) []byte
}

func (a *acceptor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	auth := r.Header.Get("Authorization")
	if auth == "" {
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/encrypted") && a.key.KeyValue != nil {
			a.echo(w, body)
			return
		}
		if r.TLS != nil && a.key.KeyValue != nil && len(body) > 0 && a.forward != nil {
			w.Header().Set("Content-Type", soapContentType)
			_, _ = w.Write(a.forward(body))
			return
		}
		for _, o := range a.offer {
			w.Header().Add("WWW-Authenticate", o)
		}
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	scheme, tok, _ := strings.Cut(auth, " ")
	raw, err := base64.StdEncoding.DecodeString(tok)
	offered := false
	for _, o := range a.offer {
		offered = offered || strings.HasPrefix(o, scheme)
	}
	if !offered || err != nil {
		for _, o := range a.offer {
			w.Header().Add("WWW-Authenticate", o)
		}
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if scheme == "Negotiate" {
		var st spnego.SPNEGOToken
		if err := st.Unmarshal(raw); err != nil || !st.Init {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		raw = st.NegTokenInit.MechTokenBytes
		a.scheme = scheme
	}
	id, msg, err := gssUnframe(raw)
	var req messages.APReq
	if err != nil || !bytes.Equal(id, tokAPReq) || req.Unmarshal(msg) != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	ok, _, err := service.VerifyAPREQ(&req, service.NewSettings(a.kt, service.DecodePAC(false)))
	if !ok || err != nil {
		a.t.Logf("acceptor: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	ck := req.Authenticator.Cksum.Checksum
	a.bindingsSeen = append([]byte(nil), ck[4:20]...)
	if a.strict && !bytes.Equal(a.bindingsSeen, a.certHash) {
		w.WriteHeader(http.StatusUnauthorized)
		w.Header().Add("WWW-Authenticate", "Kerberos")
		return
	}
	sub := make([]byte, 32)
	_, _ = rand.Read(sub)
	a.key = types.EncryptionKey{KeyType: 18, KeyValue: sub}
	a.recvSeq, a.sendSeq = uint64(req.Authenticator.SeqNumber), 4242
	part := messages.EncAPRepPart{CTime: req.Authenticator.CTime, Cusec: req.Authenticator.Cusec, Subkey: a.key, SequenceNumber: int64(a.sendSeq)}
	if a.badAPRep {
		part.Cusec++
	}
	pb, err := asn1.Marshal(part)
	pb = asn1tools.AddASNAppTag(pb, 27)
	if err != nil {
		a.t.Fatal(err)
	}
	ed, err := crypto.GetEncryptedData(pb, req.Ticket.DecryptedEncPart.Key, 12, 0)
	if err != nil {
		a.t.Fatal(err)
	}
	rb, err := asn1.Marshal(messages.APRep{PVNO: 5, MsgType: 15, EncPart: ed})
	rb = asn1tools.AddASNAppTag(rb, 15)
	if err != nil {
		a.t.Fatal(err)
	}
	if !a.noAPRep {
		w.Header().Set("WWW-Authenticate", scheme+" "+base64.StdEncoding.EncodeToString(gssFrame(tokAPRep, rb)))
	}
	w.WriteHeader(http.StatusOK)
}

// echo opens a sealed request with gokrb5's decryption (initiator sealing,
// usage 24) and answers it sealed (acceptor sealing, usage 22).
func (a *acceptor) echo(w http.ResponseWriter, body []byte) {
	sig, sealed, err := parseSealed(body, 0)
	if err != nil || len(sig) < 16 || sig[2] != 0x06 || bytes.Equal(sig[8:16], make([]byte, 8)) && a.recvSeq != 0 {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	seq := uint64(sig[8])<<56 | uint64(sig[9])<<48 | uint64(sig[10])<<40 | uint64(sig[11])<<32 | uint64(sig[12])<<24 | uint64(sig[13])<<16 | uint64(sig[14])<<8 | uint64(sig[15])
	if seq != a.recvSeq {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	a.recvSeq++
	all := append(append([]byte(nil), sig[16:]...), sealed...)
	all = append(all[44:], all[:44]...)
	plain, err := crypto.DecryptMessage(all, a.key, 24)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	plain = plain[:len(plain)-32]
	a.echoed = append(a.echoed, string(plain))
	answer := []byte("<echo>" + string(plain) + "</echo>")
	if a.forward != nil {
		answer = a.forward(plain)
	}
	osig, osealed := acceptorWrap(a.t, a.key, answer, a.sendSeq, 0x07, 44)
	a.sendSeq++
	proto := sealedKerberos
	if a.scheme == "Negotiate" {
		proto = sealedProtocol
	}
	if !bytes.Contains(body, []byte(proto)) {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", sealedContentType(proto))
	_, _ = w.Write(frameSealed(proto, osig, osealed))
}

func (k *mitKDC) laneAgainst(t *testing.T, a *acceptor, https bool) *laneTransport {
	t.Helper()
	a.t = t
	kt, err := keytab.Load(k.serviceKeytab)
	if err != nil {
		t.Fatal(err)
	}
	a.kt = kt
	var srv *httptest.Server
	if https {
		srv = httptest.NewTLSServer(a)
	} else {
		srv = httptest.NewServer(a)
	}
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	port, _ := strconv.Atoi(u.Port())
	cfg := k.config(func(c *Config) {
		c.Host, c.Port, c.HTTPS, c.Password, c.SPN = "127.0.0.1", port, https, mitPassword, "HTTP/node1.lab.example"
		c.OperationTimeout = 5 * time.Second
		c.ReuseShell, c.MaxConcurrent = true, 1 // one lane: the acceptor holds one context
	})
	if https {
		cert := srv.Certificate()
		cfg.CACert = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
		sum := sha256.Sum256(cert.Raw)
		a.certHash = bindingsHash(channelBindingsFor(sum[:]))
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c.all[0].lt
}

// The handshake over HTTPS carries the bindings of the connection's
// certificate, which a strict acceptor checks, and accepts the AP-REP; over
// plain HTTP messages go sealed and answers are opened, sequence numbers
// running across them.
func TestMITKerberosTransport(t *testing.T) {
	k := startMITKDC(t)
	offer := []string{"Negotiate", "Kerberos"}
	t.Run("https strict", func(t *testing.T) {
		a := &acceptor{strict: true, offer: offer}
		lt := k.laneAgainst(t, a, true)
		if err := lt.handshakeKerberos(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.bindingsSeen, a.certHash) || lt.sec == nil {
			t.Errorf("bindings %x, want %x", a.bindingsSeen, a.certHash)
		}
	})
	for name, offer := range map[string][]string{"http sealed": offer, "http sealed, Negotiate only": {"Negotiate"}} {
		t.Run(name, func(t *testing.T) {
			a := &acceptor{offer: offer}
			lt := k.laneAgainst(t, a, false)
			if err := lt.handshakeKerberos(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.bindingsSeen, make([]byte, 16)) {
				t.Errorf("bindings over plain HTTP: %x", a.bindingsSeen)
			}
			for _, m := range []string{"<first/>", "<second/>", "<third/>"} {
				resp, err := lt.send(t.Context(), []byte(m))
				if err != nil {
					t.Fatal(err)
				}
				want := sealedKerberos
				if len(offer) == 1 {
					want = sealedProtocol
				}
				if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, want) {
					t.Fatalf("answer %d %q", resp.StatusCode, ct)
				}
				out, err := lt.unseal(resp)
				if err != nil || out != "<echo>"+m+"</echo>" {
					t.Fatalf("%q %v", out, err)
				}
			}
			if strings.Join(a.echoed, "") != "<first/><second/><third/>" {
				t.Errorf("acceptor saw %q", a.echoed)
			}
		})
	}
	for name, tc := range map[string]struct {
		a     *acceptor
		https bool
		want  string
	}{
		"binding refused":         {&acceptor{strict: true, offer: offer, certHash: []byte("other")}, true, "refused channel binding"},
		"no AP-REP":               {&acceptor{noAPRep: true, offer: offer}, false, "without its AP-REP"},
		"AP-REP mismatched":       {&acceptor{badAPRep: true, offer: offer}, false, "answers another authenticator"},
		"kerberos disabled":       {&acceptor{offer: []string{"Basic realm=\"WSMAN\""}}, true, "Kerberos authentication is disabled on the node"},
		"kerberos disabled, http": {&acceptor{offer: []string{"Basic realm=\"WSMAN\""}}, false, "it offers only: Basic"},
	} {
		t.Run(name, func(t *testing.T) {
			lt := k.laneAgainst(t, tc.a, tc.https)
			if name == "binding refused" {
				tc.a.certHash = bytes.Repeat([]byte{1}, 16)
			}
			err := lt.handshakeKerberos()
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "NODE1") {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), mitPassword) {
				t.Errorf("password in %v", err)
			}
			if lt.sec != nil {
				t.Error("a context after a failed handshake")
			}
		})
	}
}

// channelBindingsFor are the bindings for a certificate's hash.
func channelBindingsFor(hash []byte) *ntlmssp.ChannelBindings {
	return &ntlmssp.ChannelBindings{ApplicationData: append([]byte("tls-server-end-point:"), hash...)}
}

// A lane posts messages on one Kerberos context; when the node forgets it
// (a new connection, a restarted service: a 401 to a sealed message), the
// lane authenticates again, with a new AP-REQ, and sends the message once
// more, without logging in to the KDC again.
func TestMITKerberosContextRenewed(t *testing.T) {
	k := startMITKDC(t)
	a := &acceptor{offer: []string{"Negotiate", "Kerberos"}}
	lt := k.laneAgainst(t, a, false)
	m := soap.NewMessage()
	defer m.Free()
	first, err := lt.Post(nil, m)
	if err != nil || !strings.HasPrefix(first, "<echo>") {
		t.Fatalf("%q %v", first, err)
	}
	login := krbLogins.m[lt.c.krbLoginKey()].cl
	firstKey := a.key
	a.key = types.EncryptionKey{} // the node forgets the context
	again, err := lt.Post(nil, m)
	if err != nil || again != first {
		t.Fatalf("after the node forgot the context: %q %v", again, err)
	}
	if bytes.Equal(a.key.KeyValue, firstKey.KeyValue) || len(a.echoed) != 2 {
		t.Errorf("no new context (%d messages echoed)", len(a.echoed))
	}
	if krbLogins.m[lt.c.krbLoginKey()].cl != login {
		t.Error("logged in to the KDC again")
	}
}

// forwardTo passes SOAP envelopes on to the lab's HTTPS endpoint with Basic
// credentials: behind the Kerberos acceptor, the lab's shells run the
// commands.
func forwardTo(t *testing.T, l *lab) func([]byte) []byte {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(l.caPEM)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	return func(body []byte) []byte {
		req, _ := http.NewRequest(http.MethodPost, l.ep.HTTPSURL(), bytes.NewReader(body))
		req.Header.Set("Content-Type", soapContentType)
		req.SetBasicAuth(testUser, testPassword)
		resp, err := hc.Do(req)
		if err != nil {
			t.Error(err)
			return nil
		}
		defer func() { _ = resp.Body.Close() }()
		out, _ := io.ReadAll(resp.Body)
		return out
	}
}

// Commands run through a Kerberos lane, over HTTPS (bound to the
// certificate) and sealed over plain HTTP, in reused shells, and the debug
// log holds neither the password nor anything of the tickets.
func TestMITKerberosRunsCommands(t *testing.T) {
	k := startMITKDC(t)
	l := newLab(t)
	for _, https := range []bool{true, false} {
		t.Run(map[bool]string{true: "https", false: "sealed http"}[https], func(t *testing.T) {
			a := &acceptor{strict: https, offer: []string{"Negotiate", "Kerberos"}, forward: forwardTo(t, l)}
			lt := k.laneAgainst(t, a, https)
			c := lt.c
			t.Cleanup(func() { _ = c.Close(context.Background()) })
			var buf bytes.Buffer
			ctx := MaskSecrets(tflogtest.RootLogger(context.Background(), &buf), mitPassword, "")
			for _, line := range []string{"fail 3", "fail 0", "fail 5"} {
				res, err := c.Run(ctx, line, true)
				if err != nil {
					t.Fatal(err)
				}
				if want, _ := strconv.Atoi(strings.TrimPrefix(line, "fail ")); res.ExitCode != want {
					t.Errorf("%s: exit code %d", line, res.ExitCode)
				}
			}
			if s := c.Stats(); s.ShellsOpened != 1 || s.Commands != 3 {
				t.Errorf("stats %+v", s)
			}
			if strings.Contains(buf.String(), mitPassword) || strings.Contains(buf.String(), "tls-server-end-point") || buf.Len() == 0 {
				t.Errorf("log: %s", buf.String())
			}
		})
	}
}
