package cmdshell

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
)

func fuzzHost() *SimpleHost {
	h := NewSimpleHost(map[string]string{
		"COMPUTERNAME": "NODE1",
		"AMP":          `a" & calc & "`,
		"CARET":        "^",
		"PCT":          "%AMP%",
		"PAREN":        ") & (calc",
	}, testPrograms())
	_ = h.WinFS().Mkdir(`C:\temp`)
	_ = h.WinFS().WriteFile(`C:\temp\a.txt`, []byte("a\r\n"), false)
	return h
}

// FuzzRun feeds arbitrary command lines to the interpreter: it must neither
// panic nor hang, and every command it reports must be one it could have run.
func FuzzRun(f *testing.F) {
	for _, s := range []string{
		`prog "a b" c`, `prog a" & calc & "`, `prog ^"`, `prog "unbalanced`, `prog "%COMPUTERNAME%"`,
		`prog "a&b"`, `prog a^&b`, `prog a&b`, `both 2>&1 >C:\temp\o.txt`, `both >nul 2>&1`,
		`(echo a & (echo b)) > C:\temp\x & type C:\temp\x`, `if exist C:\temp (echo y) else (echo n)`,
		`if /i not "%AMP%"=="x" prog %AMP%`, `cmd /c ""prog" "a b""`, `cmd /s /k "prog %%PCT%%"`,
		`set X=%PAREN%& prog %X%`, `echo %CARET%`, `prog %PAREN%`, `%`, `^`, `"`, `(`, `)`, `((`, `))`,
		`|`, `||`, `&&`, `&`, `>`, `<`, `2>&`, `>&3`, `1<&2`, `rem ^`, `echo.`, `cd..`, `md C:\temp\d & rd C:\temp\d`,
		`del /q C:\temp\*.*`, `copy C:\temp\a.txt C:\temp\b.txt`, `exit /b 3`, `cmd`, "prog a\nprog b", `if 1 lss 2 echo x`,
		`prog %AMP:~2,3% %AMP:&=and% %NOPE:x=y%`, `@@ , ; = prog`, `"" ""`, `echo | | echo`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		h := fuzzHost()
		var out, errOut bytes.Buffer
		Run(context.Background(), h, line, strings.NewReader("y\r\nprog s\r\n"), &out, &errOut)
		for _, r := range h.Commands() {
			if !reflect.DeepEqual(r.Args, SplitArgs(r.Line)) {
				t.Fatalf("record %#v: Args do not match Line", r)
			}
		}
	})
}

// FuzzQuotedArgument checks the property the provider's quoting relies on: a
// value without ", %, a line break or a trailing backslash, put inside double
// quotes, reaches the program as exactly one argument equal to the value, and
// nothing else runs.
func FuzzQuotedArgument(f *testing.F) {
	for _, s := range []string{"a b", "a & calc", "x | y", "^", "(a)", "<in >out 2>&1", `C:\Program Files\x`, "!", "a^&b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		if strings.ContainsAny(value, "\"%\r\n") || strings.HasSuffix(value, `\`) {
			return
		}
		h := fuzzHost()
		var out bytes.Buffer
		code := Run(context.Background(), h, `prog "`+value+`"`, nil, &out, nil)
		got := h.Commands()
		if code != 0 || len(got) != 1 || got[0].Name != "prog" || !reflect.DeepEqual(got[0].Args, []string{value}) {
			t.Fatalf("value %q: code %d, ran %#v", value, code, got)
		}
	})
}
