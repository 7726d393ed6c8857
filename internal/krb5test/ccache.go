// Package krb5test holds what the tests of the Kerberos client need and no
// library here offers: a credential cache file written from a ticket, as
// MIT kinit writes one (gokrb5 reads caches but cannot write them), so that
// the provider's KRB5CCNAME path runs where MIT Kerberos is not installed.
package krb5test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"time"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Cred is one credential of a cache: a ticket of client for server, with its
// session key and times.
type Cred struct {
	ClientRealm string
	Client      types.PrincipalName
	ServerRealm string
	Server      types.PrincipalName
	Key         types.EncryptionKey
	AuthTime    time.Time
	StartTime   time.Time
	EndTime     time.Time
	RenewTill   time.Time
	Flags       []byte // the ticket flags' 4 bytes, as in the KDC's reply
	Ticket      []byte // the ticket's DER encoding
}

// MarshalCCache encodes a FILE: credential cache of format version 4
// (MIT krb5's ccache format, "The Kerberos Credential Cache File Format"
// in MIT's documentation: all integers big-endian, a header holding the KDC
// time offset, the default principal, then each credential) whose default
// principal is the first credential's client.
func MarshalCCache(creds ...Cred) ([]byte, error) {
	if len(creds) == 0 {
		return nil, fmt.Errorf("ccache: no credential")
	}
	var b bytes.Buffer
	u16 := func(v int) { _ = binary.Write(&b, binary.BigEndian, uint16(v)) }
	u32 := func(v int64) { _ = binary.Write(&b, binary.BigEndian, uint32(v)) }
	data := func(d []byte) { u32(int64(len(d))); b.Write(d) }
	principal := func(realm string, p types.PrincipalName) {
		u32(int64(p.NameType))
		u32(int64(len(p.NameString)))
		data([]byte(realm))
		for _, c := range p.NameString {
			data([]byte(c))
		}
	}
	stamp := func(t time.Time) {
		if t.IsZero() {
			u32(0)
			return
		}
		u32(t.Unix())
	}
	b.Write([]byte{0x05, 0x04})
	// The header: one field, tag 1 (the KDC's clock offset: seconds and
	// microseconds, both 0), as kinit writes it.
	u16(12)
	u16(1)
	u16(8)
	u32(0)
	u32(0)
	principal(creds[0].ClientRealm, creds[0].Client)
	for _, c := range creds {
		if len(c.Flags) != 4 {
			return nil, fmt.Errorf("ccache: ticket flags of %d bytes, want 4", len(c.Flags))
		}
		principal(c.ClientRealm, c.Client)
		principal(c.ServerRealm, c.Server)
		u16(int(c.Key.KeyType))
		data(c.Key.KeyValue)
		stamp(c.AuthTime)
		stamp(c.StartTime)
		stamp(c.EndTime)
		stamp(c.RenewTill)
		b.WriteByte(0) // is_skey: not a user-to-user ticket
		b.Write(c.Flags)
		u32(0) // addresses
		u32(0) // authorization data
		data(c.Ticket)
		data(nil) // second ticket
	}
	return b.Bytes(), nil
}

// TGTCred is the ticket-granting ticket an AS exchange of cl gives, as a
// cache credential: what kinit stores.
func TGTCred(cl *client.Client, realm string) (Cred, error) {
	req, err := messages.NewASReqForTGT(realm, cl.Config, cl.Credentials.CName())
	if err != nil {
		return Cred{}, err
	}
	rep, err := cl.ASExchange(realm, req, 0)
	if err != nil {
		return Cred{}, err
	}
	tkt, err := rep.Ticket.Marshal()
	if err != nil {
		return Cred{}, err
	}
	p := rep.DecryptedEncPart
	return Cred{ClientRealm: rep.CRealm, Client: rep.CName, ServerRealm: p.SRealm, Server: p.SName, Key: p.Key,
		AuthTime: p.AuthTime, StartTime: p.StartTime, EndTime: p.EndTime, RenewTill: p.RenewTill,
		Flags: p.Flags.Bytes, Ticket: tkt}, nil
}

// WriteTGTCache logs cl in to realm's KDC and writes a cache holding its
// TGT to path (owner-readable only, as kinit does).
func WriteTGTCache(cl *client.Client, realm, path string) error {
	c, err := TGTCred(cl, realm)
	if err != nil {
		return err
	}
	data, err := MarshalCCache(c)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}
