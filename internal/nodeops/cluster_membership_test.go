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
	got, err := ClusterNodeState(context.Background(), []*Node{{R: self}, {R: other}}, "node2", true)
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
	if got, err := ClusterNodeState(context.Background(), []*Node{down()}, "NODE2", false); err != nil || got != "Down" {
		t.Errorf("self stopped: %q, %v; want Down", got, err)
	}
	// It may be running: not knowing is an error that says why.
	if _, err := ClusterNodeState(context.Background(), []*Node{down()}, "NODE2", true); err == nil || !strings.Contains(err.Error(), "1722") {
		t.Errorf("self may run: %v; want the cluster.exe failure", err)
	}
}

func TestClusterNodeState_NotAMember(t *testing.T) {
	r := &fakeRunner{node: "NODE1", answers: map[string][]winrm.Result{"cluster node /status": {statusWith("Up")}}}
	if _, err := ClusterNodeState(context.Background(), []*Node{{R: r}}, "NODE9", true); err == nil || !strings.Contains(err.Error(), "not a member") {
		t.Errorf("got %v; want not a member", err)
	}
}

func TestWaitForJoin(t *testing.T) {
	r := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{
		"cluster node /status": {rpcUnavailable, statusWith("Joining"), statusWith("Up")},
	}}
	got, err := WaitForJoin(context.Background(), []*Node{{R: r}}, "NODE2", time.Millisecond)
	if err != nil || got != "Up" || len(r.lines) != 3 {
		t.Fatalf("got %q, %v after %d polls; want Up after 3", got, err, len(r.lines))
	}

	stuck := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{"cluster node /status": {statusWith("Joining")}}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = WaitForJoin(ctx, []*Node{{R: stuck}}, "NODE2", time.Millisecond)
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
