package lab

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, url string) (int, string, string, error) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", "", err
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header.Get("Server"), nil
}

// The Web Group's site answers on loopback from whichever node owns the
// group, with the files of the shared disk; faults stop it or make it
// answer 500; a node without the site's metabase or grants does not serve it.
func TestWebSites(t *testing.T) {
	l := startLab(t, Options{Scenario: "metabase-fresh"})
	site := l.Sites()["10.0.0.20"]
	if site == "" || l.Ready().Sites["10.0.0.20"] != site {
		t.Fatalf("sites %v", l.Sites())
	}
	code, body, server, err := get(t, site+"/")
	if err != nil || code != 200 || !strings.Contains(body, "WEBVS") || server != "Microsoft-IIS/4.0" {
		t.Fatalf("GET /: %d %q %q %v", code, body, server, err)
	}
	if code, _, _, _ := get(t, site+"/nope.htm"); code != 404 {
		t.Errorf("a missing file: %d", code)
	}
	ctl := l.Control()
	if err := ctl.SiteFault("10.0.0.20", "500"); err != nil {
		t.Fatal(err)
	}
	if code, _, _, _ := get(t, site+"/"); code != 500 {
		t.Errorf("with a 500 fault: %d", code)
	}
	if err := ctl.SiteFault("10.0.0.20", "stop"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := get(t, site+"/"); err == nil {
		t.Error("a stopped site answered")
	}
	if err := ctl.SiteFault("10.0.0.20", ""); err != nil {
		t.Fatal(err)
	}
	// NODE2's fresh metabase lacks the site: moved there with "Affect the
	// group" off, the site's resource fails and nothing listens.
	c := newClient(t, l, "NODE1", httpsNTLM, l.Password())
	for _, r := range []string{"Web Server", "FTP Server", "MSDTC"} {
		mustRun(t, c, `cluster res "`+r+`" /prop RestartAction=1`)
	}
	run(t, c, `cluster group "Web Group" /move:NODE2`)
	if _, _, _, err := get(t, site+"/"); err == nil {
		t.Error("NODE2 served the site without it in its metabase")
	}
	// The metabase synced but the accounts not granted: 401.
	mustRun(t, c, `reg add "HKLM\SOFTWARE\Microsoft\Transaction Server\LocalComputer" /v ReplicationShare /t REG_SZ /d C$ /f`)
	run(t, c, `cluster group "Web Group" /move:NODE1`)
	mustRun(t, c, `cd /d %windir%\system32\inetsrv && iissync NODE2`)
	run(t, c, `cluster group "Web Group" /move:NODE2`)
	run(t, c, `cluster res "Web Server" /online`)
	if code, _, _, err := get(t, site+"/"); err != nil || code != 401 {
		t.Errorf("NODE2 without the IUSR grants: %d %v; want 401", code, err)
	}
	n2 := newClient(t, l, "NODE2", httpsNTLM, l.Password())
	for _, right := range []string{"SeInteractiveLogonRight", "SeNetworkLogonRight"} {
		mustRun(t, n2, `ntrights +r `+right+` -u LAB\IUSR_CLUSTER`)
	}
	if code, body, _, err := get(t, site+"/"); err != nil || code != 200 || !strings.Contains(body, "WEBVS") {
		t.Errorf("NODE2 with the grants: %d %v", code, err)
	}
	var nodes []string
	for _, r := range l.World().State().WebRequests {
		nodes = append(nodes, r.Node)
	}
	if len(nodes) < 2 || nodes[0] != "NODE1" || nodes[len(nodes)-1] != "NODE2" {
		t.Errorf("the request log's nodes: %v", nodes)
	}
}
