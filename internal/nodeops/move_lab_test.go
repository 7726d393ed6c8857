package nodeops

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
)

// A move judged by the group's resources on the target, never by
// cluster.exe's exit code (0 in each case here) or the group's line: the
// IIS resources cannot come online on NODE2 (its IIS corrupt). With
// RestartAction 0 the group stays on NODE2, its Web Server failed (2003
// prints Failed: the error names it at once; NT 4.0 prints Offline: the
// wait runs out naming it); with RestartAction 2 it fails back to NODE1.
func TestMoveGroup_JudgedByResources(t *testing.T) {
	t.Parallel() // its own lab or fakes; it mostly waits (polls, emulated reboots and moves)
	for _, layout := range []string{world.LayoutNT4, world.Layout2003} {
		for _, restart := range []string{"0", "2"} {
			t.Run(layout+"/RestartAction="+restart, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				l, err := lab.Start(ctx, lab.Options{Scenario: "healthy", TimeScale: labTimeScale, ToolLayout: layout})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(l.Close)
				c := labCluster(t, l)
				for _, r := range []string{"Web Server", "FTP Server", "MSDTC"} {
					if err := c.Nodes[0].ResourceSetProp(ctx, r, "RestartAction", restart); err != nil {
						t.Fatal(err)
					}
				}
				if err := l.World().CorruptIIS("NODE2"); err != nil {
					t.Fatal(err)
				}
				err = c.moveOnline(ctx, "Web Group", "NODE2", time.Second, waitOwned, "")
				if err == nil {
					t.Fatal("a move whose resources did not come online reads as done")
				}
				msg := err.Error()
				switch {
				case !strings.Contains(msg, "Web Server"):
					t.Errorf("the error does not name the resource: %v", err)
				case restart == "0" && layout == world.Layout2003 && !strings.Contains(msg, "resource Web Server of group Web Group failed on NODE2"):
					t.Errorf("2003, failed on NODE2: %v", err)
				case restart == "0" && layout == world.LayoutNT4 && !strings.Contains(msg, "Web Server Offline on NODE2"):
					t.Errorf("NT 4.0, failed (printed Offline) on NODE2: %v", err)
				case restart == "2" && !strings.Contains(msg, "group Web Group is on NODE1, not NODE2") || restart == "2" && strings.Contains(msg, "Server Online on NODE2"):
					t.Errorf("failed back to NODE1: %v", err)
				}
				for _, cmd := range l.World().Commands("") {
					if strings.EqualFold(cmd.Program, "cluster") && strings.Contains(cmd.Args, "/move") && cmd.ExitCode != 0 {
						t.Errorf("the move itself exited %d: the test wants cluster.exe's 0", cmd.ExitCode)
					}
				}
			})
		}
	}
}

// A move that works: each resource Online on the target, read twice.
func TestMoveGroup_Online(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l := startScenario(t, "healthy")
	c := labCluster(t, l)
	if err := c.MoveGroup(ctx, "Web Group", "NODE2"); err != nil {
		t.Fatal(err)
	}
	rs, err := c.Nodes[0].clusterResourceStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Group == "Web Group" && (r.OwnerNode != "NODE2" || r.State != "Online") {
			t.Errorf("%+v", r)
		}
	}
}
