package nodeops

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// The failover test's own check before its first change, at apply: a
// rebuilt node without the Option Pack (the rebuilt-node scenario) or with
// its IIS corrupted (healthy, then corrupted out of band) fails FailoverTest
// with a *StepError naming the node and what it lacks, and nothing moves:
// no group move, no RestartAction set, the group still online on NODE1.
func TestFailoverTest_refusesNodeThatCannotHost(t *testing.T) {
	for _, c := range []struct {
		scenario string
		corrupt  bool
		lacks    string
	}{
		{"rebuilt-node", false, "NODE2 has no Option Pack, as NODE1 has it (custom: "},
		{"healthy", true, "on NODE2 W3SVC stopped with exit code 1067"},
	} {
		t.Run(c.scenario, func(t *testing.T) {
			t.Parallel()
			l := startScenario(t, c.scenario)
			if c.corrupt {
				if err := l.World().CorruptIIS("NODE2"); err != nil {
					t.Fatal(err)
				}
			}
			cl := labCluster(t, l)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			before := restartActions(t, ctx, cl.Nodes[0])
			from := len(l.World().Commands(""))
			checked := false
			_, err := cl.FailoverTest(ctx, FailoverSpec{Node: "NODE2", RestoreAffect: true, MoveTimeout: 10 * time.Second,
				Check: func(context.Context) error { checked = true; return nil }}, nil)
			var se *StepError
			if !errors.As(err, &se) || se.Node != "NODE2" || se.Step != "check that NODE2 can run the groups" ||
				!strings.Contains(se.Meaning, c.lacks) || !strings.HasSuffix(se.Meaning, "nothing was moved") {
				t.Fatalf("FailoverTest: %v", err)
			}
			if checked {
				t.Error("the web check ran")
			}
			for _, cmd := range l.World().Commands("")[from:] {
				args := strings.ToLower(cmd.Args)
				if cmd.Program == "cluster" && (strings.Contains(args, "/move") || strings.Contains(args, "restartaction=")) {
					t.Errorf("a refused test changed the cluster: %s %s", cmd.Program, cmd.Args)
				}
			}
			if got := restartActions(t, ctx, cl.Nodes[0]); !equalInts(got, before) {
				t.Errorf("RestartAction after: %v, before %v", got, before)
			}
			if g, err := cl.Nodes[0].groupOf(ctx, "Web Group"); err != nil || g.OwnerNode != "NODE1" || g.State != "Online" {
				t.Errorf("the Web Group is %s on %s (%v)", g.State, g.OwnerNode, err)
			}
		})
	}
}

func equalInts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// hostLacks compares the rebuilt node's installation with the template's:
// none, other components, another service pack; a template without the
// Option Pack asks nothing.
func TestHostLacks(t *testing.T) {
	op := func(c ...string) OptionPack {
		return OptionPack{Installed: len(c) > 0, Method: methodOf(c), Components: c}
	}
	working := NodeInfo{ServicePack: "6a", OptionPack: op("iis_common", "iis_www", "mts_core")}
	for _, c := range []struct {
		name string
		have NodeInfo
		want []string
	}{
		{"same", NodeInfo{ServicePack: "6a", OptionPack: op("iis_common", "iis_www", "mts_core")}, nil},
		{"none", NodeInfo{ServicePack: "6a"}, []string{"NODE2 has no Option Pack, as NODE1 has it (custom: iis_common, iis_www, mts_core)"}},
		{"components", NodeInfo{ServicePack: "6a", OptionPack: op("iis_common", "iis_ftp", "mts_core")},
			[]string{"NODE2's Option Pack components differ from NODE1's"}},
		{"service pack", NodeInfo{ServicePack: "4", OptionPack: op("iis_common", "iis_www", "mts_core")},
			[]string{`NODE2 runs service pack "4", NODE1 "6a"`}},
	} {
		got := hostLacks("NODE2", c.have, "NODE1", working)
		if len(got) != len(c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
			continue
		}
		for i := range got {
			if !strings.HasPrefix(got[i], c.want[i]) {
				t.Errorf("%s: %q, want it to start with %q", c.name, got[i], c.want[i])
			}
		}
	}
	if got := hostLacks("NODE2", NodeInfo{}, "NODE1", NodeInfo{ServicePack: "6a"}); got != nil {
		t.Errorf("a template without the Option Pack: %q", got)
	}
}
