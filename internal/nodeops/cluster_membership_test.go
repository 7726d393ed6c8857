package nodeops

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

const twoNodeStatus = "Listing status for all available nodes:\r\n\r\n" +
	"Node           Node ID Status\r\n" +
	"-------------- ------- ---------------------\r\n" +
	"NODE1                1 Up\r\n" +
	"NODE2                2 %s\r\n"

// cluster.exe on a node whose cluster service is stopped.
var rpcUnavailable = winrm.Result{Stderr: "System error 1722 has occurred (0x000006ba).\r\nThe RPC server is unavailable.\r\n", ExitCode: 1722}

func statusWith(node2 string) winrm.Result {
	return winrm.Result{Stdout: strings.Replace(twoNodeStatus, "%s", node2, 1)}
}

func TestClusterNodeState_AsksUntilANodeAnswers(t *testing.T) {
	self := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{"cluster node /status": {rpcUnavailable}}}
	other := &fakeRunner{node: "NODE1", answers: map[string][]winrm.Result{"cluster node /status": {statusWith("Joining")}}}
	got, err := (&Cluster{Nodes: []*Node{{R: self}, {R: other}}}).NodeState(context.Background(), "node2", AskNodeFirst)
	if err != nil || got != "Joining" {
		t.Fatalf("got %q, %v; want Joining through NODE1", got, err)
	}
	if len(self.lines) != 1 || len(other.lines) != 1 || !other.readOnly[0] {
		t.Errorf("asked NODE2 %v, NODE1 %v", self.lines, other.lines)
	}
}

func TestClusterNodeState_NobodyAnswers(t *testing.T) {
	down := func() *Node {
		return &Node{R: &fakeRunner{node: "NODE1", answers: map[string][]winrm.Result{"cluster node /status": {rpcUnavailable}}}}
	}
	// The node's own cluster service is known to be stopped: it is Down.
	if got, err := (&Cluster{Nodes: []*Node{down()}}).NodeState(context.Background(), "NODE2", AskOthersOnly); err != nil || got != "Down" {
		t.Errorf("self stopped: %q, %v; want Down", got, err)
	}
	// It may be running: not knowing is an error that says why.
	if _, err := (&Cluster{Nodes: []*Node{down()}}).NodeState(context.Background(), "NODE2", AskNodeFirst); err == nil || !strings.Contains(err.Error(), "1722") {
		t.Errorf("self may run: %v; want the cluster.exe failure", err)
	}
}

func TestClusterNodeState_NotAMember(t *testing.T) {
	r := &fakeRunner{node: "NODE1", answers: map[string][]winrm.Result{"cluster node /status": {statusWith("Up")}}}
	if _, err := (&Cluster{Nodes: []*Node{{R: r}}}).NodeState(context.Background(), "NODE9", AskNodeFirst); err == nil || !strings.Contains(err.Error(), "not a member") {
		t.Errorf("got %v; want not a member", err)
	}
}

func TestWaitForJoin(t *testing.T) {
	r := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{
		"cluster node /status": {rpcUnavailable, statusWith("Joining"), statusWith("Up")},
	}}
	got, err := (&Cluster{Nodes: []*Node{{R: r}}, Poll: time.Millisecond}).WaitForJoin(context.Background(), "NODE2")
	if err != nil || got != "Up" || len(r.lines) != 3 {
		t.Fatalf("got %q, %v after %d polls; want Up after 3", got, err, len(r.lines))
	}

	stuck := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{"cluster node /status": {statusWith("Joining")}}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = (&Cluster{Nodes: []*Node{{R: stuck}}, Poll: time.Millisecond}).WaitForJoin(ctx, "NODE2")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "NODE2 did not join the cluster (last seen: the cluster lists it as Joining)") {
		t.Errorf("got %v; want the deadline and the state last seen", err)
	}
}

func TestStopImpact(t *testing.T) {
	groups := []ClusterGroup{{Name: "Cluster Group", OwnerNode: "NODE1"}, {Name: "Web Group", OwnerNode: "node1"}, {Name: "Other", OwnerNode: "NODE2"}}
	up := []ClusterNode{{Name: "NODE1", State: "Up"}, {Name: "NODE2", State: "Up"}, {Name: "NODE3", State: "Paused"}}
	down := []ClusterNode{{Name: "NODE1", State: "Up"}, {Name: "NODE2", State: "Down"}}
	if got := stopImpact("node1", up, groups); !reflect.DeepEqual(got, StopImpact{Owned: []string{"Cluster Group", "Web Group"}, OthersUp: []string{"NODE2"}}) {
		t.Errorf("two nodes Up: %+v", got)
	}
	if got := stopImpact("NODE1", down, groups); len(got.OthersUp) != 0 || len(got.Owned) != 2 {
		t.Errorf("only node Up: %+v", got)
	}
}

// TestClusterAgainstLab: the cluster-level operations the later phases
// build on, over real WS-Management: a read through whichever node is Up,
// a move that waits until the group is Online on the target, and
// "Affect the group" held off while it moves and restored from rule 6's
// record (hold.go).
func TestClusterAgainstLab(t *testing.T) {
	l := startLab(t)
	c := &Cluster{Nodes: []*Node{labNode(t, l, "NODE1"), labNode(t, l, "NODE2")}, Poll: 10 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	v, err := c.Read(ctx, "")
	if err != nil || v.Via != "NODE1" || len(v.Groups) != 2 || len(v.Resources) != 9 {
		t.Fatalf("Read: via %q, %d groups, %d resources, %v", v.Via, len(v.Groups), len(v.Resources), err)
	}
	instances := []string{"MSDTC"}
	for _, r := range v.Resources {
		if r.Type == "IIS Server Instance" {
			instances = append(instances, r.Name)
		}
	}
	restartActions := func() map[string]int {
		got := map[string]int{}
		for _, r := range instances {
			props, err := c.Nodes[0].ResourceProps(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			got[r], _ = props["RestartAction"].Int()
		}
		return got
	}
	before := restartActions()
	if err := c.Nodes[0].ResourceSetProp(ctx, "MSDTC", "RestartAction", "1"); err != nil {
		t.Fatal(err) // one resource already off: it is restored to 1, not 2
	}
	before["MSDTC"] = 1

	// Rule 6's record: kept on NODE2 (as a working node would), "Affect
	// the group" off while the group moves, and a restore whose move fails
	// keeps the record and says what is left.
	h, err := newHolder(ctx, "test", "the test", c.Nodes[1], c.Nodes[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := h.keep(ctx, Hold{Phase: "test", Groups: []HeldGroup{{Name: "Web Group", Owner: "NODE1", Online: true}}, Restart: before}); err != nil {
		t.Fatal(err)
	}
	if err := h.off(ctx, instances); err != nil {
		t.Fatal(err)
	}
	for r, v := range restartActions() {
		if v != RestartNoFailover {
			t.Errorf("while held: %s RestartAction %d", r, v)
		}
	}
	if err := c.MoveGroup(ctx, "Web Group", "NODE2"); err != nil {
		t.Fatal(err)
	}
	if g, err := c.Nodes[0].groupOf(ctx, "Web Group"); err != nil || g.OwnerNode != "NODE2" || g.State != "Online" {
		t.Errorf("after MoveGroup: %+v, %v", g, err)
	}
	err = h.restore(ctx, restoreSpec{move: func(ctx context.Context, g, _ string) error { return c.MoveGroup(ctx, g, "NODE9") }})
	var left *LeftError
	if !errors.As(err, &left) || !strings.Contains(err.Error(), "NODE9 is not a configured node") ||
		!strings.Contains(err.Error(), "group Web Group is Online on NODE2 (to be Online on NODE1)") ||
		!strings.Contains(err.Error(), `C:\WINNT\mscs-test.hold on NODE2, and the next apply restores them from it`) {
		t.Errorf("a restore whose move fails: %v", err)
	}
	if found, err := c.Nodes[1].FileExists(ctx, `C:\WINNT\mscs-test.hold`); err != nil || !found {
		t.Errorf("the record must stay until a restore is read back: %v %v", found, err)
	}
	// The next run restores from the record, not from what it finds.
	h2, err := newHolder(ctx, "test", "the test", c.Nodes[1], c.Nodes[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := h2.keep(ctx, Hold{Phase: "test", Restart: restartActions()}); err != nil || !reflect.DeepEqual(h2.rec.Restart, before) {
		t.Fatalf("the next run's record: %+v, %v; want the first's %v", h2.rec, err, before)
	}
	if err := h2.restore(ctx, restoreSpec{move: c.MoveGroup}); err != nil {
		t.Fatal(err)
	}
	if found, err := c.Nodes[1].FileExists(ctx, `C:\WINNT\mscs-test.hold`); err != nil || found {
		t.Errorf("the record is left behind: %v %v", found, err)
	}
	if g, err := c.Nodes[0].groupOf(ctx, "Web Group"); err != nil || g.OwnerNode != "NODE1" {
		t.Errorf("after the restore: %+v, %v", g, err)
	}
	if got := restartActions(); !reflect.DeepEqual(got, before) {
		t.Errorf("after the restore: %v; want each restored to %v", got, before)
	}
	if inc := l.World().Incidents(); len(inc) != 0 {
		t.Errorf("incidents: %+v", inc)
	}
}

func TestClusterOrder(t *testing.T) {
	c := &Cluster{Nodes: []*Node{{R: &fakeRunner{node: "NODE1"}}, {R: &fakeRunner{node: "NODE2"}}, {R: &fakeRunner{node: "NODE3"}}}}
	names := func(ns []*Node) string {
		var s []string
		for _, n := range ns {
			s = append(s, n.R.Node())
		}
		return strings.Join(s, ",")
	}
	if got := names(c.order("node2", AskOthersOnly)); got != "NODE1,NODE3" {
		t.Errorf("order without self = %s", got)
	}
	if got := names(c.order("node2", AskNodeFirst)); got != "NODE2,NODE1,NODE3" {
		t.Errorf("order with self first = %s", got)
	}
}
