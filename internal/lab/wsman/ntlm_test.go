package wsman

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/bodgit/ntlmssp"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Known answers from [MS-NLMP] 4.2.4 (NTLMv2 authentication): user "User",
// domain "Domain", password "Password", server challenge 0123456789abcdef,
// client challenge aaaaaaaaaaaaaaaa, time 0, random session key 0x55 * 16.
func TestNTLMv2KnownAnswers(t *testing.T) {
	key := ntowfv2("Password", "User", "Domain")
	if !bytes.Equal(key, unhex(t, "0c868a403bfd7a93a3001ef22ef02e3f")) {
		t.Fatalf("NTOWFv2 = %x", key)
	}
	avs := unhex(t, "02000c0044006f006d00610069006e00"+"01000c005300650072007600650072000000"+"0000")
	blob := append(unhex(t, "0101000000000000"+"0000000000000000"+"aaaaaaaaaaaaaaaa"+"00000000"), avs...)
	blob = append(blob, 0, 0, 0, 0)
	proof := hmacMD5(key, unhex(t, "0123456789abcdef"), blob)
	if !bytes.Equal(proof, unhex(t, "68cd0ab851e51c96aabc927bebef6a1c")) {
		t.Fatalf("NTProofStr = %x", proof)
	}
	if sbk := hmacMD5(key, proof); !bytes.Equal(sbk, unhex(t, "8de40ccadbc14a82f15cb0ad0de95ca3")) {
		t.Fatalf("SessionBaseKey = %x", sbk)
	}
	if enc := rc4Once(hmacMD5(key, proof), bytes.Repeat([]byte{0x55}, 16)); !bytes.Equal(enc, unhex(t, "c5dad2544fc9799094ce1ce90bc9d03e")) {
		t.Fatalf("EncryptedRandomSessionKey = %x", enc)
	}
}

// [MS-NLMP] 4.2.4.4: the client's sealed "Plaintext" with flags e28a8233
// and exported session key 0x55 * 16, unsealed by the server side.
func TestSealKnownAnswer(t *testing.T) {
	exported := bytes.Repeat([]byte{0x55}, 16)
	if k := md5Sum(exported, clientSealingMagic); !bytes.Equal(k, unhex(t, "59f600973cc4960a25480a7c196e4c58")) {
		t.Fatalf("client sealing key = %x", k)
	}
	if k := md5Sum(exported, clientSigningMagic); !bytes.Equal(k, unhex(t, "4788dc861b4782f35d43fd98fe1a2d39")) {
		t.Fatalf("client signing key = %x", k)
	}
	s, err := newServerSeal(0xe28a8233, exported)
	if err != nil {
		t.Fatal(err)
	}
	sig := unhex(t, "010000007fb38ec5c55d497600000000")
	msg, err := s.Unseal(unhex(t, "54e50165bf1936dc996020c1811b0f06fb5f"), sig)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(msg, utf16le("Plaintext")) {
		t.Fatalf("unsealed %x", msg)
	}
	// The sequence number moved on: the same message again is refused.
	if _, err := s.Unseal(unhex(t, "54e50165bf1936dc996020c1811b0f06fb5f"), sig); err == nil {
		t.Fatal("replayed message accepted")
	}
}

// A bodgit/ntlmssp client (the library masterzen/winrm seals with) and the
// server seal and unseal each other's messages in both directions.
func TestSealRoundTripWithClientLibrary(t *testing.T) {
	c, _ := ntlmssp.NewClient(ntlmssp.SetUserInfo(testUser, testPassword), ntlmssp.SetDomain("LAB"), ntlmssp.SetVersion(ntlmssp.DefaultVersion()))
	neg, _ := c.Authenticate(nil, nil)
	srv := &ntlmServer{nodeName: "NODE1", domain: "LAB", accounts: testAccounts{}}
	ch, err := srv.Challenge(neg)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := c.Authenticate(ch, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := srv.Authenticate(auth)
	if err != nil {
		t.Fatal(err)
	}
	if res.User != testUser || res.Domain != "LAB" {
		t.Fatalf("authenticated %q %q", res.Domain, res.User)
	}
	s, err := newServerSeal(res.Flags, res.ExportedSessionKey)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range []string{"<s:Envelope/>", "second message", ""} {
		sealed, sig, err := c.SecuritySession().Wrap([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Unseal(sealed, sig)
		if err != nil || string(got) != text {
			t.Fatalf("client->server %d: %q %v", i, got, err)
		}
		sealed, sig = s.Seal([]byte(text + " answer"))
		back, err := c.SecuritySession().Unwrap(sealed, sig)
		if err != nil || string(back) != text+" answer" {
			t.Fatalf("server->client %d: %q %v", i, back, err)
		}
	}
	// A tampered message does not verify.
	sealed, sig, _ := c.SecuritySession().Wrap([]byte("tamper"))
	sealed[0] ^= 1
	if _, err := s.Unseal(sealed, sig); err == nil {
		t.Fatal("tampered message accepted")
	}
}

// authenticateMessage builds a minimal AUTHENTICATE with the given responses.
func authenticateMessage(flags uint32, user, domain string, nt []byte) []byte {
	return authenticateMessageKey(flags, user, domain, nt, nil)
}

// authenticateMessageKey is authenticateMessage with an encrypted random
// session key (KEY_EXCH).
func authenticateMessageKey(flags uint32, user, domain string, nt, encKey []byte) []byte {
	payload := [][]byte{nil, nt, utf16le(domain), utf16le(user), nil, encKey}
	msg := make([]byte, 88)
	copy(msg, ntlmSignature)
	binary.LittleEndian.PutUint32(msg[8:], 3)
	off := 88
	for i, p := range payload {
		putField(msg[12+8*i:], len(p), off)
		off += len(p)
	}
	binary.LittleEndian.PutUint32(msg[60:], flags)
	for _, p := range payload {
		msg = append(msg, p...) //nolint:makezero // the payload goes after the fixed 88-byte header
	}
	return msg
}

func TestNTLMRefusals(t *testing.T) {
	neg := make([]byte, 32)
	copy(neg, ntlmSignature)
	binary.LittleEndian.PutUint32(neg[8:], 1)
	binary.LittleEndian.PutUint32(neg[12:], flagUnicode|flagNTLM|flagSeal|flagSign)
	for name, msg := range map[string][]byte{
		"NTLMv1 response":  authenticateMessage(flagUnicode, testUser, "LAB", make([]byte, 24)),
		"anonymous":        authenticateMessage(flagUnicode|flagAnonymous, "", "", nil),
		"garbage proof":    authenticateMessage(flagUnicode, testUser, "LAB", make([]byte, 64)),
		"unknown user":     authenticateMessage(flagUnicode, "Guest", "LAB", make([]byte, 64)),
		"truncated":        authenticateMessage(flagUnicode, testUser, "LAB", make([]byte, 64))[:70],
		"field past end":   append(authenticateMessage(flagUnicode, testUser, "LAB", nil)[:88:88], 0),
		"not an NTLM blob": []byte("hello"),
	} {
		srv := &ntlmServer{nodeName: "NODE1", domain: "LAB", accounts: testAccounts{}}
		if _, err := srv.Challenge(neg); err != nil {
			t.Fatal(err)
		}
		if name == "field past end" {
			binary.LittleEndian.PutUint16(msg[20:], 500)
		}
		if _, err := srv.Authenticate(msg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// AUTHENTICATE without a CHALLENGE before it.
	srv := &ntlmServer{accounts: testAccounts{}}
	if _, err := srv.Authenticate(authenticateMessage(flagUnicode, testUser, "", make([]byte, 64))); err == nil {
		t.Error("authenticate without challenge accepted")
	}
}

func TestChallengeMessage(t *testing.T) {
	neg := make([]byte, 32)
	copy(neg, ntlmSignature)
	binary.LittleEndian.PutUint32(neg[8:], 1)
	binary.LittleEndian.PutUint32(neg[12:], flagUnicode|flagNTLM|flagSeal|flagSign|flagLMKey|flagKeyExch|flag128)
	srv := &ntlmServer{nodeName: "node1", domain: "lab", random: func(b []byte) error { copy(b, "\x01\x23\x45\x67\x89\xab\xcd\xef"); return nil }}
	ch, err := srv.Challenge(neg)
	if err != nil {
		t.Fatal(err)
	}
	if ntlmMessageType(ch) != 2 || !bytes.Equal(ch[24:32], unhex(t, "0123456789abcdef")) {
		t.Fatalf("challenge %x", ch)
	}
	flags := binary.LittleEndian.Uint32(ch[20:])
	if flags&flagLMKey != 0 || flags&flagExtendedSecure == 0 || flags&flagKeyExch == 0 || flags&flagTargetInfo == 0 {
		t.Fatalf("challenge flags %08x", flags)
	}
	n := binary.LittleEndian.Uint16(ch[12:])
	off := binary.LittleEndian.Uint32(ch[16:])
	if got := fromUTF16le(ch[off : off+uint32(n)]); got != "LAB" {
		t.Fatalf("target name %q", got)
	}
}

// NTLM authenticates the TCP connection: after the handshake, requests on
// that connection need no Authorization header; on another connection
// they do.
func TestNTLMHoldsForTheConnection(t *testing.T) {
	l := newLab(t, nil)
	client := l.httpsClient()
	tr, ok := client.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport %T", client.Transport)
	}
	tr.MaxConnsPerHost = 1
	create := pywinrmEnvelope(l.ep.HTTPSURL(), actionCreate, "", "PT20S", "", "")
	post := func(c *http.Client, auth string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, l.ep.HTTPSURL(), strings.NewReader(create))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp
	}
	nc, _ := ntlmssp.NewClient(ntlmssp.SetUserInfo(testUser, testPassword), ntlmssp.SetVersion(ntlmssp.DefaultVersion()))
	neg, _ := nc.Authenticate(nil, nil)
	// The NTLM scheme, as go-ntlmssp uses it when the server offers it.
	resp := post(client, "NTLM "+base64.StdEncoding.EncodeToString(neg))
	scheme, token, _ := strings.Cut(resp.Header.Get("WWW-Authenticate"), " ")
	if resp.StatusCode != http.StatusUnauthorized || scheme != "NTLM" {
		t.Fatalf("negotiate: %s %q", resp.Status, resp.Header.Values("WWW-Authenticate"))
	}
	ch, _ := base64.StdEncoding.DecodeString(token)
	auth, err := nc.Authenticate(ch, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp := post(client, "NTLM "+base64.StdEncoding.EncodeToString(auth)); resp.StatusCode != http.StatusOK {
		t.Fatalf("authenticate: %s", resp.Status)
	}
	if resp := post(client, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("same connection, no header: %s", resp.Status)
	}
	if resp := post(l.httpsClient(), ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("new connection, no header: %s", resp.Status)
	}
}
