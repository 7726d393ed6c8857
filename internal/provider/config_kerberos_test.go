package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
)

func krbNode(host string) map[string]nodeModel {
	return map[string]nodeModel{"NODE1": {Host: types.StringValue(host)}}
}

// auth = "kerberos" resolves each credential source (password, keytab, the
// ccache setting, MSCS_PASSWORD, KRB5CCNAME), the realm, the KDCs and the
// SPN into the node's transport settings.
func TestResolveNodes_kerberos(t *testing.T) {
	ctx := context.Background()
	kdcs, _ := types.ListValueFrom(ctx, types.StringType, []string{"dc1.lab.example:88", "dc2.lab.example"})
	base := func(mut func(*providerModel)) providerModel {
		m := providerModel{Nodes: nodesValue(t, krbNode("node1.lab.example")), Auth: types.StringValue("kerberos"),
			Username: types.StringValue("Administrator"), Realm: types.StringValue("lab.example"), KDC: kdcs}
		mut(&m)
		return m
	}
	for name, tc := range map[string]struct {
		m                        providerModel
		env                      map[string]string
		password, keytab, ccache string
	}{
		"password":      {m: base(func(m *providerModel) { m.Password = types.StringValue("pw") }), password: "pw"},
		"keytab":        {m: base(func(m *providerModel) { m.Keytab = types.StringValue("/etc/admin.keytab") }), env: map[string]string{envPassword: "ignored"}, keytab: "/etc/admin.keytab"},
		"ccache":        {m: base(func(m *providerModel) { m.CCache = types.StringValue("/tmp/cc"); m.Username = types.StringNull() }), ccache: "/tmp/cc"},
		"MSCS_PASSWORD": {m: base(func(*providerModel) {}), env: map[string]string{envPassword: "envpw", envCCache: "FILE:/tmp/x"}, password: "envpw"},
		"KRB5CCNAME":    {m: base(func(m *providerModel) { m.Username = types.StringNull() }), env: map[string]string{envCCache: "FILE:/tmp/krb5cc_0"}, ccache: "FILE:/tmp/krb5cc_0"},
	} {
		configs, d := resolveNodes(ctx, tc.m, env(tc.env))
		if d.HasError() {
			t.Fatalf("%s: %s", name, errorsOf(d))
		}
		c := configs[0]
		if c.Auth != "kerberos" || c.Password != tc.password || c.Keytab != tc.keytab || c.CCache != tc.ccache ||
			c.Realm != "LAB.EXAMPLE" || strings.Join(c.KDC, ",") != "dc1.lab.example:88,dc2.lab.example" {
			t.Errorf("%s: %+v", name, c)
		}
	}
	// The SPN is a node's own.
	m := base(func(m *providerModel) { m.Password = types.StringValue("pw") })
	m.Nodes = nodesValue(t, map[string]nodeModel{"NODE1": {Host: types.StringValue("node1.lab.example"), SPN: types.StringValue("WSMAN/node1.lab.example")}})
	configs, d := resolveNodes(ctx, m, env(nil))
	if d.HasError() || configs[0].SPN != "WSMAN/node1.lab.example" {
		t.Errorf("spn: %+v %s", configs, errorsOf(d))
	}
}

// Kerberos settings that cannot work are plan-time errors naming the
// attribute; a node addressed by IP is warned about.
func TestResolveNodes_kerberosErrors(t *testing.T) {
	ctx := context.Background()
	for name, tc := range map[string]struct {
		m     providerModel
		final bool
		want  string
	}{
		"password and keytab": {m: providerModel{Nodes: nodesValue(t, krbNode("n1.lab")), Auth: types.StringValue("kerberos"), Realm: types.StringValue("LAB"),
			Username: types.StringValue("u"), Password: types.StringValue("p"), Keytab: types.StringValue("/k")}, want: "Conflicting Kerberos credentials"},
		"keytab and ccache": {m: providerModel{Nodes: nodesValue(t, krbNode("n1.lab")), Auth: types.StringValue("kerberos"), Realm: types.StringValue("LAB"),
			Username: types.StringValue("u"), CCache: types.StringValue("/c"), Keytab: types.StringValue("/k")}, want: "Conflicting Kerberos credentials"},
		"KEYRING cache": {m: providerModel{Nodes: nodesValue(t, krbNode("n1.lab")), Auth: types.StringValue("kerberos"), Realm: types.StringValue("LAB"),
			CCache: types.StringValue("KEYRING:persistent:0")}, want: "Unreadable credential cache"},
		"no realm": {m: providerModel{Nodes: nodesValue(t, krbNode("n1.lab")), Auth: types.StringValue("kerberos"),
			Username: types.StringValue(`LAB\u`), Password: types.StringValue("p")}, want: "Missing Kerberos realm"},
		"no credential": {m: providerModel{Nodes: nodesValue(t, krbNode("n1.lab")), Auth: types.StringValue("kerberos"), Realm: types.StringValue("LAB"),
			Username: types.StringValue("u")}, final: true, want: "No Kerberos credential for node NODE1"},
		"keytab with ntlm": {m: providerModel{Nodes: nodesValue(t, krbNode("n1.lab")), Auth: types.StringValue("ntlm"),
			Username: types.StringValue("u"), Password: types.StringValue("p"), Keytab: types.StringValue("/k")}, want: "keytab is a Kerberos setting"},
		"spn without kerberos": {m: providerModel{Nodes: nodesValue(t, map[string]nodeModel{"NODE1": {Host: types.StringValue("n1"), SPN: types.StringValue("HTTP/n1")}}),
			Username: types.StringValue("u"), Password: types.StringValue("p")}, want: "spn is a Kerberos setting"},
	} {
		var getenv func(string) string
		if tc.final {
			getenv = env(nil)
		}
		_, d := resolveNodes(ctx, tc.m, getenv)
		if got := errorsOf(d); !strings.Contains(got, tc.want) {
			t.Errorf("%s: errors %q, want %q", name, got, tc.want)
		}
	}
	_, d := resolveNodes(ctx, providerModel{Nodes: nodesValue(t, krbNode("10.0.0.1")), Auth: types.StringValue("kerberos"),
		Username: types.StringValue("u@LAB.EXAMPLE"), Password: types.StringValue("p")}, env(nil))
	if d.HasError() || len(d.Warnings()) != 1 || !strings.Contains(d.Warnings()[0].Detail(), "address the node by its DNS name") {
		t.Errorf("IP address: %v", d)
	}
}
