package nodeops

import (
	"reflect"
	"strings"
	"testing"
)

// cluster.exe's forms as Windows Server 2003's prints them, written from
// what issue 25 quotes (the 2003-lineage message texts: FORMATS.md, "Tool
// layouts"): `/priv` titled `Listing private properties for 'R':`, each
// option's output ending with a blank line, the T column the value's type;
// rows `%-2s %-20s %-30s %s`, so a resource name over 20 characters pushes
// the row wider and an empty value leaves only the name's padding.
const w2003PrivNetworkName = "Listing private properties for 'MSDTC Virtual Server Name':\r\n\r\n" +
	"T  Resource             Name                           Value\r\n" +
	"-- -------------------- ------------------------------ -----------------------\r\n" +
	"S  MSDTC Virtual Server Name Name                           MSDTCVS\r\n" +
	"D  MSDTC Virtual Server Name RemapPipeNames                 0 (0x0)\r\n" +
	"S  MSDTC Virtual Server Name CreatingDC                     \r\n" +
	"DR MSDTC Virtual Server Name StatusNetBIOS                  0 (0x0)\r\n" +
	"\r\n"

const w2003PrivShort = "Listing private properties for 'DTC Name':\r\n\r\n" +
	"T  Resource             Name                           Value\r\n" +
	"-- -------------------- ------------------------------ -----------------------\r\n" +
	"S  DTC Name             Name                           MSDTCVS\r\n" +
	"S  DTC Name             CreatingDC                     \r\n" +
	"\r\n"

func TestParseProps_2003Private(t *testing.T) {
	props, err := ParseProps(w2003PrivNetworkName)
	if err != nil {
		t.Fatal(err)
	}
	want := []Property{{Name: "Name", Value: "MSDTCVS"}, {Name: "RemapPipeNames", Value: "0 (0x0)"},
		{Name: "CreatingDC", Value: ""}, {ReadOnly: true, Name: "StatusNetBIOS", Value: "0 (0x0)"}}
	if !reflect.DeepEqual(props, want) {
		t.Errorf("long name:\n got %+v\nwant %+v", props, want)
	}
	props, err = ParseProps(w2003PrivShort)
	if want := []Property{{Name: "Name", Value: "MSDTCVS"}, {Name: "CreatingDC"}}; err != nil || !reflect.DeepEqual(props, want) {
		t.Errorf("short name: %+v, %v; want %+v", props, err, want)
	}
}

// `cluster res /prop` of every resource with 2003's T column: `DR` is
// read-only as NT 4.0's `R` is.
func TestParseAllProps_2003Types(t *testing.T) {
	out := "Listing properties for all resources:\r\n\r\n" +
		"T  Resource             Name                           Value\r\n" +
		"-- -------------------- ------------------------------ -----------------------\r\n" +
		"SR MSDTC                Type                           Distributed Transaction Coordinator\r\n" +
		"D  MSDTC                RestartAction                  1 (0x1)\r\n" +
		"DR MSDTC                PersistentState                1 (0x1)\r\n\r\n"
	all, err := ParseAllProps(out, []string{"MSDTC"})
	if err != nil {
		t.Fatal(err)
	}
	if p := all["msdtc"]; !p["Type"].ReadOnly || p["RestartAction"].ReadOnly || !p["PersistentState"].ReadOnly {
		t.Errorf("read-only flags: %+v", p)
	}
}

// A group's /listowners with a blank line after its title, a resource's
// without (2003), each ending with a blank line.
func TestParseListOwners_2003(t *testing.T) {
	for _, out := range []string{
		"Listing preferred owners for resource group 'Web Group':\r\n\r\nPreferred Owner Nodes\r\n---------------------\r\nNODE2\r\nNODE1\r\n\r\n",
		"Listing possible owners for resource 'MSDTC':\r\nPossible Owner Nodes\r\n--------------------\r\nNODE2\r\nNODE1\r\n\r\n",
	} {
		if got, err := ParseListOwners(out); err != nil || !reflect.DeepEqual(got, []string{"NODE2", "NODE1"}) {
			t.Errorf("%q: %v, %v", out, got, err)
		}
	}
}

// A cluster.exe output nobody knows is an error, never an empty listing:
// a missing cluster.exe, its usage screen, a table without its title's
// object where a row cannot be cut.
func TestParseCluster_Unrecognised(t *testing.T) {
	notFound := "'cluster' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"
	usage := "The syntax of the command is incorrect.\r\n\r\nCLUSTER [[/CLUSTER:]cluster-name] <options>\r\n"
	untitled := strings.Replace(w2003PrivNetworkName, "Listing private properties for 'MSDTC Virtual Server Name':", "", 1)
	for name, out := range map[string]string{"not recognized": notFound, "usage": usage, "no title": untitled} {
		if p, err := ParseProps(out); err == nil {
			t.Errorf("/priv %s: %+v, no error", name, p)
		}
	}
	// A table without cluster.exe's `Listing ...` title is no listing known here.
	untitled = "Node           Node ID Status\r\n-------------- ------- ---------------------\r\nNODE1                1 Up\r\n"
	for name, out := range map[string]string{"not recognized": notFound, "usage": usage, "no title": untitled} {
		if _, err := ParseNodeStatus(out); err == nil {
			t.Errorf("node /status %s: no error", name)
		}
		if _, err := ParseGroupStatus(out); err == nil {
			t.Errorf("group /status %s: no error", name)
		}
		if _, err := ParseResourceStatus(out); err == nil {
			t.Errorf("res /status %s: no error", name)
		}
		if _, err := ParseAllProps(out, []string{"MSDTC"}); err == nil {
			t.Errorf("res /prop %s: no error", name)
		}
	}
}
