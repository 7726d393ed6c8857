package winrm

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// A fixed AES-256 key (aes256-cts-hmac-sha1-96, 18) for the wrap token tests.
var wrapKey = types.EncryptionKey{KeyType: 18, KeyValue: bytes.Repeat([]byte{0x5a}, 32)}

// What seal writes is RFC 4121's wrap token as [MS-KILE] 3.4.5.4.1 has
// Windows write it: the header (TOK_ID 05 04, flags sealed and acceptor
// subkey, filler ff, EC 16, RRC 28, the sequence number), then the
// encryption of message, 16 filler bytes and the header with RRC 0, rotated
// right by RRC+EC; the signature part is 16+60 bytes. gokrb5's RFC 3962
// decryption (not ours) opens it with the initiator's sealing key usage, 24.
func TestKerberosSealIsRFC4121WrapToken(t *testing.T) {
	k := &krbContext{key: wrapKey, acceptorSubkey: true, sendSeq: 0x01020304}
	plain := []byte("<s:Envelope>a SOAP message</s:Envelope>")
	sig, sealed, err := k.seal(plain)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(sig[:16]); got != "050406ff0010001c0000000001020304" {
		t.Fatalf("header %s", got)
	}
	if len(sig) != 16+60 || len(sealed) != len(plain) {
		t.Fatalf("signature %d bytes, sealed %d (plain %d)", len(sig), len(sealed), len(plain))
	}
	body := append(append([]byte(nil), sig[16:]...), sealed...)
	// Rotate left by RRC+EC = 44 by hand.
	body = append(body[44:], body[:44]...)
	out, err := crypto.DecryptMessage(body, wrapKey, 24)
	if err != nil {
		t.Fatalf("gokrb5 does not decrypt it: %v", err)
	}
	want := append(append(append([]byte(nil), plain...), make([]byte, 16)...), 0x05, 0x04, 0x06, 0xff, 0x00, 0x10, 0x00, 0x00, 0, 0, 0, 0, 1, 2, 3, 4)
	if !bytes.Equal(out, want) {
		t.Fatalf("decrypted %x\nwant      %x", out, want)
	}
	if k.sendSeq != 0x01020305 {
		t.Errorf("sequence number after one message: %#x", k.sendSeq)
	}
	// Without an acceptor subkey the flags say so (sealed only).
	k2 := &krbContext{key: wrapKey}
	sig, _, _ = k2.seal(plain)
	if sig[2] != 0x02 {
		t.Errorf("flags without an acceptor subkey: %#x", sig[2])
	}
}

// acceptorWrap builds the node's sealed answer with gokrb5's RFC 3962
// encryption (its own random confounder), key usage 22, rotated by rot.
func acceptorWrap(t *testing.T, key types.EncryptionKey, plain []byte, seq uint64, flags byte, rot int) (sig, sealed []byte) {
	t.Helper()
	hdr := func(rrc uint16) []byte {
		h := []byte{0x05, 0x04, flags, 0xff, 0x00, 0x10}
		h = binary.BigEndian.AppendUint16(h, rrc)
		return binary.BigEndian.AppendUint64(h, seq)
	}
	msg := append(append(append([]byte(nil), plain...), bytes.Repeat([]byte{0xee}, 16)...), hdr(0)...)
	et, err := crypto.GetEtype(18)
	if err != nil {
		t.Fatal(err)
	}
	_, enc, err := et.EncryptMessage(key.KeyValue, msg, 22)
	if err != nil {
		t.Fatal(err)
	}
	n := rot % len(enc)
	enc = append(append([]byte(nil), enc[len(enc)-n:]...), enc[:len(enc)-n]...)
	cut := len(enc) - len(plain)
	return append(hdr(28), enc[:cut]...), enc[cut:]
}

// The node's sealed answers open, rotated as Windows does (RRC+EC) or as
// RFC 4121 says (RRC); a replayed, reflected, tampered one or one sealed
// with another key is refused.
func TestKerberosOpen(t *testing.T) {
	plain := []byte("<s:Envelope>an answer</s:Envelope>")
	for name, rot := range map[string]int{"windows": 44, "rfc 4121": 28} {
		k := &krbContext{key: wrapKey, acceptorSubkey: true, recvSeq: 7}
		sig, sealed := acceptorWrap(t, wrapKey, plain, 7, 0x07, rot)
		got, err := k.open(sig, sealed)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%s: %q %v", name, got, err)
		}
		if _, err := k.open(sig, sealed); err == nil || !strings.Contains(err.Error(), "sequence number") {
			t.Errorf("%s: replay: %v", name, err)
		}
	}
	for name, tc := range map[string]struct {
		flags byte
		seq   uint64
		edit  func(sig, sealed []byte)
	}{
		"reflected (sent by the initiator)": {0x06, 7, nil},
		"another key (no acceptor subkey)":  {0x03, 7, nil},
		"out of order":                      {0x07, 8, nil},
		"tampered":                          {0x07, 7, func(_, sealed []byte) { sealed[0] ^= 1 }},
		"header edited":                     {0x07, 7, func(sig, _ []byte) { sig[5] = 0x0f }},
	} {
		k := &krbContext{key: wrapKey, acceptorSubkey: true, recvSeq: 7}
		sig, sealed := acceptorWrap(t, wrapKey, plain, tc.seq, tc.flags, 44)
		if tc.edit != nil {
			tc.edit(sig, sealed)
		}
		if got, err := k.open(sig, sealed); err == nil {
			t.Errorf("%s: opened %q", name, got)
		}
	}
}

// The GSS-API framing of the AP-REQ (RFC 2743 3.1, RFC 4121 4.1): 0x60, the
// length, the Kerberos OID, TOK_ID 01 00; and the authenticator checksum
// (RFC 4121 4.1.1): Lgth 16, the bindings' MD5, the flags, little-endian.
func TestGSSFraming(t *testing.T) {
	tok := gssFrame(tokAPReq, []byte{0x6e, 0x00})
	if got := hex.EncodeToString(tok); got != "600f06092a864886f71201020201006e00" {
		t.Errorf("framing %s", got)
	}
	id, msg, err := gssUnframe(tok)
	if err != nil || !bytes.Equal(id, tokAPReq) || !bytes.Equal(msg, []byte{0x6e, 0x00}) {
		t.Errorf("unframe %x %x %v", id, msg, err)
	}
	long := gssFrame(tokAPRep, bytes.Repeat([]byte{1}, 300))
	if long[1] != 0x82 || int(binary.BigEndian.Uint16(long[2:])) != 300+13 {
		t.Errorf("long form length %x", long[:4])
	}
	if _, _, err := gssUnframe([]byte("NTLMSSP\x00")); err == nil {
		t.Error("an NTLM token taken for Kerberos")
	}
	ck := gssChecksum(bytes.Repeat([]byte{0xab}, 16), gssMutual|gssConf)
	if got := hex.EncodeToString(ck); got != "10000000"+strings.Repeat("ab", 16)+"12000000" {
		t.Errorf("checksum %s", got)
	}
}

// Each refusal of the KDC's that an operator can act on becomes a
// diagnostic naming the node, the cause and the setting; the password never.
func TestKerberosDiagnostics(t *testing.T) {
	c := &Client{cfg: Config{Node: "NODE1", Host: "10.0.0.5", Auth: "kerberos", Username: "Administrator", Password: "Secret-Pw-1", Realm: "LAB.EXAMPLE", KDC: []string{"dc1:88"}},
		endpoint: "https://10.0.0.5:5986/wsman"}
	krbErr := func(code int32) error {
		return errors.New("[Root cause: KDC_Error] " + messages.KRBError{ErrorCode: code, EText: "Secret-Pw-1"}.Error())
	}
	for name, tc := range map[string]struct {
		err  error
		kind Kind
		want []string
	}{
		"wrong password": {krbErr(24), KindAuth, []string{"KDC_ERR_PREAUTH_FAILED", "wrong password", "check password"}},
		"clock skew":     {krbErr(37), KindAuth, []string{"KRB_AP_ERR_SKEW", "clock"}},
		"unknown spn":    {krbErr(7), KindConfig, []string{"KDC_ERR_S_PRINCIPAL_UNKNOWN", "HTTP/10.0.0.5", "IP address", "set host (or spn)"}},
		"etype":          {krbErr(14), KindAuth, []string{"KDC_ERR_ETYPE_NOSUPP", "AES", "krb5_conf"}},
		"no kdc":         {errors.New("[Root cause: Networking_Error] AS Exchange Error: failed sending AS_REQ to KDC: failed to communicate with KDC dc1:88"), KindUnreachable, []string{"no KDC of realm LAB.EXAMPLE answered", "dc1:88", "set kdc"}},
	} {
		e := c.krbFailure(tc.err, "log in")
		if e.Kind != tc.kind {
			t.Errorf("%s: kind %v", name, e.Kind)
		}
		for _, w := range append(tc.want, "NODE1") {
			if !strings.Contains(e.Error(), w) {
				t.Errorf("%s: %q lacks %q", name, e, w)
			}
		}
		if strings.Contains(e.Error(), "Secret-Pw-1") {
			t.Errorf("%s: password in %q", name, e)
		}
	}
}
