package nodeops

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
	"github.com/mscs-ops/terraform-provider-mscs/internal/labtest"
)

func syncSpec() MetabaseSyncSpec {
	return MetabaseSyncSpec{Source: "NODE1", Target: "NODE2", ReplicationShare: "C$",
		RemoteServerNames: map[string]string{"NODE1": "NODE2", "NODE2": "NODE1"}}
}

// ReadIISConfig against the lab's adsutil.vbs and registry, under both
// tool layouts: IIS 4.0's script (nt4) answers ENUM_ALL with "not yet
// supported", so the metabase is read with ENUM, level by level, in three
// command lines (the services; the instances and their roots; MTS).
func TestReadIISConfig(t *testing.T) {
	for _, layout := range []string{world.LayoutNT4, world.Layout2003} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		l, err := lab.Start(ctx, lab.Options{Scenario: "healthy", TimeScale: labTimeScale, ToolLayout: layout})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(l.Close)
		c := labCluster(t, l)
		cfg, err := c.Nodes[0].ReadIISConfig(ctx)
		if err != nil {
			t.Fatalf("%s: %v", layout, err)
		}
		want := []IISInstance{
			{Path: "MSFTPSVC/1", ServerComment: "FTP Server", Bindings: []string{"10.0.0.20:21:"}, Root: `S:\InetPub\ftproot`, AnonymousUser: `LAB\IUSR_CLUSTER`},
			{Path: "W3SVC/1", ServerComment: "Web Server", Bindings: []string{"10.0.0.20:80:"}, Root: `S:\InetPub\wwwroot`, AnonymousUser: `LAB\IUSR_CLUSTER`},
		}
		if !cfg.Installed || !reflect.DeepEqual(cfg.Instances, want) || cfg.WAMUser != `LAB\IWAM_CLUSTER` || len(cfg.Packages) != 5 {
			t.Errorf("%s: config %+v", layout, cfg)
		}
		enums := 0
		for _, cmd := range l.World().Commands("NODE1") {
			args := strings.ToLower(cmd.Args)
			switch {
			case strings.Contains(args, "enum_all"):
				t.Errorf("%s: ENUM_ALL sent: %s %s", layout, cmd.Program, cmd.Args)
			case strings.Contains(args, " enum "):
				enums++
			}
		}
		if enums != 6 {
			t.Errorf("%s: %d ENUMs; want W3SVC, MSFTPSVC, each instance and its root", layout, enums)
		}
	}
}

// The corrupted node reinstalled has a fresh metabase: the sync configures
// replication on both nodes, runs IISSYNC on NODE1 only, and the target
// then matches; the Web Group's IIS instances come online on NODE2.
func TestSyncMetabase(t *testing.T) {
	t.Parallel() // a lab of its own
	l := startScenario(t, "rebuilt-node")
	c := labCluster(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	spec := specLikeNode1(t, ctx, c.Nodes[0])
	if _, err := c.Nodes[1].InstallOptionPack(ctx, spec, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ConvergeService(ctx, "NODE2", ServiceSpec{Name: ClusterService, State: StateRunning, StartType: StartAutomatic}); err != nil {
		t.Fatal(err)
	}
	// The KB's order: MSDTC reclustered before the metabase sync.
	if _, err := c.ReclusterMSDTC(ctx, dtcSpec(), nil); err != nil {
		t.Fatal(err)
	}
	// The wrong way round is refused before anything runs.
	rev := syncSpec()
	rev.Source, rev.Target = "NODE2", "NODE1"
	mark := len(l.World().Commands(""))
	var se *SpecError
	if _, err := c.SyncMetabase(ctx, rev, nil); !errors.As(err, &se) || se.Attr != "source_node" || !strings.Contains(se.Detail, "would copy NODE2's metabase over NODE1's") {
		t.Fatalf("reversed: %v", err)
	}
	for _, cmd := range l.World().Commands("")[mark:] {
		if strings.EqualFold(cmd.Program, "iissync") || strings.EqualFold(cmd.Program, "reg") && strings.HasPrefix(strings.ToLower(cmd.Args), "add") {
			t.Errorf("a refused sync ran %s %s", cmd.Program, cmd.Args)
		}
	}
	// A decoded failure, then the sync completes once the fault is cleared.
	if err := l.Control().AddFault(world.Fault{Node: "NODE2", Kind: "metabase_in_use"}); err != nil {
		t.Fatal(err)
	}
	_, err := c.SyncMetabase(ctx, syncSpec(), nil)
	var syncErr *SyncError
	if !errors.As(err, &syncErr) || syncErr.Status != 3 || !strings.Contains(err.Error(), "inaccessible") {
		t.Fatalf("in use: %v", err)
	}
	if err := l.Control().ClearFaults(); err != nil {
		t.Fatal(err)
	}
	before, err := c.ReadSyncFacts(ctx, syncSpec())
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.SyncMetabase(ctx, syncSpec(), nil)
	if err != nil || res.Status != 0 || len(res.Matched) < 3 {
		t.Fatalf("sync: %+v, %v", res, err)
	}
	// The steps of what it acted on, for a caller whose plan could not list them.
	if want := PlanSync(before, syncSpec()); !reflect.DeepEqual(res.Steps, want) {
		t.Errorf("steps %q, want the plan of the facts it acted on %q", res.Steps, want)
	}
	var syncs []string
	for _, cmd := range l.World().Commands("") {
		if strings.EqualFold(cmd.Program, "iissync") {
			syncs = append(syncs, cmd.Node)
		}
	}
	if !reflect.DeepEqual(syncs, []string{"NODE1", "NODE1"}) {
		t.Errorf("IISSYNC ran on %v; only on NODE1", syncs)
	}
	if err := c.MoveGroup(ctx, "Web Group", "NODE2"); err != nil {
		t.Fatalf("the Web Group on NODE2 after the sync: %v", err)
	}
	if inc := l.World().Incidents(); len(inc) != 0 {
		t.Errorf("incidents: %+v", inc)
	}
}

// A package only the target has (Payroll, added on NODE2 after the facts
// were read, as between a plan and its apply) is refused by the phase's own
// read-only check before anything changes; accepted, IISSYNC runs and
// Payroll is gone from NODE2.
func TestSyncMetabase_lossRefusedBeforeAnyChange(t *testing.T) {
	l := startScenario(t, "metabase-fresh")
	c := labCluster(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f, err := c.ReadSyncFacts(ctx, syncSpec())
	if err != nil || len(f.Losses) != 0 {
		t.Fatalf("facts before: %+v, %v", f.Losses, err)
	}
	add := `reg add "HKLM\SOFTWARE\Microsoft\Transaction Server\Packages\` + payrollGUID + `" /v Name /t REG_SZ /d Payroll /f`
	if res, err := c.Nodes[1].R.Run(ctx, add, false); err != nil || res.ExitCode != 0 {
		t.Fatalf("%s: %+v %v", add, res, err)
	}
	mark := len(l.World().Commands(""))
	_, err = c.SyncMetabase(ctx, syncSpec(), nil)
	var se *SpecError
	if !errors.As(err, &se) || se.Attr != "accept_loss" || !strings.Contains(se.Detail, `MTS package "Payroll" `+payrollGUID) ||
		!strings.Contains(se.Detail, `accept_loss = ["Payroll"]`) {
		t.Fatalf("unaccepted loss: %v", err)
	}
	for _, cmd := range l.World().Commands("")[mark:] {
		if !labtest.IsReadOnly(cmd) {
			t.Errorf("a refused sync ran %s %s on %s (lock and journal included)", cmd.Program, cmd.Args, cmd.Node)
		}
	}
	spec := syncSpec()
	spec.AcceptLoss = []string{"payroll"}
	if f, err = c.ReadSyncFacts(ctx, spec); err != nil || len(f.Losses) != 1 ||
		!strings.Contains(PlanSync(f, spec)[2], `deletes there, as accept_loss accepts: MTS package "Payroll"`) {
		t.Fatalf("accepted facts: %+v, %v", f.Losses, err)
	}
	if _, err := c.SyncMetabase(ctx, spec, nil); err != nil {
		t.Fatalf("accepted: %v", err)
	}
	if name, ok := l.World().State().Node("NODE2").Metabase.Packages[payrollGUID]; ok {
		t.Errorf("NODE2 still has %s after the sync", name)
	}
	if inc := l.World().Incidents(); len(inc) != 0 {
		t.Errorf("incidents: %+v", inc)
	}
}

// ConvergeService is ConvergeServiceChanges without what it changed.
func (c *Cluster) ConvergeService(ctx context.Context, node string, spec ServiceSpec) (string, error) {
	state, _, err := c.ConvergeServiceChanges(ctx, node, spec)
	return state, err
}
