package nodeops

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// msdtcReadings scripts the working node's `cluster res /status`: the first
// answer is the test's lookup of the resource's name, then one per reading,
// MSDTC on NODE2 in each state given (the last repeats).
func msdtcReadings(states ...string) *fakeRunner {
	row := func(state string) winrm.Result {
		return winrm.Result{Stdout: "  Listing status for all available resources:\r\n\r\n" +
			"  Resource             Group                Node            Status\r\n" +
			"  -------------------- -------------------- --------------- ------\r\n" +
			fmt.Sprintf("  %-20s %-20s %-15s %s\r\n", "MSDTC", "Web Group", "NODE2", state)}
	}
	status := []winrm.Result{row("Online")}
	for _, s := range states {
		status = append(status, row(s))
	}
	return &fakeRunner{node: "NODE1", answers: map[string][]winrm.Result{
		"cluster res /status": status,
		"cluster res /prop": ok("Listing properties for all resources:\r\n\r\n" +
			"T  Resource             Name                           Value\r\n" +
			"-- -------------------- ------------------------------ -----------------------\r\n" +
			fmt.Sprintf("   %-20s %-30s %s\r\n", "MSDTC", "Type", dtcResourceType)),
	}}
}

// MSDTC's test counts it online only when two readings in a row agree: on
// NT 4.0 a pending resource prints as Online, then Failed (2003) or Offline
// (NT 4.0) when it fails. Either after one Online is not online; Online
// twice after an Offline is.
func TestMoveAndSee_TwoAgreeingReadings(t *testing.T) {
	for _, tc := range []struct {
		name     string
		readings []string
		want     bool
	}{
		{"online once then failed", []string{"Online", "Failed"}, false},
		{"online once then offline", []string{"Online", "Offline"}, false},
		{"online, offline, online twice", []string{"Online", "Offline", "Online", "Online"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			working := msdtcReadings(tc.readings...)
			rebuilt := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{`cluster group "Web Group" /move:NODE2`: ok("")}}
			c := &Cluster{Nodes: []*Node{{R: working}, {R: rebuilt}}, Poll: time.Millisecond}
			r := &dtcRun{c: c, working: c.Nodes[0], rebuilt: c.Nodes[1], facts: MSDTCFacts{Group: "Web Group"},
				spec: MSDTCSpec{Node: "NODE2", WorkingNode: "NODE1", TestTimeout: 200 * time.Millisecond}}
			got, err := r.moveAndSee(context.Background(), "NODE2")
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("online %v after %v, want %v", got, tc.readings, tc.want)
			}
			// The lookup of the name is one batched line; each reading is
			// one `cluster res /status` of its own.
			if n := countLines(working.lines, "cluster res /status"); tc.want && n != len(tc.readings) {
				t.Errorf("online after %d readings, want %d", n, len(tc.readings))
			}
			if (len(r.result.OnlineOn) == 1) != tc.want {
				t.Errorf("OnlineOn %v", r.result.OnlineOn)
			}
		})
	}
}

func countLines(lines []string, want string) int {
	n := 0
	for _, l := range lines {
		if l == want {
			n++
		}
	}
	return n
}

// Whether MSDTC is reinstalled whatever the KB's test shows is decided in
// one place, and the plan's steps are conditional on the test exactly when
// it is not certain.
func TestMSDTCReinstall_DecidedOnce(t *testing.T) {
	clustered := map[string]DTCState{"NODE1": {Mode: DTCClustered}, "NODE2": {Mode: DTCClustered}}
	for _, tc := range []struct {
		name    string
		edit    func(f *MSDTCFacts, spec *MSDTCSpec)
		certain bool
		why     string
	}{
		{"both clustered: the test decides", func(*MSDTCFacts, *MSDTCSpec) {}, false, ""},
		{"reinstall always", func(_ *MSDTCFacts, s *MSDTCSpec) { s.Reinstall = ReinstallAlways }, true, `reinstall = "always"`},
		{"rebuilt node standalone", func(f *MSDTCFacts, _ *MSDTCSpec) {
			f.States = map[string]DTCState{"NODE1": {Mode: DTCClustered}, "NODE2": {Mode: DTCStandalone}}
		}, true, "NODE2's MSDTC is " + DTCStandalone + ", so it cannot come online there"},
		{"working node standalone", func(f *MSDTCFacts, _ *MSDTCSpec) {
			f.States = map[string]DTCState{"NODE1": {Mode: DTCStandalone}, "NODE2": {Mode: DTCClustered}}
		}, true, "NODE1's MSDTC is " + DTCStandalone + ", not clustered"},
		{"no MSDTC resource", func(f *MSDTCFacts, _ *MSDTCSpec) { f.Resource = "" }, true, "group Web Group has no MSDTC resource"},
		{"resumed past the test", func(f *MSDTCFacts, _ *MSDTCSpec) { f.ResumeAfter = "remove-working" }, true,
			`an earlier run stopped after its step "remove-working", past the KB's test`},
		{"resumed from its start", func(f *MSDTCFacts, _ *MSDTCSpec) { f.ResumeAfter = stepStart }, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := MSDTCFacts{Group: "Web Group", Owner: "NODE1", Resource: "MSDTC", States: clustered, LogPath: `S:\MSDTCLog`, LogExists: true}
			spec := dtcSpec()
			tc.edit(&f, &spec)
			got := f.Reinstall(spec)
			if got.Certain != tc.certain || got.Why != tc.why {
				t.Errorf("Reinstall %+v, want certain %v, why %q", got, tc.certain, tc.why)
			}
			conditional := slices.ContainsFunc(PlanMSDTC(f, spec), conditionalRe.MatchString)
			if conditional == tc.certain {
				t.Errorf("certain %v, but the plan's steps conditional %v:\n%s", tc.certain, conditional, strings.Join(PlanMSDTC(f, spec), "\n"))
			}
		})
	}
}
