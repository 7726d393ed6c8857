//go:build mitkdc

// The lab against a KDC nobody here wrote: MIT Kerberos (Debian's
// krb5-kdc, krb5-admin-server and krb5-user). Run with
//
//	go test -tags mitkdc -run TestMITKDC ./internal/lab/
//
// on a machine where those are installed.

package lab

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/krb"
)

// An MIT KDC for LAB.TEST holds the administrator and every SPN of both
// nodes; its keytab (kadmin ktadd) is the lab's outside keytab; kinit gets
// a credential cache with the lab's krb5.conf format, and a gokrb5 client
// from that cache runs a command on NODE2, logged as LAB\Administrator.
func TestMITKDC(t *testing.T) {
	dir := t.TempDir()
	const realm = "LAB.TEST"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, portText, _ := net.SplitHostPort(ln.Addr().String())
	port, _ := strconv.Atoi(portText)
	_ = ln.Close()
	kdcAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	krb5Conf := write("krb5.conf", krb.Krb5Conf(realm, kdcAddr))
	kdcConf := write("kdc.conf", `[kdcdefaults]
  kdc_ports = `+strconv.Itoa(port)+`
  kdc_tcp_ports = `+strconv.Itoa(port)+`
[realms]
  `+realm+` = {
    database_name = `+filepath.Join(dir, "principal")+`
    key_stash_file = `+filepath.Join(dir, "stash")+`
    acl_file = `+filepath.Join(dir, "kadm5.acl")+`
    supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
  }
[logging]
  kdc = FILE:`+filepath.Join(dir, "kdc.log")+`
`)
	env := append(os.Environ(), "KRB5_CONFIG="+krb5Conf, "KRB5_KDC_PROFILE="+kdcConf, "KRB5CCNAME=FILE:"+filepath.Join(dir, "ccache"))
	sh := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	sh("kdb5_util", "create", "-s", "-r", realm, "-P", "master-"+krb.RandomPassword())
	userKeytab := filepath.Join(dir, "user.keytab")
	nodesKeytab := filepath.Join(dir, "nodes.keytab")
	sh("kadmin.local", "-r", realm, "-q", "addprinc -randkey Administrator")
	sh("kadmin.local", "-r", realm, "-q", "ktadd -k "+userKeytab+" Administrator")
	spns := append(krb.SPNs("NODE1", realm), krb.SPNs("NODE2", realm)...)
	for _, spn := range spns {
		sh("kadmin.local", "-r", realm, "-q", "addprinc -randkey "+spn)
	}
	sh("kadmin.local", "-r", realm, "-q", "ktadd -k "+nodesKeytab+" "+strings.Join(spns, " "))

	kdc := exec.Command("krb5kdc", "-n", "-r", realm)
	kdc.Env = env
	if err := kdc.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- kdc.Wait() }()
	t.Cleanup(func() {
		_ = kdc.Process.Kill()
		if err := <-exited; err != nil && !strings.Contains(err.Error(), "killed") {
			t.Errorf("krb5kdc: %v", err)
		}
	})
	for {
		if c, err := net.Dial("tcp", kdcAddr); err == nil {
			_ = c.Close()
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("krb5kdc exited: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	sh("kinit", "-k", "-t", userKeytab, "Administrator@"+realm)

	l := startLab(t, Options{Krb5Keytab: nodesKeytab, Krb5Realm: realm})
	cfg, err := config.Load(krb5Conf)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := credentials.LoadCCache(filepath.Join(dir, "ccache"))
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.NewFromCCache(cc, cfg, client.DisablePAFXFAST(true))
	if err != nil {
		t.Fatal(err)
	}
	node, _ := l.Node("NODE2")
	c := spnegoClient(t, l, cl, node)
	wantContains(t, "hostname", mustRun(t, c, "hostname"), "NODE2")
	cmds := l.World().Commands("NODE2")
	if len(cmds) == 0 || cmds[len(cmds)-1].User != `LAB\Administrator` {
		t.Fatalf("command log: %+v", cmds)
	}
}

// MIT's kinit (password, pre-authentication, RENEWABLE-OK as it asks by
// default) and kvno (TGS-REQs) against the lab's own KDC with the lab's
// krb5.conf; curl --negotiate (MIT's GSS-API) gets an authenticated
// Identify; gokrb5 from that credential cache then runs a command. A wrong
// password and an SPN on an address are refused as AD refuses them.
func TestMITClientsAgainstTheLabKDC(t *testing.T) {
	l := startLab(t, Options{})
	info := l.Ready()
	cc := filepath.Join(t.TempDir(), "ccache")
	env := append(os.Environ(), "KRB5_CONFIG="+info.Kerberos.Krb5Conf, "KRB5CCNAME=FILE:"+cc)
	run := func(stdin, name string, args ...string) (string, error) {
		cmd := exec.Command(name, args...)
		cmd.Env = env
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("wrong\n", "kinit", "Administrator@LAB.TEST"); err == nil || !strings.Contains(out, "Password incorrect") {
		t.Fatalf("kinit with a wrong password: %v\n%s", err, out)
	}
	if out, err := run(info.Password+"\n", "kinit", "Administrator@LAB.TEST"); err != nil {
		t.Fatalf("kinit: %v\n%s", err, out)
	}
	out, err := run("", "kvno", "HTTP/node1.lab.test", "WSMAN/NODE2", "host/node2.lab.test")
	if err != nil || strings.Count(out, "kvno = 2") != 3 {
		t.Fatalf("kvno: %v\n%s", err, out)
	}
	if out, err := run("", "kvno", "HTTP/127.0.0.1"); err == nil || !strings.Contains(out, "not found in Kerberos database") {
		t.Fatalf("kvno of an address: %v\n%s", err, out)
	}
	// curl's SPNEGO token is made by MIT's GSS-API (libcurl does not
	// check the AP-REP it gets back: the wsman tests do).
	node1, _ := l.Node("NODE1")
	port := strings.TrimSuffix(node1.HTTPS[strings.LastIndex(node1.HTTPS, ":")+1:], "/wsman")
	out, err = run("", "curl", "-sS", "--fail", "--negotiate", "-u", ":", "--cacert", info.CAFile,
		"--resolve", "node1.lab.test:"+port+":127.0.0.1", "-H", "Content-Type: application/soap+xml;charset=UTF-8",
		"-d", `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`,
		"https://node1.lab.test:"+port+"/wsman")
	if err != nil || !strings.Contains(out, "<wsmid:ProductVersion>OS: 5.2.3790") {
		t.Fatalf("curl --negotiate: %v\n%s", err, out)
	}
	cfg, err := config.Load(info.Kerberos.Krb5Conf)
	if err != nil {
		t.Fatal(err)
	}
	ccache, err := credentials.LoadCCache(cc)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.NewFromCCache(ccache, cfg, client.DisablePAFXFAST(true))
	if err != nil {
		t.Fatal(err)
	}
	node, _ := l.Node("NODE1")
	wantContains(t, "hostname", mustRun(t, spnegoClient(t, l, cl, node), "hostname"), "NODE1")
}

// MIT's GSS-API (Debian's python3-gssapi, testdata/mit_gss_seal.py) seals
// over plain HTTP against the lab with the Kerberos and the SPNEGO scheme:
// MIT verifies the AP-REP and unwraps the lab's sealed answers, the lab
// unseals MIT's wrap_iov requests.
func TestMITGSSAPISealing(t *testing.T) {
	l := startLab(t, Options{})
	env := mitKinit(t, l)
	for _, scheme := range []string{"Kerberos", "Negotiate"} {
		py := exec.Command("/usr/bin/python3", filepath.Join("testdata", "mit_gss_seal.py"), l.ReadyFile(), scheme)
		py.Env = env
		out, err := py.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "ok" {
			t.Fatalf("%s: %v\n%s", scheme, err, out)
		}
	}
}

// MIT's GSS-API computes the channel bindings hash the lab expects: under
// strict channel binding its AP-REQ with tls-server-end-point bindings is
// accepted over HTTPS, one without is refused (testdata/mit_gss_cbt.py).
func TestMITGSSAPIChannelBinding(t *testing.T) {
	l := startLab(t, Options{CBTHardening: "strict"})
	env := mitKinit(t, l)
	py := exec.Command("/usr/bin/python3", filepath.Join("testdata", "mit_gss_cbt.py"), l.ReadyFile())
	py.Env = env
	if out, err := py.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("%v\n%s", err, out)
	}
}

// mitKinit logs the administrator on to the lab's KDC with MIT's kinit and
// returns the environment naming the lab's krb5.conf and that cache.
func mitKinit(t *testing.T, l *Lab) []string {
	t.Helper()
	info := l.Ready()
	cc := filepath.Join(t.TempDir(), "ccache")
	env := append(os.Environ(), "KRB5_CONFIG="+info.Kerberos.Krb5Conf, "KRB5CCNAME=FILE:"+cc)
	kinit := exec.Command("kinit", "Administrator@"+info.Kerberos.Realm)
	kinit.Env = env
	kinit.Stdin = strings.NewReader(info.Password + "\n")
	if out, err := kinit.CombinedOutput(); err != nil {
		t.Fatalf("kinit: %v\n%s", err, out)
	}
	return env
}
