package nodeops

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// variants gives the sample with LF, with CRLF as the real tools print, and
// without the markdown indentation.
func variants(s string) map[string]string {
	var dedented []string
	for _, l := range strings.Split(s, "\n") {
		dedented = append(dedented, strings.TrimPrefix(l, "  "))
	}
	return map[string]string{
		"lf":       s,
		"crlf":     strings.ReplaceAll(s, "\n", "\r\n"),
		"dedented": strings.Join(dedented, "\r\n"),
	}
}

func TestParseSCQuery_KBSample(t *testing.T) {
	for name, out := range variants(kbSCQueryRunning) {
		st, err := ParseSCQuery(out)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := ServiceStatus{Name: "ClusSvc", State: StateRunning, Exists: true}
		if st != want {
			t.Errorf("%s: got %+v, want %+v", name, st, want)
		}
	}
}

func TestParseSCQuery_States(t *testing.T) {
	for line, want := range map[string]ServiceState{
		"STATE              : 1  STOPPED":       StateStopped,
		"STATE              : 2  START_PENDING": StateStartPending,
		"STATE              : 3  STOP_PENDING":  StateStopPending,
	} {
		out := strings.Replace(kbSCQueryRunning, "STATE              : 4  RUNNING", line, 1)
		st, err := ParseSCQuery(out)
		if err != nil || st.State != want {
			t.Errorf("%s: got %v, %v; want %v", line, st.State, err, want)
		}
	}
}

// From TOOLS.md: `[SC] OpenService FAILED 1060:` + blank + the message.
const scNotFound = "[SC] OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n\r\n"

func TestParseSC_NotFound(t *testing.T) {
	if _, err := ParseSCQuery(scNotFound); !errors.Is(err, ErrServiceNotFound) {
		t.Errorf("sc query: got %v, want ErrServiceNotFound", err)
	}
	if _, err := ParseSCQC(scNotFound); !errors.Is(err, ErrServiceNotFound) {
		t.Errorf("sc qc: got %v, want ErrServiceNotFound", err)
	}
}

func TestParseSCQuery_Garbage(t *testing.T) {
	for _, out := range []string{"", "Access is denied.\r\n", "SERVICE_NAME: X\r\n        STATE : 9  WEIRD\r\n"} {
		if _, err := ParseSCQuery(out); err == nil {
			t.Errorf("%q: no error", out)
		}
	}
}

// sc qc as TOOLS.md describes it: SUCCESS line, blank line, the fields in order.
const scQCClusSvc = "[SC] QueryServiceConfig SUCCESS\r\n" +
	"\r\n" +
	"SERVICE_NAME: ClusSvc\r\n" +
	"        TYPE               : 10  WIN32_OWN_PROCESS\r\n" +
	"        START_TYPE         : 2   AUTO_START\r\n" +
	"        ERROR_CONTROL      : 1   NORMAL\r\n" +
	"        BINARY_PATH_NAME   : C:\\WINNT\\Cluster\\clussvc.exe\r\n" +
	"        LOAD_ORDER_GROUP   :\r\n" +
	"        TAG                : 0\r\n" +
	"        DISPLAY_NAME       : Cluster Server\r\n" +
	"        DEPENDENCIES       : ClusNet\r\n" +
	"                           : RpcSs\r\n" +
	"        SERVICE_START_NAME : LAB\\clusteradmin\r\n"

func TestParseSCQC(t *testing.T) {
	for code, want := range map[string]StartType{"2   AUTO_START": StartAutomatic, "3   DEMAND_START": StartManual, "4   DISABLED": StartDisabled} {
		out := strings.Replace(scQCClusSvc, "2   AUTO_START", code, 1)
		for name, v := range map[string]string{"crlf": out, "lf": strings.ReplaceAll(out, "\r\n", "\n")} {
			st, err := ParseSCQC(v)
			if err != nil {
				t.Fatalf("%s %s: %v", code, name, err)
			}
			if st.StartType != want || st.DisplayName != "Cluster Server" || st.Name != "ClusSvc" {
				t.Errorf("%s %s: got %+v", code, name, st)
			}
		}
	}
}

func TestParseNodeStatus_KBSample(t *testing.T) {
	for name, out := range variants(kbNodeStatus) {
		got, err := ParseNodeStatus(out)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := []ClusterNode{{Name: "NODE1", ID: 1, State: "Up"}}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v", name, got)
		}
	}
}

func TestParseNodeStatus_TwoNodesLongName(t *testing.T) {
	out := kbNodeStatus + "  NODE2                2 Down\n  AVERYLONGNODENAME1     3 Paused\n"
	got, err := ParseNodeStatus(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []ClusterNode{{"NODE1", 1, "Up"}, {"NODE2", 2, "Down"}, {"AVERYLONGNODENAME1", 3, "Paused"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
}

func TestParseGroupStatus_KBSample(t *testing.T) {
	for name, out := range variants(kbGroupStatus) {
		got, err := ParseGroupStatus(out)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := []ClusterGroup{{Name: "Cluster Group", OwnerNode: "NODE1", State: "Online"}}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v", name, got)
		}
	}
}

func TestParseGroupStatus_WideRows(t *testing.T) {
	// Rows printed with the documented `%-20s %-15s %s`.
	out := kbGroupStatus +
		"  Web Group            NODE2           Partially Online\r\n" +
		"  A Group Name Longer Than Twenty NODE2           Failed\r\n" +
		"  IIS Virtual Root Group 1 NODE1           Partially Online\r\n"
	got, err := ParseGroupStatus(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []ClusterGroup{
		{Name: "Cluster Group", OwnerNode: "NODE1", State: "Online"},
		{Name: "Web Group", OwnerNode: "NODE2", State: "Partially Online"},
		{Name: "A Group Name Longer Than Twenty", OwnerNode: "NODE2", State: "Failed"},
		{Name: "IIS Virtual Root Group 1", OwnerNode: "NODE1", State: "Partially Online"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestParseResourceStatus_KBSample(t *testing.T) {
	for name, out := range variants(kbResourceStatus) {
		got, err := ParseResourceStatus(out)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := []ClusterResource{{Name: "MSDTC", Group: "Web Group", OwnerNode: "NODE1", State: "Online"}}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v", name, got)
		}
	}
}

func TestParseResourceStatus_WideRows(t *testing.T) {
	out := kbResourceStatus +
		// resource name overflows: every later column shifts by the same amount
		"  IIS Server Instance Web Site Web Group            NODE2           Offline\n" +
		// group name overflows
		"  Disk S:              A Group Name Longer Than Twenty NODE1           Online Pending\n" +
		// both fit
		"  Cluster IP Address   Cluster Group        NODE1           Failed\n"
	got, err := ParseResourceStatus(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []ClusterResource{
		{Name: "MSDTC", Group: "Web Group", OwnerNode: "NODE1", State: "Online"},
		{Name: "IIS Server Instance Web Site", Group: "Web Group", OwnerNode: "NODE2", State: "Offline"},
		{Name: "Disk S:", Group: "A Group Name Longer Than Twenty", OwnerNode: "NODE1", State: "Online Pending"},
		{Name: "Cluster IP Address", Group: "Cluster Group", OwnerNode: "NODE1", State: "Failed"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestParseProps_KBSample(t *testing.T) {
	for name, out := range variants(kbResourceProp) {
		got, err := ParseProps(out)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := []Property{{ReadOnly: false, Name: "RestartAction", Value: "2 (0x2)"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v", name, got)
		}
		if v, err := got[0].Int(); v != 2 || err != nil {
			t.Errorf("%s: Int() = %d, %v", name, v, err)
		}
	}
}

func TestParseProps_LongNameAndStrings(t *testing.T) {
	out := "Listing properties for 'IIS Server Instance Default Web Site':\r\n\r\n" +
		"T  Resource             Name                           Value\r\n" +
		"-- -------------------- ------------------------------ -----------------------\r\n" +
		"R  IIS Server Instance Default Web Site Type                           IIS Server Instance\r\n" +
		"   IIS Server Instance Default Web Site RestartAction                  1 (0x1)\r\n" +
		"   IIS Server Instance Default Web Site RestartPeriod                  900000 (0xdbba0)\r\n"
	got, err := ParseProps(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []Property{
		{ReadOnly: true, Name: "Type", Value: "IIS Server Instance"},
		{Name: "RestartAction", Value: "1 (0x1)"},
		{Name: "RestartPeriod", Value: "900000 (0xdbba0)"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestParseListOwners(t *testing.T) {
	out := "Listing preferred owners for resource group 'Web Group':\r\n\r\n" +
		"Preferred Owner Nodes\r\n" +
		"---------------------\r\n" +
		"NODE2\r\n" +
		"NODE1\r\n"
	if got, err := ParseListOwners(out); err != nil || !reflect.DeepEqual(got, []string{"NODE2", "NODE1"}) {
		t.Errorf("got %v, %v", got, err)
	}
	// Without the header (NT 4.0's layout is unconfirmed): the one-word
	// lines after the title.
	if got, err := ParseListOwners("Listing preferred owners for resource group 'G':\nNODE1\nNODE2\n"); err != nil || !reflect.DeepEqual(got, []string{"NODE1", "NODE2"}) {
		t.Errorf("no header: got %v, %v", got, err)
	}
	// No title, a failure, a missing program: errors, not "no owners".
	for _, bad := range []string{"NODE1\nNODE2\n", "System error 5013 has occurred (0x00001395).\r\nThe cluster group could not be found.\r\n",
		"'cluster' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", ""} {
		if got, err := ParseListOwners(bad); err == nil {
			t.Errorf("%q: %v, no error", bad, got)
		}
	}
}

func TestParseTables_NoHeader(t *testing.T) {
	out := "System error 1722 has occurred (0x000006ba).\r\nThe RPC server is unavailable.\r\n"
	if _, err := ParseNodeStatus(out); err == nil {
		t.Error("node: no error")
	}
	if _, err := ParseGroupStatus(out); err == nil {
		t.Error("group: no error")
	}
	if _, err := ParseResourceStatus(out); err == nil {
		t.Error("resource: no error")
	}
	if _, err := ParseProps(out); err == nil {
		t.Error("prop: no error")
	}
}

// A listing with fewer columns than its rows need is refused by name, not
// read into the wrong fields.
func TestParseTables_TooFewColumns(t *testing.T) {
	out := "Listing status for all available resource groups:\r\n\r\nGroup                Node\r\n" +
		"-------------------- ---------------\r\nCluster Group        NODE1\r\n"
	if _, err := ParseGroupStatus(out); err == nil || err.Error() != "group listing has 2 columns, want 3" {
		t.Errorf("group: %v", err)
	}
	if _, err := ParseResourceStatus(out); err == nil || err.Error() != "resource listing has 2 columns, want 4" {
		t.Errorf("resource: %v", err)
	}
	if _, err := ParseProps(out); err == nil || err.Error() != "property listing has 2 columns, want 4" {
		t.Errorf("prop: %v", err)
	}
}

// adsutil's ENUM_ALL as the IIS-era script prints it, with a banner before
// and an EXPANDSZ value: tolerant of both.
func TestParseAdsutilEnum(t *testing.T) {
	out := "Microsoft (R) Windows Scripting Host Version 1.0 for Windows\r\n\r\n" +
		"AnonymousUserName               : (STRING) \"LAB\\IUSR_CLUSTER\"\r\n\r\n" +
		"[/w3svc/1]\r\nServerComment                   : (STRING) \"Web: Server\"\r\n" +
		"ServerBindings                  : (LIST) (2 Items)\r\n  \"10.0.0.20:80:\"\r\n  \":8080:\"\r\n\r\n" +
		"[/w3svc/1/root]\r\nPath                            : (EXPANDSZ) \"%SystemDrive%\\InetPub\\wwwroot\"\r\n"
	got, err := ParseAdsutilEnum(out)
	if err != nil {
		t.Fatal(err)
	}
	if v := got["/w3svc"]["AnonymousUserName"]; len(v) != 1 || v[0] != `LAB\IUSR_CLUSTER` {
		t.Errorf("/w3svc: %v", got["/w3svc"])
	}
	if v := got["/w3svc/1"]["ServerBindings"]; len(v) != 2 || v[1] != ":8080:" {
		t.Errorf("bindings: %v", v)
	}
	if v := got["/w3svc/1"]["ServerComment"]; len(v) != 1 || v[0] != "Web: Server" {
		t.Errorf("comment: %v", v)
	}
	if v := got["/w3svc/1/root"]["Path"]; len(v) != 1 || v[0] != `%SystemDrive%\InetPub\wwwroot` {
		t.Errorf("root: %v", v)
	}
}
