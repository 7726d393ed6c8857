//go:build krb5

package winrm

// The outside check of the Kerberos client: a real MIT KDC (Debian's
// krb5-kdc, krb5-admin-server, krb5-user) on loopback, which nobody here
// wrote. Built only with -tags krb5: `make test-krb5` runs it (and .ci/run,
// after installing the packages); `make test` does not, so it stays green
// on a machine without them.

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/service"
)

const (
	mitRealm    = "LAB.EXAMPLE"
	mitUser     = "Administrator"
	mitPassword = "Correct-Horse-9"
)

// mitNodes are the lab's node names; each gets host/, HTTP/ and WSMAN/
// principals on its DNS name and its short name, as a Windows computer
// account with WinRM configured answers them.
var mitNodes = []string{"NODE1", "NODE2"}

type mitKDC struct {
	dir, conf, port string
	serviceKeytab   string
	userKeytab      string
	ccache          string
	env             []string
}

// freePort is a loopback TCP port free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// startMITKDC creates a realm in a temp dir, its principals and keytabs,
// runs krb5kdc on a free loopback port until the test ends, and gets a
// credential cache with kinit.
func startMITKDC(t *testing.T) *mitKDC {
	t.Helper()
	for _, bin := range []string{"krb5kdc", "kdb5_util", "kadmin.local", "kinit"} {
		if _, err := exec.LookPath(bin); err != nil {
			if _, err := exec.LookPath("/usr/sbin/" + bin); err != nil {
				t.Fatalf("%s not found: install Debian's krb5-kdc, krb5-admin-server and krb5-user (apt-get install -y krb5-kdc krb5-admin-server krb5-user), or run `make test-krb5 MSCS_KRB5_ABSENT=1` to say they are absent on purpose", bin)
			}
		}
	}
	k := &mitKDC{dir: t.TempDir(), port: freePort(t)}
	k.conf = filepath.Join(k.dir, "krb5.conf")
	k.serviceKeytab = filepath.Join(k.dir, "nodes.keytab")
	k.userKeytab = filepath.Join(k.dir, "user.keytab")
	k.ccache = filepath.Join(k.dir, "ccache")
	kdcConf := filepath.Join(k.dir, "kdc.conf")
	write := func(path, text string) {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(k.conf, fmt.Sprintf(`[libdefaults]
 default_realm = %[1]s
 dns_lookup_kdc = false
 dns_lookup_realm = false
 udp_preference_limit = 1
[realms]
 %[1]s = {
  kdc = 127.0.0.1:%[2]s
 }
`, mitRealm, k.port))
	write(kdcConf, fmt.Sprintf(`[kdcdefaults]
 kdc_ports = %[2]s
 kdc_tcp_ports = %[2]s
[realms]
 %[1]s = {
  database_name = %[3]s/principal
  key_stash_file = %[3]s/stash
  acl_file = %[3]s/kadm5.acl
  supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
  max_life = 10h
 }
[logging]
 kdc = FILE:%[3]s/kdc.log
`, mitRealm, k.port, k.dir))
	write(filepath.Join(k.dir, "kadm5.acl"), "")
	k.env = append(os.Environ(), "KRB5_CONFIG="+k.conf, "KRB5_KDC_PROFILE="+kdcConf, "KRB5CCNAME=FILE:"+k.ccache)
	run := func(stdin string, name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = k.env
		cmd.Stdin = strings.NewReader(stdin)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	run("", "kdb5_util", "create", "-s", "-r", mitRealm, "-P", "master-key-pw")
	admin := func(q string) { run("", "kadmin.local", "-r", mitRealm, "-q", q) }
	admin(fmt.Sprintf("addprinc -pw %s +requires_preauth %s", mitPassword, mitUser))
	// The user's keytab holds the keys the password makes (-norandkey).
	admin(fmt.Sprintf("ktadd -k %s -norandkey %s", k.userKeytab, mitUser))
	// An account with AES-128 keys only, for a client that offers AES-256 only.
	admin(fmt.Sprintf("addprinc -pw %s -e aes128-cts-hmac-sha1-96:normal +requires_preauth Legacy", mitPassword))
	for _, node := range mitNodes {
		for _, svc := range []string{"host", "HTTP", "WSMAN"} {
			for _, name := range []string{strings.ToLower(node) + "." + strings.ToLower(mitRealm), strings.ToLower(node)} {
				p := svc + "/" + name
				admin("addprinc -randkey " + p)
				admin(fmt.Sprintf("ktadd -k %s %s", k.serviceKeytab, p))
			}
		}
	}
	kdc := exec.Command("krb5kdc", "-n", "-r", mitRealm)
	kdc.Env = k.env
	var kdcOut bytes.Buffer
	kdc.Stdout, kdc.Stderr = &kdcOut, &kdcOut
	if err := kdc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = kdc.Process.Kill()
		_ = kdc.Wait()
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(k.dir, "kdc.log"))
			t.Logf("krb5kdc:\n%s\n%s", kdcOut.String(), log)
		}
	})
	// kinit's first try is the KDC's readiness: it retries until the KDC
	// answers (the KDC listens a moment after it starts).
	var lastErr error
	var lastOut []byte
	for range 200 {
		cmd := exec.Command("kinit", "-c", "FILE:"+k.ccache, mitUser+"@"+mitRealm)
		cmd.Env = k.env
		cmd.Stdin = strings.NewReader(mitPassword + "\n")
		lastOut, lastErr = cmd.CombinedOutput()
		if lastErr == nil {
			break
		}
		if !strings.Contains(string(lastOut), "contacting KDC") && !strings.Contains(string(lastOut), "Cannot contact") {
			break
		}
		if kdc.ProcessState != nil {
			break
		}
	}
	if lastErr != nil {
		t.Fatalf("kinit: %v\n%s", lastErr, lastOut)
	}
	return k
}

// writeConf writes a krb5.conf for the KDC with extra [libdefaults] lines.
func (k *mitKDC) writeConf(t *testing.T, extra string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "krb5.conf")
	text := fmt.Sprintf("[libdefaults]\n default_realm = %[1]s\n %[3]s\n[realms]\n %[1]s = {\n  kdc = 127.0.0.1:%[2]s\n }\n", mitRealm, k.port, extra)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
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
			c.Password, c.Username = mitPassword, "Legacy"
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
				var cl = krbLogins.m[c.krbLoginKey()]
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
