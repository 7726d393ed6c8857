package wsman

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bodgit/ntlmssp"
	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/krb"
)

const testRealm = "LAB.TEST"

// krbLab is a node NODE1 with Kerberos, a KDC for LAB.TEST that also knows
// NODE2, and a gokrb5 client logged on as the administrator.
type krbLab struct {
	*lab
	cl       *client.Client
	node1Pwd string
}

func newKrbLab(t *testing.T, mutate func(*Config)) *krbLab {
	t.Helper()
	kt := keytab.New()
	node1Pwd := krb.RandomPassword()
	if err := krb.AddNodeKeys(kt, "NODE1", testRealm, node1Pwd); err != nil {
		t.Fatal(err)
	}
	if err := krb.AddNodeKeys(kt, "NODE2", testRealm, krb.RandomPassword()); err != nil {
		t.Fatal(err)
	}
	kdc, err := krb.Start(krb.Config{Realm: testRealm, Services: kt, Password: func(user string) (string, string, bool) {
		p, ok := testAccounts{}.Password(user, "LAB")
		return p, testUser, ok
	}}, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kdc.Close)
	l := newLab(t, func(c *Config) {
		c.Kerberos = &Kerberos{Realm: testRealm, Keytab: krb.NodeKeytab(kt, "NODE1", testRealm)}
		if mutate != nil {
			mutate(c)
		}
	})
	cfg, err := config.NewFromString(krb.Krb5Conf(testRealm, kdc.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	cl := client.NewWithPassword(testUser, testRealm, testPassword, cfg, client.DisablePAFXFAST(true))
	if err := cl.Login(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Destroy)
	return &krbLab{lab: l, cl: cl, node1Pwd: node1Pwd}
}

// apReq is an initiator's GSS-API AP-REQ for spn, with bnd as the channel
// bindings hash of its checksum (nil: none), asking for mutual
// authentication, confidentiality and integrity, and its session key.
type apReq struct {
	token   []byte
	session types.EncryptionKey
	auth    types.Authenticator
}

func (k *krbLab) apReq(t *testing.T, spn string, bnd []byte) apReq {
	t.Helper()
	tkt, session, err := k.cl.GetServiceTicket(spn)
	if err != nil {
		t.Fatal(err)
	}
	return k.apReqFor(t, tkt, session, bnd)
}

func (k *krbLab) apReqFor(t *testing.T, tkt messages.Ticket, session types.EncryptionKey, bnd []byte) apReq {
	t.Helper()
	auth, err := types.NewAuthenticator(testRealm, types.NewPrincipalName(1, testUser))
	if err != nil {
		t.Fatal(err)
	}
	// RFC 4121 4.1.1: Lgth 16, Bnd, flags (mutual 2, sequence 8, conf 16, integ 32).
	ck := binary.LittleEndian.AppendUint32(nil, 16)
	ck = append(ck, make([]byte, 16)...)
	copy(ck[4:], bnd)
	ck = binary.LittleEndian.AppendUint32(ck, 2|8|16|32)
	auth.Cksum = types.Checksum{CksumType: 0x8003, Checksum: ck}
	auth.SeqNumber = 1000
	ap, err := messages.NewAPReq(tkt, session, auth)
	if err != nil {
		t.Fatal(err)
	}
	types.SetFlag(&ap.APOptions, flags.APOptionMutualRequired)
	b, err := ap.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return apReq{token: gssFrame(tokAPReq, b), session: session, auth: auth}
}

// authPost sends body with `Authorization: <scheme> <token>` on c and
// returns the status, the token of the scheme's WWW-Authenticate and the body.
func authPost(t *testing.T, c *http.Client, url, scheme string, token []byte, contentType string, body []byte) (int, []byte, []byte) {
	t.Helper()
	resp, tok, answer := postWith(t, c, url, scheme, token, contentType, body)
	return resp.StatusCode, tok, answer
}

// checkAPRep verifies the mutual authentication token: an AP-REP that the
// session key decrypts, echoing the authenticator's time, with a subkey.
func checkAPRep(t *testing.T, tok []byte, a apReq) types.EncryptionKey {
	t.Helper()
	var kt spnego.KRB5Token
	if err := kt.Unmarshal(tok); err != nil || !kt.IsAPRep() {
		t.Fatalf("mutual token %x: %v", tok, err)
	}
	plain, err := crypto.DecryptEncPart(kt.APRep.EncPart, a.session, keyusage.AP_REP_ENCPART)
	if err != nil {
		t.Fatalf("AP-REP: %v", err)
	}
	var part messages.EncAPRepPart
	if err := part.Unmarshal(plain); err != nil {
		t.Fatal(err)
	}
	if !part.CTime.Equal(a.auth.CTime.Truncate(time.Second)) || part.Cusec != a.auth.Cusec || len(part.Subkey.KeyValue) == 0 {
		t.Fatalf("AP-REP part %+v", part)
	}
	return part.Subkey
}

const createShellBody = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Header><a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Create</a:Action><a:MessageID>uuid:1</a:MessageID><w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI></s:Header><s:Body><rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell></s:Body></s:Envelope>`

// A raw Kerberos AP-REQ under Kerberos and under Negotiate, over HTTPS:
// the shell is the domain administrator's (LAB\Administrator, not
// Administrator@LAB.TEST) and the 200 carries the AP-REP; the context holds
// for the connection.
func TestKerberosRawToken(t *testing.T) {
	k := newKrbLab(t, nil)
	for _, scheme := range []string{"Kerberos", "Negotiate"} {
		for _, spn := range []string{"HTTP/node1.lab.test", "WSMAN/NODE1", "host/NODE1"} {
			a := k.apReq(t, spn, nil)
			c := k.httpsClient()
			status, tok, answer := authPost(t, c, k.ep.HTTPSURL(), scheme, a.token, soapType, []byte(createShellBody))
			if status != http.StatusOK || !strings.Contains(string(answer), `<rsp:Owner>LAB\Administrator</rsp:Owner>`) {
				t.Fatalf("%s %s: %d %s", scheme, spn, status, answer)
			}
			checkAPRep(t, tok, a)
			if status, _, _ := authPost(t, c, k.ep.HTTPSURL(), scheme, nil, soapType, []byte(createShellBody)); status != http.StatusOK {
				t.Fatalf("%s: the connection's context: %d", scheme, status)
			}
		}
	}
}

// gokrb5's SPNEGO NegTokenInit under Negotiate: a NegTokenResp
// accept-completed naming Kerberos with the AP-REP as responseToken.
func TestKerberosSPNEGO(t *testing.T) {
	k := newKrbLab(t, nil)
	tkt, session, err := k.cl.GetServiceTicket("HTTP/node1.lab.test")
	if err != nil {
		t.Fatal(err)
	}
	init, err := spnego.NewNegTokenInitKRB5(k.cl, tkt, session)
	if err != nil {
		t.Fatal(err)
	}
	st := spnego.SPNEGOToken{Init: true, NegTokenInit: init}
	token, err := st.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	status, tok, answer := authPost(t, k.httpsClient(), k.ep.HTTPSURL(), "Negotiate", token, soapType, []byte(createShellBody))
	if status != http.StatusOK || !strings.Contains(string(answer), `LAB\Administrator`) {
		t.Fatalf("%d %s", status, answer)
	}
	var resp spnego.NegTokenResp
	if err := resp.Unmarshal(tok); err != nil || resp.State() != spnego.NegStateAcceptCompleted || !resp.SupportedMech.Equal(oidKerberos) {
		t.Fatalf("NegTokenResp %x: %v", tok, err)
	}
	var kt spnego.KRB5Token
	if err := kt.Unmarshal(resp.ResponseToken); err != nil || !kt.IsAPRep() {
		t.Fatalf("responseToken: %v", err)
	}
}

// 401 for a replayed AP-REQ (even on another connection), a ticket for
// another node, a key version the node does not have, and a user the KDC
// never saw: nothing of it reaches the shell.
func TestKerberosRefusals(t *testing.T) {
	k := newKrbLab(t, nil)
	a := k.apReq(t, "HTTP/node1.lab.test", nil)
	if status, _, _ := authPost(t, k.httpsClient(), k.ep.HTTPSURL(), "Kerberos", a.token, soapType, []byte(createShellBody)); status != http.StatusOK {
		t.Fatalf("first use: %d", status)
	}
	if status, _, _ := authPost(t, k.httpsClient(), k.ep.HTTPSURL(), "Kerberos", a.token, soapType, []byte(createShellBody)); status != http.StatusUnauthorized {
		t.Fatalf("replay: %d", status)
	}
	other := k.apReq(t, "HTTP/node2.lab.test", nil)
	if status, _, _ := authPost(t, k.httpsClient(), k.ep.HTTPSURL(), "Kerberos", other.token, soapType, []byte(createShellBody)); status != http.StatusUnauthorized {
		t.Fatalf("NODE2's ticket: %d", status)
	}
	// The same password as NODE1's keys, under kvno 7: the node has kvno 2 only.
	kt7 := accountKey(t, k.node1Pwd, 7)
	sname := types.NewPrincipalName(2, "HTTP/node1.lab.test")
	now := time.Now().UTC()
	tkt, session, err := messages.NewTicket(types.NewPrincipalName(1, testUser), testRealm, sname, testRealm, types.NewKrbFlags(), kt7, 18, 7, now, now, now.Add(time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	old := k.apReqFor(t, tkt, session, nil)
	if status, _, _ := authPost(t, k.httpsClient(), k.ep.HTTPSURL(), "Kerberos", old.token, soapType, []byte(createShellBody)); status != http.StatusUnauthorized {
		t.Fatalf("kvno 7: %d", status)
	}
	// The same ticket made with kvno 2 is accepted: the refusal was the kvno.
	kt2 := accountKey(t, k.node1Pwd, krb.NodeKVNO)
	tkt, session, _ = messages.NewTicket(types.NewPrincipalName(1, testUser), testRealm, sname, testRealm, types.NewKrbFlags(), kt2, 18, krb.NodeKVNO, now, now, now.Add(time.Hour), now.Add(time.Hour))
	good := k.apReqFor(t, tkt, session, nil)
	if status, _, _ := authPost(t, k.httpsClient(), k.ep.HTTPSURL(), "Kerberos", good.token, soapType, []byte(createShellBody)); status != http.StatusOK {
		t.Fatalf("kvno 2: %d", status)
	}
}

// accountKey is a keytab of NODE1's AES-256 key of version kvno, derived
// from its password as a domain derives a computer account's keys (salted
// by host/node1.lab.test), under HTTP/node1.lab.test.
func accountKey(t *testing.T, password string, kvno uint8) *keytab.Keytab {
	t.Helper()
	kt := keytab.New()
	if err := kt.AddEntry("host/node1.lab.test", testRealm, password, time.Now(), kvno, 18); err != nil {
		t.Fatal(err)
	}
	kt.Entries[0].Principal.Components = []string{"HTTP", "node1.lab.test"}
	return kt
}

// tlsBindings is what a client computes from the certificate it was shown:
// MD5 of the gss_channel_bindings_struct with "tls-server-end-point:" and
// the SHA-256 of the certificate (ECDSA-SHA256 here).
func tlsBindings(t *testing.T, cert []byte) []byte {
	t.Helper()
	sum := sha256.Sum256(cert)
	app := append([]byte("tls-server-end-point:"), sum[:]...)
	s := binary.LittleEndian.AppendUint32(make([]byte, 16), uint32(len(app)))
	s = append(s, app...)
	h := md5.Sum(s)
	return h[:]
}

// serverCert is the leaf certificate the lab's HTTPS listener shows.
func (l *lab) serverCert(t *testing.T) []byte {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(l.caPEM)
	conn, err := tls.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(l.ep.HTTPSURL(), "https://"), "/wsman"), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	return conn.ConnectionState().PeerCertificates[0].Raw
}

// Channel binding for Kerberos: strict refuses an AP-REQ without bindings
// and one with wrong bindings, and takes the right ones; relaxed takes none
// but refuses wrong ones; none ignores them; plain HTTP has none to check.
func TestKerberosChannelBinding(t *testing.T) {
	for _, tc := range []struct {
		level                string
		none, right, wrong   int
		httpNoBindingsStatus int
	}{
		{CBTStrict, 401, 200, 401, 200},
		{CBTRelaxed, 200, 200, 401, 200},
		{CBTNone, 200, 200, 200, 200},
	} {
		k := newKrbLab(t, func(c *Config) { c.CBTHardening = tc.level; c.AllowUnencrypted = true })
		right := tlsBindings(t, k.serverCert(t))
		for _, try := range []struct {
			bnd  []byte
			want int
		}{{nil, tc.none}, {right, tc.right}, {bytes.Repeat([]byte{7}, 16), tc.wrong}} {
			a := k.apReq(t, "HTTP/node1.lab.test", try.bnd)
			if status, _, _ := authPost(t, k.httpsClient(), k.ep.HTTPSURL(), "Kerberos", a.token, soapType, []byte(createShellBody)); status != try.want {
				t.Errorf("%s, bindings %x: %d, want %d", tc.level, try.bnd, status, try.want)
			}
		}
		a := k.apReq(t, "HTTP/node1.lab.test", nil)
		if status, _, _ := authPost(t, &http.Client{}, k.ep.HTTPURL(), "Kerberos", a.token, soapType, []byte(createShellBody)); status != tc.httpNoBindingsStatus {
			t.Errorf("%s over HTTP: %d", tc.level, status)
		}
	}
}

// Channel binding for NTLM, with bodgit/ntlmssp computing the
// MsvAvChannelBindings from the certificate: strict refuses a client
// without, and takes the right bindings.
func TestNTLMChannelBinding(t *testing.T) {
	for _, tc := range []struct {
		level              string
		none, right, wrong int
	}{{CBTStrict, 401, 200, 401}, {CBTRelaxed, 200, 200, 401}, {CBTNone, 200, 200, 200}} {
		l := newLab(t, func(c *Config) { c.CBTHardening = tc.level })
		sum := sha256.Sum256(l.serverCert(t))
		rightCB := &ntlmssp.ChannelBindings{ApplicationData: append([]byte("tls-server-end-point:"), sum[:]...)}
		wrongCB := &ntlmssp.ChannelBindings{ApplicationData: []byte("tls-server-end-point:wrong")}
		for _, try := range []struct {
			cb   *ntlmssp.ChannelBindings
			want int
		}{{nil, tc.none}, {rightCB, tc.right}, {wrongCB, tc.wrong}} {
			c := l.httpsClient()
			if tr, ok := c.Transport.(*http.Transport); ok {
				tr.MaxConnsPerHost = 1
			}
			nc, _ := ntlmssp.NewClient(ntlmssp.SetUserInfo(testUser, testPassword), ntlmssp.SetDomain("LAB"), ntlmssp.SetVersion(ntlmssp.DefaultVersion()))
			neg, _ := nc.Authenticate(nil, nil)
			_, challenge, _ := authPost(t, c, l.ep.HTTPSURL(), "Negotiate", neg, soapType, nil)
			auth, err := nc.Authenticate(challenge, try.cb)
			if err != nil {
				t.Fatal(err)
			}
			if status, _, _ := authPost(t, c, l.ep.HTTPSURL(), "Negotiate", auth, soapType, []byte(createShellBody)); status != try.want {
				t.Errorf("%s, bindings %v: %d, want %d", tc.level, try.cb != nil, status, try.want)
			}
		}
	}
}

// clientSeal is an initiator's sealed wrap token of msg (RFC 4121 4.2.4,
// key usage 24) with the filler and rotation given, split after the
// header as the multipart framing wants it (16 + rrc + 16 bytes, or all of
// the token header when rrc is 0).
func clientSeal(t *testing.T, key types.EncryptionKey, seq uint64, ec, rrc, rotate int, msg []byte) (header, data []byte) {
	t.Helper()
	hdr := []byte{0x05, 0x04, 0x02 | 0x04, 0xff, byte(ec >> 8), byte(ec), 0, 0}
	hdr = binary.BigEndian.AppendUint64(hdr, seq)
	plain := append(append(append([]byte{}, msg...), make([]byte, ec)...), hdr...)
	et, _ := crypto.GetEtype(key.KeyType)
	_, ct, err := et.EncryptMessage(key.KeyValue, plain, keyusage.GSSAPI_INITIATOR_SEAL)
	if err != nil {
		t.Fatal(err)
	}
	ct = append(append([]byte{}, ct[len(ct)-rotate:]...), ct[:len(ct)-rotate]...)
	hdr[6], hdr[7] = byte(rrc>>8), byte(rrc)
	token := append(hdr, ct...)
	n := 16
	if rrc > 0 {
		n = 16 + rrc + 16
	}
	return token[:n], token[n:]
}

// clientUnseal reads the acceptor's sealed multipart answer: its protocol,
// and the message the key (usage 22) decrypts, checking the plain length.
func clientUnseal(t *testing.T, key types.EncryptionKey, body []byte) (string, string) {
	t.Helper()
	s := string(body)
	proto := s[strings.Index(s, "Content-Type: ")+len("Content-Type: "):]
	proto = proto[:strings.Index(proto, "\r\n")]
	lengthText := s[strings.Index(s, "Length=")+len("Length="):]
	lengthText = lengthText[:strings.Index(lengthText, "\r\n")]
	rest := body[strings.Index(s, "application/octet-stream\r\n")+len("application/octet-stream\r\n"):]
	rest = rest[:bytes.LastIndex(rest, []byte("--Encrypted Boundary--"))]
	token := rest[4:]
	if hlen := binary.LittleEndian.Uint32(rest); hlen != 60 {
		t.Errorf("header length %d, want 60 (16 + RRC 28 + confounder 16)", hlen)
	}
	if token[0] != 5 || token[1] != 4 || token[2] != 0x01|0x02|0x04 {
		t.Fatalf("wrap token header %x", token[:16])
	}
	ec := int(binary.BigEndian.Uint16(token[4:]))
	rrc := int(binary.BigEndian.Uint16(token[6:]))
	enc := token[16:]
	enc = append(append([]byte{}, enc[rrc:]...), enc[:rrc]...)
	et, _ := crypto.GetEtype(key.KeyType)
	plain, err := et.DecryptMessage(key.KeyValue, enc, keyusage.GSSAPI_ACCEPTOR_SEAL)
	if err != nil {
		t.Fatalf("answer: %v", err)
	}
	msg := plain[:len(plain)-16-ec]
	if lengthText != strings.TrimSpace(lengthText) || lengthText == "" || len(msg) != atoi(t, lengthText) {
		t.Fatalf("Length=%s for %d bytes", lengthText, len(msg))
	}
	return proto, string(msg)
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("length %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// Sealing over plain HTTP with AllowUnencrypted false: an empty POST with
// the AP-REQ, then sealed messages with the acceptor subkey, whatever
// filler and rotation the client picks (RFC 4121's or Windows'); the
// answers are sealed with the protocol the client used. A replayed sealed
// message is refused, and a clear one on the sealed connection is a 500.
func TestKerberosSealing(t *testing.T) {
	k := newKrbLab(t, nil)
	for _, tc := range []struct {
		scheme, protocol string
		ec, rrc, rotate  int
	}{
		{"Kerberos", "application/HTTP-Kerberos-session-encrypted", 0, 0, 0},
		// RFC 4121's rotation by RRC, and Windows' by RRC + EC ([MS-KILE]
		// 3.4.5.4.1), which this provider's client sends.
		{"Kerberos", "application/HTTP-Kerberos-session-encrypted", 16, 28, 28},
		{"Kerberos", "application/HTTP-Kerberos-session-encrypted", 16, 28, 44},
		{"Negotiate", "application/HTTP-SPNEGO-session-encrypted", 16, 28, 28},
		{"Negotiate", "application/HTTP-SPNEGO-session-encrypted", 16, 28, 44},
	} {
		c := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
		a := k.apReq(t, "HTTP/node1.lab.test", nil)
		status, tok, _ := authPost(t, c, k.ep.HTTPURL(), tc.scheme, a.token, soapType, nil)
		if status != http.StatusOK {
			t.Fatalf("%s: handshake %d", tc.scheme, status)
		}
		subkey := checkAPRep(t, tok, a)
		mediaType := `multipart/encrypted;protocol="` + tc.protocol + `";boundary="Encrypted Boundary"`
		var sealed []byte
		for seq := uint64(1000); seq < 1002; seq++ {
			header, data := clientSeal(t, subkey, seq, tc.ec, tc.rrc, tc.rotate, []byte(createShellBody))
			sealed = frameParts(tc.protocol, header, data, len(createShellBody))
			req, _ := http.NewRequest(http.MethodPost, k.ep.HTTPURL(), bytes.NewReader(sealed))
			req.Header.Set("Content-Type", mediaType)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != mediaType {
				t.Fatalf("%+v seq %d: %s %q", tc, seq, resp.Status, resp.Header.Get("Content-Type"))
			}
			proto, answer := clientUnseal(t, subkey, body)
			if proto != tc.protocol || !strings.Contains(answer, `<rsp:Owner>LAB\Administrator</rsp:Owner>`) {
				t.Fatalf("%+v: %s %s", tc, proto, answer)
			}
		}
		// pypsrp's Length (the plain length plus the GSS padding, here the
		// filler) and pywinrm 0.2's closing boundary without dashes.
		header, data := clientSeal(t, subkey, 1002, tc.ec, tc.rrc, tc.rotate, []byte(createShellBody))
		other := frameParts(tc.protocol, header, data, len(createShellBody)+tc.ec)
		other = append(bytes.TrimSuffix(other, []byte("--Encrypted Boundary--\r\n")), "--Encrypted Boundary\r\n"...)
		if status, _, answer := authPost(t, c, k.ep.HTTPURL(), "", nil, mediaType, other); status != http.StatusOK {
			t.Fatalf("%+v: pypsrp's Length, pywinrm's ending: %d", tc, status)
		} else if _, plain := clientUnseal(t, subkey, answer); !strings.Contains(plain, "ResourceCreated") {
			t.Fatalf("%+v: %s", tc, plain)
		}
		if status, _, _ := authPost(t, c, k.ep.HTTPURL(), "", nil, mediaType, sealed); status != http.StatusBadRequest {
			t.Errorf("%+v: replayed sealed message: %d", tc, status)
		}
		if status, _, _ := authPost(t, c, k.ep.HTTPURL(), "", nil, soapType, []byte(createShellBody)); status != http.StatusInternalServerError {
			t.Errorf("%+v: clear message: %d", tc, status)
		}
	}
}

// An RC4-HMAC ticket (NODE1's RC4 key) authenticates, but a sealed message
// on its context is refused: RFC 4757 wrap tokens are not implemented.
func TestKerberosRC4AuthenticatesButDoesNotSeal(t *testing.T) {
	k := newKrbLab(t, nil)
	kt := keytab.New()
	if err := kt.AddEntry("HTTP/node1.lab.test", testRealm, k.node1Pwd, time.Now(), krb.NodeKVNO, 23); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	tkt, session, err := messages.NewTicket(types.NewPrincipalName(1, testUser), testRealm, types.NewPrincipalName(2, "HTTP/node1.lab.test"), testRealm, types.NewKrbFlags(), kt, 23, krb.NodeKVNO, now, now, now.Add(time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	a := k.apReqFor(t, tkt, session, nil)
	c := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	status, tok, _ := authPost(t, c, k.ep.HTTPURL(), "Kerberos", a.token, soapType, nil)
	if status != http.StatusOK {
		t.Fatalf("RC4 handshake: %d", status)
	}
	subkey := checkAPRep(t, tok, a)
	header, data := clientSeal(t, subkey, 1000, 0, 0, 0, []byte(createShellBody))
	mediaType := `multipart/encrypted;protocol="` + kerberosProtocol + `";boundary="Encrypted Boundary"`
	if status, _, _ := authPost(t, c, k.ep.HTTPURL(), "", nil, mediaType, frameParts(kerberosProtocol, header, data, len(createShellBody))); status != http.StatusBadRequest {
		t.Fatalf("sealed on RC4: %d", status)
	}
}
