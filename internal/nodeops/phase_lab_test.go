package nodeops

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/labtest"
)

// A step whose Next names no step where the runner needs one is a bug of
// the phase: an error naming the phase, the step and the name, never an
// index of Steps[-1].
func TestRunPhase_NextNamingNoStep(t *testing.T) {
	l := startScenario(t, "healthy")
	n := fastNode(t, l, "NODE2")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, c := range []struct {
		next Next
		want string
	}{
		{Again("nope"), `phase test: step two returned Again("nope"), which names no earlier step of the phase (one, two, three): a bug of the provider`},
		{Again("three"), `step two returned Again("three"), which names no earlier step`},
		{SkipThrough("nope"), `phase test: step two returned SkipThrough("nope"), which names no later step of the phase (one, two, three)`},
		{SkipThrough("one"), `step two returned SkipThrough("one"), which names no later step`},
	} {
		ran := 0
		step := func(name string, next Next) Step {
			return Step{Name: name, Words: name, Run: func(context.Context) (Next, error) { ran++; return next, nil }}
		}
		// A spec per case: each starts over rather than resume the last.
		err := n.RunPhase(ctx, Phase{Name: "test", Words: "test", Spec: c.want,
			Steps: []Step{step("one", Continue), step("two", c.next), step("three", Continue)}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v\nwant %s", c.next, err, c.want)
		}
		if ran != 2 {
			t.Errorf("%+v: %d steps ran, want 2", c.next, ran)
		}
	}
}

// A journal of this phase's spec whose last step the phase does not have
// (another version's, or edited) is an error naming the journal, before
// anything changes: no resume from the first step.
func TestRunPhase_JournalWithUnknownStep(t *testing.T) {
	l := startScenario(t, "healthy")
	n := fastNode(t, l, "NODE2")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	lab := labtest.Of(l)
	lab.Run(t, "NODE2", `echo step=start spec=`+specHash("x")+` > C:\WINNT\mscs-test.log && echo step=renamed spec=`+specHash("x")+` >> C:\WINNT\mscs-test.log`)
	checked, ran := false, 0
	err := n.RunPhase(ctx, Phase{Name: "test", Words: "test", Spec: "x",
		Check: func(context.Context, bool) (bool, error) { checked = true; return false, nil },
		Steps: []Step{{Name: "one", Words: "one", Run: func(context.Context) (Next, error) { ran++; return Continue, nil }}}})
	want := `NODE2: resume the test run: the journal C:\WINNT\mscs-test.log ends with step "renamed", which is no step of this phase`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	if checked || ran != 0 {
		t.Errorf("checked %t, %d steps ran; want nothing", checked, ran)
	}
	if out := lab.Run(t, "NODE2", `type C:\WINNT\mscs-test.log`).Stdout; !strings.Contains(out, "step=renamed") {
		t.Errorf("journal rewritten: %q", out)
	}
	// A journal of another spec is started over, whatever its steps.
	if err := n.RunPhase(ctx, Phase{Name: "test", Words: "test", Spec: "y",
		Steps: []Step{{Name: "one", Words: "one", Run: func(context.Context) (Next, error) { ran++; return Continue, nil }}}}); err != nil || ran != 1 {
		t.Errorf("another spec: %v, %d steps ran", err, ran)
	}
}
