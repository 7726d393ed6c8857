//go:build krb5

// The lab against Kerberos nobody here wrote: MIT Kerberos (Debian's
// krb5-kdc, krb5-admin-server and krb5-user; curl; python3-gssapi). Built
// only with -tags krb5: `make test-krb5` runs them (and .ci/run, which
// installs those packages), beside the provider's MIT tests.

package lab

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"

	"github.com/mscs-ops/terraform-provider-mscs/internal/mitkdc"
)

// An MIT KDC (internal/mitkdc: the realm LAB.EXAMPLE, the administrator and
// every SPN of both nodes) whose nodes' keytab is the lab's outside keytab;
// a gokrb5 client from kinit's credential cache runs a command on NODE2,
// logged as LAB\Administrator (the outside realm's user in the lab's domain).
func TestMITKDC(t *testing.T) {
	k := mitkdc.Start(t)
	l := startLab(t, Options{Krb5Keytab: k.ServiceKeytab, Krb5Realm: mitkdc.Realm})
	if info := l.KerberosInfo(); info.Realm != mitkdc.Realm || info.Keytab != k.ServiceKeytab || info.KDC != "" {
		t.Fatalf("ready file's kerberos: %+v", info)
	}
	cfg, err := config.Load(k.Conf)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := credentials.LoadCCache(k.CCache)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.NewFromCCache(cc, cfg, client.DisablePAFXFAST(true))
	if err != nil {
		t.Fatal(err)
	}
	node, _ := l.Node("NODE2")
	if node.Host != "node2.lab.example" {
		t.Fatalf("NODE2's host is %q", node.Host)
	}
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
	mit := mitkdc.NewClient(t, info.Kerberos.Krb5Conf, "curl")
	run := mit.Run
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
	ccache, err := credentials.LoadCCache(mit.CCache)
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
// returns the environment naming the lab's krb5.conf and that cache, for
// python3-gssapi.
func mitKinit(t *testing.T, l *Lab) []string {
	t.Helper()
	info := l.Ready()
	mit := mitkdc.NewClient(t, info.Kerberos.Krb5Conf, "/usr/bin/python3")
	mit.Kinit(t, "Administrator@"+info.Kerberos.Realm, info.Password)
	return mit.Env
}
