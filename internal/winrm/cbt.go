package winrm

import (
	"crypto"
	"crypto/md5" //nolint:gosec // RFC 4121's channel binding hash is MD5 by definition
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"

	"github.com/bodgit/ntlmssp"
)

// Channel binding ([MS-WSMV] 2.2.9.1.1, Extended Protection): over HTTPS the
// client binds its authentication to the TLS channel it runs on, so a man in
// the middle holding another certificate cannot relay it. The binding is
// RFC 5929's tls-server-end-point: a hash of the server's leaf certificate,
// which a server with CbtHardeningLevel=Strict requires of NTLM and Kerberos.

// tlsServerEndPoint is the application data of the channel bindings for a
// TLS connection whose server presented cert: "tls-server-end-point:" and
// the certificate's hash, with the hash of its signature algorithm, SHA-256
// for MD5 and SHA-1 (RFC 5929 section 4.1) and for algorithms that name no
// hash of their own (Ed25519), as Windows and pyspnego do.
func tlsServerEndPoint(cert *x509.Certificate) []byte {
	h := crypto.SHA256
	switch cert.SignatureAlgorithm {
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384, x509.SHA384WithRSAPSS:
		h = crypto.SHA384
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512, x509.SHA512WithRSAPSS:
		h = crypto.SHA512
	}
	var sum []byte
	switch h {
	case crypto.SHA384:
		s := sha512.Sum384(cert.Raw)
		sum = s[:]
	case crypto.SHA512:
		s := sha512.Sum512(cert.Raw)
		sum = s[:]
	default:
		s := sha256.Sum256(cert.Raw)
		sum = s[:]
	}
	return append([]byte("tls-server-end-point:"), sum...)
}

// channelBindings are the bindings for the TLS connection state cs (nil
// over plain HTTP, or when the server presented no certificate).
func channelBindings(cs *tls.ConnectionState) *ntlmssp.ChannelBindings {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return nil
	}
	return &ntlmssp.ChannelBindings{ApplicationData: tlsServerEndPoint(cs.PeerCertificates[0])}
}

// bindingsHash is the MD5 of the gss_channel_bindings_struct (RFC 4121
// section 4.1.1.2: the address types and lengths, zero here, and the
// application data with its length, all little-endian), which Kerberos'
// authenticator checksum carries; 16 zero bytes without bindings.
func bindingsHash(cb *ntlmssp.ChannelBindings) []byte {
	if cb == nil {
		return make([]byte, md5.Size)
	}
	b := make([]byte, 16, 20+len(cb.ApplicationData))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(cb.ApplicationData)))
	b = append(b, cb.ApplicationData...)
	sum := md5.Sum(b) //nolint:gosec // see the import
	return sum[:]
}
