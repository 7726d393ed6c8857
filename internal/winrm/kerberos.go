package winrm

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // HMAC-SHA1-96 is the AES Kerberos types' integrity check (RFC 3962)
	"crypto/sha256"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"

	"github.com/jcmturner/aescts/v2"
	forkasn1 "github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/crypto/common"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/chksumtype"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Kerberos for WinRM ([MS-WSMV] 2.2.9.1, [MS-KILE]): the client logs in to
// the KDC once per provider process and node (krbLogins), gets a ticket for
// the node's service principal, and authenticates each connection with one
// AP-REQ under `Authorization: Kerberos`, an empty POST answered 200 with
// the node's AP-REP (mutual authentication, checked). Over HTTPS the
// AP-REQ's checksum carries the channel bindings; over plain HTTP every
// message is sealed with RFC 4121 wrap tokens (krbContext.seal).

// The GSS-API context flags (RFC 2744) the AP-REQ's checksum asks for.
const (
	gssMutual   = 2
	gssReplay   = 4
	gssSequence = 8
	gssConf     = 16
	gssInteg    = 32
)

// krbOID is the Kerberos V5 mechanism's OID (RFC 1964), which frames the
// GSS-API tokens.
var krbOID = asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2}

// GSS-API token ids of the Kerberos mechanism (RFC 4121 section 4.1).
var (
	tokAPReq  = []byte{0x01, 0x00}
	tokAPRep  = []byte{0x02, 0x00}
	tokKRBErr = []byte{0x03, 0x00}
)

// krbLogins holds a logged-in gokrb5 client per node and credential, for the
// provider process's life: a login costs the KDC an AS exchange, and the
// client keeps (and renews) its TGT and service tickets.
var krbLogins = struct {
	sync.Mutex
	m map[string]*krbLoginEntry
}{m: map[string]*krbLoginEntry{}}

// krbLoginEntry is one login, made once: its own lock is held across the
// exchange with the KDC, so a KDC that does not answer holds up the nodes
// of that login only, not every node's handshake.
type krbLoginEntry struct {
	mu sync.Mutex
	cl *client.Client
}

// krbLoginKey names a login; the password goes in only as a hash.
func (c *Client) krbLoginKey() string {
	pw := sha256.Sum256([]byte(c.cfg.Password))
	return strings.Join([]string{c.cfg.Node, c.cfg.Username, c.cfg.Realm, c.cfg.Krb5Conf, strings.Join(c.cfg.KDC, ","),
		c.cfg.Keytab, c.ccachePath(), hex.EncodeToString(pw[:])}, "\x00")
}

// ccachePath is the credential cache to use: the ccache setting, else
// KRB5CCNAME (a FILE: cache; other types are refused by New).
func (c *Client) ccachePath() string {
	p := c.cfg.CCache
	if p == "" {
		p = os.Getenv("KRB5CCNAME")
	}
	return strings.TrimPrefix(p, "FILE:")
}

// krbSource says where the Kerberos credential comes from, for messages.
func (c *Client) krbSource() string {
	switch {
	case c.cfg.Keytab != "":
		return "keytab " + c.cfg.Keytab
	case c.cfg.Password != "":
		return "password"
	default:
		return "credential cache " + c.ccachePath()
	}
}

// krbConfig is the krb5.conf to use: the krb5_conf file when set, else one
// naming the realm's KDCs; kdc adds to a file's. Without either, the
// system's (KRB5_CONFIG or /etc/krb5.conf).
func (c *Client) krbConfig(realm string) (*config.Config, error) {
	path := c.cfg.Krb5Conf
	if path == "" && len(c.cfg.KDC) == 0 {
		path = os.Getenv("KRB5_CONFIG")
		if path == "" {
			path = "/etc/krb5.conf"
		}
	}
	var (
		conf *config.Config
		err  error
	)
	if path != "" {
		conf, err = config.Load(path)
		if err != nil {
			return nil, c.krbError(KindConfig, fmt.Sprintf("cannot read krb5.conf %s: %v; set krb5_conf to a readable file or kdc to the realm's KDC addresses", path, err), err)
		}
	} else {
		conf, err = config.NewFromString("[libdefaults]\n dns_lookup_kdc = false\n dns_lookup_realm = false\n")
		if err != nil {
			return nil, err
		}
	}
	if realm != "" && conf.LibDefaults.DefaultRealm == "" {
		conf.LibDefaults.DefaultRealm = realm
	}
	if len(c.cfg.KDC) > 0 && realm != "" {
		found := false
		for i := range conf.Realms {
			if strings.EqualFold(conf.Realms[i].Realm, realm) {
				conf.Realms[i].KDC = append(append([]string(nil), c.cfg.KDC...), conf.Realms[i].KDC...)
				found = true
			}
		}
		if !found {
			conf.Realms = append(conf.Realms, config.Realm{Realm: realm, KDC: c.cfg.KDC})
		}
	}
	return conf, nil
}

// realm is the client's realm: the realm setting, else the username's
// user@REALM part.
func (c *Client) realm() string {
	if c.cfg.Realm != "" {
		return strings.ToUpper(c.cfg.Realm)
	}
	if _, d, ok := strings.Cut(c.cfg.Username, "@"); ok {
		return strings.ToUpper(d)
	}
	return ""
}

// spn is the node's service principal: the spn setting, else HTTP/<host>.
func (c *Client) spn() string {
	if c.cfg.SPN != "" {
		return c.cfg.SPN
	}
	return "HTTP/" + c.cfg.Host
}

// krbLogin is the node's logged-in client, logging in on first use.
func (c *Client) krbLogin() (*client.Client, error) {
	key := c.krbLoginKey()
	krbLogins.Lock()
	e, ok := krbLogins.m[key]
	if !ok {
		e = &krbLoginEntry{}
		krbLogins.m[key] = e
	}
	krbLogins.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cl != nil {
		return e.cl, nil
	}
	cl, err := c.newKrbLogin()
	if err != nil {
		return nil, err
	}
	e.cl = cl
	return cl, nil
}

// newKrbLogin logs in to the KDC with the node's credential.
func (c *Client) newKrbLogin() (*client.Client, error) {
	user, _ := splitUser(c.cfg.Username)
	realm := c.realm()
	var (
		kt *keytab.Keytab
		cc *credentials.CCache
	)
	switch {
	case c.cfg.Keytab != "":
		var err error
		if kt, err = keytab.Load(c.cfg.Keytab); err != nil {
			return nil, c.krbError(KindConfig, fmt.Sprintf("cannot read keytab %s: %v; set keytab to a readable keytab file", c.cfg.Keytab, err), err)
		}
	case c.cfg.Password == "":
		var err error
		if cc, err = credentials.LoadCCache(c.ccachePath()); err != nil {
			return nil, c.krbError(KindConfig, fmt.Sprintf("cannot read the credential cache %s: %v; run kinit, or set ccache (or KRB5CCNAME) to a FILE: cache", c.ccachePath(), err), err)
		}
		if realm == "" {
			realm = cc.GetClientRealm()
		}
	}
	conf, err := c.krbConfig(realm)
	if err != nil {
		return nil, err
	}
	if realm == "" {
		realm = conf.LibDefaults.DefaultRealm
	}
	var cl *client.Client
	switch {
	case kt != nil:
		cl = client.NewWithKeytab(user, realm, kt, conf, client.DisablePAFXFAST(true))
	case cc != nil:
		if cl, err = client.NewFromCCache(cc, conf, client.DisablePAFXFAST(true)); err != nil {
			return nil, c.krbFailure(err, "log in")
		}
	default:
		cl = client.NewWithPassword(user, realm, c.cfg.Password, conf, client.DisablePAFXFAST(true))
	}
	if err := cl.Login(); err != nil {
		return nil, c.krbFailure(err, "log in")
	}
	return cl, nil
}

// forgetLogin drops the node's login, so the next handshake logs in again
// (after the node refused a ticket, a new one may be needed).
func (c *Client) forgetLogin() {
	krbLogins.Lock()
	e := krbLogins.m[c.krbLoginKey()]
	krbLogins.Unlock()
	if e != nil {
		e.mu.Lock()
		e.cl = nil
		e.mu.Unlock()
	}
}

// krbContext is one connection's Kerberos security context.
type krbContext struct {
	key            types.EncryptionKey // the acceptor's subkey when the AP-REP has one, else ours
	acceptorSubkey bool
	sendSeq        uint64
	recvSeq        uint64
	// proto is the sealed framing's protocol: Kerberos' under the Kerberos
	// scheme, SPNEGO's under Negotiate.
	proto string
}

// krbAPReq is an AP-REQ for the node with the given channel bindings (nil
// over HTTP), in its GSS-API framing, and what checking the AP-REP needs.
type krbAPReq struct {
	token      []byte
	sessionKey types.EncryptionKey
	auth       types.Authenticator
}

func (c *Client) newAPReq(cl *client.Client, bindings []byte) (*krbAPReq, error) {
	tkt, skey, err := cl.GetServiceTicket(c.spn())
	if err != nil {
		return nil, c.krbFailure(err, "get a ticket for "+c.spn())
	}
	auth, err := types.NewAuthenticator(cl.Credentials.Domain(), cl.Credentials.CName())
	if err != nil {
		return nil, err
	}
	et, err := crypto.GetEtype(skey.KeyType)
	if err != nil {
		return nil, err
	}
	if err := auth.GenerateSeqNumberAndSubKey(skey.KeyType, et.GetKeyByteSize()); err != nil {
		return nil, err
	}
	auth.Cksum = types.Checksum{CksumType: chksumtype.GSSAPI, Checksum: gssChecksum(bindings, gssMutual|gssReplay|gssSequence|gssConf|gssInteg)}
	req, err := messages.NewAPReq(tkt, skey, auth)
	if err != nil {
		return nil, err
	}
	types.SetFlag(&req.APOptions, flags.APOptionMutualRequired)
	b, err := req.Marshal()
	if err != nil {
		return nil, err
	}
	return &krbAPReq{token: gssFrame(tokAPReq, b), sessionKey: skey, auth: auth}, nil
}

// gssChecksum is the authenticator checksum of RFC 4121 section 4.1.1: the
// bindings' length (16), their MD5 (bindingsHash), and the context flags.
func gssChecksum(bindings []byte, flags uint32) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 16)
	if len(bindings) != 16 {
		bindings = make([]byte, 16)
	}
	b = append(b, bindings...)
	return binary.LittleEndian.AppendUint32(b, flags)
}

// gssFrame wraps a Kerberos message in the GSS-API initial context token
// framing (RFC 2743 section 3.1): [APPLICATION 0] with the mechanism OID,
// the token id and the message.
func gssFrame(tokID, msg []byte) []byte {
	oid, _ := asn1.Marshal(krbOID)
	inner := append(append(oid, tokID...), msg...)
	return append(append([]byte{0x60}, derLength(len(inner))...), inner...)
}

func derLength(n int) []byte {
	if n < 0x80 {
		return []byte{byte(n)}
	}
	var b []byte
	for ; n > 0; n >>= 8 {
		b = append([]byte{byte(n)}, b...)
	}
	return append([]byte{0x80 | byte(len(b))}, b...)
}

var errNotGSS = errors.New("not a Kerberos GSS-API token")

// spnegoInit wraps a Kerberos AP-REQ token in SPNEGO's NegTokenInit (RFC
// 4178), offering the Kerberos mechanism only, for the Negotiate scheme.
func spnegoInit(token []byte) ([]byte, error) {
	t := spnego.SPNEGOToken{Init: true, NegTokenInit: spnego.NegTokenInit{
		MechTypes: []forkasn1.ObjectIdentifier{gssapi.OIDKRB5.OID()}, MechTokenBytes: token}}
	return t.Marshal()
}

// gssUnframe reads a token of the node's: the GSS-API framing (or a bare
// AP-REP or KRB-ERROR, or either inside SPNEGO's NegTokenResp), returning
// the token id and the Kerberos message.
func gssUnframe(b []byte) (tokID, msg []byte, err error) {
	if len(b) > 0 && b[0] == 0xa1 { // SPNEGO NegTokenResp: take its responseToken
		var resp struct {
			State    asn1.Enumerated       `asn1:"explicit,optional,tag:0"`
			Mech     asn1.ObjectIdentifier `asn1:"explicit,optional,tag:1"`
			Response []byte                `asn1:"explicit,optional,tag:2"`
			MIC      []byte                `asn1:"explicit,optional,tag:3"`
		}
		var raw asn1.RawValue
		if _, err := asn1.Unmarshal(b, &raw); err != nil {
			return nil, nil, errNotGSS
		}
		if _, err := asn1.Unmarshal(raw.Bytes, &resp); err != nil || len(resp.Response) == 0 {
			return nil, nil, errNotGSS
		}
		b = resp.Response
	}
	if len(b) > 0 && b[0] == 0x6f { // [APPLICATION 15]: a bare AP-REP
		return tokAPRep, b, nil
	}
	if len(b) > 0 && b[0] == 0x7e { // [APPLICATION 30]: a bare KRB-ERROR
		return tokKRBErr, b, nil
	}
	var raw asn1.RawValue
	if _, err := asn1.Unmarshal(b, &raw); err != nil || raw.Class != asn1.ClassApplication || raw.Tag != 0 {
		return nil, nil, errNotGSS
	}
	var oid asn1.ObjectIdentifier
	rest, err := asn1.Unmarshal(raw.Bytes, &oid)
	if err != nil || !oid.Equal(krbOID) || len(rest) < 2 {
		return nil, nil, errNotGSS
	}
	return rest[:2], rest[2:], nil
}

// checkAPRep checks the node's AP-REP (mutual authentication: it holds our
// authenticator's time, sealed with the ticket's session key) and makes the
// connection's context from it.
func (r *krbAPReq) checkAPRep(token []byte) (*krbContext, error) {
	if token == nil {
		return nil, errors.New("the node answered 200 without its AP-REP (mutual authentication)")
	}
	id, msg, err := gssUnframe(token)
	if err != nil {
		return nil, fmt.Errorf("the node's answer token: %w", err)
	}
	if string(id) == string(tokKRBErr) {
		var ke messages.KRBError
		if err := ke.Unmarshal(msg); err != nil {
			return nil, fmt.Errorf("the node's KRB-ERROR: %w", err)
		}
		return nil, ke
	}
	if string(id) != string(tokAPRep) {
		return nil, fmt.Errorf("the node's answer token has id %x, not an AP-REP's", id)
	}
	var rep messages.APRep
	if err := rep.Unmarshal(msg); err != nil {
		return nil, fmt.Errorf("the node's AP-REP: %w", err)
	}
	plain, err := crypto.DecryptEncPart(rep.EncPart, r.sessionKey, keyusage.AP_REP_ENCPART)
	if err != nil {
		return nil, fmt.Errorf("the node's AP-REP is not sealed with the ticket's session key: %w", err)
	}
	var part messages.EncAPRepPart
	if err := part.Unmarshal(plain); err != nil {
		return nil, fmt.Errorf("the node's AP-REP: %w", err)
	}
	if part.CTime.Unix() != r.auth.CTime.Unix() || part.Cusec != r.auth.Cusec {
		return nil, errors.New("the node's AP-REP answers another authenticator (its time differs from ours)")
	}
	ctx := &krbContext{key: r.auth.SubKey, sendSeq: uint64(r.auth.SeqNumber), recvSeq: uint64(part.SequenceNumber)}
	if len(part.Subkey.KeyValue) > 0 {
		ctx.key, ctx.acceptorSubkey = part.Subkey, true
	}
	return ctx, nil
}

// Wrap tokens (RFC 4121 section 4.2.6.2) as Windows seals WinRM messages
// ([MS-KILE] 3.4.5.4.1): EC 16 filler bytes, RRC 28 in the header while the
// encrypted part is rotated right by RRC+EC. The WinRM framing's signature
// part is the 16-byte header and the rotated part's leading bytes, so that
// what follows is as long as the plain message.
const (
	wrapFlagSentByAcceptor = 0x01
	wrapFlagSealed         = 0x02
	wrapFlagAcceptorSubkey = 0x04
	wrapEC                 = 16
	wrapRRC                = 28
	keyUsageAcceptorSeal   = 22
	keyUsageInitiatorSeal  = 24
)

func (k *krbContext) wrapHeader(flags byte, ec, rrc uint16, seq uint64) []byte {
	h := []byte{0x05, 0x04, flags, 0xff}
	h = binary.BigEndian.AppendUint16(h, ec)
	h = binary.BigEndian.AppendUint16(h, rrc)
	return binary.BigEndian.AppendUint64(h, seq)
}

// seal wraps one message: the signature part and the sealed data, as long
// as plain.
func (k *krbContext) seal(plain []byte) (sig, sealed []byte, err error) {
	confounder := make([]byte, 16)
	if _, err := rand.Read(confounder); err != nil {
		return nil, nil, err
	}
	sig, sealed, err = k.sealWith(plain, confounder)
	if err == nil {
		k.sendSeq++
	}
	return sig, sealed, err
}

func (k *krbContext) sealWith(plain, confounder []byte) (sig, sealed []byte, err error) {
	var fl byte = wrapFlagSealed
	if k.acceptorSubkey {
		fl |= wrapFlagAcceptorSubkey
	}
	inner := k.wrapHeader(fl, wrapEC, 0, k.sendSeq)
	msg := append(append(append([]byte(nil), plain...), make([]byte, wrapEC)...), inner...)
	enc, err := encryptAESCTS(k.key, keyUsageInitiatorSeal, confounder, msg)
	if err != nil {
		return nil, nil, err
	}
	rotated := rotateRight(enc, wrapRRC+wrapEC)
	cut := len(rotated) - len(plain)
	return append(k.wrapHeader(fl, wrapEC, wrapRRC, k.sendSeq), rotated[:cut]...), rotated[cut:], nil
}

// open unwraps one of the node's sealed messages: it must be the acceptor's,
// sealed, with the key and sequence number the context expects.
func (k *krbContext) open(sig, sealed []byte) ([]byte, error) {
	if len(sig) < 16 || sig[0] != 0x05 || sig[1] != 0x04 || sig[3] != 0xff {
		return nil, errors.New("not a Kerberos wrap token")
	}
	fl := sig[2]
	if fl&wrapFlagSentByAcceptor == 0 || fl&wrapFlagSealed == 0 {
		return nil, fmt.Errorf("a wrap token with flags %#x: not sealed by the node", fl)
	}
	if (fl&wrapFlagAcceptorSubkey != 0) != k.acceptorSubkey {
		return nil, errors.New("a wrap token sealed with another key than the context's")
	}
	ec := int(binary.BigEndian.Uint16(sig[4:]))
	rrc := int(binary.BigEndian.Uint16(sig[6:]))
	seq := binary.BigEndian.Uint64(sig[8:])
	if seq != k.recvSeq {
		return nil, fmt.Errorf("a wrap token with sequence number %d, expected %d (replayed or out of order)", seq, k.recvSeq)
	}
	body := append(append([]byte(nil), sig[16:]...), sealed...)
	// Windows rotates by RRC+EC ([MS-KILE] 3.4.5.4.1), RFC 4121 by RRC:
	// the integrity check tells which.
	var plain []byte
	var err error
	for _, n := range []int{rrc + ec, rrc} {
		plain, err = crypto.DecryptMessage(rotateLeft(body, n), k.key, keyUsageAcceptorSeal)
		if err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("a sealed answer that does not decrypt with the context's key: %w", err)
	}
	if len(plain) < ec+16 {
		return nil, errors.New("a sealed answer too short for its header")
	}
	inner := plain[len(plain)-16:]
	want := k.wrapHeader(fl, uint16(ec), 0, seq)
	if !hmac.Equal(inner, want) {
		return nil, errors.New("a sealed answer whose inner header differs from its outer one")
	}
	k.recvSeq++
	return plain[:len(plain)-16-ec], nil
}

// encryptAESCTS is RFC 3961/3962's encrypt for the aes*-cts-hmac-sha1-96
// types with a given confounder: AES-CTS with a zero IV over confounder and
// message under Ke, then HMAC-SHA1-96 of the same under Ki.
func encryptAESCTS(key types.EncryptionKey, usage uint32, confounder, msg []byte) ([]byte, error) {
	if key.KeyType != 17 && key.KeyType != 18 {
		return nil, fmt.Errorf("message encryption over plain HTTP needs an AES session key, not encryption type %d; use https, or enable AES for the node's account", key.KeyType)
	}
	return aesCTSEncrypt(key, usage, confounder, msg)
}

func rotateRight(b []byte, n int) []byte {
	if len(b) == 0 {
		return b
	}
	n %= len(b)
	return append(append([]byte(nil), b[len(b)-n:]...), b[:len(b)-n]...)
}

func rotateLeft(b []byte, n int) []byte {
	if len(b) == 0 {
		return b
	}
	return rotateRight(b, len(b)-n%len(b))
}

// isIP says whether host is an IP address: a ticket is for a name, and a
// node addressed by IP has no SPN (the usual KDC_ERR_S_PRINCIPAL_UNKNOWN).
func isIP(host string) bool {
	return net.ParseIP(strings.Trim(host, "[]")) != nil
}

func aesCTSEncrypt(key types.EncryptionKey, usage uint32, confounder, msg []byte) ([]byte, error) {
	et, err := crypto.GetEtype(key.KeyType)
	if err != nil {
		return nil, err
	}
	ke, err := et.DeriveKey(key.KeyValue, common.GetUsageKe(usage))
	if err != nil {
		return nil, err
	}
	ki, err := et.DeriveKey(key.KeyValue, common.GetUsageKi(usage))
	if err != nil {
		return nil, err
	}
	pt := append(append([]byte(nil), confounder...), msg...)
	_, ct, err := aescts.Encrypt(ke, make([]byte, 16), pt)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha1.New, ki)
	mac.Write(pt)
	return append(ct, mac.Sum(nil)[:12]...), nil
}

// NeedsRealm reports Kerberos settings that log in with a password or a
// keytab yet name no realm: neither realm, nor user@REALM, nor a krb5.conf
// that may have a default_realm.
func NeedsRealm(cfg Config) bool {
	return (cfg.Password != "" || cfg.Keytab != "") && cfg.Realm == "" && !strings.Contains(cfg.Username, "@") && cfg.Krb5Conf == ""
}

// CCacheType is the type of a credential cache name that is not a file
// (KEYRING, KCM, MEMORY, ...), which gokrb5 cannot read; "" for a file.
// A drive letter (C:\...) is a file.
func CCacheType(name string) string {
	if i := strings.Index(name, ":"); i > 1 && !strings.HasPrefix(name, "FILE:") {
		return name[:i]
	}
	return ""
}

// checkKerberos refuses Kerberos settings that cannot work, before anything
// is sent: one credential source, a realm, a FILE: cache.
func checkKerberos(cfg Config) error {
	sources := 0
	for _, set := range []bool{cfg.Password != "", cfg.Keytab != "", cfg.CCache != ""} {
		if set {
			sources++
		}
	}
	switch {
	case sources > 1:
		return fmt.Errorf("%s: Kerberos takes one credential: password, keytab or ccache, not several", cfg.Node)
	case (cfg.Password != "" || cfg.Keytab != "") && cfg.Username == "":
		return fmt.Errorf("%s: the username is empty (Kerberos with a password or keytab logs in as username)", cfg.Node)
	case NeedsRealm(cfg):
		return fmt.Errorf("%s: Kerberos needs a realm: set realm, or write the username as user@REALM", cfg.Node)
	}
	cc, from := cfg.CCache, "ccache"
	if sources == 0 {
		cc, from = os.Getenv("KRB5CCNAME"), "KRB5CCNAME"
		if cc == "" {
			return fmt.Errorf("%s: Kerberos has no credential: set password, keytab or ccache, or run kinit with KRB5CCNAME naming its cache", cfg.Node)
		}
	}
	if typ := CCacheType(cc); typ != "" {
		return fmt.Errorf("%s: %s names a %s cache; only FILE: credential caches can be read: use a file (kinit -c FILE:/path)", cfg.Node, from, typ)
	}
	for _, kdc := range cfg.KDC {
		if strings.TrimSpace(kdc) == "" || strings.ContainsAny(kdc, " /") {
			return fmt.Errorf("%s: kdc %q is not a host or host:port", cfg.Node, kdc)
		}
	}
	return nil
}

// krbError is a Kerberos failure worded for the operator.
func (c *Client) krbError(kind Kind, detail string, err error) *Error {
	at := fmt.Sprintf("%s (%s)", c.cfg.Node, c.endpoint)
	return &Error{Kind: kind, Node: c.cfg.Node, Endpoint: c.endpoint, Err: err,
		Detail: c.scrub(fmt.Sprintf("%s: Kerberos: %s", at, detail))}
}

// krbFailure words a failure of gokrb5's login or ticket request by the
// KDC's error code (gokrb5 keeps only its text): the cause and the setting
// to look at.
func (c *Client) krbFailure(err error, what string) *Error {
	msg := err.Error()
	who := fmt.Sprintf("%s@%s", strings.SplitN(c.cfg.Username, "@", 2)[0], c.realm())
	has := func(s ...string) bool {
		for _, x := range s {
			if strings.Contains(msg, x) {
				return true
			}
		}
		return false
	}
	switch {
	case has("KDC_ERR_PREAUTH_FAILED", "KRB_AP_ERR_BAD_INTEGRITY", "integrity verification failed", "Decrypting_Error"):
		return c.krbError(KindAuth, fmt.Sprintf("the KDC refused the %s of %s (wrong password, KDC_ERR_PREAUTH_FAILED): check password (or keytab)", c.krbSource(), who), err)
	case has("KRB_AP_ERR_SKEW", "KDC_ERR_SKEW", "clock skew"):
		return c.krbError(KindAuth, "the clocks of this machine and the KDC differ by more than the allowed skew (KRB_AP_ERR_SKEW, 5 minutes by default): synchronise this machine's clock with the domain's (NTP)", err)
	case has("KDC_ERR_S_PRINCIPAL_UNKNOWN"):
		d := fmt.Sprintf("the KDC knows no service principal %s (KDC_ERR_S_PRINCIPAL_UNKNOWN): set spn to one the node's account holds (HTTP/, WSMAN/ or host/ and its DNS name)", c.spn())
		if c.cfg.SPN == "" && isIP(c.cfg.Host) {
			d += fmt.Sprintf("; host is the IP address %s: Kerberos names the node by its DNS name, so set host (or spn) to the node's host name", c.cfg.Host)
		}
		return c.krbError(KindConfig, d, err)
	case has("KDC_ERR_C_PRINCIPAL_UNKNOWN"):
		return c.krbError(KindAuth, fmt.Sprintf("the KDC knows no user %s (KDC_ERR_C_PRINCIPAL_UNKNOWN): check username and realm", who), err)
	// The KDC refuses (KDC_ERR_ETYPE_NOSUPP), or, as an MIT KDC does when the
	// account has keys of none of the requested types, asks for
	// pre-authentication with keys the client cannot use.
	case has("KDC_ERR_ETYPE_NOSUPP", "KDC_ERR_ETYPE_NOTSUPP", "error getting etype for pre-auth encryption", "unsupported EType"):
		return c.krbError(KindAuth, "the KDC supports none of the encryption types this client offers (KDC_ERR_ETYPE_NOSUPP): enable AES (aes256-cts-hmac-sha1-96) for the account (msDS-SupportedEncryptionTypes), or list the domain's types in krb5_conf's default_tkt_enctypes and default_tgs_enctypes", err)
	case has("KDC_ERR_CLIENT_REVOKED"):
		return c.krbError(KindAuth, fmt.Sprintf("the account %s is disabled or locked out (KDC_ERR_CLIENT_REVOKED)", who), err)
	case has("KDC_ERR_KEY_EXPIRED"):
		return c.krbError(KindAuth, fmt.Sprintf("the password of %s has expired (KDC_ERR_KEY_EXPIRED)", who), err)
	case has("Networking_Error", "connection refused", "i/o timeout", "no KDCs defined", "no such host"):
		kdcs := strings.Join(c.cfg.KDC, ", ")
		if kdcs == "" {
			kdcs = "those of krb5.conf"
		}
		return c.krbError(KindUnreachable, fmt.Sprintf("no KDC of realm %s answered (%s) to %s: set kdc to the domain controllers' addresses (host:88) or krb5_conf to a krb5.conf naming them", c.realm(), kdcs, what), err)
	case has("no user credentials available", "no valid existing session", "error getting any existing session"):
		return c.krbError(KindAuth, fmt.Sprintf("the %s holds no valid ticket-granting ticket: run kinit again", c.krbSource()), err)
	}
	return c.krbError(KindAuth, fmt.Sprintf("could not %s as %s: %s", what, who, lastCause(err)), err)
}
