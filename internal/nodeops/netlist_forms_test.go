package nodeops

import (
	"reflect"
	"strings"
	"testing"
)

// net.exe's listings as NT 4.0-lineage net.exe prints them: three names to a
// line, each padded to 25 characters, a longer one running into the next.
// The group lines are the ones quoted in issue 25 (evidence: FORMATS.md,
// "net localgroup"); the member lines are written by that rule, with names
// holding single blanks and one of 24 characters. Not the lab's output.
const nt4Rule = "-------------------------------------------------------------------------------"

const nt4Localgroups = "\r\nAliases for \\\\NODE2\r\n\r\n" + nt4Rule + "\r\n" +
	"*Administrators          *Backup Operators        *Guests\r\n" +
	"*MTS Trusted Impersonators*Replicator              *Users\r\n" +
	"The command completed successfully.\r\n\r\n"

const nt4GuestsMembers = "Alias name     Guests\r\n" +
	"Comment        Users granted guest access to the computer/domain\r\n\r\n" +
	"Members\r\n\r\n" + nt4Rule + "\r\n" +
	//234567890123456789012345
	"Guest                    LAB\\Domain Guests        LAB\\IWAM_CLUSTER_SERVICE\r\n" +
	"LAB\\IUSR_CLUSTER_SERVICE LAB\\IUSR_CLUSTER         LAB\\Cluster Web Accounts Group\r\n" +
	"IUSR_NODE2               \r\n" +
	"The command completed successfully.\r\n\r\n"

// Windows 2000 and later: one name a line, however long.
const w2kGuestsMembers = "Alias name     Guests\r\n" +
	"Comment        Built-in account for guest access to the computer/domain\r\n\r\n" +
	"Members\r\n\r\n" + nt4Rule + "\r\n" +
	"Guest\r\n" +
	"LAB\\Cluster Web Accounts Group\r\n" +
	"LAB\\IUSR_CLUSTER\r\n" +
	"The command completed successfully.\r\n\r\n"

func TestParseLocalgroups_NT4Columns(t *testing.T) {
	groups, columns, err := ParseLocalgroups(nt4Localgroups)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Administrators", "Backup Operators", "Guests", "MTS Trusted Impersonators", "Replicator", "Users"}
	if !reflect.DeepEqual(groups, want) || !columns {
		t.Errorf("groups %q (columns %v), want %q in columns", groups, columns, want)
	}
}

func TestParseLocalgroupMembers_NT4Columns(t *testing.T) {
	members, err := ParseLocalgroupMembers(nt4GuestsMembers, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Guest", `LAB\Domain Guests`, `LAB\IWAM_CLUSTER_SERVICE`,
		`LAB\IUSR_CLUSTER_SERVICE`, `LAB\IUSR_CLUSTER`, `LAB\Cluster Web Accounts Group`, "IUSR_NODE2"}
	if !reflect.DeepEqual(members, want) {
		t.Errorf("members %q, want %q", members, want)
	}
	members, err = ParseLocalgroupMembers(w2kGuestsMembers, false)
	if want := []string{"Guest", `LAB\Cluster Web Accounts Group`, `LAB\IUSR_CLUSTER`}; err != nil || !reflect.DeepEqual(members, want) {
		t.Errorf("one a line: %q, %v; want %q", members, err, want)
	}
}

// What the parsers cannot read is an error, never an empty list: a missing
// net.exe, a listing cut short, a name that runs into the next where its
// end cannot be told, columns where the node's group list had none.
func TestParseNetLists_Unrecognised(t *testing.T) {
	notFound := "'net' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"
	cut := strings.Split(nt4GuestsMembers, "IUSR_NODE2")[0]
	runOn := strings.Replace(nt4GuestsMembers, "Guest                    LAB\\Domain Guests",
		"LAB\\ClusterWebAccountsGroupLAB\\Domain Guests", 1)
	// A long name with a blank at the 25th character looks like a padded
	// one; the next name, shifted, is then out of its column.
	blankAt25 := strings.Replace(nt4GuestsMembers, "Guest                    LAB\\Domain Guests",
		"LAB\\Cluster Web Accounts GroupLAB\\Domain Guests", 1)
	for name, c := range map[string]struct {
		out     string
		columns bool
		want    string
	}{
		"not recognized":   {notFound, true, "no rule of dashes"},
		"cut short":        {cut, true, "does not end with"},
		"runs into next":   {runOn, true, "cannot tell where it ends"},
		"shifted":          {blankAt25, true, "not in columns"},
		"columns unlooked": {nt4GuestsMembers, false, "run of blanks"},
	} {
		if m, err := ParseLocalgroupMembers(c.out, c.columns); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %q, %v; want an error saying %q", name, m, err, c.want)
		}
	}
	misaligned := strings.Replace(nt4Localgroups, "*Administrators          *", "*Administrators        *", 1)
	for name, out := range map[string]string{"not recognized": notFound, "misaligned": misaligned,
		"no stars": strings.Replace(nt4Localgroups, "*Administrators", "Administrators ", 1)} {
		if g, _, err := ParseLocalgroups(out); err == nil {
			t.Errorf("group list %s: %q, no error", name, g)
		}
	}
}

// showpriv and dcomperm: a missing program, a usage screen or a count that
// does not match is an error, not "nobody holds it".
func TestParseAccountReads_Unrecognised(t *testing.T) {
	notFound := "'showpriv' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"
	for name, out := range map[string]string{
		"not recognized": notFound,
		"usage":          "Usage: showpriv <privilege or right>\r\n",
		"count":          "2 account(s) with the SeNetworkLogonRight user right:\r\n    LAB\\IUSR_CLUSTER\r\n",
		"empty":          "",
	} {
		if a, err := ParseShowpriv(out); err == nil {
			t.Errorf("showpriv %s: %q, no error", name, a)
		}
	}
	for name, out := range map[string]string{
		"not recognized": strings.ReplaceAll(notFound, "showpriv", "dcomperm"),
		"usage":          "Syntax: dcomperm <option> [...]\r\n\r\nPress any key to continue. . .",
		"error":          "Default access permission list:\r\n\r\nERROR: Cannot read the default access ACL.\r\n",
		"empty":          "",
	} {
		if a, err := ParseDcompermList(out); err == nil {
			t.Errorf("dcomperm %s: %q, no error", name, a)
		}
	}
}
