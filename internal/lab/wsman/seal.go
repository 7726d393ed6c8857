package wsman

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// NTLM session security (MS-NLMP 3.4) for the server side of a connection,
// with NTLM2 extended session security: RC4 sealing, HMAC-MD5 signatures and
// one sequence number per direction.
type sealSession struct {
	flags                 uint32
	outSignKey, inSignKey []byte
	outSealKey, inSealKey []byte
	outSeal, inSeal       *rc4.Cipher
	outSeq, inSeq         uint32
}

var (
	clientSigningMagic = []byte("session key to client-to-server signing key magic constant\x00")
	serverSigningMagic = []byte("session key to server-to-client signing key magic constant\x00")
	clientSealingMagic = []byte("session key to client-to-server sealing key magic constant\x00")
	serverSealingMagic = []byte("session key to server-to-client sealing key magic constant\x00")
)

var errSeal = errors.New("ntlm: message signature does not verify")

// newServerSeal derives the server's keys from the exported session key.
func newServerSeal(flags uint32, exportedSessionKey []byte) (*sealSession, error) {
	if flags&flagExtendedSecure == 0 || flags&flagSeal == 0 {
		return nil, errors.New("ntlm: sealing needs extended session security")
	}
	return newServerSession(flags, exportedSessionKey)
}

// newServerSession derives the keys whatever the flags say of sealing: the
// SPNEGO mechListMIC is signed with them even where messages are not sealed.
func newServerSession(flags uint32, exportedSessionKey []byte) (*sealSession, error) {
	sealKey := func(magic []byte) []byte {
		k := exportedSessionKey
		switch {
		case flags&flag128 != 0:
		case flags&flag56 != 0:
			k = k[:7]
		default:
			k = k[:5]
		}
		return md5Sum(k, magic)
	}
	s := &sealSession{
		flags:      flags,
		outSignKey: md5Sum(exportedSessionKey, serverSigningMagic),
		inSignKey:  md5Sum(exportedSessionKey, clientSigningMagic),
		outSealKey: sealKey(serverSealingMagic),
		inSealKey:  sealKey(clientSealingMagic),
	}
	if err := s.resetHandles(); err != nil {
		return nil, err
	}
	return s, nil
}

// resetHandles starts both RC4 handles afresh from their keys; sequence
// numbers go on.
func (s *sealSession) resetHandles() error {
	out, err := rc4.NewCipher(s.outSealKey)
	if err != nil {
		return err
	}
	in, err := rc4.NewCipher(s.inSealKey)
	if err != nil {
		return err
	}
	s.outSeal, s.inSeal = out, in
	return nil
}

// checkMechListMIC verifies a client's SPNEGO mechListMIC over mechTypes and
// returns the server's own. [MS-SPNG] 3.3.5.1: the RC4 handles are the same
// for the mechListMIC and for the first message sealed after it, so they
// are reset; the sequence numbers are not (the first sealed message of each
// side carries 1), as Samba's and pyspnego's NTLM do.
func (s *sealSession) checkMechListMIC(mechTypes, mic []byte) ([]byte, error) {
	want := s.signature(s.inSignKey, s.inSeal, s.inSeq, mechTypes)
	if !hmac.Equal(mic, want) {
		return nil, errSeal
	}
	s.inSeq++
	own := s.signature(s.outSignKey, s.outSeal, s.outSeq, mechTypes)
	s.outSeq++
	if err := s.resetHandles(); err != nil {
		return nil, err
	}
	return own, nil
}

func md5Sum(parts ...[]byte) []byte {
	h := md5.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// signature is NTLMSSP_MESSAGE_SIGNATURE with extended session security:
// version 1, the first 8 bytes of HMAC_MD5(SigningKey, SeqNum+Message)
// (RC4-encrypted with the sealing handle when KEY_EXCH was negotiated), SeqNum.
func (s *sealSession) signature(key []byte, handle *rc4.Cipher, seq uint32, msg []byte) []byte {
	seqb := binary.LittleEndian.AppendUint32(nil, seq)
	checksum := hmacMD5(key, seqb, msg)[:8]
	if s.flags&flagKeyExch != 0 {
		handle.XORKeyStream(checksum, checksum)
	}
	sig := binary.LittleEndian.AppendUint32(nil, 1)
	sig = append(sig, checksum...)
	return append(sig, seqb...)
}

// Seal encrypts msg for the client and returns sealed message and signature.
func (s *sealSession) Seal(msg []byte) (sealed, sig []byte) {
	sealed = make([]byte, len(msg))
	s.outSeal.XORKeyStream(sealed, msg)
	sig = s.signature(s.outSignKey, s.outSeal, s.outSeq, msg)
	s.outSeq++
	return sealed, sig
}

// Unseal decrypts a client message and verifies its signature.
func (s *sealSession) Unseal(sealed, sig []byte) ([]byte, error) {
	if len(sig) != 16 {
		return nil, errSeal
	}
	msg := make([]byte, len(sealed))
	s.inSeal.XORKeyStream(msg, sealed)
	want := s.signature(s.inSignKey, s.inSeal, s.inSeq, msg)
	if !hmac.Equal(sig, want) {
		return nil, errSeal
	}
	s.inSeq++
	return msg, nil
}

// The HTTP framing of sealed WinRM messages ([MS-WSMV] 2.2.9.1), as Windows,
// pywinrm's encryption.py and masterzen/winrm's encryption.go write it.
const (
	encryptedProtocol  = "application/HTTP-SPNEGO-session-encrypted"
	encryptedBoundary  = "--Encrypted Boundary"
	encryptedMediaType = `multipart/encrypted;protocol="` + encryptedProtocol + `";boundary="Encrypted Boundary"`
	octetStreamHeader  = "\tContent-Type: application/octet-stream\r\n"
)

var errFraming = errors.New("malformed multipart/encrypted body")

// unwrapEncrypted parses a multipart/encrypted body and unseals it.
func (s *sealSession) unwrapEncrypted(body []byte) ([]byte, error) {
	sig, sealed, err := splitEncrypted(body)
	if err != nil {
		return nil, err
	}
	return s.Unseal(sealed, sig)
}

// splitEncrypted reads a multipart/encrypted body's NTLM signature and
// sealed message.
func splitEncrypted(body []byte) (sig, sealed []byte, err error) {
	_, length, rest, err := splitEncryptedParts(body)
	if err != nil {
		return nil, nil, err
	}
	if len(rest) < 4 {
		return nil, nil, errFraming
	}
	sigLen := int(binary.LittleEndian.Uint32(rest))
	if sigLen != 16 || len(rest) < 4+sigLen+length {
		return nil, nil, errFraming
	}
	return rest[4 : 4+sigLen], rest[4+sigLen : 4+sigLen+length], nil
}

// splitEncryptedParts reads the framing every sealed body shares: the
// protocol and the plain message's length from the first part, and what
// follows the second part's octet-stream header (the header length, the
// header, the data, the closing boundary).
func splitEncryptedParts(body []byte) (protocol string, length int, rest []byte, err error) {
	boundaryLine := []byte(encryptedBoundary + "\r\n")
	if !bytes.HasPrefix(body, boundaryLine) {
		return "", 0, nil, errFraming
	}
	rest = body[len(boundaryLine):]
	i := bytes.Index(rest, boundaryLine)
	if i < 0 {
		return "", 0, nil, errFraming
	}
	header, rest := rest[:i], rest[i+len(boundaryLine):]
	if k := bytes.Index(header, []byte("Content-Type:")); k >= 0 {
		line := header[k+len("Content-Type:"):]
		if e := bytes.IndexAny(line, "\r\n"); e >= 0 {
			line = line[:e]
		}
		protocol = string(bytes.TrimSpace(line))
	}
	j := bytes.Index(header, []byte("Length="))
	if j < 0 {
		return "", 0, nil, errFraming
	}
	lengthText := bytes.TrimSpace(header[j+len("Length="):])
	if k := bytes.IndexAny(lengthText, ";\r\n"); k >= 0 {
		lengthText = lengthText[:k]
	}
	length, err = strconv.Atoi(string(lengthText))
	if err != nil || length < 0 {
		return "", 0, nil, errFraming
	}
	// The part header line may be written with or without a leading tab.
	if k := bytes.Index(rest, []byte("application/octet-stream\r\n")); k >= 0 && k < 40 {
		rest = rest[k+len("application/octet-stream\r\n"):]
	} else {
		return "", 0, nil, errFraming
	}
	return protocol, length, rest, nil
}

// wrapEncrypted seals msg into a multipart/encrypted body.
func (s *sealSession) wrapEncrypted(msg []byte) []byte {
	sealed, sig := s.Seal(msg)
	return frameEncrypted(sig, sealed)
}

// frameEncrypted frames a signature and a sealed message (as long as the
// plain one: RC4 keeps lengths) as Windows does.
func frameEncrypted(sig, sealed []byte) []byte {
	return frameParts(encryptedProtocol, sig, sealed, len(sealed))
}

// frameParts frames a sealed message as Windows does: the protocol and the
// plain length, then the header's length, the header and the data.
func frameParts(protocol string, header, data []byte, plainLen int) []byte {
	var b bytes.Buffer
	b.WriteString(encryptedBoundary + "\r\n")
	b.WriteString("\tContent-Type: " + protocol + "\r\n")
	fmt.Fprintf(&b, "\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=%d\r\n", plainLen)
	b.WriteString(encryptedBoundary + "\r\n")
	b.WriteString(octetStreamHeader)
	b.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(header))))
	b.Write(header)
	b.Write(data)
	b.WriteString(encryptedBoundary + "--\r\n")
	return b.Bytes()
}

// sealer is a connection's message security: NTLM's or Kerberos'.
type sealer interface {
	unwrapEncrypted(body []byte) ([]byte, error)
	wrapEncrypted(msg []byte) []byte
	mediaType() string
}

func (s *sealSession) mediaType() string { return encryptedMediaType }
