//go:build krb5

package provider

// The outside check of the whole chain: a real MIT KDC (internal/mitkdc,
// Debian's krb5-kdc, krb5-admin-server and krb5-user) issues the tickets,
// MIT's kinit writes the credential cache, the lab accepts with the keys
// MIT's kadmin exported, and the provider runs the recovery from that
// cache. Built only with -tags krb5: `make test-krb5` runs it.

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
	"github.com/mscs-ops/terraform-provider-mscs/internal/mitkdc"
)

// examples/recovery with auth = "kerberos" from kinit's cache (KRB5CCNAME)
// of an MIT realm, over HTTPS to nodes that require channel binding.
func TestMITKerberosRecovery(t *testing.T) {
	t.Parallel()
	k := mitkdc.Start(t)
	kl := startKerberosLab(t, lab.Options{Krb5Keytab: k.ServiceKeytab, Krb5Realm: mitkdc.Realm, CBTHardening: "strict", DisableBasic: true})
	kl.recoverWithKerberos(t, kl.kerberosOverride(true, fmt.Sprintf("  krb5_conf = %q\n", k.Conf)),
		func(v config.Variables) { delete(v, "password"); delete(v, "username") }, ccacheEnv(k.CCache))
}
