package nodeops

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/cmdshell"
)

// These tests hold Quote to the lab's cmd.exe interpreter: a quoted value
// must reach the program as exactly one argument equal to the value, with no
// expansion, operator or redirection on the way.

// labEnv defines variables a %VAR% expansion would hit.
var labEnv = map[string]string{"PATH": `C:\WINNT\system32`, "X": "expanded", "WINDIR": `C:\WINNT`}

func runQuoted(t testing.TB, args ...string) []cmdshell.Record {
	t.Helper()
	prog := func(ctx context.Context, p *cmdshell.Proc) int { return 0 }
	h := cmdshell.NewSimpleHost(labEnv, map[string]cmdshell.Program{"prog": prog, "other": prog})
	line := "prog"
	for _, a := range args {
		q, err := Quote(a)
		if err != nil {
			t.Fatalf("Quote(%q): %v", a, err)
		}
		line += " " + q
	}
	cmdshell.Run(context.Background(), h, line, nil, nil, nil)
	return h.Commands()
}

func assertOneCommand(t testing.TB, recs []cmdshell.Record, want []string) {
	t.Helper()
	if len(recs) != 1 || !strings.EqualFold(recs[0].Name, "prog") || !reflect.DeepEqual(recs[0].Args, want) {
		t.Fatalf("ran %+v, want one prog with args %q", recs, want)
	}
}

// unsafe is the refusal rule stated independently of Quote's code.
func unsafe(s string) bool {
	for _, r := range s {
		if r < 0x20 || r > 0x7e || strings.ContainsRune(`%!"`, r) {
			return true
		}
	}
	return false
}

var quoteSeeds = []string{
	"", "ClusSvc", "Cluster Group", "a&b", "a && del C:\\x", "a || b", "a | more", "a > C:\\out.txt",
	"a < C:\\in.txt", "a^b", "^", "a ^& b", "(x)", ")", "a,b;c=d", "=", `C:\dir\`, `C:\my dir\`,
	`C:\my dir\\`, `\\server\share`, `a\b c`, `\`, `\\`, " ", "  lead", "trail  ", "2>&1", "a@b.c",
	"IIS Server Instance Default Web Site", "NODE2&echo pwned", "'quoted'", "`tick`", "~1", "$x", "#",
	"{}", "[]", "*", "?", "a/b", "/move:NODE2", "-x", "A=1 B=2",
}

func TestQuote_Cmdshell(t *testing.T) {
	for _, s := range quoteSeeds {
		assertOneCommand(t, runQuoted(t, s), []string{s})
	}
	// Several values on one line keep their boundaries.
	assertOneCommand(t, runQuoted(t, `C:\my dir\`, "b c", "", `x\`), []string{`C:\my dir\`, "b c", "", `x\`})
}

// Every printable ASCII character is accepted except the three Quote cannot
// shield, alone and inside a value with blanks.
func TestQuote_AcceptedASCII(t *testing.T) {
	for c := rune(0x20); c < 0x7f; c++ {
		for _, s := range []string{string(c), "a" + string(c) + "b c"} {
			_, err := Quote(s)
			if strings.ContainsRune(`%!"`, c) {
				if err == nil {
					t.Errorf("Quote(%q) accepted", s)
				}
				continue
			}
			if err != nil {
				t.Errorf("Quote(%q): %v", s, err)
				continue
			}
			assertOneCommand(t, runQuoted(t, s), []string{s})
		}
	}
}

// The refused characters are unsafe in the interpreter: wrapping them in
// double quotes, the best anyone could do, still lets cmd.exe change them.
func TestQuote_RefusedAreUnsafe(t *testing.T) {
	prog := func(ctx context.Context, p *cmdshell.Proc) int { return 0 }
	for _, s := range []string{"%X%", `a"&other "b`, "a\nother"} {
		if ValidateArg(s) == nil {
			t.Fatalf("%q accepted", s)
		}
		h := cmdshell.NewSimpleHost(labEnv, map[string]cmdshell.Program{"prog": prog, "other": prog})
		cmdshell.Run(context.Background(), h, `prog "`+s+`"`, nil, nil, nil)
		recs := h.Commands()
		if len(recs) == 1 && reflect.DeepEqual(recs[0].Args, []string{s}) {
			t.Errorf("%q survives plain quoting in the interpreter; Quote could accept it", s)
		}
	}
}

func FuzzQuote(f *testing.F) {
	for _, s := range quoteSeeds {
		f.Add(s)
	}
	for _, s := range []string{"%PATH%", "a\"b", "x\r\ny", "caf\u00e9", "!X!", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Quote(s)
		if (err != nil) != unsafe(s) {
			t.Fatalf("Quote(%q) = %q, %v; unsafe(s) = %v", s, q, err, unsafe(s))
		}
		if err != nil {
			return
		}
		assertOneCommand(t, runQuoted(t, s), []string{s})
		assertOneCommand(t, runQuoted(t, s, s), []string{s, s})
	})
}
