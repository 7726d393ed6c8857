package wsman

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/rc4"
	"encoding/binary"
	"errors"
	"strings"
	"time"
	"unicode/utf16"

	"golang.org/x/crypto/md4" //nolint:staticcheck // NTOWFv2 is defined on MD4 (MS-NLMP 3.3.2)
)

// NTLMSSP negotiate flags used by the acceptor (MS-NLMP 2.2.2.5).
const (
	flagUnicode        = 0x00000001
	flagOEM            = 0x00000002
	flagRequestTarget  = 0x00000004
	flagSign           = 0x00000010
	flagSeal           = 0x00000020
	flagLMKey          = 0x00000080
	flagNTLM           = 0x00000200
	flagAnonymous      = 0x00000800
	flagAlwaysSign     = 0x00008000
	flagTargetTypeDom  = 0x00010000
	flagExtendedSecure = 0x00080000
	flagTargetInfo     = 0x00800000
	flagVersion        = 0x02000000
	flag128            = 0x20000000
	flagKeyExch        = 0x40000000
	flag56             = 0x80000000
)

// Flags the acceptor can honour when a client asks for them; everything else
// (LM_KEY, datagram, identify, ...) is dropped from the challenge, as a
// Windows server configured for NTLMv2 only does.
const acceptableFlags = flagUnicode | flagOEM | flagRequestTarget | flagSign | flagSeal |
	flagNTLM | flagAlwaysSign | flagExtendedSecure | flagVersion | flag128 | flagKeyExch | flag56

var ntlmSignature = []byte("NTLMSSP\x00")

// AV pair ids (MS-NLMP 2.2.2.1).
const (
	avEOL             = 0
	avNbComputerName  = 1
	avNbDomainName    = 2
	avDNSComputerName = 3
	avDNSDomainName   = 4
	avFlags           = 6
	avTimestamp       = 7
	avChannelBindings = 10
)

// errNTLM is returned for every authentication failure so that nothing about
// the reason (unknown user, wrong password, NTLMv1) leaks to the client.
var errNTLM = errors.New("ntlm: authentication failed")

// ntlmServer is one connection's NTLM acceptor state between the NEGOTIATE,
// CHALLENGE and AUTHENTICATE messages.
type ntlmServer struct {
	nodeName, domain string
	accounts         Accounts
	now              func() time.Time
	random           func([]byte) error

	negotiate, challenge []byte
	serverChallenge      [8]byte
	flags                uint32
}

// ntlmResult is a successful AUTHENTICATE.
type ntlmResult struct {
	User, Domain string
	Flags        uint32
	// ExportedSessionKey keys message signing and sealing.
	ExportedSessionKey []byte
	// ChannelBindings is the client's MsvAvChannelBindings (nil when it
	// sent none): covered by its NTProofStr, so it cannot be altered.
	ChannelBindings []byte
}

// ntlmMessageType returns the NTLMSSP message type of b, or 0.
func ntlmMessageType(b []byte) uint32 {
	if len(b) < 12 || !bytes.Equal(b[:8], ntlmSignature) {
		return 0
	}
	return binary.LittleEndian.Uint32(b[8:12])
}

// Challenge consumes a NEGOTIATE message and returns the CHALLENGE message.
func (s *ntlmServer) Challenge(negotiate []byte) ([]byte, error) {
	if ntlmMessageType(negotiate) != 1 || len(negotiate) < 16 {
		return nil, errNTLM
	}
	clientFlags := binary.LittleEndian.Uint32(negotiate[12:16])
	flags := clientFlags & acceptableFlags
	if flags&flagUnicode != 0 {
		flags &^= flagOEM
	}
	flags |= flagNTLM | flagTargetInfo | flagRequestTarget | flagTargetTypeDom
	if clientFlags&(flagSign|flagSeal) != 0 {
		// Signing and sealing are only implemented with NTLM2 session
		// security, which every NTLMv2 client offers.
		flags |= flagExtendedSecure | flagAlwaysSign
	}
	random := s.random
	if random == nil {
		random = func(b []byte) error { _, err := rand.Read(b); return err }
	}
	if err := random(s.serverChallenge[:]); err != nil {
		return nil, err
	}
	now := time.Now
	if s.now != nil {
		now = s.now
	}
	target := utf16le(strings.ToUpper(s.domain))
	info := avPairs(s.domain, s.nodeName, now())

	const headerLen = 56
	msg := make([]byte, headerLen, headerLen+len(target)+len(info))
	copy(msg, ntlmSignature)
	binary.LittleEndian.PutUint32(msg[8:], 2)
	putField(msg[12:], len(target), headerLen)
	binary.LittleEndian.PutUint32(msg[20:], flags)
	copy(msg[24:32], s.serverChallenge[:])
	putField(msg[40:], len(info), headerLen+len(target))
	// Version: Windows Server 2003 R2 style 5.2 build 3790, NTLM revision 15.
	copy(msg[48:56], []byte{5, 2, 0xce, 0x0e, 0, 0, 0, 15})
	msg = append(msg, target...)
	msg = append(msg, info...)

	s.negotiate = append([]byte(nil), negotiate...)
	s.challenge = msg
	s.flags = flags
	return msg, nil
}

// Authenticate verifies an AUTHENTICATE message against the challenge sent.
func (s *ntlmServer) Authenticate(auth []byte) (*ntlmResult, error) {
	if s.challenge == nil || ntlmMessageType(auth) != 3 || len(auth) < 64 {
		return nil, errNTLM
	}
	field := func(off int) ([]byte, bool) {
		n := int(binary.LittleEndian.Uint16(auth[off:]))
		o := int(binary.LittleEndian.Uint32(auth[off+4:]))
		if o < 0 || n < 0 || o+n > len(auth) {
			return nil, false
		}
		return auth[o : o+n], true
	}
	ntResp, ok1 := field(20)
	domainRaw, ok2 := field(28)
	userRaw, ok3 := field(36)
	encKey, ok4 := field(52)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return nil, errNTLM
	}
	flags := binary.LittleEndian.Uint32(auth[60:64])
	decode := func(b []byte) string {
		if flags&flagUnicode != 0 {
			return fromUTF16le(b)
		}
		return string(b)
	}
	user, domain := decode(userRaw), decode(domainRaw)
	// An empty or 24-byte NT response is anonymous or NTLMv1: refused, as a
	// server with LmCompatibilityLevel 5 refuses them.
	if user == "" || len(ntResp) <= 24 || flags&flagAnonymous != 0 || s.accounts == nil {
		return nil, errNTLM
	}
	password, ok := s.accounts.Password(user, domain)
	if !ok {
		return nil, errNTLM
	}
	key := ntowfv2(password, user, domain)
	proof, blob := ntResp[:16], ntResp[16:]
	expected := hmacMD5(key, s.serverChallenge[:], blob)
	if !hmac.Equal(proof, expected) {
		return nil, errNTLM
	}
	sessionBaseKey := hmacMD5(key, proof)
	exported := sessionBaseKey // KeyExchangeKey is SessionBaseKey for NTLMv2
	if flags&flagKeyExch != 0 {
		if len(encKey) != 16 {
			return nil, errNTLM
		}
		exported = rc4Once(sessionBaseKey, encKey)
	}
	if err := s.checkMIC(auth, blob, exported); err != nil {
		return nil, err
	}
	return &ntlmResult{User: user, Domain: domain, Flags: flags, ExportedSessionKey: exported, ChannelBindings: avPair(blob, avChannelBindings)}, nil
}

// avPair returns the value of the AV pair id in an NTLMv2 response blob's
// target information (after its 28-byte header), nil when absent.
func avPair(blob []byte, id uint16) []byte {
	if len(blob) < 28 {
		return nil
	}
	pairs := blob[28:]
	for len(pairs) >= 4 {
		pid := binary.LittleEndian.Uint16(pairs)
		n := int(binary.LittleEndian.Uint16(pairs[2:]))
		if pid == avEOL || 4+n > len(pairs) {
			return nil
		}
		if pid == id {
			return pairs[4 : 4+n]
		}
		pairs = pairs[4+n:]
	}
	return nil
}

// checkMIC verifies the AUTHENTICATE message's MIC when the client says in
// its signed target info (MsvAvFlags bit 0x2) that it sent one.
func (s *ntlmServer) checkMIC(auth, blob, exported []byte) error {
	if len(blob) < 28 || len(auth) < 88 {
		return nil
	}
	pairs := blob[28:]
	for len(pairs) >= 4 {
		id := binary.LittleEndian.Uint16(pairs)
		n := int(binary.LittleEndian.Uint16(pairs[2:]))
		if id == avEOL || 4+n > len(pairs) {
			break
		}
		if id == avFlags && n == 4 && binary.LittleEndian.Uint32(pairs[4:])&0x2 != 0 {
			zeroed := append([]byte(nil), auth...)
			mic := append([]byte(nil), zeroed[72:88]...)
			clear(zeroed[72:88])
			if !hmac.Equal(mic, hmacMD5(exported, s.negotiate, s.challenge, zeroed)) {
				return errNTLM
			}
			return nil
		}
		pairs = pairs[4+n:]
	}
	return nil
}

// ntowfv2 is NTOWFv2 (MS-NLMP 3.3.2): HMAC_MD5(MD4(UNICODE(Passwd)),
// UNICODE(ConcatenationOf(Uppercase(User), UserDom))).
func ntowfv2(password, user, domain string) []byte {
	h := md4.New()
	h.Write(utf16le(password))
	return hmacMD5(h.Sum(nil), utf16le(strings.ToUpper(user)+domain))
}

func hmacMD5(key []byte, data ...[]byte) []byte {
	m := hmac.New(md5.New, key)
	for _, d := range data {
		m.Write(d)
	}
	return m.Sum(nil)
}

func rc4Once(key, data []byte) []byte {
	c, err := rc4.NewCipher(key)
	if err != nil {
		panic(err) // key length is always 16 here
	}
	out := make([]byte, len(data))
	c.XORKeyStream(out, data)
	return out
}

func avPairs(domain, node string, now time.Time) []byte {
	var b []byte
	add := func(id uint16, v []byte) {
		b = binary.LittleEndian.AppendUint16(b, id)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(v)))
		b = append(b, v...)
	}
	add(avNbDomainName, utf16le(strings.ToUpper(domain)))
	add(avNbComputerName, utf16le(strings.ToUpper(node)))
	add(avDNSDomainName, utf16le(strings.ToLower(domain)))
	add(avDNSComputerName, utf16le(strings.ToLower(node)))
	// FILETIME: 100ns intervals since 1601-01-01.
	ft := uint64(now.UnixNano()/100) + 116444736000000000
	add(avTimestamp, binary.LittleEndian.AppendUint64(nil, ft))
	add(avEOL, nil)
	return b
}

func putField(b []byte, n, offset int) {
	binary.LittleEndian.PutUint16(b, uint16(n))
	binary.LittleEndian.PutUint16(b[2:], uint16(n))
	binary.LittleEndian.PutUint32(b[4:], uint32(offset))
}

func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

func fromUTF16le(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}
