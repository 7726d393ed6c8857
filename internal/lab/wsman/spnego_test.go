package wsman

import (
	"bytes"
	"encoding/asn1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/bodgit/ntlmssp"
)

// The NegTokenInit pypsrp (pyspnego) and winrs send first: the GSS-API
// wrapper, the SPNEGO OID, NTLM as the only mechanism, and its NEGOTIATE as
// the mechToken (laid out by hand from RFC 4178 and [MS-SPNG]).
const negTokenInitHex = "604806062b0601050502a03e303ca00e300c060a2b06010401823702020aa22a0428" +
	"4e544c4d5353500001000000978208e2000000000000000000000000000000000a00614a0000000f"

func TestParseSPNEGO(t *testing.T) {
	raw, _ := hex.DecodeString(negTokenInitHex)
	if !isSPNEGO(raw) {
		t.Fatal("NegTokenInit not recognised")
	}
	tok, err := parseSPNEGO(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.offersNTLM || !tok.ntlmFirst || ntlmMessageType(tok.token) != 1 || tok.mic != nil {
		t.Fatalf("parsed %+v", tok)
	}
	if hex.EncodeToString(tok.mechTypes) != "300c060a2b06010401823702020a" {
		t.Fatalf("mechTypes = %x, want the DER of the MechTypeList", tok.mechTypes)
	}
	// The server's answer parses as a NegTokenResp carrying the token.
	resp := negTokenResp(negAcceptIncomplete, true, []byte("NTLMSSP\x00\x02"), nil)
	if !bytes.HasPrefix(resp, []byte{0xa1}) {
		t.Fatalf("NegTokenResp = %x", resp)
	}
	back, err := parseSPNEGO(resp)
	if err != nil || string(back.token) != "NTLMSSP\x00\x02" {
		t.Fatalf("NegTokenResp round trip: %+v %v", back, err)
	}
	// accept-completed is written out, not left as the default.
	if done := negTokenResp(negAcceptCompleted, false, nil, nil); hex.EncodeToString(done) != "a1073005a0030a0100" {
		t.Fatalf("accept-completed = %x", done)
	}
	for _, bad := range []string{"60", "6003060100", "a100", "a1053003a20100", hex.EncodeToString(raw[:20])} {
		b, _ := hex.DecodeString(bad)
		if _, err := parseSPNEGO(b); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}

// negTokenInit wraps an NTLM token in a NegTokenInit offering mechs.
func negTokenInit(t *testing.T, mechs []asn1.ObjectIdentifier, token []byte) (raw, mechTypes []byte) {
	t.Helper()
	mechTypes, _ = asn1.Marshal(mechs)
	var body []byte
	for tag, v := range map[int][]byte{0: mechTypes, 2: mustMarshal(t, token)} {
		if tag == 2 && token == nil {
			continue
		}
		f, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tag, IsCompound: true, Bytes: v})
		if tag == 0 {
			body = append(f, body...)
		} else {
			body = append(body, f...)
		}
	}
	seq, _ := asn1.Marshal(asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
	init, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: seq})
	oid, _ := asn1.Marshal(oidSPNEGO)
	raw, _ = asn1.Marshal(asn1.RawValue{Class: asn1.ClassApplication, Tag: 0, IsCompound: true, Bytes: append(oid, init...)})
	return raw, mechTypes
}

// clientResp is the client's NegTokenResp: an NTLM token and its mechListMIC.
func clientResp(token, mic []byte) []byte {
	var body []byte
	for _, f := range []struct {
		tag int
		v   []byte
	}{{2, token}, {3, mic}} {
		if f.v == nil {
			continue
		}
		der, _ := asn1.Marshal(f.v)
		field, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: f.tag, IsCompound: true, Bytes: der})
		body = append(body, field...)
	}
	seq, _ := asn1.Marshal(asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
	out, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 1, IsCompound: true, Bytes: seq})
	return out
}

func mustMarshal(t *testing.T, v []byte) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// oneConn is an HTTP client that keeps a single connection, as NTLM needs.
func oneConn() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}}
}

// negotiate posts body with `Authorization: Negotiate <token>` (none when
// token is nil) and returns the answer and the token it carries, if any.
func negotiate(t *testing.T, c *http.Client, url string, token []byte, contentType string, body []byte) (*http.Response, []byte, []byte) {
	t.Helper()
	return postWith(t, c, url, "Negotiate", token, contentType, body)
}

// postWith posts body with `Authorization: <scheme> <token>` (none when
// token is nil) and returns the answer, the token of the scheme's
// WWW-Authenticate, if any, and the body.
func postWith(t *testing.T, c *http.Client, url, scheme string, token []byte, contentType string, body []byte) (*http.Response, []byte, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if token != nil {
		req.Header.Set("Authorization", scheme+" "+base64.StdEncoding.EncodeToString(token))
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	var got []byte
	for _, v := range resp.Header.Values("WWW-Authenticate") {
		if s, tok, ok := strings.Cut(v, " "); ok && strings.EqualFold(s, scheme) {
			got, _ = base64.StdEncoding.DecodeString(tok)
		}
	}
	return resp, got, answer
}

// A pypsrp-shaped exchange without a mechListMIC, with bodgit/ntlmssp
// making the NTLM tokens: NegTokenInit, NegTokenResp, then a sealed
// Identify over plain HTTP, sealed with sequence number 0.
func TestSPNEGOWrappedNTLM(t *testing.T) {
	l := newLab(t, nil)
	c := oneConn()
	nc, _ := ntlmssp.NewClient(ntlmssp.SetUserInfo(testUser, testPassword), ntlmssp.SetDomain("LAB"), ntlmssp.SetVersion(ntlmssp.DefaultVersion()))
	neg, _ := nc.Authenticate(nil, nil)
	init, _ := negTokenInit(t, []asn1.ObjectIdentifier{oidNTLM}, neg)
	resp, tok, _ := negotiate(t, c, l.ep.HTTPURL(), init, soapType, nil)
	if resp.StatusCode != http.StatusUnauthorized || !bytes.HasPrefix(tok, []byte{0xa1}) {
		t.Fatalf("NegTokenInit answered %s with %x", resp.Status, tok)
	}
	challenge, err := parseSPNEGO(tok)
	if err != nil || ntlmMessageType(challenge.token) != 2 {
		t.Fatalf("challenge: %+v %v", challenge, err)
	}
	if !bytes.Contains(tok, mustOID(t, oidNTLM)) {
		t.Fatalf("supportedMech NTLM missing from %x", tok)
	}
	auth, err := nc.Authenticate(challenge.token, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, tok, _ = negotiate(t, c, l.ep.HTTPURL(), clientResp(auth, nil), soapType, nil)
	if resp.StatusCode != http.StatusOK || hex.EncodeToString(tok) != "a1073005a0030a0100" {
		t.Fatalf("NegTokenResp answered %s with %x, want 200 and accept-completed", resp.Status, tok)
	}
	sealed, sig, _ := nc.SecuritySession().Wrap([]byte(identifyEnvelope))
	resp, _, answer := negotiate(t, c, l.ep.HTTPURL(), nil, encryptedMediaType, frameEncrypted(sig, sealed))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sealed Identify: %s", resp.Status)
	}
	sig, sealed, err = splitEncrypted(answer)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := nc.SecuritySession().Unwrap(sealed, sig)
	if err != nil || !strings.Contains(string(plain), "IdentifyResponse") {
		t.Fatalf("sealed answer: %q %v", plain, err)
	}
}

func mustOID(t *testing.T, oid asn1.ObjectIdentifier) []byte {
	t.Helper()
	b, err := asn1.Marshal(oid)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	soapType         = "application/soap+xml;charset=UTF-8"
	identifyEnvelope = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="` + nsIdentity + `"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`
)

// ntlmv2Client answers a CHALLENGE by hand with a known exported session
// key, so that the test can compute the mechListMIC a SPNEGO client sends
// (bodgit/ntlmssp keeps its keys to itself).
func ntlmv2Client(t *testing.T, challenge []byte) (auth []byte, flags uint32, exported []byte) {
	t.Helper()
	flags = binary.LittleEndian.Uint32(challenge[20:24])
	infoLen := int(binary.LittleEndian.Uint16(challenge[40:]))
	infoOff := int(binary.LittleEndian.Uint32(challenge[44:]))
	blob := []byte{1, 1, 0, 0, 0, 0, 0, 0}
	blob = append(blob, make([]byte, 8)...)                    // timestamp
	blob = append(blob, []byte("cli-chal")...)                 // client challenge
	blob = append(blob, 0, 0, 0, 0)                            //
	blob = append(blob, challenge[infoOff:infoOff+infoLen]...) // target info, no MIC flag
	blob = append(blob, 0, 0, 0, 0)
	key := ntowfv2(testPassword, testUser, "LAB")
	proof := hmacMD5(key, challenge[24:32], blob)
	exported = []byte("exported-key-16b")
	encKey := rc4Once(hmacMD5(key, proof), exported)
	return authenticateMessageKey(flags, testUser, "LAB", append(proof, blob...), encKey), flags, exported
}

// newClientSession is the client's half of the session keys: the server's
// with the directions swapped.
func newClientSession(t *testing.T, flags uint32, exported []byte) *sealSession {
	t.Helper()
	s, err := newServerSession(flags, exported)
	if err != nil {
		t.Fatal(err)
	}
	s.outSignKey, s.inSignKey = s.inSignKey, s.outSignKey
	s.outSealKey, s.inSealKey = s.inSealKey, s.outSealKey
	if err := s.resetHandles(); err != nil {
		t.Fatal(err)
	}
	return s
}

// With a mechListMIC: the lab verifies the client's, answers its own, and
// after it both sides seal from reset RC4 handles with sequence number 1.
// A wrong mechListMIC is refused with a bare 401.
func TestSPNEGOMechListMIC(t *testing.T) {
	l := newLab(t, nil)
	neg := make([]byte, 32)
	copy(neg, ntlmSignature)
	binary.LittleEndian.PutUint32(neg[8:], 1)
	binary.LittleEndian.PutUint32(neg[12:], flagUnicode|flagSign|flagSeal|flagExtendedSecure|flagKeyExch|flag128|flagNTLM)
	for _, tamper := range []bool{true, false} {
		c := oneConn()
		init, mechTypes := negTokenInit(t, []asn1.ObjectIdentifier{oidNTLM}, neg)
		_, tok, _ := negotiate(t, c, l.ep.HTTPURL(), init, soapType, nil)
		challenge, err := parseSPNEGO(tok)
		if err != nil {
			t.Fatal(err)
		}
		auth, flags, exported := ntlmv2Client(t, challenge.token)
		cs := newClientSession(t, flags, exported)
		mic := cs.signature(cs.outSignKey, cs.outSeal, cs.outSeq, mechTypes)
		cs.outSeq++
		if tamper {
			mic[5] ^= 1
		}
		resp, tok, _ := negotiate(t, c, l.ep.HTTPURL(), clientResp(auth, mic), soapType, nil)
		if tamper {
			if resp.StatusCode != http.StatusUnauthorized || len(resp.Header.Values("WWW-Authenticate")) != 0 {
				t.Fatalf("wrong mechListMIC: %s %q", resp.Status, resp.Header.Values("WWW-Authenticate"))
			}
			continue
		}
		done, err := parseSPNEGO(tok)
		if resp.StatusCode != http.StatusOK || err != nil || done.mic == nil {
			t.Fatalf("mechListMIC: %s %x %v", resp.Status, tok, err)
		}
		if want := cs.signature(cs.inSignKey, cs.inSeal, cs.inSeq, mechTypes); !bytes.Equal(done.mic, want) {
			t.Fatalf("server mechListMIC %x, want %x", done.mic, want)
		}
		cs.inSeq++
		if err := cs.resetHandles(); err != nil {
			t.Fatal(err)
		}
		body := cs.wrapEncrypted([]byte(identifyEnvelope))
		resp, _, answer := negotiate(t, c, l.ep.HTTPURL(), nil, encryptedMediaType, body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("sealed Identify after the mechListMIC: %s", resp.Status)
		}
		plain, err := cs.unwrapEncrypted(answer)
		if err != nil || !strings.Contains(string(plain), "IdentifyResponse") {
			t.Fatalf("sealed answer: %q %v", plain, err)
		}
	}
}

// A client that prefers Kerberos (winrs' and PowerShell's default) is told
// to use NTLM and goes on with it; one that offers only Kerberos is
// rejected.
func TestSPNEGOKerberosFirst(t *testing.T) {
	l := newLab(t, nil)
	kerberos := asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2}
	msKerberos := asn1.ObjectIdentifier{1, 2, 840, 48018, 1, 2, 2}
	c := oneConn()
	init, _ := negTokenInit(t, []asn1.ObjectIdentifier{msKerberos, kerberos, oidNTLM}, []byte("a Kerberos AP-REQ"))
	resp, tok, _ := negotiate(t, c, l.ep.HTTPURL(), init, soapType, nil)
	choice, err := parseSPNEGO(tok)
	if resp.StatusCode != http.StatusUnauthorized || err != nil || choice.token != nil || !bytes.Contains(tok, mustOID(t, oidNTLM)) || !bytes.Contains(tok, []byte{0xa0, 0x03, 0x0a, 0x01, negAcceptIncomplete}) {
		t.Fatalf("Kerberos first: %s %x %v", resp.Status, tok, err)
	}
	nc, _ := ntlmssp.NewClient(ntlmssp.SetUserInfo(testUser, testPassword), ntlmssp.SetDomain("LAB"), ntlmssp.SetVersion(ntlmssp.DefaultVersion()))
	neg, _ := nc.Authenticate(nil, nil)
	_, tok, _ = negotiate(t, c, l.ep.HTTPURL(), clientResp(neg, nil), soapType, nil)
	challenge, err := parseSPNEGO(tok)
	if err != nil || ntlmMessageType(challenge.token) != 2 {
		t.Fatalf("NTLM after the choice: %x %v", tok, err)
	}
	auth, _ := nc.Authenticate(challenge.token, nil)
	if resp, _, _ := negotiate(t, c, l.ep.HTTPURL(), clientResp(auth, nil), soapType, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("authenticate: %s", resp.Status)
	}

	only, _ := negTokenInit(t, []asn1.ObjectIdentifier{kerberos}, []byte("a Kerberos AP-REQ"))
	resp, tok, _ = negotiate(t, oneConn(), l.ep.HTTPURL(), only, soapType, nil)
	if resp.StatusCode != http.StatusUnauthorized || !bytes.Contains(tok, []byte{0xa0, 0x03, 0x0a, 0x01, negReject}) {
		t.Fatalf("Kerberos only: %s %x", resp.Status, tok)
	}
	// A NegTokenResp out of the blue (no NegTokenInit on the connection).
	if resp, _, _ := negotiate(t, oneConn(), l.ep.HTTPURL(), clientResp(neg, nil), soapType, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("NegTokenResp without NegTokenInit: %s", resp.Status)
	}
}

// The 401 offers what Windows offers: Negotiate and Kerberos, Basic only
// while enabled; with Basic disabled even good Basic credentials get a
// bare 401.
func TestChallengeOffers(t *testing.T) {
	for _, disable := range []bool{false, true} {
		l := newLab(t, func(c *Config) { c.DisableBasic = disable })
		resp, _, _ := negotiate(t, l.httpsClient(), l.ep.HTTPSURL(), nil, soapType, []byte(identifyEnvelope))
		want := `Negotiate,Kerberos,Basic realm="WSMAN"`
		if disable {
			want = `Negotiate,Kerberos`
		}
		if got := strings.Join(resp.Header.Values("WWW-Authenticate"), ","); resp.StatusCode != http.StatusUnauthorized || got != want {
			t.Fatalf("DisableBasic=%v: %s offers %q, want %q", disable, resp.Status, got, want)
		}
		req, _ := http.NewRequest(http.MethodPost, l.ep.HTTPSURL(), strings.NewReader(identifyEnvelope))
		req.Header.Set("Authorization", "Basic "+basic(testUser, testPassword))
		req.Header.Set("Content-Type", soapType)
		r, err := l.httpsClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = r.Body.Close()
		if wantOK := !disable; (r.StatusCode == http.StatusOK) != wantOK || (!wantOK && len(r.Header.Values("WWW-Authenticate")) != 0) {
			t.Fatalf("DisableBasic=%v: Basic with good credentials: %s %q", disable, r.Status, r.Header.Values("WWW-Authenticate"))
		}
	}
}
