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

// healthyFacts are a node installed as testSpec declares, its IIS services
// running, nothing pending.
func healthyFacts() InstallFacts {
	return InstallFacts{
		ClusterService: ServiceStatus{Name: "ClusSvc", Exists: true, State: StateRunning, StartType: StartAutomatic},
		OptionPack:     OptionPack{Installed: true, Method: MethodCustom, Components: normalizeComponents(node1Components)},
		IIS: []ServiceStatus{{Name: "IISADMIN", Exists: true, State: StateRunning}, {Name: "W3SVC", Exists: true, State: StateRunning},
			{Name: "MSFTPSVC", Exists: true, State: StateRunning}},
		ServicePack: "4",
	}
}

// A create adopts only an install as declared, healthy and with nothing
// pending; a corrupted IIS (its services dead with 1067) never is.
func TestAdoptInstall(t *testing.T) {
	spec := testSpec()
	if why := healthyFacts().NotAdoptable(spec); len(why) > 0 || !AdoptInstall(healthyFacts(), spec) {
		t.Fatalf("a healthy install as declared is not adopted: %v", why)
	}
	// With the cluster service stopped (its phase not run yet), this
	// provider's own finished install of the same declaration is the
	// evidence the service pack was re-applied.
	stopped := healthyFacts()
	stopped.ClusterService.State, stopped.Finished = StateStopped, true
	if why := stopped.NotAdoptable(spec); len(why) > 0 {
		t.Errorf("a finished install of this declaration, cluster service stopped, is not adopted: %v", why)
	}
	always := spec
	always.Reinstall = ReinstallAlways
	if AdoptInstall(healthyFacts(), always) {
		t.Error("reinstall = always adopted the install")
	}
	if got := PlanInstall(healthyFacts(), InstallSpec{Method: spec.Method, Components: spec.Components, ServicePack: "4",
		WorkingNode: "NODE1"}); !reflect.DeepEqual(got, []string{"adopted: already installed as NODE1 has it; nothing runs"}) {
		t.Errorf("the adopted plan: %q", got)
	}
	for _, c := range []struct {
		name   string
		change func(f *InstallFacts)
		want   string
	}{
		{"corrupted IIS", func(f *InstallFacts) {
			for i := range f.IIS {
				f.IIS[i].State, f.IIS[i].ExitCode = StateStopped, 1067
			}
		}, "W3SVC stopped with exit code 1067"},
		{"web service stopped cleanly", func(f *InstallFacts) { f.IIS[1].State = StateStopped }, "W3SVC is Stopped, not running"},
		{"web service missing", func(f *InstallFacts) { f.IIS[1].Exists = false }, "W3SVC is not installed"},
		{"other components", func(f *InstallFacts) {
			f.OptionPack.Method, f.OptionPack.Components = MethodMinimal, minimalComponents
		}, "not as declared"},
		{"other service pack", func(f *InstallFacts) { f.ServicePack = "3" }, `service pack "3", declared "4"`},
		{"reboot pending", func(f *InstallFacts) { f.OptionPack.PendingReboot = true }, "a reboot is pending"},
		{"unfinished run", func(f *InstallFacts) { f.Unfinished = true }, "did not finish"},
		// Safety rule 4: a stopped cluster service and no finished install
		// of this declaration: setup may have run without the SP after it.
		{"service pack not known re-applied", func(f *InstallFacts) { f.ClusterService.State = StateStopped },
			"nothing shows that service pack 4 was re-applied after the Option Pack's setup: the cluster service is stopped"},
		{"not installed", func(f *InstallFacts) { f.OptionPack = OptionPack{Removed: true} }, "not installed"},
	} {
		f := healthyFacts()
		c.change(&f)
		why := f.NotAdoptable(spec)
		if AdoptInstall(f, spec) || !strings.Contains(strings.Join(why, "; "), c.want) {
			t.Errorf("%s: adopted %t, why %q; want %q", c.name, AdoptInstall(f, spec), why, c.want)
		}
		if plan := PlanInstall(f, spec); len(plan) > 0 && strings.HasPrefix(plan[0], "adopted") {
			t.Errorf("%s: planned %q", c.name, plan)
		}
	}
}

// RanSteps drops a conditional step whose condition did not hold and keeps
// one that ran without its condition, after the node a step may name first.
func TestRanSteps(t *testing.T) {
	planned := []string{
		"NODE1: set RestartAction 1",
		Conditional("MSDTC did not come online on NODE2 in the KB's test", "NODE1: msdtc -remove"),
		"NODE2: " + Conditional("the Option Pack (custom: iis_common, iis_www) is still present after that reboot "+
			"(the interrupted run may have removed it)", "Remove All and reboot"),
		"NODE1: restore RestartAction",
	}
	if got, want := RanSteps(planned, false), []string{"NODE1: set RestartAction 1", "NODE1: restore RestartAction"}; !reflect.DeepEqual(got, want) {
		t.Errorf("not held: %q, want %q", got, want)
	}
	if got, want := RanSteps(planned, true), []string{"NODE1: set RestartAction 1", "NODE1: msdtc -remove",
		"NODE2: Remove All and reboot", "NODE1: restore RestartAction"}; !reflect.DeepEqual(got, want) {
		t.Errorf("held: %q, want %q", got, want)
	}
	if got := RanSteps(nil, true); got == nil || len(got) != 0 {
		t.Errorf("nothing planned: %#v", got)
	}
}

// In the lab: a node installed as NODE1 and healthy (msdtc-standalone) is
// adopted, and an install the plan adopted runs no command that changes the
// node; the corrupted-iis node (its IIS services dead) is not adopted; and
// an adopted plan whose node has changed since fails with nothing changed.
func TestAdoptInstall_lab(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l := startScenario(t, "msdtc-standalone")
	n1, n2 := fastNode(t, l, "NODE1"), fastNode(t, l, "NODE2")
	spec := specLikeNode1(t, ctx, n1)
	facts, err := n2.ReadInstallFacts(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if why := facts.NotAdoptable(spec); len(why) > 0 {
		t.Fatalf("msdtc-standalone's NODE2 is not adopted: %v", why)
	}
	spec.Adopt = true
	from := len(l.World().Commands("NODE2"))
	if _, err := n2.InstallOptionPack(ctx, spec, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range l.World().Commands("NODE2")[from:] {
		if !labtest.IsReadOnly(c) {
			t.Errorf("the adopted install ran %s %s", c.Program, c.Args)
		}
	}
	// Corrupted since the plan: refused, nothing changed.
	if err := l.Control().CorruptIIS("NODE2"); err != nil {
		t.Fatal(err)
	}
	from = len(l.World().Commands("NODE2"))
	var se *StepError
	if _, err := n2.InstallOptionPack(ctx, spec, nil); !errors.As(err, &se) || !strings.Contains(se.Meaning, "1067") {
		t.Fatalf("an adopted plan on a node corrupted since: %v", err)
	}
	for _, c := range l.World().Commands("NODE2")[from:] {
		if !labtest.IsReadOnly(c) {
			t.Errorf("the refused install ran %s %s", c.Program, c.Args)
		}
	}

	lc := startScenario(t, "corrupted-iis")
	c1, c2 := fastNode(t, lc, "NODE1"), fastNode(t, lc, "NODE2")
	cspec := specLikeNode1(t, ctx, c1)
	cf, err := c2.ReadInstallFacts(ctx, cspec)
	if err != nil {
		t.Fatal(err)
	}
	// Its IIS services do not run (they die on every start).
	if AdoptInstall(cf, cspec) || !strings.Contains(strings.Join(cf.NotAdoptable(cspec), "; "), "W3SVC") {
		t.Errorf("corrupted-iis's NODE2 adopted: %v", cf.NotAdoptable(cspec))
	}
}

// ServiceRan keeps the startup type's line when it changed and the state's
// lines when that changed: none for a service already as declared.
func TestServiceRan(t *testing.T) {
	spec := ServiceSpec{Name: ClusterService, State: StateRunning, StartType: StartAutomatic}
	planned := ServiceSteps("NODE2", spec, "")
	if got := ServiceRan(planned, ServiceChange{}); len(got) != 0 {
		t.Errorf("nothing changed, ran %q", got)
	}
	if got := ServiceRan(planned, ServiceChange{StartType: true}); !reflect.DeepEqual(got, planned[:1]) {
		t.Errorf("the startup type changed, ran %q", got)
	}
	if got := ServiceRan(planned, ServiceChange{State: true}); !reflect.DeepEqual(got, planned[1:]) || !strings.Contains(got[len(got)-1], "Up") {
		t.Errorf("started, ran %q of %q", got, planned)
	}
}
