package nodeops

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
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
