package winrm

import (
	"bytes"
	"crypto/md5" //nolint:gosec // the binding hash is MD5
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
)

func readCert(t *testing.T, name string) *x509.Certificate {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// The tls-server-end-point binding of fixed certificates: the hashes were
// computed apart, with `openssl x509 -outform DER | openssl dgst -sha256`
// (-sha384 for the ECDSA-with-SHA384 one); a SHA-1-signed certificate is
// hashed with SHA-256 (RFC 5929 section 4.1).
func TestTLSServerEndPoint(t *testing.T) {
	for name, want := range map[string]string{
		"cbt-sha256.pem": "91e9aa1eab97950821bfeb72558419721657282a42ad152d2a3632ac3a1c695e",
		"cbt-sha1.pem":   "2e1cd98cd8d975e397983bf764033be9380178c89912465462c99bdc4201b6d8",
		"cbt-sha384.pem": "b227c193868bde389c2b5f39efa7cf02bc9b0a2a1c9f09aaa37088751ee096192cb665422d24a3c6baf17388b94ba791",
	} {
		got := tlsServerEndPoint(readCert(t, name))
		sum, _ := hex.DecodeString(want)
		if string(got) != "tls-server-end-point:"+string(sum) {
			t.Errorf("%s: %x", name, got)
		}
	}
}

// The MD5 of the gss_channel_bindings_struct Kerberos' checksum carries, for
// the SHA-256 certificate: computed apart (Python's hashlib over 16 zero
// bytes, the length as 4 bytes little-endian and the application data).
func TestBindingsHash(t *testing.T) {
	cb := channelBindings(&tls.ConnectionState{PeerCertificates: []*x509.Certificate{readCert(t, "cbt-sha256.pem")}})
	if got := hex.EncodeToString(bindingsHash(cb)); got != "1a047c6c82ff898b50f08fef7cf41f2f" {
		t.Errorf("bindings hash %s", got)
	}
	if got := hex.EncodeToString(bindingsHash(nil)); got != "00000000000000000000000000000000" {
		t.Errorf("no bindings: %s", got)
	}
	if channelBindings(nil) != nil || channelBindings(&tls.ConnectionState{}) != nil {
		t.Error("bindings without a certificate")
	}
}

// ntlmChallenge is an NTLM CHALLENGE message ([MS-NLMP] 2.2.1.2) written
// from the spec: NTLMv2 with extended session security, target info with
// the domain and computer names and a timestamp.
func ntlmChallenge() []byte {
	utf16 := func(s string) []byte {
		var b []byte
		for _, r := range s {
			b = append(b, byte(r), 0)
		}
		return b
	}
	var info []byte
	av := func(id uint16, v []byte) {
		info = binary.LittleEndian.AppendUint16(info, id)
		info = binary.LittleEndian.AppendUint16(info, uint16(len(v)))
		info = append(info, v...)
	}
	av(2, utf16("LAB"))
	av(1, utf16("NODE1"))
	av(7, make([]byte, 8))
	av(0, nil)
	const flags = 0x1 | 0x4 | 0x10 | 0x20 | 0x200 | 0x8000 | 0x80000 | 0x800000 | 0x02000000 | 0x20000000 | 0x40000000 | 0x80000000
	b := []byte("NTLMSSP\x00")
	b = binary.LittleEndian.AppendUint32(b, 2)
	b = append(b, 0, 0, 0, 0, 56, 0, 0, 0) // no target name
	b = binary.LittleEndian.AppendUint32(b, flags)
	b = append(b, 1, 2, 3, 4, 5, 6, 7, 8) // server challenge
	b = append(b, make([]byte, 8)...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(info)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(info)))
	b = binary.LittleEndian.AppendUint32(b, 56)
	b = append(b, 6, 1, 0x1d, 0x1c, 0, 0, 0, 15) // version
	return append(b, info...)
}

// avPairOf reads the AV pair id from an AUTHENTICATE message's NTLMv2
// response ([MS-NLMP] 2.2.1.3, 2.2.2.7): NTProofStr (16 bytes), then the
// blob's 28-byte header, then the pairs.
func avPairOf(t *testing.T, auth []byte, id uint16) []byte {
	t.Helper()
	l := int(binary.LittleEndian.Uint16(auth[20:]))
	off := int(binary.LittleEndian.Uint32(auth[24:]))
	resp := auth[off : off+l]
	for p := resp[44:]; len(p) >= 4; {
		pid, n := binary.LittleEndian.Uint16(p), int(binary.LittleEndian.Uint16(p[2:]))
		if pid == id {
			return p[4 : 4+n]
		}
		if pid == 0 {
			break
		}
		p = p[4+n:]
	}
	return nil
}

// NTLM over HTTPS carries, in its AUTHENTICATE's MsvAvChannelBindings, the
// MD5 of the bindings of the certificate of the connection it goes on
// (computed here apart, from the server's certificate); a node refusing
// it is worded with the channel binding hint.
func TestNTLMChannelBindingOnTheWire(t *testing.T) {
	var authenticate []byte
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		raw, _ := base64.StdEncoding.DecodeString(tok)
		if len(raw) > 12 && raw[8] == 1 {
			w.Header().Set("WWW-Authenticate", "Negotiate "+base64.StdEncoding.EncodeToString(ntlmChallenge()))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		authenticate = raw
		w.Header().Set("WWW-Authenticate", "Negotiate")
		w.WriteHeader(http.StatusUnauthorized) // CbtHardeningLevel=Strict with another certificate
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	port, _ := strconv.Atoi(u.Port())
	c, err := New(Config{Node: "NODE1", Host: "127.0.0.1", Port: port, HTTPS: true, Auth: "ntlm", Username: `LAB\Administrator`, Password: "Secret-Pw-1",
		CACert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})})
	if err != nil {
		t.Fatal(err)
	}
	err = c.all[0].lt.handshake()
	if err == nil {
		t.Fatal("a refused AUTHENTICATE was taken")
	}
	sum := sha256.Sum256(srv.Certificate().Raw)
	app := append([]byte("tls-server-end-point:"), sum[:]...)
	st := append(make([]byte, 16), byte(len(app)), 0, 0, 0)
	want := md5.Sum(append(st, app...)) //nolint:gosec // the binding hash is MD5
	if got := avPairOf(t, authenticate, 10); !bytes.Equal(got, want[:]) {
		t.Errorf("MsvAvChannelBindings %x, want %x", got, want)
	}
	msg := c.classify(err).Error()
	if !strings.Contains(msg, "channel binding") || !strings.Contains(msg, "NODE1") || strings.Contains(msg, "Secret-Pw-1") {
		t.Errorf("refusal: %s", msg)
	}
}
