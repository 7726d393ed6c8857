package nodeops

import (
	"errors"
	"strings"
	"testing"
)

func TestQuote_Table(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"ClusSvc", "ClusSvc"},
		{"NODE2", "NODE2"},
		{`C:\WINNT\system32`, `C:\WINNT\system32`},
		{"MSDTC", "MSDTC"},
		{"", `""`},
		{"Cluster Group", `"Cluster Group"`},
		{"a&b", `"a&b"`},
		{"a|b", `"a|b"`},
		{"a>b", `"a>b"`},
		{"a<b", `"a<b"`},
		{"a^b", `"a^b"`},
		{"(x)", `"(x)"`},
		{"a,b;c=d", `"a,b;c=d"`},
		{`C:\dir\`, `C:\dir\`}, // bare: a backslash is only special before a quote
		{`C:\my dir\`, `"C:\my dir\\"`},
		{`C:\my dir\\`, `"C:\my dir\\\\"`},
		{`a\b c`, `"a\b c"`},
	} {
		got, err := Quote(c.in)
		if err != nil || got != c.want {
			t.Errorf("Quote(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestQuote_Refuses(t *testing.T) {
	for _, c := range []struct {
		in   string
		char rune
		pos  int
	}{
		{"%PATH%", '%', 0},
		{"100%", '%', 3},
		{`say "hi"`, '"', 4},
		{"a\nb", '\n', 1},
		{"a\r", '\r', 1},
		{"x\x00", 0, 1},
		{"bell\x07", 7, 4},
		{"wow!", '!', 3},
		{"caf\u00e9", '\u00e9', 3},
		{"\uff02", '\uff02', 0},
		{"\x7f", 0x7f, 0},
		{"tab\there", '\t', 3},
	} {
		_, err := Quote(c.in)
		var ue *UnquotableError
		if !errors.As(err, &ue) || !errors.Is(err, ErrUnquotable) {
			t.Errorf("Quote(%q): got %v, want an UnquotableError", c.in, err)
			continue
		}
		if ue.Char != c.char || ue.Pos != c.pos {
			t.Errorf("Quote(%q): names %q at %d, want %q at %d", c.in, ue.Char, ue.Pos, c.char, c.pos)
		}
		if ValidateArg(c.in) == nil {
			t.Errorf("ValidateArg(%q) accepted what Quote refuses", c.in)
		}
	}
}

func TestQuote_ErrorHidesValue(t *testing.T) {
	_, err := Quote("s3cretPassw0rd%")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error %v repeats the value", err)
	}
	if !strings.Contains(err.Error(), `'%'`) {
		t.Errorf("error %v does not name the character", err)
	}
}

func TestProgramLine(t *testing.T) {
	for _, c := range []struct {
		path string
		args []string
		want string
	}{
		{`C:\SP4\I386\UPDATE\update.exe`, []string{"-u", "-z"}, `C:\SP4\I386\UPDATE\update.exe -u -z`},
		{`C:\R&D\update.exe`, []string{"-u", "-z", "-n", "-q"}, `("C:\R&D\update.exe" -u -z -n -q)`},
		{`D:\Option Pack (EN)\setup.exe`, []string{`"/u:C:\My Temp\u (1).txt"`, "/R:N"}, `("D:\Option Pack (EN)\setup.exe" "/u:C:\My Temp\u (1).txt" /R:N)`},
		{`C:\Program Files\dtc\dtcsetup.exe`, nil, `("C:\Program Files\dtc\dtcsetup.exe")`},
	} {
		got, err := programLine(c.path, c.args...)
		if err != nil || got != c.want {
			t.Errorf("programLine(%q, %q) = %q, %v; want %q", c.path, c.args, got, err, c.want)
		}
		if startsWithQuote(got) {
			t.Errorf("%q starts with a quote", got)
		}
	}
	// An unquoted ) would close the parentheses early.
	if _, err := programLine(`C:\a b\x.exe`, "a)"); err == nil {
		t.Error("an unquoted ) was accepted")
	}
	if _, err := programLine(`C:\a%b\x.exe`); err == nil {
		t.Error("a % in the path was accepted")
	}
}
