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
	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// labTimeScale makes a lab reboot (90 emulated seconds) take 0.72 s.
const labTimeScale = 0.008

func startScenario(t *testing.T, scenario string) *lab.Lab {
	t.Helper()
	l, err := lab.Start(context.Background(), lab.Options{Scenario: scenario, TimeScale: labTimeScale})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l
}

// fastNode is a lab node whose waits poll at a pace that suits the lab's time scale.
func fastNode(t *testing.T, l *lab.Lab, name string) *Node {
	n := labNode(t, l, name)
	n.Poll = 20 * time.Millisecond
	return n
}

// specLikeNode1 copies the working node's method and components, as the
// examples do through mscs_node.
func specLikeNode1(t *testing.T, ctx context.Context, n1 *Node) InstallSpec {
	t.Helper()
	info, err := n1.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !info.OptionPack.Installed || info.ServicePack != "4" {
		t.Fatalf("NODE1: %+v", info)
	}
	return InstallSpec{
		Method: info.OptionPack.Method, Components: info.OptionPack.Components, ServicePack: info.ServicePack,
		SetupPath:       `C:\NTOPTPAK\EN\X86\WINNT.SRV\setup.exe`,
		ServicePackPath: `C:\SP4\I386\UPDATE\update.exe`,
		RebootTimeout:   30 * time.Second,
	}
}

func checkInstalledLikeNode1(t *testing.T, ctx context.Context, l *lab.Lab, n1, n2 *Node) {
	t.Helper()
	want, err := n1.OptionPackState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	info, err := n2.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(info.OptionPack, want) || info.ServicePack != "4" || info.CSDVersion != "Service Pack 4" {
		t.Errorf("NODE2 %+v\nwant option pack %+v at SP4", info, want)
	}
	byName := map[string]ServiceStatus{}
	for _, s := range info.Services {
		byName[s.Name] = s
	}
	if c := byName["ClusSvc"]; c.State != StateStopped || c.StartType != StartManual {
		t.Errorf("ClusSvc %+v: the install leaves it stopped and manual", c)
	}
	for _, s := range []string{"IISADMIN", "W3SVC", "MSFTPSVC"} {
		if st := byName[s]; !st.Exists || st.State != StateRunning {
			t.Errorf("%s: %+v", s, st)
		}
	}
	if inc := l.World().Incidents(); len(inc) != 0 {
		t.Errorf("incidents: %+v", inc)
	}
}

func TestInstallOptionPack_RebuiltNode(t *testing.T) {
	t.Parallel() // a lab of its own
	l := startScenario(t, "rebuilt-node")
	n1, n2 := fastNode(t, l, "NODE1"), fastNode(t, l, "NODE2")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	spec := specLikeNode1(t, ctx, n1)
	var progress []string
	if _, err := n2.InstallOptionPack(ctx, spec, func(s string) { progress = append(progress, s) }); err != nil {
		t.Fatal(err)
	}
	want := []string{"stop ClusSvc", "setup", "reboot", "SP", "reboot"}
	if got := labtest.KBSteps(l.World().Commands("NODE2")); !reflect.DeepEqual(got, want) {
		t.Errorf("KB steps on NODE2: %v\nwant %v", got, want)
	}
	wantProgress := []string{"stop the cluster service and set it to manual", "install the Option Pack", "reboot after Option Pack setup",
		"re-apply the service pack after Option Pack setup", "reboot after re-applying the service pack", "verify the Option Pack install"}
	if !reflect.DeepEqual(progress, wantProgress) {
		t.Errorf("progress %q", progress)
	}
	checkInstalledLikeNode1(t, ctx, l, n1, n2)

	// Run again: a finished journal is no reason to skip anything. An
	// install asked for again (terraform apply -replace) reinstalls, as the
	// plan says; only an unfinished journal resumes.
	before := len(l.World().Commands("NODE2"))
	if _, err := n2.InstallOptionPack(ctx, spec, nil); err != nil {
		t.Fatal(err)
	}
	want = []string{"RemoveAll", "reboot", "SP", "reboot", "setup", "reboot", "SP", "reboot"}
	if got := labtest.KBSteps(l.World().Commands("NODE2")[before:]); !reflect.DeepEqual(got, want) {
		t.Errorf("KB steps of the second run: %v\nwant %v", got, want)
	}
	checkInstalledLikeNode1(t, ctx, l, n1, n2)
}

func TestInstallOptionPack_CorruptedIIS(t *testing.T) {
	t.Parallel() // a lab of its own
	l := startScenario(t, "corrupted-iis")
	n1, n2 := fastNode(t, l, "NODE1"), fastNode(t, l, "NODE2")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	spec := specLikeNode1(t, ctx, n1)
	if _, err := n2.InstallOptionPack(ctx, spec, nil); err != nil {
		t.Fatal(err)
	}
	want := []string{"stop ClusSvc", "RemoveAll", "reboot", "SP", "reboot", "setup", "reboot", "SP", "reboot"}
	if got := labtest.KBSteps(l.World().Commands("NODE2")); !reflect.DeepEqual(got, want) {
		t.Errorf("KB steps on NODE2: %v\nwant %v", got, want)
	}
	checkInstalledLikeNode1(t, ctx, l, n1, n2)
}

func TestInstallOptionPack_SetupFailsThenResumes(t *testing.T) {
	t.Parallel() // a lab of its own
	l := startScenario(t, "corrupted-iis")
	n1, n2 := fastNode(t, l, "NODE1"), fastNode(t, l, "NODE2")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	spec := specLikeNode1(t, ctx, n1)
	// The second setup.exe run (the install after Remove All) fails.
	if err := l.Control().AddFault(world.Fault{Node: "NODE2", Kind: "exit", Match: "setup.exe", Nth: 2, ExitCode: 1, Count: 1,
		Stderr: "Windows NT 4.0 Option Pack Setup: Setup could not copy C:\\WINNT\\System32\\inetsrv\\w3svc.dll.\r\n"}); err != nil {
		t.Fatal(err)
	}
	_, err := n2.InstallOptionPack(ctx, spec, nil)
	var se *StepError
	if !errors.As(err, &se) || se.Node != "NODE2" || se.Step != "install the Option Pack" || se.ExitCode != 1 ||
		!strings.Contains(err.Error(), "setup.exe /u:C:\\WINNT\\TEMP\\mscs-install.txt /R:N") {
		t.Fatalf("got %v, want the setup step's StepError", err)
	}
	if _, err := n2.InstallOptionPack(ctx, spec, nil); err != nil {
		t.Fatal(err)
	}
	// The second run resumed at setup: no second Remove All.
	want := []string{"stop ClusSvc", "RemoveAll", "reboot", "SP", "reboot", "setup failed", "setup", "reboot", "SP", "reboot"}
	if got := labtest.KBSteps(l.World().Commands("NODE2")); !reflect.DeepEqual(got, want) {
		t.Errorf("KB steps on NODE2: %v\nwant %v", got, want)
	}
	checkInstalledLikeNode1(t, ctx, l, n1, n2)
}

func TestInstallOptionPack_RebootOverrunsThenResumes(t *testing.T) {
	t.Parallel() // a lab of its own
	l := startScenario(t, "rebuilt-node")
	n1, n2 := fastNode(t, l, "NODE1"), fastNode(t, l, "NODE2")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	spec := specLikeNode1(t, ctx, n1)
	// The reboot after setup takes 250 emulated seconds (2 s here); the
	// install allows 1 s.
	if err := l.Control().AddFault(world.Fault{Node: "NODE2", Kind: "slow_reboot", RebootSeconds: 250}); err != nil {
		t.Fatal(err)
	}
	short := spec
	short.RebootTimeout = time.Second
	_, err := n2.InstallOptionPack(ctx, short, nil)
	if err == nil || !strings.Contains(err.Error(), "NODE2: reboot after Option Pack setup: the node did not come back rebooted within 1s (last seen: not answering") {
		t.Fatalf("got %v, want a reboot timeout naming node, step and what was seen", err)
	}
	// The operator runs again once the node answers.
	for !l.World().Reachable("NODE2") {
		select {
		case <-ctx.Done():
			t.Fatal("NODE2 never came back")
		case <-time.After(50 * time.Millisecond):
		}
	}
	if _, err := n2.InstallOptionPack(ctx, spec, nil); err != nil {
		t.Fatal(err)
	}
	// The slow reboot happened; the next run did not reboot for it again.
	want := []string{"stop ClusSvc", "setup", "reboot", "SP", "reboot"}
	if got := labtest.KBSteps(l.World().Commands("NODE2")); !reflect.DeepEqual(got, want) {
		t.Errorf("KB steps on NODE2: %v\nwant %v", got, want)
	}
	checkInstalledLikeNode1(t, ctx, l, n1, n2)
}

func TestRemoveOptionPack(t *testing.T) {
	t.Parallel() // a lab of its own
	l := startScenario(t, "healthy")
	n1, n2 := fastNode(t, l, "NODE1"), fastNode(t, l, "NODE2")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	spec := specLikeNode1(t, ctx, n1)
	if err := n2.RemoveOptionPack(ctx, spec, nil); err != nil {
		t.Fatal(err)
	}
	want := []string{"stop ClusSvc", "RemoveAll", "reboot", "SP", "reboot"}
	if got := labtest.KBSteps(l.World().Commands("NODE2")); !reflect.DeepEqual(got, want) {
		t.Errorf("KB steps on NODE2: %v\nwant %v", got, want)
	}
	op, err := n2.OptionPackState(ctx)
	if err != nil || op.Installed || op.PendingReboot {
		t.Errorf("after removal: %+v, %v", op, err)
	}
	if inc := l.World().Incidents(); len(inc) != 0 {
		t.Errorf("incidents: %+v", inc)
	}
	// Nothing left to remove: nothing is done.
	before := len(labtest.KBSteps(l.World().Commands("NODE2")))
	if err := n2.RemoveOptionPack(ctx, spec, nil); err != nil {
		t.Fatal(err)
	}
	if got := labtest.KBSteps(l.World().Commands("NODE2")); len(got) != before {
		t.Errorf("second removal acted: %v", got[before:])
	}
}

// Two runs recovering the same node at once, from one process (two resources
// of one apply) or from two: one holds the node's lock and does the work, the
// other fails at once naming it, and nothing interleaves.
func TestInstallOptionPack_ConcurrentRunsDoNotInterleave(t *testing.T) {
	t.Parallel() // a lab of its own
	l := startScenario(t, "corrupted-iis")
	n1 := fastNode(t, l, "NODE1")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	spec := specLikeNode1(t, ctx, n1)
	errs := make(chan error, 2)
	for range 2 {
		n2 := fastNode(t, l, "NODE2") // a client of its own, as a second run has
		go func() { _, err := n2.InstallOptionPack(ctx, spec, nil); errs <- err }()
	}
	var locked, done int
	for range 2 {
		err := <-errs
		switch {
		case err == nil:
			done++
		case errors.Is(err, ErrLocked) && strings.Contains(err.Error(), "holds its lock since"):
			locked++
		default:
			t.Errorf("unexpected failure: %v", err)
		}
	}
	if done != 1 || locked != 1 {
		t.Fatalf("%d runs completed and %d were refused by the lock; want one of each", done, locked)
	}
	want := []string{"stop ClusSvc", "RemoveAll", "reboot", "SP", "reboot", "setup", "reboot", "SP", "reboot"}
	if got := labtest.KBSteps(l.World().Commands("NODE2")); !reflect.DeepEqual(got, want) {
		t.Errorf("KB steps on NODE2: %v\nwant %v", got, want)
	}
	checkInstalledLikeNode1(t, ctx, l, n1, fastNode(t, l, "NODE2"))
}

// killAfter is a node's runner that ends the run's context right after a
// command matching match has run: Terraform killed between a command and
// its journal line.
type killAfter struct {
	winrm.Runner
	match  string
	cancel context.CancelFunc
	killed bool
}

func (k *killAfter) Run(ctx context.Context, line string, readOnly bool) (winrm.Result, error) {
	res, err := k.Runner.Run(ctx, line, readOnly)
	if !k.killed && strings.Contains(strings.ToLower(line), k.match) {
		k.killed = true
		k.cancel()
	}
	return res, err
}

// Terraform killed right after setup.exe ran, before its journal line: the
// next plan lists what the next apply runs (setup's install is pending; the
// Option Pack found after the reboot is removed first), not a plain resume
// at setup.
func TestInstallOptionPack_PlanAfterKillAtSetup(t *testing.T) {
	t.Parallel() // a lab of its own
	l := startScenario(t, "rebuilt-node")
	n1, n2 := fastNode(t, l, "NODE1"), fastNode(t, l, "NODE2")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	spec := specLikeNode1(t, ctx, n1)
	runCtx, kill := context.WithCancel(ctx)
	k := &killAfter{Runner: n2.R, match: "setup.exe /u:", cancel: kill}
	killed := &Node{R: k, Poll: n2.Poll}
	if _, err := killed.InstallOptionPack(runCtx, spec, nil); !errors.Is(err, context.Canceled) || !k.killed {
		t.Fatalf("the killed run: %v (killed %t)", err, k.killed)
	}
	if got, want := labtest.KBSteps(l.World().Commands("NODE2")), []string{"stop ClusSvc", "setup"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("KB steps of the killed run %v, want %v", got, want)
	}
	from := len(l.World().Commands("NODE2"))
	facts, err := n2.ReadInstallFacts(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	plan := PlanInstall(facts, spec)
	res, err := n2.InstallOptionPack(ctx, spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	removed := res.RemovedAll // what the provider reads ran_steps from
	// The conditional Remove All ran: listed as run, without its condition.
	if got := strings.Join(RanSteps(plan, removed), "\n"); !removed || strings.Contains(got, "if ") || !strings.Contains(got, "Remove All of it") {
		t.Errorf("Remove All seen %t; ran steps\n%s", removed, got)
	}
	ran := labtest.KBSteps(l.World().Commands("NODE2")[from:])
	if want := []string{"reboot", "RemoveAll", "reboot", "SP", "reboot", "setup", "reboot", "SP", "reboot"}; !reflect.DeepEqual(ran, want) {
		t.Errorf("the next run ran %v, want %v", ran, want)
	}
	if !planRan(plan, ran) {
		t.Errorf("the plan listed\n%q\nthe next run ran %v", plan, ran)
	}
	checkInstalledLikeNode1(t, ctx, l, n1, n2)
}
