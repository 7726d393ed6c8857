package nodeops

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// reg query /s of the MTS catalog in FORMATS.md's layout (4-space
// separators, each subkey a block of its own): two packages, one with a
// component subkey named by its CLSID, which is not a package.
const mtsPackagesQuery = "\r\n" +
	"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Transaction Server\\Packages\r\n\r\n" +
	"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Transaction Server\\Packages\\{3a5d2f10-0b3a-11d1-9c05-00c04fb9921c}\r\n" +
	"    Name    REG_SZ    System\r\n\r\n" +
	"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Transaction Server\\Packages\\{7E0C21B4-1D2F-4C55-9A61-2B7D3F40A001}\r\n" +
	"    Name    REG_SZ    Payroll\r\n\r\n" +
	"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Transaction Server\\Packages\\{7E0C21B4-1D2F-4C55-9A61-2B7D3F40A001}\\Components\r\n\r\n" +
	"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Transaction Server\\Packages\\{7E0C21B4-1D2F-4C55-9A61-2B7D3F40A001}\\Components\\{0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0}\r\n" +
	"    ProgID    REG_SZ    Payroll.Ledger.1\r\n\r\n"

func TestMTSPackages(t *testing.T) {
	keys, err := ParseRegQuery(mtsPackagesQuery)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"{3A5D2F10-0B3A-11D1-9C05-00C04FB9921C}": "System",
		"{7E0C21B4-1D2F-4C55-9A61-2B7D3F40A001}": "Payroll",
	}
	if got := mtsPackages(keys); !reflect.DeepEqual(got, want) {
		t.Errorf("packages %v, want %v", got, want)
	}
}

const payrollGUID = "{7E0C21B4-1D2F-4C55-9A61-2B7D3F40A001}"

// lossConfigs: the target has an intranet site and two packages (Payroll,
// and a nameless one) the source lacks, and shares W3SVC/1 and System.
func lossConfigs() (source, target IISConfig) {
	source = IISConfig{Installed: true, Instances: []IISInstance{{Path: "W3SVC/1", ServerComment: "Web Server"}},
		Packages: map[string]string{"{S}": "System", "{W}": "Web Applications"}}
	target = IISConfig{Installed: true, Instances: []IISInstance{{Path: "W3SVC/1", ServerComment: "Default Web Site"},
		{Path: "W3SVC/2", ServerComment: "Intranet"}},
		Packages: map[string]string{"{S}": "System", payrollGUID: "Payroll", "{N}": ""}}
	return source, target
}

// What only the target has is lost: instances by path, packages by GUID; an
// instance the source has too (W3SVC/1, replaced) and a package only the
// source has are not.
func TestSyncLosses(t *testing.T) {
	source, target := lossConfigs()
	want := []SyncLoss{{Instance: "W3SVC/2", Comment: "Intranet"}, {GUID: "{N}"}, {Package: "Payroll", GUID: payrollGUID}}
	got := SyncLosses(source, target)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("losses %+v, want %+v", got, want)
	}
	if l := SyncLosses(target, target); len(l) != 0 {
		t.Errorf("a target like the source loses %+v", l)
	}
	if words := lossWords(got); words != `server instance W3SVC/2 ("Intranet"); MTS package "" {N}; MTS package "Payroll" `+payrollGUID {
		t.Errorf("words %q", words)
	}
	if hcl := acceptLossHCL(got); hcl != `accept_loss = ["W3SVC/2", "{N}", "Payroll"]` {
		t.Errorf("hcl %q", hcl)
	}
}

// accept_loss accepts exactly what it names: an instance by path, a package
// by name or GUID, without case; anything else stays refused, so a loss
// that appears later is refused again.
func TestUnacceptedLosses(t *testing.T) {
	source, target := lossConfigs()
	losses := SyncLosses(source, target)
	for _, c := range []struct {
		accept []string
		want   []string // the names left unaccepted
	}{
		{nil, []string{"W3SVC/2", "{N}", "Payroll"}},
		{[]string{"payroll"}, []string{"W3SVC/2", "{N}"}},
		{[]string{strings.Trim(strings.ToLower(payrollGUID), "{}"), "w3svc/2", "{N}"}, nil},
		// An instance's comment is not its name; a package's name does not
		// accept an instance of that name.
		{[]string{"Intranet", "W3SVC/1", "Web Applications"}, []string{"W3SVC/2", "{N}", "Payroll"}},
		{[]string{"Payroll", "W3SVC/2", "{N}", "Gone"}, nil},
	} {
		var got []string
		for _, l := range Unaccepted(losses, c.accept) {
			got = append(got, l.Name())
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("accept %q: unaccepted %q, want %q", c.accept, got, c.want)
		}
	}
}

// What an error quotes of a tool's output never shows a password line,
// whichever read failed (a batch whose parts do not split, too).
func TestErrorExcerptsLeaveOutPasswords(t *testing.T) {
	out := "[/W3SVC/1]\r\nAnonymousUserPass               : (STRING) \"s3cret!\"\r\nServerComment : (STRING) \"Web\"\r\n"
	got := firstLines(out, 4)
	if strings.Contains(got, "s3cret") || !strings.Contains(got, "ServerComment") {
		t.Errorf("excerpt %q", got)
	}
	err := (&Node{R: &fakeRunner{node: "NODE2"}}).parseError("read the metabase", "cscript adsutil.vbs ENUM W3SVC/1", out, errors.New("2 parts of output for 3 commands"))
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("parse error %q", err)
	}
}
