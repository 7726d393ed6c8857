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
	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

func accountsSpec() AccountsSpec {
	return AccountsSpec{Node: "NODE2", IUSR: `LAB\IUSR_CLUSTER`, IWAM: `LAB\IWAM_CLUSTER`}
}

// The working node holds every grant; the fresh NODE2 none: GrantAccounts
// adds exactly the missing ones and verifies by listing; a dcomperm that
// changes nothing is caught; revoking leaves the local defaults.
func TestGrantAccounts(t *testing.T) {
	l := startScenario(t, "metabase-fresh")
	c := labCluster(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n1, n2 := c.Nodes[0], c.Nodes[1]
	held, err := n1.ReadHeld(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m := Missing(held, accountsSpec()); len(m) != 0 || held.Impersonators != "MTS Trusted Impersonators" {
		t.Fatalf("NODE1 lacks %v (impersonators %q)", m, held.Impersonators)
	}
	if held, err = n2.ReadHeld(ctx); err != nil {
		t.Fatal(err)
	}
	if m := Missing(held, accountsSpec()); len(m) != 11 {
		t.Fatalf("NODE2 lacks %d grants, want all 11: %v", len(m), m)
	}
	// One grant made out of band: it is not sent again.
	if _, err := n2.R.Run(ctx, `net localgroup Guests LAB\IUSR_CLUSTER /add`, false); err != nil {
		t.Fatal(err)
	}
	mark := len(l.World().Commands("NODE2"))
	// A dcomperm that "succeeds" without a change is caught by the verify.
	if err := l.Control().AddFault(world.Fault{Node: "NODE2", Kind: "dcomperm_noop"}); err != nil {
		t.Fatal(err)
	}
	var se *StepError
	if _, err := n2.GrantAccounts(ctx, accountsSpec(), nil); !errors.As(err, &se) || se.Step != "verify the grants" || !strings.Contains(se.Meaning, "DCOM default access") {
		t.Fatalf("got %v; want the verify to catch dcomperm's no-op", err)
	}
	if err := l.Control().ClearFaults(); err != nil {
		t.Fatal(err)
	}
	retry := len(l.World().Commands("NODE2"))
	res, err := n2.GrantAccounts(ctx, accountsSpec(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Its steps list what it acted on, for a caller whose plan could not:
	// each grant sent by this run (the no-op's DCOM grants again), then the
	// verify.
	var sent []string
	for _, cmd := range l.World().Commands("NODE2")[retry:] {
		if line := cmd.Program + " " + cmd.Args; strings.Contains(line, " /add") || strings.HasPrefix(line, "ntrights +r") || strings.Contains(line, " set ") {
			sent = append(sent, "NODE2: "+line)
		}
	}
	var listed []string
	for _, step := range res.Steps[:len(res.Steps)-1] {
		line, _, _ := strings.Cut(step, " (")
		listed = append(listed, line)
	}
	if len(sent) == 0 || strings.Join(listed, "\n") != strings.Join(sent, "\n") || res.Steps[len(res.Steps)-1] != "NODE2: list every grant again and compare" {
		t.Errorf("steps %q; the run sent %q", res.Steps, sent)
	}
	guestsAdds := 0
	for _, cmd := range l.World().Commands("NODE2")[mark:] {
		if strings.EqualFold(cmd.Program, "net") && strings.Contains(cmd.Args, "Guests") && strings.Contains(cmd.Args, "IUSR_CLUSTER") && strings.Contains(cmd.Args, "/add") {
			guestsAdds++
		}
		if strings.EqualFold(cmd.Program, "dcomperm") && !strings.Contains(cmd.Args, "list") && !strings.Contains(cmd.Args, " set ") {
			t.Errorf("dcomperm called with %q", cmd.Args)
		}
	}
	if guestsAdds != 0 {
		t.Errorf("the grant made out of band was sent again %d time(s)", guestsAdds)
	}
	s := l.World().State().Node("NODE2").Accounts
	for _, acct := range []string{`LAB\IUSR_CLUSTER`, `LAB\IWAM_CLUSTER`} {
		if !containsAccount(s.Rights[RightLogOnLocally], acct) || !containsAccount(s.DCOMLaunch, acct) {
			t.Errorf("NODE2 in the lab lacks grants of %s: %+v", acct, s)
		}
	}
	kept, err := n2.RevokeAccounts(ctx, accountsSpec(), nil)
	if err != nil || len(kept) != 2 {
		t.Fatalf("revoke: kept %v, %v; want the two DCOM launch entries kept", kept, err)
	}
	s = l.World().State().Node("NODE2").Accounts
	if containsAccount(s.Groups["Guests"], `LAB\IUSR_CLUSTER`) || !containsAccount(s.Groups["Guests"], "IUSR_NODE2") ||
		containsAccount(s.Rights[RightNetworkLogon], `LAB\IWAM_CLUSTER`) || !containsAccount(s.Rights[RightNetworkLogon], "IUSR_NODE2") {
		t.Errorf("after revoking: %+v", s)
	}
	if inc := l.World().Incidents(); len(inc) != 0 {
		t.Errorf("incidents: %+v", inc)
	}
}

// racingRunner makes another admin run the same change just before each
// command line of the provider that holds match: the provider's own then
// meets the change already made.
type racingRunner struct {
	inner interface {
		Run(ctx context.Context, line string, readOnly bool) (winrm.Result, error)
		Node() string
	}
	match string
}

func (r racingRunner) Node() string { return r.inner.Node() }

func (r racingRunner) Run(ctx context.Context, line string, readOnly bool) (winrm.Result, error) {
	if strings.Contains(line, r.match) {
		if _, err := r.inner.Run(ctx, line, readOnly); err != nil {
			return winrm.Result{}, err
		}
	}
	return r.inner.Run(ctx, line, readOnly)
}

// net localgroup exits 2 for a member already there and for one that is
// gone (System error 1378, 1377): the provider judges by listing again, so a
// grant or revoke someone else made in the meantime is no failure, and a
// real failure still is.
func TestGrantAccounts_RaceJudgedByListing(t *testing.T) {
	l := startScenario(t, "metabase-fresh")
	c := labCluster(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n2 := c.Nodes[1]
	raced := &Node{R: racingRunner{inner: n2.R, match: "net localgroup Guests"}}
	mark := len(l.World().Commands("NODE2"))
	if _, err := raced.GrantAccounts(ctx, accountsSpec(), nil); err != nil {
		t.Fatal(err)
	}
	exits := map[string][]int{}
	for _, cmd := range l.World().Commands("NODE2")[mark:] {
		if strings.EqualFold(cmd.Program, "net") && strings.HasPrefix(cmd.Args, "localgroup Guests") {
			exits[cmd.Args] = append(exits[cmd.Args], cmd.ExitCode)
		}
	}
	if got := exits[`localgroup Guests LAB\IUSR_CLUSTER /add`]; len(got) != 2 || got[0] != 0 || got[1] != 2 {
		t.Errorf("the raced add exited %v, want 0 (the other admin's) then 2 (the provider's)", got)
	}
	if _, err := raced.RevokeAccounts(ctx, accountsSpec(), nil); err != nil {
		t.Fatal(err)
	}
	s := l.World().State().Node("NODE2").Accounts
	if containsAccount(s.Groups["Guests"], `LAB\IUSR_CLUSTER`) {
		t.Errorf("after revoking: %+v", s.Groups["Guests"])
	}
	// A failure the listing confirms is still a failure.
	if err := l.Control().AddFault(world.Fault{Node: "NODE2", Kind: "exit", Match: `localgroup Guests LAB\IUSR_CLUSTER /add`, ExitCode: 2,
		Stderr: "System error 5 has occurred.\r\n\r\nAccess is denied.\r\n\r\n"}); err != nil {
		t.Fatal(err)
	}
	var se *StepError
	if _, err := n2.GrantAccounts(ctx, accountsSpec(), nil); !errors.As(err, &se) || !strings.Contains(se.Step, "grant") || se.ExitCode != 2 {
		t.Errorf("a denied add: %v; want its StepError", err)
	}
}

// The grants read the same whether the node's net.exe lists in NT 4.0's
// columns (the lab's nt4 layout) or one name a line (2003's).
func TestReadHeld_ToolLayouts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var got []Held
	for _, layout := range []string{world.LayoutNT4, world.Layout2003} {
		l, err := lab.Start(ctx, lab.Options{Scenario: "metabase-fresh", TimeScale: labTimeScale, ToolLayout: layout})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(l.Close)
		held, err := labNode(t, l, "NODE1").ReadHeld(ctx)
		if err != nil {
			t.Fatalf("%s: %v", layout, err)
		}
		if m := Missing(held, accountsSpec()); len(m) != 0 || len(held.Groups["Guests"]) != 4 {
			t.Errorf("%s: NODE1 lacks %v; Guests %q", layout, m, held.Groups["Guests"])
		}
		got = append(got, held)
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		t.Errorf("nt4 read %+v\n2003 read %+v", got[0], got[1])
	}
}
