package nodeops

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
	"github.com/mscs-ops/terraform-provider-mscs/internal/labtest"
)

// labNode connects to a node of an in-process lab over HTTPS, verifying the
// lab's CA, as the provider does.
func labNode(t *testing.T, l *lab.Lab, name string) *Node {
	t.Helper()
	return &Node{R: labtest.Of(l).Client(t, name)}
}

func startLab(t *testing.T) *lab.Lab {
	t.Helper()
	l, err := lab.Start(context.Background(), lab.Options{Scenario: "healthy"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l
}

// TestAgainstLab runs the operations against the emulated tools over real
// WS-Management, so the parsers and the emulator's output are checked
// against each other as well as against TOOLS.md.
func TestAgainstLab(t *testing.T) {
	l := startLab(t)
	n1, n2 := labNode(t, l, "NODE1"), labNode(t, l, "NODE2")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	st, err := n2.QueryService(ctx, "clussvc")
	want := ServiceStatus{Name: "ClusSvc", DisplayName: "Cluster Server", State: StateRunning, StartType: StartAutomatic, Exists: true}
	if err != nil || st != want {
		t.Fatalf("QueryService: %+v, %v; want %+v", st, err, want)
	}
	if st, err := n2.QueryService(ctx, "No Such Service"); err != nil || st.Exists {
		t.Fatalf("missing service: %+v, %v", st, err)
	}

	nodes, err := n1.ClusterNodes(ctx)
	if err != nil || !reflect.DeepEqual(nodes, []ClusterNode{{"NODE1", 1, "Up"}, {"NODE2", 2, "Up"}}) {
		t.Fatalf("ClusterNodes: %+v, %v", nodes, err)
	}
	groups, err := n1.ClusterGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantGroups := []ClusterGroup{
		{Name: "Cluster Group", OwnerNode: "NODE1", State: "Online", PreferredOwners: []string{"NODE1"}},
		{Name: "Web Group", OwnerNode: "NODE1", State: "Online", PreferredOwners: []string{"NODE1", "NODE2"}},
	}
	if !reflect.DeepEqual(groups, wantGroups) {
		t.Fatalf("ClusterGroups:\n got %+v\nwant %+v", groups, wantGroups)
	}
	rs, err := n1.ClusterResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]ClusterResource{}
	for _, r := range rs {
		byName[r.Name] = r
	}
	if len(rs) != 9 {
		t.Errorf("%d resources: %+v", len(rs), rs)
	}
	msdtc := byName["MSDTC"]
	if msdtc.Type != "Distributed Transaction Coordinator" || msdtc.Group != "Web Group" || msdtc.OwnerNode != "NODE1" ||
		msdtc.State != "Online" || msdtc.RestartAction != 2 || msdtc.RestartThreshold != 3 || msdtc.RestartPeriod != 900000 {
		t.Errorf("MSDTC: %+v", msdtc)
	}
	if r := byName["Cluster IP Address"]; r.Type != "IP Address" || r.Group != "Cluster Group" {
		t.Errorf("Cluster IP Address: %+v", r)
	}

	// "Affect the group" off and on again.
	if err := n1.ResourceSetProp(ctx, "MSDTC", "RestartAction", "1"); err != nil {
		t.Fatal(err)
	}
	props, err := n1.ResourceProps(ctx, "MSDTC")
	if v, _ := props["RestartAction"].Int(); err != nil || v != 1 {
		t.Errorf("RestartAction after set: %+v, %v", props["RestartAction"], err)
	}
	if err := n1.ResourceSetProp(ctx, "MSDTC", "RestartAction", "2"); err != nil {
		t.Fatal(err)
	}

	if err := n1.GroupMove(ctx, "Web Group", "NODE2"); err != nil {
		t.Fatal(err)
	}
	groups, err = n1.ClusterGroups(ctx)
	if err != nil || groups[1].OwnerNode != "NODE2" || groups[1].State != "Online" {
		t.Fatalf("after move: %+v, %v", groups, err)
	}
	if err := n1.GroupMove(ctx, "Web Group", "NODE1"); err != nil {
		t.Fatal(err)
	}

	// The KB's first step on the node to rebuild: stop the cluster service
	// (twice: the second is a no-op), set it to manual, wait for STOPPED.
	for range 2 {
		if err := n2.StopService(ctx, "ClusSvc"); err != nil {
			t.Fatal(err)
		}
	}
	if err := n2.SetStartType(ctx, "ClusSvc", StartManual); err != nil {
		t.Fatal(err)
	}
	st, err = n2.WaitForState(ctx, "ClusSvc", StateStopped)
	if err != nil || st.StartType != StartManual {
		t.Fatalf("after stop: %+v, %v", st, err)
	}
	nodes, err = n1.ClusterNodes(ctx)
	if err != nil || nodes[1].State != "Down" {
		t.Errorf("NODE2 after stopping its cluster service: %+v, %v", nodes, err)
	}
	// And back.
	if err := n2.SetStartType(ctx, "ClusSvc", StartAutomatic); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := n2.StartService(ctx, "ClusSvc"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := n2.WaitForState(ctx, "ClusSvc", StateRunning); err != nil {
		t.Fatal(err)
	}
	if inc := l.World().Incidents(); len(inc) != 0 {
		t.Errorf("incidents: %+v", inc)
	}
}
