package krb5test

import (
	"bytes"
	"os"
	"testing"

	"github.com/jcmturner/gokrb5/v8/credentials"
)

// testdata/kinit.ccache is a cache MIT kinit 1.20 (Debian's krb5-user)
// wrote for Administrator@LAB.EXAMPLE against a throwaway MIT KDC (the
// internal/mitkdc realm, since deleted): its two configuration entries
// (X-CACHECONF:) and the TGT. Every credential of it, marshalled again,
// gives the same bytes: the writer encodes what kinit encodes.
func TestMarshalCCache_asKinitWritesIt(t *testing.T) {
	want, err := os.ReadFile("testdata/kinit.ccache")
	if err != nil {
		t.Fatal(err)
	}
	var cc credentials.CCache
	if err := cc.Unmarshal(want); err != nil {
		t.Fatal(err)
	}
	if len(cc.Credentials) != 3 {
		t.Fatalf("the sample has %d credentials, want 3", len(cc.Credentials))
	}
	var creds []Cred
	for _, c := range cc.Credentials {
		creds = append(creds, Cred{ClientRealm: c.Client.Realm, Client: c.Client.PrincipalName,
			ServerRealm: c.Server.Realm, Server: c.Server.PrincipalName, Key: c.Key,
			AuthTime: c.AuthTime, StartTime: c.StartTime, EndTime: c.EndTime, RenewTill: c.RenewTill,
			Flags: c.TicketFlags.Bytes, Ticket: c.Ticket})
	}
	got, err := MarshalCCache(creds...)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("marshalled cache differs from kinit's:\n got %x\nwant %x", got, want)
	}
}

// A cache needs a credential, and the flags are the ticket's four bytes.
func TestMarshalCCache_refusesMalformed(t *testing.T) {
	if _, err := MarshalCCache(); err == nil {
		t.Error("a cache without credentials was written")
	}
	if _, err := MarshalCCache(Cred{Flags: []byte{0x40}}); err == nil {
		t.Error("one byte of flags was written")
	}
}
