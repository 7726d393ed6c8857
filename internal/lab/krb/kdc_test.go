package krb

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

const testRealm = "LAB.TEST"

func startTestKDC(t *testing.T) (*KDC, *keytab.Keytab) {
	t.Helper()
	kt := keytab.New()
	for _, n := range []string{"NODE1", "NODE2"} {
		if err := AddNodeKeys(kt, n, testRealm, RandomPassword()); err != nil {
			t.Fatal(err)
		}
	}
	k, err := Start(Config{
		Realm: testRealm,
		Password: func(user string) (string, string, bool) {
			if strings.EqualFold(user, "Administrator") {
				return "Pa55w.rd", "Administrator", true
			}
			return "", "", false
		},
		Services: kt,
	}, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	return k, kt
}

func testClient(t *testing.T, k *KDC, user, password string, udp bool) *client.Client {
	t.Helper()
	text := Krb5Conf(testRealm, k.Addr())
	if udp {
		text = strings.Replace(text, "udp_preference_limit = 1", "udp_preference_limit = 32000", 1)
	}
	cfg, err := config.NewFromString(text)
	if err != nil {
		t.Fatal(err)
	}
	return client.NewWithPassword(user, testRealm, password, cfg, client.DisablePAFXFAST(true))
}

// A ticket for a node's SPN from the lab's KDC, over TCP (as krb5.conf
// asks) and over UDP, decrypts with that node's keys and no other's.
func TestKDCIssuesServiceTicketOverTCPAndUDP(t *testing.T) {
	k, kt := startTestKDC(t)
	for _, udp := range []bool{false, true} {
		cl := testClient(t, k, "Administrator", "Pa55w.rd", udp)
		if err := cl.Login(); err != nil {
			t.Fatalf("udp=%t: login: %v", udp, err)
		}
		for _, spn := range []string{"HTTP/node1.lab.test", "WSMAN/NODE1", "host/node1.lab.test"} {
			tkt, _, err := cl.GetServiceTicket(spn)
			if err != nil {
				t.Fatalf("udp=%t: %s: %v", udp, spn, err)
			}
			if tkt.EncPart.EType != etypeID.AES256_CTS_HMAC_SHA1_96 || tkt.EncPart.KVNO != NodeKVNO {
				t.Errorf("%s: etype %d kvno %d", spn, tkt.EncPart.EType, tkt.EncPart.KVNO)
			}
			other, _, _ := FindKey(NodeKeytab(kt, "NODE2", testRealm), types.NewPrincipalName(2, "HTTP/node2.lab.test"), testRealm, tkt.EncPart.EType, NodeKVNO)
			if err := tkt.Decrypt(other); err == nil {
				t.Errorf("%s: NODE2's key decrypts NODE1's ticket", spn)
			}
			own, _, ok := FindKey(NodeKeytab(kt, "NODE1", testRealm), tkt.SName, tkt.Realm, tkt.EncPart.EType, tkt.EncPart.KVNO)
			if !ok {
				t.Fatalf("%s: NODE1 has no key", spn)
			}
			if err := tkt.Decrypt(own); err != nil {
				t.Fatalf("%s: %v", spn, err)
			}
			if got := tkt.DecryptedEncPart.CName.PrincipalNameString(); got != "Administrator" || tkt.DecryptedEncPart.CRealm != testRealm {
				t.Errorf("%s: client %s@%s", spn, got, tkt.DecryptedEncPart.CRealm)
			}
		}
		cl.Destroy()
	}
}

func krbErrorCode(err error) int32 {
	var ke messages.KRBError
	for e := err; e != nil; e = errors.Unwrap(e) {
		if errors.As(e, &ke) {
			return ke.ErrorCode
		}
	}
	// gokrb5 flattens some errors into text.
	for _, c := range []int32{errorcode.KDC_ERR_PREAUTH_FAILED, errorcode.KDC_ERR_C_PRINCIPAL_UNKNOWN, errorcode.KDC_ERR_S_PRINCIPAL_UNKNOWN} {
		if strings.Contains(err.Error(), errorcode.Lookup(c)) {
			return c
		}
	}
	return -1
}

func TestKDCRefusesWrongPasswordUnknownUserAndUnknownSPN(t *testing.T) {
	k, _ := startTestKDC(t)
	if err := testClient(t, k, "Administrator", "wrong", false).Login(); err == nil || krbErrorCode(err) != errorcode.KDC_ERR_PREAUTH_FAILED {
		t.Errorf("wrong password: %v", err)
	}
	if err := testClient(t, k, "nobody", "x", false).Login(); err == nil || krbErrorCode(err) != errorcode.KDC_ERR_C_PRINCIPAL_UNKNOWN {
		t.Errorf("unknown user: %v", err)
	}
	cl := testClient(t, k, "Administrator", "Pa55w.rd", false)
	if err := cl.Login(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cl.GetServiceTicket("HTTP/127.0.0.1"); err == nil || krbErrorCode(err) != errorcode.KDC_ERR_S_PRINCIPAL_UNKNOWN {
		t.Errorf("SPN on an address: %v", err)
	}
}

// An AS-REQ without pre-authentication is answered PREAUTH_REQUIRED with the
// salt AD uses for users (REALM + account name), as a domain controller does.
func TestKDCAsksForPreauthWithADSalt(t *testing.T) {
	k, _ := startTestKDC(t)
	cfg, _ := config.NewFromString(Krb5Conf(testRealm, k.Addr()))
	req, err := messages.NewASReqForTGT(testRealm, cfg, types.NewPrincipalName(1, "administrator"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := req.Marshal()
	var ke messages.KRBError
	if err := ke.Unmarshal(k.Handle(b)); err != nil {
		t.Fatal(err)
	}
	if ke.ErrorCode != errorcode.KDC_ERR_PREAUTH_REQUIRED {
		t.Fatalf("error %d", ke.ErrorCode)
	}
	var pas types.PADataSequence
	if err := pas.Unmarshal(ke.EData); err != nil || len(pas) == 0 {
		t.Fatalf("e-data: %v", err)
	}
	var info types.ETypeInfo2
	if err := unmarshalInfo(pas[0].PADataValue, &info); err != nil || info[0].Salt != "LAB.TESTAdministrator" {
		t.Fatalf("etype-info2 %+v %v", info, err)
	}
}

func unmarshalInfo(b []byte, info *types.ETypeInfo2) error {
	_, err := asn1.Unmarshal(b, info)
	return err
}

// A ticket gets no more than the client asked for, as MIT's client checks
// (RFC 4120 3.1.3): the end time asked, renewal up to the end time asked
// with RENEWABLE-OK alone (MIT's kinit default), forwardable when asked.
func TestGrantGivesWhatWasAsked(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	opts := func(bits ...int) asn1.BitString {
		f := types.NewKrbFlags()
		types.SetFlags(&f, bits)
		return f
	}
	// kinit's default: RENEWABLE-OK, till in 24 hours.
	lt := grant(messages.KDCReqBody{KDCOptions: opts(flags.RenewableOK), Till: now.Add(24 * time.Hour)}, now, nil)
	if !lt.end.Equal(now.Add(ticketLife)) || !lt.renewTill.Equal(now.Add(24*time.Hour)) || !types.IsFlagSet(&lt.flags, flags.Renewable) || types.IsFlagSet(&lt.flags, flags.Forwardable) || !types.IsFlagSet(&lt.flags, flags.Initial) {
		t.Errorf("RENEWABLE-OK: %+v", lt)
	}
	// A short till, no renewal, forwardable.
	lt = grant(messages.KDCReqBody{KDCOptions: opts(flags.Forwardable), Till: now.Add(time.Hour)}, now, nil)
	if !lt.end.Equal(now.Add(time.Hour)) || !lt.renewTill.IsZero() || types.IsFlagSet(&lt.flags, flags.Renewable) || !types.IsFlagSet(&lt.flags, flags.Forwardable) {
		t.Errorf("forwardable, 1 hour: %+v", lt)
	}
	// RENEWABLE with rtime, within a TGT that ends sooner and is not forwardable.
	tgt := messages.EncTicketPart{Flags: opts(flags.Renewable), AuthTime: now.Add(-time.Hour), EndTime: now.Add(2 * time.Hour), RenewTill: now.Add(48 * time.Hour)}
	lt = grant(messages.KDCReqBody{KDCOptions: opts(flags.Renewable, flags.Forwardable), Till: now.Add(24 * time.Hour), RTime: now.Add(72 * time.Hour)}, now, &tgt)
	if !lt.end.Equal(tgt.EndTime) || !lt.renewTill.Equal(tgt.RenewTill) || !lt.auth.Equal(tgt.AuthTime) || types.IsFlagSet(&lt.flags, flags.Forwardable) || types.IsFlagSet(&lt.flags, flags.Initial) {
		t.Errorf("TGS within the TGT: %+v", lt)
	}
}
