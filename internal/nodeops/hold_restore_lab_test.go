package nodeops

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/labtest"
)

const failoverRecord = `C:\WINNT\mscs-failover.hold`

// An earlier run's record that lacks a resource added since (MSDTC, at 2):
// the next run restores the record first, then records afresh, so MSDTC
// ends at 2, not at the 1 the test sets, and the record is gone.
func TestFailoverTest_RecordIsRestoredBeforeAFreshOne(t *testing.T) {
	l := startScenario(t, "healthy")
	c := labCluster(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	spec := FailoverSpec{Node: "NODE2", MoveTimeout: 10 * time.Second}
	if _, err := c.FailoverTest(ctx, spec, cutAt(t, l, "move group Web Group to NODE2")); err == nil {
		t.Fatal("the cut run succeeded")
	}
	if err := l.Control().ClearFaults(); err != nil {
		t.Fatal(err)
	}
	// The earlier run knew Web Server and FTP Server only; MSDTC came since.
	old := Hold{Phase: "failover", Groups: []HeldGroup{{Name: "Web Group", Owner: "NODE1", Online: true}},
		Restart: map[string]int{"Web Server": 2, "FTP Server": 2}}
	if err := c.Nodes[0].writeFile(ctx, "test record", `C:\WINNT`, failoverRecord, old.lines()); err != nil {
		t.Fatal(err)
	}
	if err := c.Nodes[0].ResourceSetProp(ctx, "MSDTC", "RestartAction", "2"); err != nil {
		t.Fatal(err)
	}
	f, err := c.ReadFailoverFacts(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	planned := PlanFailover(f, spec, nil)
	if !strings.HasPrefix(planned[0], "NODE1: restore from the record an earlier run left in "+failoverRecord) {
		t.Errorf("the plan must restore the record first: %q", planned[0])
	}
	res, err := c.FailoverTest(ctx, spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	// What it acted on plans as the plan did, the restore first: a caller
	// whose plan could not list the steps lists these.
	if acted := PlanFailover(res.Facts, spec, nil); !reflect.DeepEqual(acted, planned) {
		t.Errorf("the steps of what the test acted on\n%q\nthe plan before it\n%q", acted, planned)
	}
	checkRestored(t, ctx, l, c.Nodes[0], map[string]int{"MSDTC": 2, "Web Server": 2, "FTP Server": 2}, failoverRecord, nil)
}

// A record left by a killed run, then NODE2 unable to host (its IIS
// corrupt): the next run still restores the record (on NODE1 alone) and
// says so when it refuses the test.
func TestFailoverTest_RecordIsRestoredWhenTheHostCheckFails(t *testing.T) {
	l := startScenario(t, "healthy")
	c := labCluster(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	spec := FailoverSpec{Node: "NODE2", MoveTimeout: 10 * time.Second}
	if _, err := c.FailoverTest(ctx, spec, cutAt(t, l, "move group Web Group to NODE2")); err == nil {
		t.Fatal("the cut run succeeded")
	}
	if err := l.Control().ClearFaults(); err != nil {
		t.Fatal(err)
	}
	if err := l.Control().CorruptIIS("NODE2"); err != nil {
		t.Fatal(err)
	}
	f, err := c.ReadFailoverFacts(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckFailoverHosts(ctx, spec, f); err == nil {
		t.Fatal("scenario: NODE2 passes the host checks")
	}
	_, err = c.FailoverTest(ctx, spec, nil)
	if err == nil || !strings.Contains(err.Error(), "the record an earlier run left in "+failoverRecord+" on NODE1 was restored and read back") ||
		!strings.Contains(err.Error(), "nothing else was changed") {
		t.Fatalf("the refusal must say the record was restored: %v", err)
	}
	checkRestored(t, ctx, l, c.Nodes[0], map[string]int{"MSDTC": 2, "Web Server": 2, "FTP Server": 2}, failoverRecord,
		map[string]string{"Web Group": "NODE1"})
}

// A test that fails with NODE2 as the final owner: the groups go back to
// where they were recorded (NODE1), not to NODE2.
func TestFailoverTest_FailureRestoresTheRecordedOwners(t *testing.T) {
	l := startScenario(t, "healthy")
	c := labCluster(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	spec := FailoverSpec{Node: "NODE2", MoveTimeout: 10 * time.Second, FinalOwner: map[string]string{"Web Group": "NODE2"},
		Check: func(context.Context) error { return errors.New("GET http://web/ answers 500") }}
	if _, err := c.FailoverTest(ctx, spec, nil); err == nil || !strings.Contains(err.Error(), "answers 500") {
		t.Fatalf("the failed check must fail the test: %v", err)
	}
	if g, err := c.Nodes[0].groupOf(ctx, "Web Group"); err != nil || g.OwnerNode != "NODE1" || g.State != "Online" {
		t.Errorf("Web Group after the failure: %+v, %v (want Online on NODE1, where it was)", g, err)
	}
	if after := restartActions(t, ctx, c.Nodes[0]); !reflect.DeepEqual(after, map[string]int{"MSDTC": 2, "Web Server": 2, "FTP Server": 2}) {
		t.Errorf("RestartAction after: %v", after)
	}
}

// A group recorded offline: the restore gives it back to its owner and
// waits for that alone, not for Online.
func TestFailoverTest_OfflineGroupIsRestoredToItsOwner(t *testing.T) {
	l := startScenario(t, "healthy")
	c := labCluster(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := c.Nodes[0]
	if _, err := n.run(ctx, "take Web Group offline", `cluster group "Web Group" /offline`, false, win32); err != nil {
		t.Fatal(err)
	}
	if err := n.GroupMove(ctx, "Web Group", "NODE2"); err != nil {
		t.Fatal(err)
	}
	if g, err := n.groupOf(ctx, "Web Group"); err != nil || g.OwnerNode != "NODE2" || g.State == "Online" {
		t.Fatalf("scenario: %+v, %v", g, err)
	}
	rec := Hold{Phase: "failover", Groups: []HeldGroup{{Name: "Web Group", Owner: "NODE1"}},
		Restart: map[string]int{"Web Server": 2, "FTP Server": 2, "MSDTC": 2}}
	if err := n.writeFile(ctx, "test record", `C:\WINNT`, failoverRecord, rec.lines()); err != nil {
		t.Fatal(err)
	}
	spec := FailoverSpec{Node: "NODE2", MoveTimeout: 10 * time.Second}
	if _, err := c.restoreEarlierFailover(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if g, err := n.groupOf(ctx, "Web Group"); err != nil || g.OwnerNode != "NODE1" || g.State == "Online" {
		t.Errorf("Web Group after the restore: %+v, %v (want offline on NODE1)", g, err)
	}
	if recordExists(t, ctx, n, failoverRecord) {
		t.Error("the record is left behind")
	}
}

// A setting that does not fit the cluster (a group that does not exist)
// with an earlier run's record on the working node: the test refuses it
// with nothing changed, as the plan does, and leaves the record for the
// run whose settings fit.
func TestFailoverTest_MisfitRefusedBeforeTheRestore(t *testing.T) {
	l := startScenario(t, "healthy")
	c := labCluster(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	old := Hold{Phase: "failover", Groups: []HeldGroup{{Name: "Web Group", Owner: "NODE1", Online: true}},
		Restart: map[string]int{"Web Server": 2}}
	if err := c.Nodes[0].writeFile(ctx, "test record", `C:\WINNT`, failoverRecord, old.lines()); err != nil {
		t.Fatal(err)
	}
	if err := c.Nodes[0].ResourceSetProp(ctx, "Web Server", "RestartAction", "1"); err != nil {
		t.Fatal(err)
	}
	from := len(l.World().Commands(""))
	var se *SpecError
	spec := FailoverSpec{Node: "NODE2", Groups: []string{"No Such Group"}, MoveTimeout: 10 * time.Second}
	if _, err := c.FailoverTest(ctx, spec, nil); !errors.As(err, &se) || se.Attr != "groups" {
		t.Fatalf("got %v, want a *SpecError on groups", err)
	}
	for _, cmd := range l.World().Commands("")[from:] {
		if !labtest.IsReadOnly(cmd) {
			t.Errorf("the refused test changed %s: %s %s", cmd.Node, cmd.Program, cmd.Args)
		}
	}
	if !recordExists(t, ctx, c.Nodes[0], failoverRecord) {
		t.Error("the record is gone")
	}
}
