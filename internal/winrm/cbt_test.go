package winrm

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"os"
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
