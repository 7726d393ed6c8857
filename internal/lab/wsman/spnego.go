package wsman

import (
	"encoding/asn1"
	"errors"
)

// SPNEGO ([RFC 4178], [MS-SPNG]) as a Windows WinRM service speaks it inside
// `Authorization: Negotiate`: winrs, PowerShell and pypsrp wrap their NTLM
// tokens in it (NegTokenInit, then NegTokenResp), pywinrm and
// masterzen/winrm send raw NTLM. The lab accepts both and answers each in
// its own form. A client whose preferred mechanism is Kerberos, with its
// AP-REQ as the optimistic token, gets Kerberos where the node has keys
// (kerberos.go); otherwise it is told to use NTLM.

var (
	oidSPNEGO = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 2}
	oidNTLM   = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 2, 10}
)

// negState values of a NegTokenResp.
const (
	negAcceptCompleted  = 0
	negAcceptIncomplete = 1
	negReject           = 2
)

var errSPNEGO = errors.New("spnego: malformed token")

// spnegoToken is what the lab needs of a client's SPNEGO token.
type spnegoToken struct {
	mechTypes  []byte // DER of the NegTokenInit's MechTypeList, the mechListMIC's input
	ntlmFirst  bool   // NTLM is the client's preferred mechanism (mechToken is NTLM)
	offersNTLM bool
	token      []byte // mechToken or responseToken
	mic        []byte // mechListMIC
}

// isSPNEGO tells a SPNEGO token (an [APPLICATION 0] GSS-API token or a bare
// NegTokenResp) from a raw NTLM message.
func isSPNEGO(raw []byte) bool {
	return len(raw) > 0 && (raw[0] == 0x60 || raw[0] == 0xa1)
}

// parseSPNEGO reads a NegTokenInit (in its GSS-API wrapper) or a NegTokenResp.
func parseSPNEGO(raw []byte) (*spnegoToken, error) {
	var outer asn1.RawValue
	if rest, err := asn1.Unmarshal(raw, &outer); err != nil || len(rest) != 0 {
		return nil, errSPNEGO
	}
	switch {
	case outer.Class == asn1.ClassApplication && outer.Tag == 0:
		var oid asn1.ObjectIdentifier
		inner, err := asn1.Unmarshal(outer.Bytes, &oid)
		if err != nil || !oid.Equal(oidSPNEGO) {
			return nil, errSPNEGO
		}
		var init asn1.RawValue // [0] NegTokenInit
		if _, err := asn1.Unmarshal(inner, &init); err != nil || init.Class != asn1.ClassContextSpecific || init.Tag != 0 {
			return nil, errSPNEGO
		}
		return parseNegTokenInit(init.Bytes)
	case outer.Class == asn1.ClassContextSpecific && outer.Tag == 1:
		fields, err := taggedFields(outer.Bytes)
		if err != nil {
			return nil, errSPNEGO
		}
		t := &spnegoToken{}
		return t, t.readTokenAndMIC(fields)
	}
	return nil, errSPNEGO
}

// readTokenAndMIC reads the OCTET STRINGs both token forms carry: the
// mechanism's token at [2] and the mechListMIC at [3].
func (t *spnegoToken) readTokenAndMIC(fields map[int][]byte) error {
	for tag, dst := range map[int]*[]byte{2: &t.token, 3: &t.mic} {
		if v, ok := fields[tag]; ok {
			if _, err := asn1.Unmarshal(v, dst); err != nil {
				return errSPNEGO
			}
		}
	}
	return nil
}

func parseNegTokenInit(seq []byte) (*spnegoToken, error) {
	fields, err := taggedFields(seq)
	if err != nil {
		return nil, err
	}
	t := &spnegoToken{mechTypes: fields[0]}
	var mechs []asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(t.mechTypes, &mechs); err != nil || len(mechs) == 0 {
		return nil, errSPNEGO
	}
	for i, m := range mechs {
		if m.Equal(oidNTLM) {
			t.offersNTLM, t.ntlmFirst = true, i == 0
		}
	}
	return t, t.readTokenAndMIC(fields)
}

// firstMech is the client's preferred mechanism, which its optimistic
// token is for.
func (t *spnegoToken) firstMech() asn1.ObjectIdentifier {
	var mechs []asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(t.mechTypes, &mechs); err != nil || len(mechs) == 0 {
		return nil
	}
	return mechs[0]
}

// taggedFields splits a SEQUENCE of explicitly tagged fields ([n] value)
// into the DER of each value by tag.
func taggedFields(der []byte) (map[int][]byte, error) {
	var seq asn1.RawValue
	if _, err := asn1.Unmarshal(der, &seq); err != nil || seq.Tag != asn1.TagSequence {
		return nil, errSPNEGO
	}
	fields := map[int][]byte{}
	rest := seq.Bytes
	for len(rest) > 0 {
		var f asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &f); err != nil || f.Class != asn1.ClassContextSpecific {
			return nil, errSPNEGO
		}
		fields[f.Tag] = f.Bytes
	}
	return fields, nil
}

// negTokenResp encodes the server's NegTokenResp: its state, NTLM as the
// chosen mechanism in the first answer, and the NTLM token and mechListMIC
// when there are any.
func negTokenResp(state int, withMech bool, token, mic []byte) []byte {
	var mech asn1.ObjectIdentifier
	if withMech {
		mech = oidNTLM
	}
	return negTokenRespMech(state, mech, token, mic)
}

// negTokenRespMech is a NegTokenResp naming mech (nil: none) as the
// chosen mechanism.
func negTokenRespMech(state int, mech asn1.ObjectIdentifier, token, mic []byte) []byte {
	var body []byte
	add := func(tag int, v any) {
		der, _ := asn1.Marshal(v)
		field, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tag, IsCompound: true, Bytes: der})
		body = append(body, field...)
	}
	add(0, asn1.Enumerated(state))
	if mech != nil {
		add(1, mech)
	}
	if token != nil {
		add(2, token)
	}
	if mic != nil {
		add(3, mic)
	}
	seq, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
	out, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 1, IsCompound: true, Bytes: seq})
	return out
}
