package wsman

import (
	"crypto"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
)

// Channel binding hardening levels (WinRM's Service/Auth/CbtHardeningLevel).
const (
	CBTNone    = "none"    // bindings ignored
	CBTRelaxed = "relaxed" // checked when a client sends them
	CBTStrict  = "strict"  // required over HTTPS
)

// tlsServerEndPoint is the tls-server-end-point channel binding of RFC 5929
// 4.1: the hash of the server certificate, with SHA-256 where the
// certificate is signed with MD5 or SHA-1, and the signature's hash
// otherwise.
func tlsServerEndPoint(der []byte) []byte {
	h := crypto.SHA256
	if cert, err := x509.ParseCertificate(der); err == nil {
		switch cert.SignatureAlgorithm {
		case x509.SHA384WithRSA, x509.ECDSAWithSHA384, x509.SHA384WithRSAPSS:
			h = crypto.SHA384
		case x509.SHA512WithRSA, x509.ECDSAWithSHA512, x509.SHA512WithRSAPSS:
			h = crypto.SHA512
		}
	}
	if h == crypto.SHA256 {
		sum := sha256.Sum256(der)
		return sum[:]
	}
	d := h.New()
	d.Write(der)
	return d.Sum(nil)
}

// channelBindingsHash is what NTLM (MsvAvChannelBindings) and Kerberos (the
// authenticator checksum's Bnd) carry: the MD5 of a gss_channel_bindings_struct
// with no addresses and application data "tls-server-end-point:" + the
// certificate hash (RFC 5929, RFC 4121 4.1.1.2, MS-NLMP 3.1.5.1.2).
func channelBindingsHash(certDER []byte) []byte {
	app := append([]byte("tls-server-end-point:"), tlsServerEndPoint(certDER)...)
	var s []byte
	for i := 0; i < 4; i++ { // initiator and acceptor address types and lengths
		s = binary.LittleEndian.AppendUint32(s, 0)
	}
	s = binary.LittleEndian.AppendUint32(s, uint32(len(app)))
	s = append(s, app...)
	sum := md5.Sum(s)
	return sum[:]
}

// bindingOK applies the hardening level to the bindings a client sent (nil
// or all zeros: none). Bindings exist only on HTTPS: plain HTTP is not
// checked, as Windows checks CBT for HTTPS only.
func (h *Handler) bindingOK(secure bool, sent []byte) bool {
	if !secure || h.cfg.CBTHardening == "" || h.cfg.CBTHardening == CBTNone {
		return true
	}
	none := true
	for _, b := range sent {
		if b != 0 {
			none = false
		}
	}
	if none {
		return h.cfg.CBTHardening != CBTStrict
	}
	return h.bindings != nil && hmac.Equal(sent, h.bindings)
}
