package wsman

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana"
	"github.com/jcmturner/gokrb5/v8/iana/asnAppTag"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/krb"
)

// Kerberos configures a node's Kerberos acceptor.
type Kerberos struct {
	// Realm is the node's realm, e.g. LAB.TEST; a client's
	// Administrator@LAB.TEST is logged as DOMAIN\Administrator.
	Realm string
	// Keytab holds the node's own service keys and no other node's: a
	// ticket for another node, or with a key version the keytab does not
	// have, is refused.
	Keytab *keytab.Keytab
}

// The Kerberos mechanism OIDs: RFC 1964's, and the one Windows clients put
// first in SPNEGO (a historical mistake of theirs that every acceptor takes).
var (
	oidKerberos   = asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2}
	oidMSKerberos = asn1.ObjectIdentifier{1, 2, 840, 48018, 1, 2, 2}
)

// GSS-API token ids of Kerberos context tokens (RFC 1964 1.1).
var (
	tokAPReq = []byte{1, 0}
	tokAPRep = []byte{2, 0}
)

// maxSkew is the clock skew a domain member tolerates (5 minutes).
const maxSkew = 5 * time.Minute

var errKerberos = errors.New("kerberos: authentication failed")

// isKerberosToken tells a GSS-API framed Kerberos token ([APPLICATION 0]
// with the Kerberos OID) and returns its inner token (token id and message).
func isKerberosToken(raw []byte) ([]byte, bool) {
	if len(raw) == 0 || raw[0] != 0x60 {
		return nil, false
	}
	var outer asn1.RawValue
	if rest, err := asn1.Unmarshal(raw, &outer); err != nil || len(rest) != 0 || outer.Class != asn1.ClassApplication || outer.Tag != 0 {
		return nil, false
	}
	var oid asn1.ObjectIdentifier
	inner, err := asn1.Unmarshal(outer.Bytes, &oid)
	if err != nil || (!oid.Equal(oidKerberos) && !oid.Equal(oidMSKerberos)) || len(inner) < 2 {
		return nil, false
	}
	return inner, true
}

// gssFrame wraps a Kerberos message in the GSS-API token framing.
func gssFrame(tokID, msg []byte) []byte {
	oid, _ := asn1.Marshal(oidKerberos)
	body := append(append(oid, tokID...), msg...)
	return asn1tools.AddASNAppTag(body, 0)
}

// replayCache remembers the authenticators accepted within the skew window
// (RFC 4120 3.2.3): the same one again is a replay.
type replayCache struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func (c *replayCache) replayed(key string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]time.Time{}
	}
	for k, t := range c.seen {
		if now.Sub(t) > 2*maxSkew {
			delete(c.seen, k)
		}
	}
	if _, ok := c.seen[key]; ok {
		return true
	}
	c.seen[key] = now
	return false
}

// krbAccepted is a verified AP-REQ.
type krbAccepted struct {
	user  string // DOMAIN\user for the realm's accounts, user@REALM otherwise
	apRep []byte // the GSS-framed AP-REP for mutual authentication
	ctx   *krbContext
}

// acceptKerberos verifies a GSS-API Kerberos AP-REQ with the node's own
// keys, its channel bindings as the hardening level wants them, and makes
// the AP-REP with a fresh acceptor subkey, which then keys sealing.
func (h *Handler) acceptKerberos(inner []byte, secure bool) (*krbAccepted, error) {
	kc := h.cfg.Kerberos
	if kc == nil || kc.Keytab == nil || !bytes.Equal(inner[:2], tokAPReq) {
		return nil, errKerberos
	}
	var ap messages.APReq
	if err := ap.Unmarshal(inner[2:]); err != nil {
		return nil, errKerberos
	}
	tkt := &ap.Ticket
	if !strings.EqualFold(tkt.Realm, kc.Realm) {
		return nil, errKerberos
	}
	// Only this node's key for this SPN and this key version: another
	// node's ticket or an old kvno finds none.
	key, _, ok := krb.FindKey(kc.Keytab, tkt.SName, tkt.Realm, tkt.EncPart.EType, tkt.EncPart.KVNO)
	if !ok {
		return nil, errKerberos
	}
	if err := tkt.Decrypt(key); err != nil {
		return nil, errKerberos
	}
	now := time.Now().UTC()
	part := tkt.DecryptedEncPart
	if now.Add(maxSkew).Before(part.StartTime) || now.After(part.EndTime.Add(maxSkew)) {
		return nil, errKerberos
	}
	if err := ap.DecryptAuthenticator(part.Key); err != nil {
		return nil, errKerberos
	}
	auth := ap.Authenticator
	if !auth.CName.Equal(part.CName) || !strings.EqualFold(auth.CRealm, part.CRealm) {
		return nil, errKerberos
	}
	ct := auth.CTime.Add(time.Duration(auth.Cusec) * time.Microsecond)
	if d := now.Sub(ct); d > maxSkew || d < -maxSkew {
		return nil, errKerberos
	}
	bnd, ok := authenticatorBindings(auth.Cksum)
	if !ok || !h.bindingOK(secure, bnd) {
		return nil, errKerberos
	}
	replayKey := fmt.Sprintf("%s@%s|%s|%s|%d", part.CName.PrincipalNameString(), part.CRealm,
		tkt.SName.PrincipalNameString(), auth.CTime.UTC().Format(time.RFC3339), auth.Cusec)
	if h.replays.replayed(replayKey, now) {
		return nil, errKerberos
	}

	// The acceptor subkey has the type of the key the client proposed.
	base := part.Key
	if len(auth.SubKey.KeyValue) > 0 {
		base = auth.SubKey
	}
	et, err := crypto.GetEtype(base.KeyType)
	if err != nil {
		return nil, errKerberos
	}
	subkey, err := types.GenerateEncryptionKey(et)
	if err != nil {
		return nil, errKerberos
	}
	seq, _ := rand.Int(rand.Reader, big.NewInt(1<<31-1))
	repSeq := seq.Int64() + 1
	encPart := messages.EncAPRepPart{CTime: auth.CTime, Cusec: auth.Cusec, Subkey: subkey, SequenceNumber: repSeq}
	b, err := asn1.Marshal(encPart)
	if err != nil {
		return nil, errKerberos
	}
	b = asn1tools.AddASNAppTag(b, asnAppTag.EncAPRepPart)
	ed, err := crypto.GetEncryptedData(b, part.Key, keyusage.AP_REP_ENCPART, 0)
	if err != nil {
		return nil, errKerberos
	}
	rep, err := asn1.Marshal(messages.APRep{PVNO: iana.PVNO, MsgType: msgtype.KRB_AP_REP, EncPart: ed})
	if err != nil {
		return nil, errKerberos
	}
	rep = asn1tools.AddASNAppTag(rep, asnAppTag.APREP)

	user := part.CName.PrincipalNameString() + "@" + part.CRealm
	if strings.EqualFold(part.CRealm, kc.Realm) && len(part.CName.NameString) == 1 && h.cfg.Domain != "" {
		user = h.cfg.Domain + `\` + part.CName.NameString[0]
	}
	ctx := &krbContext{key: subkey, acceptorSubkey: true, outSeq: uint64(repSeq), inSeq: uint64(auth.SeqNumber)}
	return &krbAccepted{user: user, apRep: gssFrame(tokAPRep, rep), ctx: ctx}, nil
}

// gssChecksumType is the authenticator checksum type of GSS-API Kerberos
// (RFC 4121 4.1.1).
const gssChecksumType = 0x8003

// authenticatorBindings reads the channel bindings hash (Bnd) of the
// RFC 4121 4.1.1 checksum of a GSS-API authenticator; an authenticator
// without that checksum sent none.
func authenticatorBindings(ck types.Checksum) ([]byte, bool) {
	if ck.CksumType != gssChecksumType {
		return nil, true
	}
	c := ck.Checksum
	if len(c) < 24 || binary.LittleEndian.Uint32(c) != 16 {
		return nil, false
	}
	return c[4:20], true
}
