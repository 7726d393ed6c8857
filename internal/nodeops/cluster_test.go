package nodeops

import "testing"

// `cluster res /prop` of every resource: rows attributed by the names
// `cluster res /status` gave, a long name that pushes the columns and a name
// that is the prefix of another included; a row of a resource not listed is
// an error, not a guess.
func TestParseAllProps(t *testing.T) {
	out := "Listing properties for all resources:\r\n\r\n" +
		"T  Resource             Name                           Value\r\n" +
		"-- -------------------- ------------------------------ -----------------------\r\n" +
		"R  Web                  Type                           IP Address\r\n" +
		"   Web                  RestartAction                  1 (0x1)\r\n" +
		"R  Web Server           Type                           IIS Server Instance\r\n" +
		"   Web Server           Description                    \r\n" +
		"   Web Server           RestartAction                  2 (0x2)\r\n" +
		"R  A Very Long Resource Name Indeed Type               Physical Disk\r\n"
	all, err := ParseAllProps(out, []string{"Web", "web server", "A Very Long Resource Name Indeed"})
	if err != nil {
		t.Fatal(err)
	}
	if got := all["web"]["Type"]; got.Value != "IP Address" || !got.ReadOnly {
		t.Errorf("Web: %+v", all["web"])
	}
	if v, _ := all["web server"]["RestartAction"].Int(); v != 2 || all["web server"]["Type"].Value != "IIS Server Instance" {
		t.Errorf("Web Server: %+v", all["web server"])
	}
	if d, ok := all["web server"]["Description"]; !ok || d.Value != "" {
		t.Errorf("an empty value: %+v", all["web server"])
	}
	if all["a very long resource name indeed"]["Type"].Value != "Physical Disk" {
		t.Errorf("long name: %+v", all)
	}
	if _, err := ParseAllProps(out, []string{"Web", "A Very Long Resource Name Indeed"}); err == nil {
		t.Error("rows of Web Server attributed to Web")
	}
}
