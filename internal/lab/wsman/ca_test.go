package wsman

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The CA file verifies the server under each name and address it was
// issued for, and under no other.
func TestCAVerifiesServer(t *testing.T) {
	ca, err := NewCA("Lab CA")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := ca.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	pemBytes, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatal("CA file is not PEM")
	}
	tlsConf, err := ca.ServerTLSConfig("127.0.0.1", "localhost", "NODE1")
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(Config{Executor: fakeExecutor{}, Accounts: testAccounts{}})
	defer h.Close()
	ep, err := Listen(h, "", "127.0.0.1:0", tlsConf)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ep.Close() }()
	if ep.HTTPURL() != "" || !strings.HasPrefix(ep.HTTPSURL(), "https://127.0.0.1:") {
		t.Fatalf("urls %q %q", ep.HTTPURL(), ep.HTTPSURL())
	}
	for name, wantOK := range map[string]bool{"": true, "localhost": true, "NODE1": true, "NODE2": false} {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: name}}}
		resp, err := c.Post(ep.HTTPSURL(), "application/soap+xml", nil)
		if wantOK != (err == nil) {
			t.Fatalf("server name %q: err = %v", name, err)
		}
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || resp.ProtoMajor != 1 {
				t.Fatalf("server name %q: %s %s", name, resp.Proto, resp.Status)
			}
		}
	}
}
