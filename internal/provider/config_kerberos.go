package provider

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// envCCache names the Kerberos credential cache, as for kinit and klist.
const envCCache = "KRB5CCNAME"

// refuseKerberosOnly reports the Kerberos settings of a node whose auth is
// not kerberos: they would be ignored, which is never what was meant.
func refuseKerberosOnly(name string, np path.Path, n nodeModel, m providerModel, diags *diag.Diagnostics) bool {
	bad := false
	for attr, set := range map[string][2]bool{
		"realm":     {!n.Realm.IsNull(), !m.Realm.IsNull()},
		"krb5_conf": {!n.Krb5Conf.IsNull(), !m.Krb5Conf.IsNull()},
		"kdc":       {!n.KDC.IsNull(), !m.KDC.IsNull()},
		"keytab":    {!n.Keytab.IsNull(), !m.Keytab.IsNull()},
		"ccache":    {!n.CCache.IsNull(), !m.CCache.IsNull()},
		"spn":       {!n.SPN.IsNull(), false},
	} {
		p := np.AtName(attr)
		if !set[0] {
			if !set[1] {
				continue
			}
			p = path.Root(attr)
		}
		diags.AddAttributeError(p, "Kerberos setting without Kerberos",
			fmt.Sprintf("Node %s: %s is a Kerberos setting, but the node's auth is not \"kerberos\". Set auth = \"kerberos\", or remove %s.", name, attr, attr))
		bad = true
	}
	return bad
}

// resolveKerberos reads a kerberos node's settings: the credential
// (password, keytab, or credential cache, one of them), the realm, the
// KDCs, krb5.conf and the SPN, and refuses what cannot work.
func resolveKerberos(ctx context.Context, name string, np path.Path, n nodeModel, m providerModel, c *winrm.Config, r *resolver, getenv func(string) string) {
	diags := r.diags
	final := r.final
	c.Realm = strings.ToUpper(r.str(np.AtName("realm"), n.Realm, path.Root("realm"), m.Realm, ""))
	c.Krb5Conf = r.str(np.AtName("krb5_conf"), n.Krb5Conf, path.Root("krb5_conf"), m.Krb5Conf, "")
	c.Keytab = r.str(np.AtName("keytab"), n.Keytab, path.Root("keytab"), m.Keytab, "")
	c.CCache = r.str(np.AtName("ccache"), n.CCache, path.Root("ccache"), m.CCache, "")
	c.SPN = r.str(np.AtName("spn"), n.SPN, np.AtName("spn"), types.StringNull(), "")
	kp, kv := pick(np.AtName("kdc"), n.KDC, path.Root("kdc"), m.KDC)
	switch {
	case kv.IsUnknown():
		r.unknown(kp)
	case !kv.IsNull():
		diags.Append(kv.ElementsAs(ctx, &c.KDC, false)...)
	}
	pp, pv := pick(np.AtName("password"), n.Password, path.Root("password"), m.Password)
	switch {
	case pv.IsUnknown():
		r.unknown(pp)
	case !pv.IsNull() && pv.ValueString() == "":
		diags.AddAttributeError(pp, "Empty password",
			fmt.Sprintf("The password for node %s is empty. Set it, or use keytab or ccache.", name))
	case !pv.IsNull():
		c.Password = pv.ValueString()
	}
	keytabPath, _ := pick(np.AtName("keytab"), n.Keytab, path.Root("keytab"), m.Keytab)
	ccachePath, _ := pick(np.AtName("ccache"), n.CCache, path.Root("ccache"), m.CCache)
	switch {
	case c.Password != "" && c.Keytab != "":
		diags.AddAttributeError(keytabPath, "Conflicting Kerberos credentials",
			fmt.Sprintf("Node %s has both a password and a keytab; Kerberos takes one credential: remove one of them.", name))
	case (c.Password != "" || c.Keytab != "") && c.CCache != "":
		diags.AddAttributeError(ccachePath, "Conflicting Kerberos credentials",
			fmt.Sprintf("Node %s has a credential cache and a password or keytab; Kerberos takes one credential: remove one of them.", name))
	}
	// The environment: MSCS_PASSWORD when no keytab or cache is named,
	// then the cache KRB5CCNAME names.
	if c.Password == "" && c.Keytab == "" && c.CCache == "" && !r.sawUnknown {
		c.Password = r.env(getenv, envPassword)
		if c.Password == "" {
			c.CCache = r.env(getenv, envCCache)
		}
		if final && c.Password == "" && c.CCache == "" {
			diags.AddAttributeError(pp, "Missing Kerberos credential",
				fmt.Sprintf("No Kerberos credential for node %s: set password (or export %s), keytab, or ccache, or run kinit and export %s.", name, envPassword, envCCache))
		}
	}
	if typ := winrm.CCacheType(c.CCache); typ != "" {
		diags.AddAttributeError(ccachePath, "Unreadable credential cache",
			fmt.Sprintf("Node %s: the credential cache %q is a %s cache; the provider reads FILE: caches only: kinit -c FILE:/path, and set ccache (or %s) to it.", name, c.CCache, typ, envCCache))
	}
	if final && c.Username == "" && (c.Password != "" || c.Keytab != "") {
		diags.AddAttributeError(path.Root("username"), "Missing username",
			fmt.Sprintf("No username for node %s: Kerberos with a password or keytab logs in as username (user@REALM, or with realm).", name))
	}
	if winrm.NeedsRealm(*c) && c.Username != "" && !r.sawUnknown {
		diags.AddAttributeError(np.AtName("realm"), "Missing Kerberos realm",
			fmt.Sprintf("Node %s: Kerberos needs the realm of %s: set realm (e.g. LAB.EXAMPLE), write the username as user@REALM, or set krb5_conf to a krb5.conf with a default_realm.", name, c.Username))
	}
	if c.SPN == "" && net.ParseIP(c.Host) != nil {
		diags.AddAttributeWarning(np, "Kerberos to an IP address",
			fmt.Sprintf("Node %s is addressed by its IP address %s, so its Kerberos service principal would be HTTP/%s, which a domain does not register: "+
				"address the node by its DNS name (endpoint or host), or set spn (e.g. HTTP/%s.<domain>).", name, c.Host, c.Host, strings.ToLower(name)))
	}
}
