package world

import (
	"strings"
	"testing"
)

const mtsLocal = `"HKLM\SOFTWARE\Microsoft\Transaction Server\LocalComputer"`

// syncMetabase is the KB's "Configuring IIS after Installation", first two
// items: MTS replication configured on both nodes, IISSYNC on the source.
func syncMetabase(t *testing.T, w *World, source, target string) {
	t.Helper()
	for _, n := range [][2]string{{source, target}, {target, source}} {
		expect(t, run(t, w, n[0], `reg add `+mtsLocal+` /v ReplicationShare /t REG_SZ /d C$ /f`), "The operation completed successfully.\r\n", 0)
		expect(t, run(t, w, n[0], `reg add `+mtsLocal+` /v RemoteServerName /t REG_SZ /d `+n[1]+` /f`), "The operation completed successfully.\r\n", 0)
	}
	expect(t, run(t, w, source, `cd /d %windir%\system32\inetsrv && iissync `+target), "Replicating to target "+target+"...\r\nStatus: 0\r\n", 0)
}

func metabaseOf(w *World, node string) MetabaseSnapshot {
	return w.State().Node(node).Metabase
}

// A rebuilt node: its fresh metabase lacks the cluster's sites and packages;
// IISSYNC from the working node copies both, and the Web Group's IIS
// instances then come online there.
func TestIISSyncFromTheWorkingNode(t *testing.T) {
	w2, _ := newTestWorld(t, "rebuilt-node")
	if m := metabaseOf(w2, "NODE2"); len(m.Instances) != 0 {
		t.Fatalf("rebuilt NODE2 before the install has a metabase: %+v", m)
	}
	// IISSYNC to a node without IIS: 1722, nothing copied, a rule 2 incident.
	expect(t, run(t, w2, "NODE1", `reg add `+mtsLocal+` /v ReplicationShare /t REG_SZ /d C$ /f`), "The operation completed successfully.\r\n", 0)
	if r := run(t, w2, "NODE1", `C:\WINNT\System32\inetsrv\iissync NODE2`); r.code != 1722 || !strings.Contains(r.out, "Status: 1722") {
		t.Errorf("to a node without IIS: %+v", r)
	}
	if inc := w2.Incidents(); len(inc) != 1 || inc[0].Rule != 2 || !strings.Contains(inc[0].What, "has no IIS") {
		t.Errorf("incidents %+v", inc)
	}
	if m := metabaseOf(w2, "NODE1"); len(m.Instances) != 2 || m.Instances[1].Path != "W3SVC/1" || m.Instances[1].Root != `S:\InetPub\wwwroot` ||
		m.Instances[1].AnonymousUserName != `LAB\IUSR_CLUSTER` || m.Packages[webAppsPackage] != "Web Applications" {
		t.Fatalf("NODE1's metabase: %+v", m)
	}
}

// IISSYNC's refusals and failures, each with its Q224801 status code, and
// the incidents of safety rule 2 with their damage.
func TestIISSyncStatusCodesAndIncidents(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	const iissync = `C:\WINNT\System32\inetsrv\iissync `
	// Without MTS replication configured: 2147500037, and NODE2's
	// application packages are deleted (Q235698).
	r := run(t, w, "NODE1", iissync+"NODE2")
	if r.code != -2147467259 || !strings.Contains(r.out, "Status: 2147500037") {
		t.Errorf("unconfigured: %+v", r)
	}
	if p := metabaseOf(w, "NODE2").Packages; p[webAppsPackage] != "" || len(p) != len(systemPackages) {
		t.Errorf("NODE2's packages after an unconfigured sync: %v", p)
	}
	if got := incidentRules(w); len(got) != 1 || got[0] != 2 {
		t.Errorf("incidents: %+v", w.Incidents())
	}
	expect(t, run(t, w, "NODE1", `reg add `+mtsLocal+` /v ReplicationShare /t REG_SZ /d NOSHARE /f`), "The operation completed successfully.\r\n", 0)
	if r := run(t, w, "NODE1", iissync+"NODE2"); !strings.Contains(r.out, "Status: 2148598794") {
		t.Errorf("bad share: %+v", r)
	}
	if r := run(t, w, "NODE1", `reg add `+mtsLocal+` /v ReplicationShare /t REG_SZ /d C$`); r.code != 1 || !strings.Contains(r.err, "canceled") {
		t.Errorf("reg add over a value without /f: %+v", r)
	}
	expect(t, run(t, w, "NODE1", `reg add `+mtsLocal+` /v ReplicationShare /t REG_SZ /d C$ /f`), "The operation completed successfully.\r\n", 0)
	if r := run(t, w, "NODE1", iissync+"NODE9"); !strings.Contains(r.out, "Status: 1722") || r.code != 1722 {
		t.Errorf("unknown target: %+v", r)
	}
	if err := w.AddFault(Fault{Node: "NODE2", Kind: "metabase_in_use"}); err != nil {
		t.Fatal(err)
	}
	if r := run(t, w, "NODE1", iissync+"NODE2"); !strings.Contains(r.out, "Status: 3") || r.code != 3 {
		t.Errorf("metabase in use: %+v", r)
	}
	w.ClearFaults()
	if err := w.AddFault(Fault{Node: "NODE1", Kind: "bad_replication_share"}); err != nil {
		t.Fatal(err)
	}
	if r := run(t, w, "NODE1", iissync+"NODE2"); !strings.Contains(r.out, "Status: 2148598794") {
		t.Errorf("bad share fault: %+v", r)
	}
	w.ClearFaults()
	expect(t, run(t, w, "NODE1", iissync+"NODE2"), "Replicating to target NODE2...\r\nStatus: 0\r\n", 0)
	if p := metabaseOf(w, "NODE2").Packages; p[webAppsPackage] != "Web Applications" {
		t.Errorf("NODE2's packages after the sync: %v", p)
	}
	if r := run(t, w, "NODE1", iissync); r.code != 1 || !strings.Contains(r.err, "Usage: iissync") {
		t.Errorf("no target: %+v", r)
	}
	// To itself: an incident, nothing copied.
	run(t, w, "NODE1", iissync+"NODE1")
	if got := incidentRules(w); len(got) != 2 {
		t.Errorf("incidents after a sync to itself: %+v", w.Incidents())
	}
}

// The wrong way round: IISSYNC on the rebuilt node towards the working node
// replaces the working node's metabase; its IIS instances fail.
func TestIISSyncTheWrongWayRound(t *testing.T) {
	w, _ := newTestWorld(t, "rebuilt-node")
	w.lock()
	n2 := w.node("NODE2")
	n2.optionPack = OptionPackSpec{Installed: true, Method: "custom", Components: componentSet(node1Components)}
	n2.mb = defaultMetabase("NODE2")
	w.installIISFiles(n2)
	w.unlock()
	expect(t, run(t, w, "NODE2", `reg add `+mtsLocal+` /v ReplicationShare /t REG_SZ /d C$ /f`), "The operation completed successfully.\r\n", 0)
	run(t, w, "NODE2", `%windir%\system32\inetsrv\iissync NODE1`)
	inc := w.Incidents()
	if len(inc) != 1 || inc[0].Rule != 2 || !strings.Contains(inc[0].What, "towards NODE1") || !strings.Contains(inc[0].Damage, "NODE1's metabase replaced") {
		t.Fatalf("incidents %+v", inc)
	}
	if canRunOn(w, "Web Server", "NODE1") {
		t.Error("Web Server still runs on NODE1 with NODE2's metabase")
	}
	if st, _ := dtcResourceState(w); st == "" {
		t.Error("no MSDTC resource")
	}
}

// adsutil.vbs through cscript: ENUM, ENUM_ALL, GET and SET in its format,
// and what it answers for a path or property that is not there.
func TestAdsutil(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	const ads = `cscript //nologo C:\WINNT\System32\inetsrv\adminsamples\adsutil.vbs `
	expect(t, run(t, w, "NODE1", ads+"get w3svc/1/ServerComment"), "ServerComment                   : (STRING) \"Web Server\"\r\n", 0)
	expect(t, run(t, w, "NODE1", ads+"enum w3svc/1"), "ServerComment                   : (STRING) \"Web Server\"\r\n"+
		"ServerBindings                  : (LIST) (1 Items)\r\n  \"10.0.0.20:80:\"\r\n[/w3svc/1/root]\r\n\r\n", 0)
	// IIS 4.0's script (the nt4 layout) has no ENUM_ALL.
	expect(t, run(t, w, "NODE1", ads+"enum_all w3svc"), "ENUM_ALL Command not yet supported\r\n", 0)
	w.layout2003 = true
	r := run(t, w, "NODE1", ads+"enum_all w3svc")
	w.layout2003 = false
	for _, want := range []string{"AnonymousUserName               : (STRING) \"LAB\\IUSR_CLUSTER\"", "[/w3svc/1]", "[/w3svc/1/root]",
		"Path                            : (STRING) \"S:\\InetPub\\wwwroot\""} {
		if !strings.Contains(r.out, want) {
			t.Errorf("enum_all lacks %q:\n%s", want, r.out)
		}
	}
	if r := run(t, w, "NODE1", ads+"get w3svc/1/AnonymousUserName"); r.code != adsNotSet || !strings.Contains(r.out, `The parameter "AnonymousUserName" is not set at this node.`) {
		t.Errorf("a property not set: %+v", r)
	}
	if r := run(t, w, "NODE1", ads+"enum w3svc/9"); r.code != 1 || !strings.Contains(r.out, "The path requested could not be found.") {
		t.Errorf("a missing path: %+v", r)
	}
	// Setting the root off the shared disk fails the instance.
	expect(t, run(t, w, "NODE1", ads+`set w3svc/1/root/Path C:\elsewhere`), "Path                            : (STRING) \"C:\\elsewhere\"\r\n", 0)
	if canRunOn(w, "Web Server", "NODE1") {
		t.Error("Web Server runs with its root off the shared disk")
	}
	if r := run(t, w, "NODE1", "cscript C:\\nope.vbs"); r.code != 1 || !strings.HasPrefix(r.out, "Microsoft (R) Windows Scripting Host") ||
		!strings.Contains(r.err, `Can not find script file "C:\nope.vbs"`) {
		t.Errorf("a missing script: %+v", r)
	}
}
