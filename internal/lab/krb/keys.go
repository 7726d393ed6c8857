// Package krb is the lab's Kerberos: a small KDC for the lab's realm
// (AS and TGS exchanges, as Active Directory answers them) and the service
// keys of every node, which wsman's acceptor verifies AP-REQs with.
// Encoding and cryptography are gokrb5's; only the KDC's logic is here.
package krb

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/types"
)

// ETypes are the encryption types of every key the lab makes, strongest
// first: what a Windows Server 2008+ domain controller offers by default.
var ETypes = []int32{etypeID.AES256_CTS_HMAC_SHA1_96, etypeID.AES128_CTS_HMAC_SHA1_96, etypeID.RC4_HMAC}

// Realm is the Kerberos realm of a NetBIOS domain: LAB -> LAB.TEST (the
// .test top-level domain is reserved for testing, RFC 2606).
func Realm(domain string) string { return strings.ToUpper(domain) + ".TEST" }

// HostName is a node's DNS name in realm: NODE1 in LAB.TEST -> node1.lab.test.
func HostName(node, realm string) string {
	return strings.ToLower(node) + "." + strings.ToLower(realm)
}

// SPNs are the service principal names a Windows node registers for WinRM:
// host/, HTTP/ and WSMAN/ on its DNS name and on its NetBIOS name.
func SPNs(node, realm string) []string {
	var spns []string
	for _, svc := range []string{"host", "HTTP", "WSMAN"} {
		spns = append(spns, svc+"/"+HostName(node, realm), svc+"/"+node)
	}
	return spns
}

// NodeKVNO is the key version of the lab's node keys (a computer account's
// after its first password change, as in a domain).
const NodeKVNO = 2

// AddNodeKeys adds to kt the keys of every SPN of node: as in Active
// Directory, the SPNs are names of one computer account, whose keys are
// derived once per encryption type from its password, salted by its
// host/<DNS name> (AD's salt for a computer account), and listed in the
// keytab under each SPN, as ktpass and msktutil list them. (Deriving a key
// per SPN instead costs a PBKDF2 of 4096 rounds per SPN and type, a tenth of
// a second of CPU per lab started.)
func AddNodeKeys(kt *keytab.Keytab, node, realm, password string) error {
	now := time.Now().UTC().Truncate(time.Second)
	spns := SPNs(node, realm)
	for _, et := range ETypes {
		if err := kt.AddEntry(spns[0], realm, password, now, NodeKVNO, et); err != nil {
			return err
		}
		account := kt.Entries[len(kt.Entries)-1]
		for _, spn := range spns[1:] {
			e := account
			name, _ := types.ParseSPNString(spn)
			e.Principal.Components = name.NameString
			kt.Entries = append(kt.Entries, e)
		}
	}
	return nil
}

// RandomPassword is a fresh machine account password.
func RandomPassword() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// samePrincipal compares principal names as a domain controller does:
// without case.
func samePrincipal(components []string, name types.PrincipalName) bool {
	if len(components) != len(name.NameString) {
		return false
	}
	for i, c := range components {
		if !strings.EqualFold(c, name.NameString[i]) {
			return false
		}
	}
	return true
}

// FindKey returns the key of name@realm in kt for etype and kvno (0: the
// highest kvno), comparing names without case.
func FindKey(kt *keytab.Keytab, name types.PrincipalName, realm string, etype int32, kvno int) (types.EncryptionKey, int, bool) {
	var key types.EncryptionKey
	found := -1
	for _, e := range kt.Entries {
		if !strings.EqualFold(e.Principal.Realm, realm) || e.Key.KeyType != etype || !samePrincipal(e.Principal.Components, name) {
			continue
		}
		v := int(e.KVNO)
		if (kvno == 0 && v > found) || v == kvno {
			key, found = e.Key, v
		}
	}
	return key, found, found >= 0
}

// HasPrincipal reports whether kt holds any key of name@realm.
func HasPrincipal(kt *keytab.Keytab, name types.PrincipalName, realm string) bool {
	for _, e := range kt.Entries {
		if strings.EqualFold(e.Principal.Realm, realm) && samePrincipal(e.Principal.Components, name) {
			return true
		}
	}
	return false
}

// NodeKeytab is the part of kt that node may use: the keys of its own SPNs
// in realm, and nothing of any other node.
func NodeKeytab(kt *keytab.Keytab, node, realm string) *keytab.Keytab {
	own := keytab.New()
	for _, e := range kt.Entries {
		if !strings.EqualFold(e.Principal.Realm, realm) {
			continue
		}
		for _, spn := range SPNs(node, realm) {
			if samePrincipal(e.Principal.Components, types.NewPrincipalName(0, spn)) {
				own.Entries = append(own.Entries, e)
				break
			}
		}
	}
	return own
}
