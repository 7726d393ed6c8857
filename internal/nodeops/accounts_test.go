package nodeops

import (
	"reflect"
	"strings"
	"testing"
)

// Each grant has one command line that adds it and, but for the DCOM
// launch entry the 1996 dcomperm cannot remove, one that removes it.
func TestGrantCommand(t *testing.T) {
	for _, c := range []struct {
		g           Grant
		add, remove string
	}{
		{Grant{`CORP\IUSR_WEB`, "right", RightLogOnLocally}, `ntrights +r SeInteractiveLogonRight -u CORP\IUSR_WEB`,
			`ntrights -r SeInteractiveLogonRight -u CORP\IUSR_WEB`},
		{Grant{`CORP\IWAM_WEB`, "group", "MTS Trusted Impersonators"}, `net localgroup "MTS Trusted Impersonators" CORP\IWAM_WEB /add`,
			`net localgroup "MTS Trusted Impersonators" CORP\IWAM_WEB /delete`},
		{Grant{`CORP\IUSR_WEB`, "dcom-access", ""}, `dcomperm -da set CORP\IUSR_WEB permit`, `dcomperm -da remove CORP\IUSR_WEB`},
		{Grant{`CORP\IUSR_WEB`, "dcom-launch", ""}, `dcomperm -dl set CORP\IUSR_WEB permit`, ""},
	} {
		add, err := grantCommand(c.g, addGrant)
		if err != nil || add != c.add {
			t.Errorf("add %v: %q, %v; want %q", c.g, add, err, c.add)
		}
		remove, err := grantCommand(c.g, removeGrant)
		if err != nil || remove != c.remove {
			t.Errorf("remove %v: %q, %v; want %q", c.g, remove, err, c.remove)
		}
	}
	if _, err := grantCommand(Grant{`CORP\A%PATH%`, "right", RightLogOnLocally}, addGrant); err == nil {
		t.Error("an account with a %VAR% in it was quoted into a command line")
	}
}

// A code's meaning comes from its tool's own table; one the table lacks is
// said to be unknown, never worded from another tool's table.
func TestWorded(t *testing.T) {
	if got := IISSyncMeaning(1722); got != iissyncStatus[1722] {
		t.Errorf("IISSYNC 1722: %q", got)
	}
	if got := IISSyncMeaning(5); got != "a status this provider does not know" {
		t.Errorf("IISSYNC 5: %q", got)
	}
	if got := win32Meaning(12345); got != "an error this provider does not know" {
		t.Errorf("Win32 12345: %q", got)
	}
	if got := win32Meaning(1722); got != win32Meanings[1722] || got == iissyncStatus[1722] {
		t.Errorf("Win32 1722: %q", got)
	}
}

// The accounts' listings as FORMATS.md has them (CRLF, as the tools print):
// each parser keeps what its lines name and nothing of the text around them.
func TestParseAccountListings(t *testing.T) {
	crlf := func(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n" }
	must := func(v []string, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	groups := func(out string) ([]string, error) {
		g, columns, err := ParseLocalgroups(out)
		if columns {
			t.Errorf("one group a line read as columns")
		}
		return g, err
	}
	for _, c := range []struct {
		name string
		got  []string
		want []string
	}{
		{"showpriv", must(ParseShowpriv(crlf("2 account(s) with the SeInteractiveLogonRight user right:",
			`    LAB\IUSR_CLUSTER`, `    BUILTIN\Administrators  `))), []string{`LAB\IUSR_CLUSTER`, `BUILTIN\Administrators`}},
		{"showpriv none", must(ParseShowpriv(crlf("0 account(s) with the SeNetworkLogonRight user right:"))), nil},
		{"net localgroup", must(groups(crlf(`Aliases for \\NODE2`, "", strings.Repeat("-", 79),
			"*Administrators", "*MTS Trusted Impersonators", "The command completed successfully.", ""))),
			[]string{"Administrators", "MTS Trusted Impersonators"}},
		{"net localgroup G", must(ParseLocalgroupMembers(crlf("Alias name     Guests", "Comment        Guests can log on", "",
			"Members", "", strings.Repeat("-", 79), `LAB\IUSR_CLUSTER`, "Guest", `LAB\Domain Guests`, "The command completed successfully.", ""), false)),
			[]string{`LAB\IUSR_CLUSTER`, "Guest", `LAB\Domain Guests`}},
		{"dcomperm list", must(ParseDcompermList(crlf("Default access permission list:", "",
			`Access permitted to NT AUTHORITY\SYSTEM.`, `Access denied to LAB\Guest.`, `Access permitted to LAB\IWAM_CLUSTER.`))),
			[]string{`NT AUTHORITY\SYSTEM`, `LAB\IWAM_CLUSTER`}},
		{"dcomperm defaults", must(ParseDcompermList(crlf("Default launch permission list:", "", "<Using Default Permissions>"))), nil},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, c.got, c.want)
		}
	}
}
