package world

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/cmdshell"
)

// runFor runs line with a deadline: for the commands that wait for a key.
func runFor(t *testing.T, w *World, node, line string, d time.Duration) (result, time.Duration) {
	t.Helper()
	// Timed from before the deadline is set, so a run that lasts until it
	// never measures shorter than d.
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var out, errOut bytes.Buffer
	code := cmdshell.Run(ctx, w.Host(node, `LAB\Administrator`, "", nil), line, strings.NewReader(""), &out, &errOut)
	return result{out.String(), errOut.String(), code}, time.Since(start)
}

func accountsOf(w *World, node string) AccountsSnapshot { return w.State().Node(node).Accounts }

// The grants of the scenarios: the working node has every one of the
// cluster's domain accounts; a fresh install only its local defaults.
func TestAccountsSeeded(t *testing.T) {
	w, _ := newTestWorld(t, "metabase-fresh")
	n1, n2 := accountsOf(w, "NODE1"), accountsOf(w, "NODE2")
	for _, acct := range []string{`LAB\IUSR_CLUSTER`, `LAB\IWAM_CLUSTER`} {
		if !containsFold(n1.Rights[rightNetwork], acct) || !containsFold(n1.Groups["Guests"], acct) || !containsFold(n1.DCOMAccess, acct) || !containsFold(n1.DCOMLaunch, acct) {
			t.Errorf("NODE1 lacks a grant of %s: %+v", acct, n1)
		}
		if containsFold(n2.Rights[rightNetwork], acct) || containsFold(n2.Groups["Guests"], acct) {
			t.Errorf("NODE2 has a grant of %s: %+v", acct, n2)
		}
	}
	if !containsFold(n1.Groups[groupImpersonators], `LAB\IWAM_CLUSTER`) || !containsFold(n2.Groups[groupImpersonators], "IWAM_NODE2") || !n2.DCOMDefault {
		t.Errorf("impersonators / DCOM: NODE1 %v, NODE2 %+v", n1.Groups[groupImpersonators], n2)
	}
}

// ntrights and showpriv: grant, revoke, case-sensitive names, unknown
// accounts, another machine.
func TestNtrightsAndShowpriv(t *testing.T) {
	w, _ := newTestWorld(t, "metabase-fresh")
	expect(t, run(t, w, "NODE2", `ntrights +r SeNetworkLogonRight -u LAB\IUSR_CLUSTER`), "Granting SeNetworkLogonRight to LAB\\IUSR_CLUSTER ... successful\r\n", 0)
	r := run(t, w, "NODE2", "showpriv SeNetworkLogonRight")
	if r.code != 0 || !strings.Contains(r.out, "account(s) with the SeNetworkLogonRight user right:") || !strings.Contains(r.out, "    LAB\\IUSR_CLUSTER\r\n") {
		t.Errorf("showpriv: %+v", r)
	}
	if r := run(t, w, "NODE2", `ntrights +r senetworklogonright -u LAB\IUSR_CLUSTER`); r.code != 1 || !strings.Contains(r.err, "case-sensitive") {
		t.Errorf("lower-case right: %+v", r)
	}
	if r := run(t, w, "NODE2", `ntrights +r SeNetworkLogonRight -u LAB\NOBODY`); r.code != 1332 || !strings.Contains(r.err, "No mapping") {
		t.Errorf("unknown account: %+v", r)
	}
	expect(t, run(t, w, "NODE1", `ntrights -r SeNetworkLogonRight -u LAB\IUSR_CLUSTER -m \\NODE2`), "Revoking SeNetworkLogonRight to LAB\\IUSR_CLUSTER ... successful\r\n", 0)
	if containsFold(accountsOf(w, "NODE2").Rights[rightNetwork], `LAB\IUSR_CLUSTER`) {
		t.Error("ntrights -m did not revoke on NODE2")
	}
	if r := run(t, w, "NODE2", "ntrights"); r.code != 1 || !strings.HasPrefix(r.err, "Usage: ntrights") {
		t.Errorf("usage: %+v", r)
	}
}

// net localgroup: listing, members, add, and its NT 4.0 errors.
func TestNetLocalgroup(t *testing.T) {
	w, _ := newTestWorld(t, "metabase-fresh")
	// NT 4.0's columns (the nt4 layout), typed from the lines issue 25
	// quotes: `*MTS Trusted Impersonators` (26 characters) runs into the next.
	expect(t, run(t, w, "NODE2", "net localgroup"), "\r\nAliases for \\\\NODE2\r\n\r\n"+strings.Repeat("-", 79)+"\r\n"+
		"*Administrators          *Backup Operators        *Guests\r\n"+
		"*MTS Trusted Impersonators*Replicator              *Users\r\n"+
		"The command completed successfully.\r\n\r\n", 0)
	expect(t, run(t, w, "NODE2", `net localgroup Guests LAB\IUSR_CLUSTER /add`), "The command completed successfully.\r\n\r\n", 0)
	r := run(t, w, "NODE2", `net localgroup Guests LAB\IUSR_CLUSTER /add`)
	if r.code != 2 || !strings.Contains(r.err, "System error 1378 has occurred.") || !strings.Contains(r.err, "already a member of the local group") {
		t.Errorf("already a member: %+v", r)
	}
	// Members in the same columns: the third runs to the end of its line.
	expect(t, run(t, w, "NODE2", "net localgroup Guests"), "Alias name     Guests\r\nComment        Users granted guest access to the computer/domain\r\n\r\nMembers\r\n\r\n"+
		strings.Repeat("-", 79)+"\r\n"+
		"IUSR_NODE2               IWAM_NODE2               LAB\\IUSR_CLUSTER\r\n"+
		"The command completed successfully.\r\n\r\n", 0)
	if r := run(t, w, "NODE2", `net localgroup "No Group" LAB\IUSR_CLUSTER /add`); r.code != 2 || !strings.Contains(r.err, "System error 1376") {
		t.Errorf("no such group: %+v", r)
	}
	if r := run(t, w, "NODE2", `net localgroup Guests LAB\NOBODY /add`); r.code != 2 || !strings.Contains(r.err, "System error 1332") {
		t.Errorf("no mapping: %+v", r)
	}
	expect(t, run(t, w, "NODE2", `net localgroup "MTS Trusted Impersonators" LAB\IWAM_CLUSTER /add`), "The command completed successfully.\r\n\r\n", 0)
	expect(t, run(t, w, "NODE2", `net localgroup Guests LAB\IUSR_CLUSTER /delete`), "The command completed successfully.\r\n\r\n", 0)
	if r := run(t, w, "NODE2", `net localgroup Guests LAB\IUSR_CLUSTER /delete`); r.code != 2 || !strings.Contains(r.err, "System error 1377") {
		t.Errorf("not a member: %+v", r)
	}
}

// dcomperm's 1996 behaviour: lists, a silent set, exit 0 even on error, the
// usage screen that waits for a key, the broken -dl remove, and the fault
// that makes it change nothing.
func TestDcomperm(t *testing.T) {
	w, _ := newTestWorld(t, "metabase-fresh")
	expect(t, run(t, w, "NODE2", "dcomperm -da list"), "Default access permission list:\r\n\r\n<Using Default Permissions>\r\n", 0)
	expect(t, run(t, w, "NODE2", `dcomperm -da set LAB\IUSR_CLUSTER permit`), "", 0)
	expect(t, run(t, w, "NODE2", "dcomperm -da list"), "Default access permission list:\r\n\r\n"+
		"Access permitted to NT AUTHORITY\\SYSTEM.\r\nAccess permitted to NT AUTHORITY\\INTERACTIVE.\r\nAccess permitted to LAB\\IUSR_CLUSTER.\r\n", 0)
	expect(t, run(t, w, "NODE2", `dcomperm -da set LAB\NOBODY permit`), "ERROR: Cannot add user to default access ACL.\r\n"+
		"No mapping between account names and security IDs was done.\r\n(534)\r\n", 0)
	expect(t, run(t, w, "NODE2", `dcomperm -da remove LAB\IUSR_CLUSTER`), "", 0)
	if containsFold(accountsOf(w, "NODE2").DCOMAccess, `LAB\IUSR_CLUSTER`) {
		t.Error("-da remove left the entry")
	}
	for _, line := range []string{`dcomperm -dl remove LAB\IUSR_CLUSTER`, "dcomperm", "dcomperm -da bogus"} {
		r, took := runFor(t, w, "NODE2", line, 500*time.Millisecond)
		if r.code != 0 || !strings.Contains(r.out, "Syntax: dcomperm") || !strings.HasSuffix(r.out, "Press any key to continue. . .") || took < 500*time.Millisecond {
			t.Errorf("%s: %+v after %v; want the usage screen waiting for a key", line, r, took)
		}
	}
	if err := w.AddFault(Fault{Node: "NODE2", Kind: "dcomperm_noop"}); err != nil {
		t.Fatal(err)
	}
	expect(t, run(t, w, "NODE2", `dcomperm -dl set LAB\IWAM_CLUSTER permit`), "", 0)
	if containsFold(accountsOf(w, "NODE2").DCOMLaunch, `LAB\IWAM_CLUSTER`) {
		t.Error("a dcomperm_noop fault still changed the launch list")
	}
}

// net user NAME /domain: the domain controller's answer.
func TestNetUserDomain(t *testing.T) {
	w, _ := newTestWorld(t, "metabase-fresh")
	r := run(t, w, "NODE2", "net user IUSR_CLUSTER /domain")
	if r.code != 0 || !strings.HasPrefix(r.out, "The request will be processed at a domain controller for domain LAB.\r\n\r\nUser name                    IUSR_CLUSTER\r\n") {
		t.Errorf("existing: %+v", r)
	}
	r = run(t, w, "NODE2", "net user NOBODY /domain")
	if r.code != 2 || !strings.Contains(r.err, "The user name could not be found.") || !strings.Contains(r.err, "NET HELPMSG 2221") {
		t.Errorf("missing: %+v", r)
	}
}
