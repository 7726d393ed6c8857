//go:build krb5

package winrm

// The outside check of the Kerberos client: a real MIT KDC (Debian's
// krb5-kdc, krb5-admin-server, krb5-user) on loopback, which nobody here
// wrote. Built only with -tags krb5: `make test-krb5` runs it (and .ci/run,
// after installing the packages); `make test` does not, so it stays green
// on a machine without them.

import (
	"bytes"
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/service"

	"github.com/mscs-ops/terraform-provider-mscs/internal/mitkdc"
)

const (
	mitRealm    = mitkdc.Realm
	mitUser     = mitkdc.User
	mitPassword = mitkdc.Password
)

// mitKDC is mitkdc's KDC, under this package's tests' names.
type mitKDC struct {
	*mitkdc.KDC
	port, conf, serviceKeytab, userKeytab, ccache string
}

func startMITKDC(t *testing.T) *mitKDC {
	t.Helper()
	k := mitkdc.Start(t)
	return &mitKDC{KDC: k, port: k.Port, conf: k.Conf, serviceKeytab: k.ServiceKeytab, userKeytab: k.UserKeytab, ccache: k.CCache}
}

func freePort(t *testing.T) string { return mitkdc.FreePort(t) }

func (k *mitKDC) writeConf(t *testing.T, extra string) string {
	return k.WriteConf(t, " "+extra)
}

// config is a Kerberos client config for NODE1 against the MIT KDC.
func (k *mitKDC) config(mutate func(*Config)) Config {
	cfg := Config{Node: "NODE1", Host: "node1.lab.example", HTTPS: true, Auth: "kerberos", Username: mitUser,
		Realm: mitRealm, KDC: []string{"127.0.0.1:" + k.port}}
	mutate(&cfg)
	return cfg
}

// The client gets a service ticket from a real MIT KDC with each credential
// source, and its AP-REQ (with channel bindings and mutual authentication
// asked) is one gokrb5's acceptor accepts with the nodes' keytab, for each
// of the service principals a node answers.
func TestMITKerberosClient(t *testing.T) {
	k := startMITKDC(t)
	kt, err := keytab.Load(k.serviceKeytab)
	if err != nil {
		t.Fatal(err)
	}
	bindings := bytes.Repeat([]byte{0xab}, 16)
	for name, mutate := range map[string]func(*Config){
		"password":      func(c *Config) { c.Password = mitPassword },
		"keytab":        func(c *Config) { c.Keytab = k.userKeytab },
		"ccache":        func(c *Config) { c.CCache = k.ccache; c.Username = "" },
		"KRB5CCNAME":    func(c *Config) { c.Username = ""; c.Realm = "" },
		"krb5_conf":     func(c *Config) { c.Password = mitPassword; c.KDC = nil; c.Krb5Conf = k.conf },
		"spn WSMAN":     func(c *Config) { c.Password = mitPassword; c.SPN = "WSMAN/node1.lab.example" },
		"spn host/NODE": func(c *Config) { c.Password = mitPassword; c.SPN = "host/node1"; c.Host = "node1" },
	} {
		t.Run(name, func(t *testing.T) {
			if name == "KRB5CCNAME" {
				t.Setenv("KRB5CCNAME", "FILE:"+k.ccache)
			}
			c, err := New(k.config(mutate))
			if err != nil {
				t.Fatal(err)
			}
			cl, err := c.krbLogin()
			if err != nil {
				t.Fatal(err)
			}
			if again, _ := c.krbLogin(); again != cl {
				t.Error("a second handshake logged in again")
			}
			ap, err := c.newAPReq(cl, bindings)
			if err != nil {
				t.Fatal(err)
			}
			id, msg, err := gssUnframe(ap.token)
			if err != nil || !bytes.Equal(id, tokAPReq) {
				t.Fatalf("token framing: %x %v", id, err)
			}
			var req messages.APReq
			if err := req.Unmarshal(msg); err != nil {
				t.Fatal(err)
			}
			ok, creds, err := service.VerifyAPREQ(&req, service.NewSettings(kt, service.DecodePAC(false)))
			if !ok || err != nil {
				t.Fatalf("the acceptor refused the AP-REQ: %v", err)
			}
			if creds.UserName() != mitUser || creds.Domain() != mitRealm {
				t.Errorf("authenticated as %s@%s", creds.UserName(), creds.Domain())
			}
			if req.APOptions.Bytes[0]&0x20 == 0 {
				t.Errorf("mutual-required not set: %x", req.APOptions.Bytes)
			}
			ck := req.Authenticator.Cksum
			if ck.CksumType != 0x8003 || len(ck.Checksum) < 24 || !bytes.Equal(ck.Checksum[4:20], bindings) ||
				ck.Checksum[20]&gssMutual == 0 || ck.Checksum[20]&gssConf == 0 {
				t.Errorf("authenticator checksum %d %x", ck.CksumType, ck.Checksum)
			}
			if len(req.Authenticator.SubKey.KeyValue) == 0 {
				t.Error("no initiator subkey")
			}
		})
	}
}

// The diagnostics of a real KDC's refusals name the node, the cause and the
// setting, and never the password.
func TestMITKerberosErrors(t *testing.T) {
	k := startMITKDC(t)
	for name, tc := range map[string]struct {
		mutate func(*Config)
		want   []string
	}{
		"wrong password": {func(c *Config) { c.Password = "Wrong-Horse-1" }, []string{"NODE1", "KDC_ERR_PREAUTH_FAILED", "check password"}},
		"unknown user":   {func(c *Config) { c.Password = "x"; c.Username = "Nobody" }, []string{"NODE1", "KDC_ERR_C_PRINCIPAL_UNKNOWN", "username and realm"}},
		"ip address": {func(c *Config) { c.Password = mitPassword; c.Host = "127.0.0.1" },
			[]string{"NODE1", "KDC_ERR_S_PRINCIPAL_UNKNOWN", "HTTP/127.0.0.1", "IP address", "host name"}},
		"etype refused": {func(c *Config) {
			c.Password, c.Username = mitPassword, mitkdc.Legacy
			c.KDC, c.Krb5Conf = nil, k.writeConf(t, "default_tkt_enctypes = aes256-cts-hmac-sha1-96\n default_tgs_enctypes = aes256-cts-hmac-sha1-96\n permitted_enctypes = aes256-cts-hmac-sha1-96")
		}, []string{"NODE1", "KDC_ERR_ETYPE_NOSUPP", "AES", "krb5_conf"}},
		"no KDC": {func(c *Config) { c.Password = mitPassword; c.KDC = []string{"127.0.0.1:" + freePort(t)} },
			[]string{"NODE1", "no KDC of realm LAB.EXAMPLE answered", "set kdc"}},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := New(k.config(tc.mutate))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.krbLogin()
			if err == nil {
				var cl = krbLogins.m[c.krbLoginKey()].cl
				_, err = c.newAPReq(cl, nil)
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), c.cfg.Password) {
				t.Errorf("password in %q", err)
			}
		})
	}
}
