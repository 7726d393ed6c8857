package nodeops

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The failover test on a recovered cluster: the Web Group moves to NODE2
// and back to its preferred owner, the check runs while it is on NODE2, and
// RestartAction ends at 2; a failing check leaves the group on NODE1 with
// RestartAction restored.
func TestFailoverTest(t *testing.T) {
	l := startScenario(t, "healthy")
	c := labCluster(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var ownerDuringCheck string
	spec := FailoverSpec{Node: "NODE2", RestoreAffect: true, MoveTimeout: 10 * time.Second, Check: func(ctx context.Context) error {
		g, err := c.Nodes[0].groupOf(ctx, "Web Group")
		ownerDuringCheck = g.OwnerNode
		return err
	}}
	f, err := c.ReadFailoverFacts(ctx, spec)
	if err != nil || len(f.Groups) != 1 || f.Groups[0].Name != "Web Group" || f.Groups[0].Final != "NODE1" {
		t.Fatalf("facts %+v, %v", f, err)
	}
	res, err := c.FailoverTest(ctx, spec, nil)
	if err != nil || ownerDuringCheck != "NODE2" || !reflect.DeepEqual(res.SeenOnline["Web Group"], []string{"NODE1", "NODE2"}) {
		t.Fatalf("%+v, %v (owner during the check %s)", res, err, ownerDuringCheck)
	}
	if ra := restartActions(t, ctx, c.Nodes[0]); ra["MSDTC"] != 2 || ra["Web Server"] != 2 {
		t.Errorf("RestartAction after: %v", ra)
	}
	spec.Check = func(context.Context) error { return errors.New("http://site/: 500, want 200") }
	_, err = c.FailoverTest(ctx, spec, nil)
	if err == nil || !strings.Contains(err.Error(), "500, want 200") {
		t.Fatalf("failing check: %v", err)
	}
	if g, _ := c.Nodes[0].groupOf(ctx, "Web Group"); g.OwnerNode != "NODE1" || g.State != "Online" {
		t.Errorf("after a failed check the group is %s on %s", g.State, g.OwnerNode)
	}
	if ra := restartActions(t, ctx, c.Nodes[0]); ra["MSDTC"] != 2 {
		t.Errorf("RestartAction after a failure: %v", ra)
	}
	var se *SpecError
	if _, err := c.ReadFailoverFacts(ctx, FailoverSpec{Node: "NODE2", Groups: []string{"No Group"}}); !errors.As(err, &se) || se.Attr != "groups" {
		t.Errorf("unknown group: %v", err)
	}
	if inc := l.World().Incidents(); len(inc) != 0 {
		t.Errorf("incidents: %+v", inc)
	}
}
