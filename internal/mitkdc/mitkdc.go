// Package mitkdc runs a real MIT Kerberos KDC (Debian's krb5-kdc,
// krb5-admin-server and krb5-user) on loopback for tests: a realm in a temp
// dir with a user and the lab's nodes' service principals, their keytabs,
// and a credential cache from kinit. It proves the provider's Kerberos
// client against a KDC nobody here wrote. Where the binaries are missing,
// Start fails the test naming the packages; `make test-krb5` runs the tests
// that use it (built with -tags krb5) and skips them all only when
// MSCS_KRB5_ABSENT=1 says the packages are absent on purpose.
package mitkdc

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const (
	Realm    = "LAB.EXAMPLE"
	User     = "Administrator"
	Password = "Correct-Horse-9"
	// Legacy is a user with AES-128 keys only (password Password), for a
	// client that offers AES-256 only: no common encryption type.
	Legacy = "Legacy"
)

// Nodes are the lab's node names; each gets host/, HTTP/ and WSMAN/
// principals on <node>.<realm in lower case> and on <node> (lower case),
// as a Windows computer account with WinRM configured answers them.
var Nodes = []string{"NODE1", "NODE2"}

// KDC is a running MIT KDC and what it made.
type KDC struct {
	Dir           string
	Conf          string // krb5.conf naming the realm and this KDC
	Port          string // the KDC's port on 127.0.0.1 (TCP and UDP)
	ServiceKeytab string // the nodes' keys (host/, HTTP/, WSMAN/)
	UserKeytab    string // User's keys, as the password makes them
	CCache        string // a credential cache of User's, from kinit (a file)
	Env           []string
}

// Addr is the KDC's address, host:port.
func (k *KDC) Addr() string { return "127.0.0.1:" + k.Port }

// FreePort is a loopback TCP port free a moment ago.
func FreePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func lookPath(bin string) error {
	if _, err := exec.LookPath(bin); err == nil {
		return nil
	}
	_, err := exec.LookPath("/usr/sbin/" + bin)
	return err
}

func binPath(bin string) string {
	if p, err := exec.LookPath(bin); err == nil {
		return p
	}
	return "/usr/sbin/" + bin
}

// Start creates the realm, its principals and keytabs, runs krb5kdc until
// the test ends, and gets a credential cache with kinit.
func Start(t testing.TB) *KDC {
	t.Helper()
	for _, bin := range []string{"krb5kdc", "kdb5_util", "kadmin.local", "kinit"} {
		if lookPath(bin) != nil {
			t.Fatalf("%s not found: install Debian's krb5-kdc, krb5-admin-server and krb5-user (apt-get install -y krb5-kdc krb5-admin-server krb5-user), or run `make test-krb5 MSCS_KRB5_ABSENT=1` to say they are absent on purpose", bin)
		}
	}
	k := &KDC{Dir: t.TempDir(), Port: FreePort(t)}
	k.Conf = filepath.Join(k.Dir, "krb5.conf")
	k.ServiceKeytab = filepath.Join(k.Dir, "nodes.keytab")
	k.UserKeytab = filepath.Join(k.Dir, "user.keytab")
	k.CCache = filepath.Join(k.Dir, "ccache")
	kdcConf := filepath.Join(k.Dir, "kdc.conf")
	write := func(path, text string) {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(k.Conf, k.confText(" udp_preference_limit = 1"))
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
`, Realm, k.Port, k.Dir))
	write(filepath.Join(k.Dir, "kadm5.acl"), "")
	k.Env = append(os.Environ(), "KRB5_CONFIG="+k.Conf, "KRB5_KDC_PROFILE="+kdcConf, "KRB5CCNAME=FILE:"+k.CCache)
	run := func(stdin string, name string, args ...string) {
		t.Helper()
		cmd := exec.Command(binPath(name), args...)
		cmd.Env = k.Env
		cmd.Stdin = strings.NewReader(stdin)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	run("", "kdb5_util", "create", "-s", "-r", Realm, "-P", "master-key-pw")
	admin := func(q string) { run("", "kadmin.local", "-r", Realm, "-q", q) }
	admin(fmt.Sprintf("addprinc -pw %s +requires_preauth %s", Password, User))
	// The user's keytab holds the keys the password makes (-norandkey).
	admin(fmt.Sprintf("ktadd -k %s -norandkey %s", k.UserKeytab, User))
	admin(fmt.Sprintf("addprinc -pw %s -e aes128-cts-hmac-sha1-96:normal +requires_preauth %s", Password, Legacy))
	for _, node := range Nodes {
		for _, svc := range []string{"host", "HTTP", "WSMAN"} {
			for _, name := range []string{strings.ToLower(node) + "." + strings.ToLower(Realm), strings.ToLower(node)} {
				p := svc + "/" + name
				admin("addprinc -randkey " + p)
				admin(fmt.Sprintf("ktadd -k %s %s", k.ServiceKeytab, p))
			}
		}
	}
	kdc := exec.Command(binPath("krb5kdc"), "-n", "-r", Realm)
	kdc.Env = k.Env
	var kdcOut bytes.Buffer
	kdc.Stdout, kdc.Stderr = &kdcOut, &kdcOut
	if err := kdc.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = kdc.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = kdc.Process.Kill()
		<-exited
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(k.Dir, "kdc.log"))
			t.Logf("krb5kdc:\n%s\n%s", kdcOut.String(), log)
		}
	})
	// kinit is also the wait for the KDC: it is tried again while the KDC
	// is not listening yet (and still running).
	for {
		cmd := exec.Command(binPath("kinit"), "-c", "FILE:"+k.CCache, User+"@"+Realm)
		cmd.Env = k.Env
		cmd.Stdin = strings.NewReader(Password + "\n")
		out, err := cmd.CombinedOutput()
		if err == nil {
			break
		}
		select {
		case <-exited:
			t.Fatalf("krb5kdc exited: %s", kdcOut.String())
		default:
		}
		if !strings.Contains(string(out), "contacting KDC") && !strings.Contains(string(out), "Cannot contact") {
			t.Fatalf("kinit: %v\n%s", err, out)
		}
	}
	return k
}

func (k *KDC) confText(extra string) string {
	return fmt.Sprintf("[libdefaults]\n default_realm = %[1]s\n dns_lookup_kdc = false\n dns_lookup_realm = false\n%[3]s\n[realms]\n %[1]s = {\n  kdc = 127.0.0.1:%[2]s\n }\n", Realm, k.Port, extra)
}

// WriteConf writes a krb5.conf for the KDC with extra [libdefaults] lines
// (each " name = value"), and returns its path.
func (k *KDC) WriteConf(t testing.TB, extra string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "krb5.conf")
	if err := os.WriteFile(p, []byte(k.confText(extra)), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Client is MIT's client tools (kinit, kvno, curl --negotiate, python3's
// gssapi) pointed at a krb5.conf and a credential cache of the test's own:
// for a KDC this package did not start, such as the lab's.
type Client struct {
	Env    []string // the environment naming both
	CCache string
}

// NewClient is a Client of krb5Conf with an empty cache in a temp dir; it
// fails the test naming the Debian packages when a tool in need is missing
// (kinit always; others as named, e.g. "curl", "/usr/bin/python3").
func NewClient(t testing.TB, krb5Conf string, need ...string) *Client {
	t.Helper()
	for _, bin := range append([]string{"kinit", "kvno"}, need...) {
		if lookPath(bin) != nil {
			t.Fatalf("%s not found: install Debian's krb5-user, curl and python3-gssapi (apt-get install -y krb5-user curl python3-gssapi), or run `make test-krb5 MSCS_KRB5_ABSENT=1` to say they are absent on purpose", bin)
		}
	}
	cc := filepath.Join(t.TempDir(), "ccache")
	return &Client{CCache: cc, Env: append(os.Environ(), "KRB5_CONFIG="+krb5Conf, "KRB5CCNAME=FILE:"+cc)}
}

// Run runs a tool with stdin in the client's environment: its combined
// output.
func (c *Client) Run(stdin, name string, args ...string) (string, error) {
	cmd := exec.Command(binPath(name), args...)
	cmd.Env = c.Env
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Kinit gets principal's TGT into the cache with its password, failing
// the test if kinit does.
func (c *Client) Kinit(t testing.TB, principal, password string) {
	t.Helper()
	if out, err := c.Run(password+"\n", "kinit", principal); err != nil {
		t.Fatalf("kinit %s: %v\n%s", principal, err, out)
	}
}
