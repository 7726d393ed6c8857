package world

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuiltinScenariosLoadAndBuild(t *testing.T) {
	names := BuiltinScenarios()
	if strings.Join(names, ",") != "corrupted-iis,healthy,metabase-fresh,msdtc-standalone,rebuilt-node" {
		t.Fatalf("built-ins: %v", names)
	}
	for _, name := range names {
		sc, err := LoadScenario(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if sc.Name != name || sc.Domain != "LAB" || len(sc.Nodes) != 2 || sc.Cluster.Name == "" {
			t.Errorf("%s: %+v", name, sc)
		}
		w, err := New(sc, Options{})
		if err != nil {
			t.Fatalf("%s: New: %v", name, err)
		}
		w.Close()
	}
}

func TestScenarioNodeStates(t *testing.T) {
	rebuilt, _ := newTestWorld(t, "rebuilt-node")
	if r := run(t, rebuilt, "NODE2", "sc query W3SVC"); r.code != 1060 {
		t.Errorf("rebuilt NODE2 has W3SVC: %+v", r)
	}
	expect(t, run(t, rebuilt, "NODE2", "sc qc ClusSvc"), "[SC] QueryServiceConfig SUCCESS\r\n"+
		"\r\n"+
		"SERVICE_NAME: ClusSvc\r\n"+
		"        TYPE               : 10  WIN32_OWN_PROCESS\r\n"+
		"        START_TYPE         : 2   AUTO_START\r\n"+
		"        ERROR_CONTROL      : 1   NORMAL\r\n"+
		"        BINARY_PATH_NAME   : C:\\WINNT\\cluster\\clussvc.exe\r\n"+
		"        LOAD_ORDER_GROUP   : \r\n"+
		"        TAG                : 0\r\n"+
		"        DISPLAY_NAME       : Cluster Server\r\n"+
		"        DEPENDENCIES       : RpcSs\r\n"+
		"        SERVICE_START_NAME : LocalSystem\r\n"+
		"\r\n", 0)
	corrupt, _ := newTestWorld(t, "corrupted-iis")
	if r := run(t, corrupt, "NODE2", "reg query HKLM\\SOFTWARE\\Microsoft\\InetStp /v MajorVersion"); r.code != 0 {
		t.Errorf("corrupt NODE2 lacks InetStp: %+v", r)
	}
	if r := run(t, corrupt, "NODE2", "sc query W3SVC"); !strings.Contains(r.out, "1  STOPPED") {
		t.Errorf("corrupt W3SVC running:\n%s", r.out)
	}
}

func writeScenario(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lab.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadScenarioFromFile(t *testing.T) {
	path := writeScenario(t, `{"name":"tiny","domain":"LAB","accounts":[{"user":"Administrator","password":"pw"}],
		"nodes":[{"name":"NODEA","csd_version":"Service Pack 6a","option_pack":{"installed":false},
		  "registry":[{"key":"HKLM\\SOFTWARE\\Vendor","name":"Level","type":"REG_DWORD","value":7}]}],
		"cluster":{"name":"TINY","groups":[{"name":"G","owner":"NODEA"}],
		  "resources":[{"name":"D","type":"Physical Disk","group":"G","disk":{"drive":"S:"}}]}}`)
	sc, err := LoadScenario(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(sc, Options{TimeScale: testScale})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	expect(t, run(t, w, "NODEA", `reg query HKLM\SOFTWARE\Vendor /v Level`), "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Vendor\r\n    Level    REG_DWORD    0x7\r\n\r\n", 0)
	expect(t, run(t, w, "NODEA", `reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion" /v CSDVersion`), "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\r\n    CSDVersion    REG_SZ    Service Pack 6a\r\n\r\n", 0)
}

func TestLoadScenarioErrors(t *testing.T) {
	valid := `"domain":"LAB","nodes":[{"name":"N1","csd_version":"Service Pack 4","option_pack":{"installed":false}}]`
	for _, c := range []struct{ content, want string }{
		{"{\n\"domain\": \"LAB\",\n oops}", "invalid JSON at line 3"},
		{`{` + valid + `,"colour":"blue"}`, `unknown field "colour"`},
		{`{"nodes":[]}`, "domain is required"},
		{`{"domain":"LAB","nodes":[{"name":"NODE ONE"}]}`, `nodes[0]: name "NODE ONE" is not a NetBIOS name`},
		{`{"domain":"LAB","nodes":[{"name":"N1"},{"name":"n1"}]}`, `duplicate node "n1"`},
		{`{"domain":"LAB","nodes":[{"name":"N1","services":[{"name":"X","state":"paused"}]}]}`, `state "paused"`},
		{`{"domain":"LAB","nodes":[{"name":"N1","option_pack":{"installed":true}}]}`, "option_pack.method is required"},
		{`{"domain":"LAB","nodes":[{"name":"N1","registry":[{"key":"HKLM\\X","name":"v","type":"REG_DWORD","value":"text"}]}]}`, "nodes[0].registry[0] (v): value for REG_DWORD"},
		{`{` + valid + `,"cluster":{"name":"C","groups":[{"name":"G","owner":"N2"}]}}`, `cluster.groups[0] (G): owner "N2" is not a node`},
		{`{` + valid + `,"cluster":{"name":"C","groups":[{"name":"G","owner":"N1"}],"resources":[{"name":"R","type":"IP Address","group":"H"}]}}`, `group "H" does not exist`},
		{`{` + valid + `,"cluster":{"name":"C","groups":[{"name":"G","owner":"N1"}],"resources":[{"name":"A","type":"T","group":"G","dependencies":["B"]},{"name":"B","type":"T","group":"G","dependencies":["A"]}]}}`, "dependency cycle"},
		{`{` + valid + `,"cluster":{"name":"C","groups":[{"name":"G","owner":"N1"}],"resources":[{"name":"R","type":"T","group":"G","restart_action":3}]}}`, "restart_action 3"},
		{`{` + valid + `,"cluster":{"name":"C","groups":[{"name":"G","owner":"N1"}],"resources":[{"name":"R","type":"Physical Disk","group":"G"}]}}`, "a Physical Disk needs disk"},
		{`{` + valid + `,"accounts":[{"user":"x"}]}`, "accounts[0]: user and password are required"},
	} {
		_, err := LoadScenario(writeScenario(t, c.content))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "scenario file ") {
			t.Errorf("%s:\n got %v\nwant …%s…", c.content, err, c.want)
		}
	}
	if _, err := LoadScenario("no-such-scenario"); err == nil || !strings.Contains(err.Error(), "not a built-in scenario (corrupted-iis, healthy, metabase-fresh, msdtc-standalone, rebuilt-node)") {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := LoadScenario("/no/such/file.json"); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}

// renamedScenario is a built-in scenario with another domain and other IIS
// account names, as a scenario file would have them.
func renamedScenario(t *testing.T, name string) *Scenario {
	t.Helper()
	sc, err := LoadScenario(name)
	if err != nil {
		t.Fatal(err)
	}
	sc.Domain = "CORP"
	sc.IISAccounts = &IISAccountsSpec{Anonymous: "IUSR_WEBFARM", WAM: "IWAM_WEBFARM"}
	for i, a := range sc.Accounts {
		sc.Accounts[i].User = strings.NewReplacer("IUSR_CLUSTER", "IUSR_WEBFARM", "IWAM_CLUSTER", "IWAM_WEBFARM").Replace(a.User)
	}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	return sc
}

// A scenario's domain and IIS account names are the ones the nodes use: the
// Administrators group holds the domain's Domain Admins, the metabase runs
// the sites as the scenario's accounts, which hold their grants, and the site
// answers (a name the world made up would not resolve: 401).
func TestScenarioOtherDomainAndIISAccounts(t *testing.T) {
	w, err := New(renamedScenario(t, "healthy"), Options{TimeScale: testScale})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	if r := run(t, w, "NODE1", "net localgroup Administrators"); !strings.Contains(r.out, "CORP\\Domain Admins") || strings.Contains(r.out, "LAB\\") {
		t.Errorf("Administrators on a CORP node:\n%s", r.out)
	}
	for _, n := range []string{"NODE1", "NODE2"} {
		if r := run(t, w, n, "net localgroup \"MTS Trusted Impersonators\""); !strings.Contains(r.out, "CORP\\IWAM_WEBFARM") {
			t.Errorf("%s's MTS Trusted Impersonators:\n%s", n, r.out)
		}
	}
	if mb := fmt.Sprintf("%+v", w.State().Node("NODE1").Metabase); !strings.Contains(mb, `CORP\IUSR_WEBFARM`) || strings.Contains(mb, "_CLUSTER") {
		t.Errorf("NODE1's metabase: %s", mb)
	}
	addrs := w.WebAddresses()
	if len(addrs) == 0 {
		t.Fatal("no web site")
	}
	if resp := w.ServeWeb(addrs[0], "/"); resp.Status != 200 {
		t.Errorf("the site at %s answers %d: %s", addrs[0], resp.Status, resp.Body)
	}
}

// A scenario whose IIS would run as accounts it does not list is refused
// at load, naming what is missing (it used to load, then serve 401s).
func TestScenarioRefusesMissingIISAccounts(t *testing.T) {
	sc, err := LoadScenario("healthy")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		change func(*Scenario)
		want   string
	}{
		{"no iis_accounts", func(s *Scenario) { s.IISAccounts = nil },
			`iis_accounts.anonymous and iis_accounts.wam are required: IIS Server Instance "Web Server"`},
		{"IWAM not listed", func(s *Scenario) {
			var kept []Account
			for _, a := range s.Accounts {
				if a.User != "IWAM_CLUSTER" {
					kept = append(kept, a)
				}
			}
			s.Accounts = kept
		}, `iis_accounts.wam "IWAM_CLUSTER" is not among accounts as a domain account`},
		{"site without address", func(s *Scenario) {
			s.Cluster.Resources = append([]ResourceSpec(nil), s.Cluster.Resources...)
			for i, r := range s.Cluster.Resources {
				if r.Name == "Web IP Address" {
					s.Cluster.Resources[i].Private = map[string]string{"SubnetMask": "255.255.255.0"}
				}
			}
		}, `(Web Server): an IIS Server Instance needs an IP Address resource with private Address in its group "Web Group"`},
		{"renamed but not listed", func(s *Scenario) { s.IISAccounts = &IISAccountsSpec{Anonymous: "IUSR_WEBFARM", WAM: "IWAM_CLUSTER"} },
			`iis_accounts.anonymous "IUSR_WEBFARM" is not among accounts`},
	} {
		copied := *sc
		copied.Accounts = append([]Account(nil), sc.Accounts...)
		c.change(&copied)
		data, err := json.Marshal(copied)
		if err != nil {
			t.Fatal(err)
		}
		_, err = LoadScenario(writeScenario(t, string(data)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want …%s…", c.name, err, c.want)
		}
	}
}
