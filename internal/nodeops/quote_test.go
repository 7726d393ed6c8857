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
