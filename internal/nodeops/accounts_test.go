package nodeops

import "testing"

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
		add, err := grantCommand(c.g, true)
		if err != nil || add != c.add {
			t.Errorf("add %v: %q, %v; want %q", c.g, add, err, c.add)
		}
		remove, err := grantCommand(c.g, false)
		if err != nil || remove != c.remove {
			t.Errorf("remove %v: %q, %v; want %q", c.g, remove, err, c.remove)
		}
	}
	if _, err := grantCommand(Grant{`CORP\A%PATH%`, "right", RightLogOnLocally}, true); err == nil {
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
