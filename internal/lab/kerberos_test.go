package lab

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/krb"
)

// spnegoTransport is a masterzen/winrm transport that authenticates every
// message with gokrb5's SPNEGO (a fresh AP-REQ each time, no channel
// bindings, no sealing): a Kerberos client nobody here wrote.
type spnegoTransport struct {
	cl   *client.Client
	spn  string
	url  string
	http *http.Client
}

func (s *spnegoTransport) Transport(*winrm.Endpoint) error { return nil }

func (s *spnegoTransport) Post(_ *winrm.Client, msg *soap.SoapMessage) (string, error) {
	req, _ := http.NewRequest(http.MethodPost, s.url, strings.NewReader(msg.String()))
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	if err := spnego.SetSPNEGOHeader(s.cl, req, s.spn); err != nil {
		return "", err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("http %d", resp.StatusCode)
	}
	return string(body), nil
}

// kerberosLogin logs the administrator on to the lab's KDC with the ready
// file's krb5.conf and password.
func kerberosLogin(t *testing.T, info ReadyInfo) *client.Client {
	t.Helper()
	cfg, err := config.Load(info.Kerberos.Krb5Conf)
	if err != nil {
		t.Fatal(err)
	}
	_, user, _ := strings.Cut(info.Username, `\`)
	cl := client.NewWithPassword(user, info.Kerberos.Realm, info.Password, cfg, client.DisablePAFXFAST(true))
	if err := cl.Login(); err != nil {
		t.Fatalf("login to the lab's KDC: %v", err)
	}
	t.Cleanup(cl.Destroy)
	return cl
}

func spnegoClient(t *testing.T, l *Lab, cl *client.Client, node NodeEndpoint) *winrm.Client {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(l.CAPEM())
	tr := &spnegoTransport{cl: cl, spn: "HTTP/" + node.Host, url: node.HTTPS,
		http: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}}
	params := *winrm.DefaultParameters
	params.TransportDecorator = func() winrm.Transporter { return tr }
	c, err := winrm.NewClientWithParameters(winrm.NewEndpoint("127.0.0.1", 1, true, false, nil, nil, nil, 30*time.Second), "", "", &params)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The ready file names the realm, the KDC, krb5.conf, the keytab and each
// node's host name; a gokrb5 client logs on to the lab's KDC from them and
// runs a command over HTTPS with SPNEGO, logged as LAB\Administrator. Under
// strict channel binding the same client (which sends no bindings) is
// refused and nothing runs.
func TestKerberosAgainstTheLab(t *testing.T) {
	l := startLab(t, Options{CBTHardening: "relaxed"})
	info, err := ReadReadyFile(l.ReadyFile())
	if err != nil {
		t.Fatal(err)
	}
	k := info.Kerberos
	if k == nil || k.Realm != "LAB.TEST" || k.KDC == "" || info.CBTHardening != "relaxed" ||
		filepath.Dir(k.Krb5Conf) != l.Dir() || filepath.Dir(k.Keytab) != l.Dir() {
		t.Fatalf("ready file: %+v %+v", info, k)
	}
	if st, err := os.Stat(k.Keytab); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("keytab: %v %v", st, err)
	}
	kt, err := keytab.Load(k.Keytab)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range info.Nodes {
		if n.Host != strings.ToLower(n.Name)+".lab.test" || len(krb.NodeKeytab(kt, n.Name, k.Realm).Entries) != 6*len(krb.ETypes) {
			t.Fatalf("node %+v: host or keys", n)
		}
	}
	cl := kerberosLogin(t, info)
	c := spnegoClient(t, l, cl, info.Nodes[1])
	wantContains(t, "hostname", mustRun(t, c, "hostname"), "NODE2")
	cmds := l.World().Commands("NODE2")
	if len(cmds) == 0 || cmds[len(cmds)-1].User != `LAB\Administrator` {
		t.Fatalf("command log: %+v", cmds)
	}

	strict := startLab(t, Options{CBTHardening: "strict"})
	sinfo := strict.Ready()
	c = spnegoClient(t, strict, kerberosLogin(t, sinfo), sinfo.Nodes[0])
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, _, _, err := c.RunCmdWithContext(ctx, "hostname"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("strict without bindings: %v", err)
	}
	if n := len(strict.World().Commands("NODE1")); n != 0 {
		t.Fatalf("%d commands ran", n)
	}
}

// With an outside keytab and realm the lab runs no KDC and each node
// verifies with that keytab's keys: here the keytab and the KDC are another
// lab's, whose tickets this lab's nodes then accept. A keytab without a
// node's keys is refused at start, naming the node.
func TestKerberosOutsideKeytab(t *testing.T) {
	kdcLab := startLab(t, Options{})
	kinfo := kdcLab.Ready()
	l := startLab(t, Options{Krb5Keytab: kinfo.Kerberos.Keytab, Krb5Realm: kinfo.Kerberos.Realm})
	info := l.Ready()
	if info.Kerberos.KDC != "" || info.Kerberos.Krb5Conf != "" || info.Kerberos.Keytab != kinfo.Kerberos.Keytab || info.Kerberos.Realm != "LAB.TEST" {
		t.Fatalf("ready file: %+v", info.Kerberos)
	}
	c := spnegoClient(t, l, kerberosLogin(t, kinfo), info.Nodes[0])
	wantContains(t, "hostname", mustRun(t, c, "hostname"), "NODE1")

	kt := keytab.New()
	if err := krb.AddNodeKeys(kt, "NODE1", "LAB.TEST", "x"); err != nil {
		t.Fatal(err)
	}
	data, _ := kt.Marshal()
	path := filepath.Join(t.TempDir(), "node1.keytab")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Start(context.Background(), Options{Scenario: "healthy", Krb5Keytab: path, Krb5Realm: "LAB.TEST"})
	if err == nil || !strings.Contains(err.Error(), "NODE2") {
		t.Fatalf("keytab without NODE2: %v", err)
	}
	if _, err := Start(context.Background(), Options{Scenario: "healthy", Krb5Keytab: path}); err == nil {
		t.Fatal("a keytab without a realm started")
	}
	if _, err := Start(context.Background(), Options{Scenario: "healthy", CBTHardening: "loose"}); err == nil {
		t.Fatal("CBT hardening loose started")
	}
}
