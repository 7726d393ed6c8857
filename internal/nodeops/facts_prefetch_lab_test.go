package nodeops

import (
	"context"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/labtest"
)

// Prefetch reads both nodes of a lab at once, in a few command lines each,
// only reads; the plans' readers then find every answer there and send
// nothing; and after a change on one node, the same readers go to the
// nodes again and see it.
func TestPrefetch_answersThePlansReads(t *testing.T) {
	l := startLab(t)
	c := NewReadCache()
	cl := &Cluster{}
	for _, name := range []string{"NODE1", "NODE2"} {
		cl.Nodes = append(cl.Nodes, &Node{R: c.Guard(labtest.Of(l).Client(t, name)), Reads: c})
	}
	n1, n2 := cl.Nodes[0], cl.Nodes[1]
	// The SystemRoot the provider's identity check teaches the node.
	for _, n := range cl.Nodes {
		id, err := n.Identity(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n.UseIdentity(id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	logged := func() (lines map[string]int, commands int) {
		recs, err := l.Control().Commands("")
		if err != nil {
			t.Fatal(err)
		}
		runs := map[int]bool{}
		lines = map[string]int{}
		for _, r := range recs {
			if !runs[r.Run] {
				runs[r.Run] = true
				lines[r.Node]++
			}
		}
		return lines, len(recs)
	}
	before, _ := logged()
	cl.Prefetch(ctx)
	after, commands := logged()
	for _, node := range []string{"NODE1", "NODE2"} {
		// The first batch (two command lines: it is longer than one may
		// be), the dependent reads and the metabase's two levels.
		if got := after[node] - before[node]; got == 0 || got > 6 {
			t.Errorf("%s: %d command lines; want 1 to 6", node, got)
		}
	}
	if inc, err := l.Control().Incidents(); err != nil || len(inc) > 0 {
		t.Fatalf("incidents: %v %v", inc, err)
	}

	shared := SharedReads(ctx)
	plans := func() {
		for _, n := range cl.Nodes {
			if _, err := n.Info(shared); err != nil {
				t.Fatal(err)
			}
			if _, err := n.MSDTCState(shared); err != nil {
				t.Fatal(err)
			}
			if _, err := n.ClusterGroups(shared); err != nil {
				t.Fatal(err)
			}
			if _, err := n.ReadIISConfig(shared); err != nil {
				t.Fatal(err)
			}
			if _, err := n.MissingTools(shared, InstallTools); err != nil {
				t.Fatal(err)
			}
			if _, err := n.ReadHeld(shared); err != nil {
				t.Fatal(err)
			}
			if _, err := n.Journal(shared, optionPackPhase); err != nil {
				t.Fatal(err)
			}
		}
	}
	plans()
	if _, now := logged(); now != commands {
		t.Errorf("the plans' reads sent %d commands after the prefetch; want none", now-commands)
	}

	// A change on NODE2 (the FTP service set to manual): NODE1's answers go
	// too, and the readers see the change.
	if err := n2.SetStartType(ctx, "MSFTPSVC", StartManual); err != nil {
		t.Fatal(err)
	}
	if c.held() != 0 {
		t.Errorf("%d answers held after a change; want none", c.held())
	}
	_, commands = logged()
	info, err := n2.Info(shared)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range info.Services {
		if s.Name == "MSFTPSVC" && s.StartType != StartManual {
			t.Errorf("MSFTPSVC read %s after it was set to manual", s.StartType)
		}
	}
	if _, err := n1.ClusterGroups(shared); err != nil {
		t.Fatal(err)
	}
	if _, now := logged(); now == commands {
		t.Error("the reads after the change sent nothing")
	}
}
