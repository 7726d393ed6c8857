package krb

import (
	"fmt"
	"strings"
)

// Krb5Conf is a krb5.conf for realm whose KDC is at kdc (host:port). It
// sets udp_preference_limit = 1 so that clients use TCP (a Kerberos
// ticket with a PAC does not fit a datagram in a domain either), and names
// the realm's DNS domain so a client maps node1.lab.test to it.
func Krb5Conf(realm, kdc string) string {
	dns := strings.ToLower(realm)
	enctypes := "aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96 rc4-hmac"
	return fmt.Sprintf(`[libdefaults]
  default_realm = %[1]s
  dns_lookup_realm = false
  dns_lookup_kdc = false
  rdns = false
  udp_preference_limit = 1
  default_tkt_enctypes = %[4]s
  default_tgs_enctypes = %[4]s
  permitted_enctypes = %[4]s

[realms]
  %[1]s = {
    kdc = %[2]s
  }

[domain_realm]
  .%[3]s = %[1]s
  %[3]s = %[1]s
`, realm, kdc, dns, enctypes)
}
