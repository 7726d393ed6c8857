package cmdshell

import (
	"reflect"
	"strings"
	"testing"
)

// The examples of Microsoft's "Parsing C++ command-line arguments".
func TestSplitArgs(t *testing.T) {
	for _, c := range []struct {
		line string
		want []string
	}{
		{`"a b c" d e`, []string{`a b c`, `d`, `e`}},
		{`"ab\"c" "\\" d`, []string{`ab"c`, `\`, `d`}},
		{`a\\\b d"e f"g h`, []string{`a\\\b`, `de fg`, `h`}},
		{`a\\\"b c d`, []string{`a\"b`, `c`, `d`}},
		{`a\\\\"b c" d e`, []string{`a\\b c`, `d`, `e`}},
		{`a"b"" c d`, []string{`ab" c d`}},
		{``, nil},
		{" \t ", nil},
		{`""`, []string{``}},
		{`"" ""`, []string{``, ``}},
		{`a "" b`, []string{`a`, ``, `b`}},
		{`  lead  trail  `, []string{`lead`, `trail`}},
		{`"unterminated arg`, []string{`unterminated arg`}},
		{`C:\dir\ "C:\with space\\"`, []string{`C:\dir\`, `C:\with space\`}},
		{`start= demand`, []string{`start=`, `demand`}},
		{`/prop RestartAction=2`, []string{`/prop`, `RestartAction=2`}},
	} {
		if got := SplitArgs(c.line); !reflect.DeepEqual(got, c.want) {
			t.Errorf("SplitArgs(%q) = %q, want %q", c.line, got, c.want)
		}
	}
}

// quoteArg is the well-known correct quoting for the C runtime rules; joining
// quoted arguments and splitting them again must give them back.
func quoteArg(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, slashes+1))
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteByte(s[i])
	}
	b.WriteString(strings.Repeat(`\`, slashes))
	b.WriteByte('"')
	return b.String()
}

func FuzzSplitArgs(f *testing.F) {
	for _, s := range []string{`"a b c" d e`, `"ab\"c" "\\" d`, `a\\\b d"e f"g h`, `a\\\"b c d`,
		`a\\\\"b c" d e`, `a"b"" c d`, `"`, `\`, `\\"`, `""""`, "a\tb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := SplitArgs(line)
		for _, a := range args {
			if a == "" {
				continue
			}
			if strings.ContainsAny(a, " \t") && !strings.Contains(line, `"`) {
				t.Fatalf("argument %q holds a blank but %q has no quote", a, line)
			}
		}
		quoted := make([]string, len(args))
		for i, a := range args {
			quoted[i] = quoteArg(a)
		}
		again := SplitArgs(strings.Join(quoted, " "))
		if len(args) == 0 && len(again) == 0 {
			return
		}
		if !reflect.DeepEqual(again, args) {
			t.Fatalf("round trip of %q: %q -> %q", line, args, again)
		}
	})
}
