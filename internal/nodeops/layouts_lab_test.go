package nodeops

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// The cluster reads the same under both of the lab's tool layouts: NT
// 4.0's and 2003's cluster.exe (its /priv title, the blank line after each
// option's output, a Network Name's empty CreatingDC, the typed T column).
func TestClusterReads_ToolLayouts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	type read struct {
		Nodes     []ClusterNode
		Groups    []ClusterGroup
		Resources []ClusterResource
		Priv      []map[string]Property
	}
	var got []read
	for _, layout := range []string{world.LayoutNT4, world.Layout2003} {
		l, err := lab.Start(ctx, lab.Options{Scenario: "healthy", TimeScale: labTimeScale, ToolLayout: layout})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(l.Close)
		n := labNode(t, l, "NODE1")
		var r read
		if r.Nodes, err = n.ClusterNodes(ctx); err != nil {
			t.Fatalf("%s: %v", layout, err)
		}
		if r.Groups, err = n.ClusterGroups(ctx); err != nil {
			t.Fatalf("%s: %v", layout, err)
		}
		if r.Resources, err = n.ClusterResources(ctx); err != nil {
			t.Fatalf("%s: %v", layout, err)
		}
		if r.Priv, err = n.resourceTables(ctx, []string{"WEBVS", "Web Server"}, "/priv", "read the private properties"); err != nil {
			t.Fatalf("%s: %v", layout, err)
		}
		if r.Priv[0]["Name"].Value != "WEBVS" || r.Priv[1]["ServiceName"].Value != "W3SVC" {
			t.Errorf("%s: private properties %+v", layout, r.Priv)
		}
		if layout == world.Layout2003 {
			if p, ok := r.Priv[0]["CreatingDC"]; !ok || p.Value != "" {
				t.Errorf("2003: CreatingDC %+v, %v; want it listed, empty", p, ok)
			}
			delete(r.Priv[0], "CreatingDC")
		}
		got = append(got, r)
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		t.Errorf("nt4 read  %+v\n2003 read %+v", got[0], got[1])
	}
}

// A node without the tool a read needs fails the read, naming the command,
// never reading "absent" or "nobody holds it": reg.exe and showpriv.exe
// deleted from the node (the lab then answers as cmd.exe does).
func TestReads_MissingTool(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l := startScenario(t, "metabase-fresh")
	n := labNode(t, l, "NODE2")
	for _, f := range []string{`C:\WINNT\system32\reg.exe`, `C:\WINNT\system32\showpriv.exe`} {
		if res, err := n.R.Run(ctx, "del "+f, false); err != nil || res.ExitCode != 0 {
			t.Fatalf("del %s: %+v, %v", f, res, err)
		}
	}
	_, found, err := n.regQuery(ctx, "read the service pack", `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`, "CSDVersion")
	if err == nil || !strings.Contains(err.Error(), "`reg query") {
		t.Errorf("reg query without reg.exe: found %v, %v; want an error naming the command", found, err)
	}
	if _, err := n.ReadHeld(ctx); err == nil || !strings.Contains(err.Error(), "`showpriv ") {
		t.Errorf("ReadHeld without showpriv.exe: %v; want an error naming showpriv", err)
	}
}

// A read whose output is in a layout nobody knows fails naming the command
// and quoting its first lines, even when the tool exited 0.
func TestReadHeld_UnknownLayout(t *testing.T) {
	f := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{
		"showpriv SeInteractiveLogonRight": {{Stdout: "0 account(s) with the SeInteractiveLogonRight user right:\r\n"}},
		"showpriv SeNetworkLogonRight":     {{Stdout: "0 account(s) with the SeNetworkLogonRight user right:\r\n"}},
		"dcomperm -da list":                {{Stdout: "Default access permission list:\r\n\r\n<Using Default Permissions>\r\n"}},
		"dcomperm -dl list":                {{Stdout: "Default launch permission list:\r\n\r\n<Using Default Permissions>\r\n"}},
		// Groups listed in a layout of its own, exit 0.
		"net localgroup": {{Stdout: "Local groups on NODE2:\r\n  Administrators, Guests, Users\r\n"}},
	}}
	for _, g := range append([]string{"Guests"}, ImpersonatorsGroups...) {
		q, _ := Quote(g)
		f.answers["net localgroup "+q] = []winrm.Result{{Stdout: nt4GuestsMembers}}
	}
	n := &Node{R: f}
	_, err := n.ReadHeld(context.Background())
	if err == nil || !strings.Contains(err.Error(), "`net localgroup`") || !strings.Contains(err.Error(), "Local groups on NODE2:") {
		t.Errorf("%v; want an error naming `net localgroup` and quoting its output", err)
	}
}
