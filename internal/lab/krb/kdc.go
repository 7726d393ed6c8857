package krb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana"
	"github.com/jcmturner/gokrb5/v8/iana/asnAppTag"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/iana/patype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Config configures a KDC.
type Config struct {
	Realm string
	// Password returns the password of a domain account (bare name,
	// case-insensitive) and the name as the domain spells it.
	Password func(user string) (password, name string, ok bool)
	// Services holds the keys of every service principal of the realm.
	Services *keytab.Keytab
	// Now is the KDC's clock; nil is time.Now.
	Now func() time.Time
}

// Ticket lifetimes of a default domain policy: 10 hours, renewable 7 days.
const (
	ticketLife = 10 * time.Hour
	renewLife  = 7 * 24 * time.Hour
	// maxSkew is the domain policy's "maximum tolerance for computer clock
	// synchronization".
	maxSkew = 5 * time.Minute
)

// KDC answers AS-REQs and TGS-REQs for one realm on a UDP and a TCP
// listener sharing one loopback port.
type KDC struct {
	cfg    Config
	tgt    *keytab.Keytab // krbtgt/REALM's keys
	udp    net.PacketConn
	tcp    net.Listener
	wg     sync.WaitGroup
	closed chan struct{}
	once   sync.Once
}

// New makes a KDC that does not listen (Handle answers requests).
func New(cfg Config) (*KDC, error) {
	if cfg.Realm == "" || cfg.Password == nil || cfg.Services == nil {
		return nil, errors.New("krb: a KDC needs a realm, accounts and service keys")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	k := &KDC{cfg: cfg, tgt: keytab.New(), closed: make(chan struct{})}
	pw := RandomPassword()
	for _, et := range ETypes {
		if err := k.tgt.AddEntry("krbtgt/"+cfg.Realm, cfg.Realm, pw, time.Now().UTC(), 2, et); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// Start makes a KDC listening on host (e.g. 127.0.0.1) with a free port
// that it takes for both UDP and TCP.
func Start(cfg Config, host string) (*KDC, error) {
	k, err := New(cfg)
	if err != nil {
		return nil, err
	}
	// The TCP port picked may be taken for UDP: try again a few times.
	for try := 0; try < 20; try++ {
		tcp, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("krb: KDC: %w", err)
		}
		udp, err := net.ListenPacket("udp", tcp.Addr().String())
		if err != nil {
			_ = tcp.Close()
			continue
		}
		k.tcp, k.udp = tcp, udp
		break
	}
	if k.tcp == nil {
		return nil, errors.New("krb: KDC: no port free for both UDP and TCP")
	}
	k.wg.Add(2)
	go k.serveUDP()
	go k.serveTCP()
	return k, nil
}

// Addr is the host:port of both listeners.
func (k *KDC) Addr() string { return k.tcp.Addr().String() }

// Close stops the listeners.
func (k *KDC) Close() {
	k.once.Do(func() {
		close(k.closed)
		if k.tcp != nil {
			_ = k.tcp.Close()
			_ = k.udp.Close()
			k.wg.Wait()
		}
	})
}

// maxUDP is the largest answer sent over UDP; a larger one is
// KRB_ERR_RESPONSE_TOO_BIG, and the client asks again over TCP (RFC 4120 7.2.1).
const maxUDP = 1400

func (k *KDC) serveUDP() {
	defer k.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, addr, err := k.udp.ReadFrom(buf)
		if err != nil {
			return
		}
		rep := k.Handle(buf[:n])
		if len(rep) > maxUDP {
			rep = k.errorReply(errorcode.KRB_ERR_RESPONSE_TOO_BIG, types.PrincipalName{}, "", "", nil)
		}
		_, _ = k.udp.WriteTo(rep, addr)
	}
}

func (k *KDC) serveTCP() {
	defer k.wg.Done()
	var conns sync.WaitGroup
	defer conns.Wait()
	for {
		c, err := k.tcp.Accept()
		if err != nil {
			return
		}
		conns.Add(1)
		go func() {
			defer conns.Done()
			defer func() { _ = c.Close() }()
			go func() { <-k.closed; _ = c.Close() }()
			// Each message is a 4-byte big-endian length and the message
			// (RFC 4120 7.2.2); a client may send several on one connection.
			for {
				_ = c.SetDeadline(time.Now().Add(time.Minute))
				var hdr [4]byte
				if _, err := io.ReadFull(c, hdr[:]); err != nil {
					return
				}
				n := binary.BigEndian.Uint32(hdr[:])
				if n > 1<<20 {
					return
				}
				req := make([]byte, n)
				if _, err := io.ReadFull(c, req); err != nil {
					return
				}
				rep := k.Handle(req)
				out := binary.BigEndian.AppendUint32(nil, uint32(len(rep)))
				if _, err := c.Write(append(out, rep...)); err != nil {
					return
				}
			}
		}()
	}
}

// Handle answers one KDC request (without its TCP length prefix).
func (k *KDC) Handle(req []byte) []byte {
	if len(req) == 0 {
		return k.errorReply(errorcode.KRB_ERR_GENERIC, types.PrincipalName{}, "", "empty request", nil)
	}
	switch req[0] &^ 0x20 { // the application tag, constructed bit cleared
	case 0x40 | asnAppTag.ASREQ:
		var r messages.ASReq
		if err := r.Unmarshal(req); err != nil {
			return k.errorReply(errorcode.KRB_ERR_GENERIC, types.PrincipalName{}, "", "malformed AS-REQ", nil)
		}
		return k.as(&r)
	case 0x40 | asnAppTag.TGSREQ:
		var r messages.TGSReq
		if err := r.Unmarshal(req); err != nil {
			return k.errorReply(errorcode.KRB_ERR_GENERIC, types.PrincipalName{}, "", "malformed TGS-REQ", nil)
		}
		return k.tgs(&r)
	}
	return k.errorReply(errorcode.KRB_AP_ERR_MSG_TYPE, types.PrincipalName{}, "", "not a KDC request", nil)
}

// errorReply is a KRB-ERROR; cname and crealm name the client when known.
func (k *KDC) errorReply(code int32, cname types.PrincipalName, crealm, text string, edata []byte) []byte {
	e := messages.NewKRBError(types.NewPrincipalName(nametype.KRB_NT_SRV_INST, "krbtgt/"+k.cfg.Realm), k.cfg.Realm, code, text)
	e.STime = k.cfg.Now().UTC().Truncate(time.Second)
	e.CName, e.CRealm, e.EData = cname, crealm, edata
	b, err := e.Marshal()
	if err != nil {
		return nil
	}
	return b
}

// pickEType is the first of the client's encryption types the KDC has.
func pickEType(asked []int32) (int32, bool) {
	for _, et := range asked {
		for _, have := range ETypes {
			if et == have {
				return et, true
			}
		}
	}
	return 0, false
}

func (k *KDC) as(r *messages.ASReq) []byte {
	body := r.ReqBody
	cname := body.CName
	fail := func(code int32, text string, edata []byte) []byte {
		return k.errorReply(code, cname, k.cfg.Realm, text, edata)
	}
	if !strings.EqualFold(body.Realm, k.cfg.Realm) {
		return fail(errorcode.KDC_ERR_WRONG_REALM, "wrong realm", nil)
	}
	if len(cname.NameString) != 1 {
		return fail(errorcode.KDC_ERR_C_PRINCIPAL_UNKNOWN, "", nil)
	}
	password, name, ok := k.cfg.Password(cname.NameString[0])
	if !ok {
		return fail(errorcode.KDC_ERR_C_PRINCIPAL_UNKNOWN, "", nil)
	}
	et, ok := pickEType(body.EType)
	if !ok {
		return fail(errorcode.KDC_ERR_ETYPE_NOSUPP, "", nil)
	}
	// Active Directory's salt for a user: the realm in upper case and the
	// account name as the directory spells it.
	salt := strings.ToUpper(k.cfg.Realm) + name
	info := types.ETypeInfo2{{EType: et, Salt: salt}}
	userKey, err := stringToKey(password, salt, et)
	if err != nil {
		return fail(errorcode.KRB_ERR_GENERIC, "", nil)
	}
	// Pre-authentication is required, as AD requires it: a request without
	// PA-ENC-TIMESTAMP is told so, with the salt to use.
	var ts *types.PAData
	for i := range r.PAData {
		if r.PAData[i].PADataType == patype.PA_ENC_TIMESTAMP {
			ts = &r.PAData[i]
		}
	}
	if ts == nil {
		infoDER, _ := asn1.Marshal(info)
		edata, _ := asn1.Marshal(types.PADataSequence{
			{PADataType: patype.PA_ETYPE_INFO2, PADataValue: infoDER},
			{PADataType: patype.PA_ENC_TIMESTAMP},
		})
		return fail(errorcode.KDC_ERR_PREAUTH_REQUIRED, "", edata)
	}
	if !k.checkTimestamp(ts.PADataValue, password, salt) {
		return fail(errorcode.KDC_ERR_PREAUTH_FAILED, "", nil)
	}
	sname := body.SName
	srealm := k.cfg.Realm
	skeys := k.tgt
	if len(sname.NameString) != 2 || !strings.EqualFold(sname.NameString[0], "krbtgt") {
		skeys = k.cfg.Services
	}
	now := k.cfg.Now().UTC().Truncate(time.Second)
	lt := grant(body, now, nil)
	tkt, session, code := k.issue(cname, k.cfg.Realm, sname, srealm, skeys, lt, et)
	if code != 0 {
		return fail(code, "", nil)
	}
	infoDER, _ := asn1.Marshal(info)
	rep := messages.ASRep{KDCRepFields: messages.KDCRepFields{
		PVNO: iana.PVNO, MsgType: msgtype.KRB_AS_REP,
		PAData: types.PADataSequence{{PADataType: patype.PA_ETYPE_INFO2, PADataValue: infoDER}},
		CRealm: k.cfg.Realm, CName: cname, Ticket: tkt,
	}}
	enc := encPart(session, lt, body.Nonce, sname, srealm)
	b, err := enc.Marshal() // tagged EncASRepPart (25)
	if err != nil {
		return fail(errorcode.KRB_ERR_GENERIC, "", nil)
	}
	if rep.EncPart, err = crypto.GetEncryptedData(b, userKey, keyusage.AS_REP_ENCPART, 0); err != nil {
		return fail(errorcode.KRB_ERR_GENERIC, "", nil)
	}
	out, err := rep.Marshal()
	if err != nil {
		return fail(errorcode.KRB_ERR_GENERIC, "", nil)
	}
	return out
}

// stringToKey is the key of password with salt for etype.
func stringToKey(password, salt string, et int32) (types.EncryptionKey, error) {
	e, err := crypto.GetEtype(et)
	if err != nil {
		return types.EncryptionKey{}, err
	}
	kb, err := e.StringToKey(password, salt, e.GetDefaultStringToKeyParams())
	if err != nil {
		return types.EncryptionKey{}, err
	}
	return types.EncryptionKey{KeyType: et, KeyValue: kb}, nil
}

// checkTimestamp verifies PA-ENC-TIMESTAMP: the client's time, encrypted
// with its key, within the allowed skew.
func (k *KDC) checkTimestamp(value []byte, password, salt string) bool {
	var ed types.EncryptedData
	if _, err := asn1.Unmarshal(value, &ed); err != nil {
		return false
	}
	key, err := stringToKey(password, salt, ed.EType)
	if err != nil {
		return false
	}
	plain, err := crypto.DecryptEncPart(ed, key, keyusage.AS_REQ_PA_ENC_TIMESTAMP)
	if err != nil {
		return false
	}
	var tsEnc types.PAEncTSEnc
	if _, err := asn1.Unmarshal(plain, &tsEnc); err != nil {
		return false
	}
	d := k.cfg.Now().Sub(tsEnc.PATimestamp)
	return d < maxSkew && d > -maxSkew
}

// lifetime is what a ticket gets: its flags and times.
type lifetime struct {
	flags                       asn1.BitString
	auth, start, end, renewTill time.Time
}

func hasOption(opts asn1.BitString, bit int) bool {
	return bit/8 < len(opts.Bytes) && opts.Bytes[bit/8]&(0x80>>(bit%8)) != 0
}

// grant gives a ticket the flags and times the client asked for (RFC 4120
// 3.1.3, 3.3.3) within the domain's policy and, for a TGS-REQ, within its
// TGT: MIT's client refuses a reply with more than it asked for.
func grant(req messages.KDCReqBody, now time.Time, tgt *messages.EncTicketPart) lifetime {
	opts := req.KDCOptions
	lt := lifetime{flags: types.NewKrbFlags(), auth: now, start: now, end: now.Add(ticketLife)}
	maxRenew := now.Add(renewLife)
	if tgt != nil {
		lt.auth = tgt.AuthTime
		if tgt.EndTime.Before(lt.end) {
			lt.end = tgt.EndTime
		}
		maxRenew = tgt.RenewTill
	}
	if !req.Till.IsZero() && req.Till.After(now) && req.Till.Before(lt.end) {
		lt.end = req.Till
	}
	renewable := hasOption(opts, flags.Renewable) || (hasOption(opts, flags.RenewableOK) && req.Till.After(lt.end))
	if tgt != nil && !hasOption(tgt.Flags, flags.Renewable) {
		renewable = false
	}
	if renewable {
		lt.renewTill = maxRenew
		// RENEWABLE-OK alone asks for renewal up to the end time asked
		// for, no further (RFC 4120 5.4.1; MIT checks it).
		until := req.RTime
		if !hasOption(opts, flags.Renewable) {
			until = req.Till
		}
		if !until.IsZero() && until.Before(lt.renewTill) {
			lt.renewTill = until
		}
		if lt.renewTill.After(lt.end) {
			types.SetFlag(&lt.flags, flags.Renewable)
		} else {
			lt.renewTill = time.Time{}
		}
	}
	if hasOption(opts, flags.Forwardable) && (tgt == nil || hasOption(tgt.Flags, flags.Forwardable)) {
		types.SetFlag(&lt.flags, flags.Forwardable)
	}
	types.SetFlag(&lt.flags, flags.PreAuthent)
	if tgt == nil {
		types.SetFlag(&lt.flags, flags.Initial)
	}
	return lt
}

// issue makes a ticket for sname, encrypted with its key of etype et (or
// its strongest when it has none of et), with a fresh session key of et.
func (k *KDC) issue(cname types.PrincipalName, crealm string, sname types.PrincipalName, srealm string, skeys *keytab.Keytab, lt lifetime, et int32) (messages.Ticket, types.EncryptionKey, int32) {
	var skey types.EncryptionKey
	kvno := -1
	for _, try := range append([]int32{et}, ETypes...) {
		if key, v, ok := FindKey(skeys, sname, srealm, try, 0); ok {
			skey, kvno = key, v
			break
		}
	}
	if kvno < 0 {
		return messages.Ticket{}, types.EncryptionKey{}, errorcode.KDC_ERR_S_PRINCIPAL_UNKNOWN
	}
	e, err := crypto.GetEtype(et)
	if err != nil {
		return messages.Ticket{}, types.EncryptionKey{}, errorcode.KDC_ERR_ETYPE_NOSUPP
	}
	session, err := types.GenerateEncryptionKey(e)
	if err != nil {
		return messages.Ticket{}, types.EncryptionKey{}, errorcode.KRB_ERR_GENERIC
	}
	part := messages.EncTicketPart{
		Flags: lt.flags, Key: session, CRealm: crealm, CName: cname,
		AuthTime: lt.auth, StartTime: lt.start, EndTime: lt.end, RenewTill: lt.renewTill,
	}
	b, err := asn1.Marshal(part)
	if err != nil {
		return messages.Ticket{}, types.EncryptionKey{}, errorcode.KRB_ERR_GENERIC
	}
	b = asn1tools.AddASNAppTag(b, asnAppTag.EncTicketPart)
	ed, err := crypto.GetEncryptedData(b, skey, keyusage.KDC_REP_TICKET, kvno)
	if err != nil {
		return messages.Ticket{}, types.EncryptionKey{}, errorcode.KRB_ERR_GENERIC
	}
	return messages.Ticket{TktVNO: iana.PVNO, Realm: srealm, SName: sname, EncPart: ed}, session, 0
}

// encPart is the reply's encrypted part: what the ticket holds, for the client.
func encPart(session types.EncryptionKey, lt lifetime, nonce int, sname types.PrincipalName, srealm string) messages.EncKDCRepPart {
	return messages.EncKDCRepPart{
		Key:      session,
		LastReqs: []messages.LastReq{{LRType: 0, LRValue: lt.start}},
		Nonce:    nonce,
		Flags:    lt.flags,
		AuthTime: lt.auth, StartTime: lt.start, EndTime: lt.end, RenewTill: lt.renewTill,
		SRealm: srealm, SName: sname,
	}
}

func (k *KDC) tgs(r *messages.TGSReq) []byte {
	body := r.ReqBody
	var apReq *messages.APReq
	for _, pa := range r.PAData {
		if pa.PADataType == patype.PA_TGS_REQ {
			var a messages.APReq
			if err := a.Unmarshal(pa.PADataValue); err != nil {
				return k.errorReply(errorcode.KRB_ERR_GENERIC, types.PrincipalName{}, "", "malformed PA-TGS-REQ", nil)
			}
			apReq = &a
		}
	}
	if apReq == nil {
		return k.errorReply(errorcode.KDC_ERR_PADATA_TYPE_NOSUPP, types.PrincipalName{}, "", "no PA-TGS-REQ", nil)
	}
	tgtKey, _, ok := FindKey(k.tgt, apReq.Ticket.SName, apReq.Ticket.Realm, apReq.Ticket.EncPart.EType, apReq.Ticket.EncPart.KVNO)
	if !ok || len(apReq.Ticket.SName.NameString) != 2 || !strings.EqualFold(apReq.Ticket.SName.NameString[0], "krbtgt") {
		return k.errorReply(errorcode.KRB_AP_ERR_NOT_US, types.PrincipalName{}, "", "", nil)
	}
	if err := apReq.Ticket.Decrypt(tgtKey); err != nil {
		return k.errorReply(errorcode.KRB_AP_ERR_BAD_INTEGRITY, types.PrincipalName{}, "", "", nil)
	}
	tgt := apReq.Ticket.DecryptedEncPart
	cname, crealm := tgt.CName, tgt.CRealm
	fail := func(code int32) []byte { return k.errorReply(code, cname, crealm, "", nil) }
	now := k.cfg.Now().UTC().Truncate(time.Second)
	if now.After(tgt.EndTime) {
		return fail(errorcode.KRB_AP_ERR_TKT_EXPIRED)
	}
	if err := apReq.DecryptAuthenticator(tgt.Key); err != nil {
		return fail(errorcode.KRB_AP_ERR_BAD_INTEGRITY)
	}
	auth := apReq.Authenticator
	if !auth.CName.Equal(cname) {
		return fail(errorcode.KRB_AP_ERR_BADMATCH)
	}
	if d := k.cfg.Now().Sub(auth.CTime); d > maxSkew || d < -maxSkew {
		return fail(errorcode.KRB_AP_ERR_SKEW)
	}
	et, ok := pickEType(body.EType)
	if !ok {
		return fail(errorcode.KDC_ERR_ETYPE_NOSUPP)
	}
	sname := body.SName
	if !HasPrincipal(k.cfg.Services, sname, k.cfg.Realm) {
		return fail(errorcode.KDC_ERR_S_PRINCIPAL_UNKNOWN)
	}
	lt := grant(body, now, &tgt)
	tkt, session, code := k.issue(cname, crealm, sname, k.cfg.Realm, k.cfg.Services, lt, et)
	if code != 0 {
		return fail(code)
	}
	rep := messages.TGSRep{KDCRepFields: messages.KDCRepFields{
		PVNO: iana.PVNO, MsgType: msgtype.KRB_TGS_REP, CRealm: crealm, CName: cname, Ticket: tkt,
	}}
	enc := encPart(session, lt, body.Nonce, sname, k.cfg.Realm)
	b, err := asn1.Marshal(enc)
	if err != nil {
		return fail(errorcode.KRB_ERR_GENERIC)
	}
	b = asn1tools.AddASNAppTag(b, asnAppTag.EncTGSRepPart)
	// With a subkey in the authenticator the reply is encrypted with it
	// (RFC 4120 5.4.2), as MIT clients send; gokrb5's has none.
	key, usage := tgt.Key, uint32(keyusage.TGS_REP_ENCPART_SESSION_KEY)
	if len(auth.SubKey.KeyValue) > 0 {
		key, usage = auth.SubKey, keyusage.TGS_REP_ENCPART_AUTHENTICATOR_SUB_KEY
	}
	if rep.EncPart, err = crypto.GetEncryptedData(b, key, usage, 0); err != nil {
		return fail(errorcode.KRB_ERR_GENERIC)
	}
	out, err := rep.Marshal()
	if err != nil {
		return fail(errorcode.KRB_ERR_GENERIC)
	}
	return out
}
