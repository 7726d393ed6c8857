package cmdshell

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// testPrograms are the emulated programs of the table tests: each shows what
// it received so that a case can assert the exact argv.
func testPrograms() map[string]Program {
	return map[string]Program{
		// prog prints one [arg] line per argument.
		"prog": func(_ context.Context, p *Proc) int {
			for _, a := range p.Args {
				fmt.Fprintf(p.Stdout, "[%s]\r\n", a)
			}
			return 0
		},
		// fail prints its line on stderr and exits with its first argument (default 1).
		"fail": func(_ context.Context, p *Proc) int {
			fmt.Fprintf(p.Stderr, "fail:%s\r\n", p.Line)
			if len(p.Args) > 0 {
				n, _ := strconv.Atoi(p.Args[0])
				return n
			}
			return 1
		},
		// calc stands for anything an injected command would start.
		"calc": func(_ context.Context, p *Proc) int { return 0 },
		"cat": func(_ context.Context, p *Proc) int {
			_, _ = io.Copy(p.Stdout, p.Stdin)
			return 0
		},
		"both": func(_ context.Context, p *Proc) int {
			fmt.Fprint(p.Stdout, "out\r\n")
			fmt.Fprint(p.Stderr, "err\r\n")
			return 0
		},
		"line": func(_ context.Context, p *Proc) int {
			fmt.Fprintf(p.Stdout, "<%s>\r\n", p.Line)
			return 0
		},
		`setup`: func(_ context.Context, p *Proc) int { return 0 },
	}
}

func rec(name, line string, code int, args ...string) Record {
	if len(args) == 0 {
		args = nil
	}
	return Record{Name: name, Line: line, Args: args, ExitCode: code}
}

type runCase struct {
	name  string
	line  string
	env   map[string]string
	stdin string
	files map[string]string // created before the run
	dir   string            // current folder, C:\ when empty

	code      int
	out, err  string
	ran       []Record
	wantFiles map[string]string // contents after the run; "<none>" for absent
	wantEnv   map[string]string // "" for undefined
	wantDir   string
}

const notRecognized = "is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"

func runCases(t *testing.T, cases []runCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := NewSimpleHost(c.env, testPrograms())
			for path, data := range c.files {
				if strings.HasSuffix(path, `\`) {
					if err := h.WinFS().Mkdir(path); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if i := strings.LastIndexByte(path, '\\'); i > 2 {
					_ = h.WinFS().Mkdir(path[:i])
				}
				if err := h.WinFS().WriteFile(path, []byte(data), false); err != nil {
					t.Fatal(err)
				}
			}
			if c.dir != "" {
				h.SetDir(c.dir)
			}
			var out, errOut bytes.Buffer
			code := Run(context.Background(), h, c.line, strings.NewReader(c.stdin), &out, &errOut)
			if code != c.code {
				t.Errorf("exit code = %d, want %d", code, c.code)
			}
			if out.String() != c.out {
				t.Errorf("stdout = %q, want %q", out.String(), c.out)
			}
			if errOut.String() != c.err {
				t.Errorf("stderr = %q, want %q", errOut.String(), c.err)
			}
			if got := h.Commands(); !reflect.DeepEqual(got, c.ran) && len(got)+len(c.ran) > 0 {
				t.Errorf("ran = %#v\nwant  %#v", got, c.ran)
			}
			for path, want := range c.wantFiles {
				data, err := h.WinFS().ReadFile(path)
				got := string(data)
				if err != nil {
					got = "<none>"
				}
				if got != want {
					t.Errorf("file %s = %q, want %q", path, got, want)
				}
			}
			for name, want := range c.wantEnv {
				if got, _ := h.Getenv(name); got != want {
					t.Errorf("%%%s%% = %q, want %q", name, got, want)
				}
			}
			if c.wantDir != "" && h.Dir() != c.wantDir {
				t.Errorf("dir = %q, want %q", h.Dir(), c.wantDir)
			}
		})
	}
}

func TestRunQuoting(t *testing.T) {
	runCases(t, []runCase{
		{name: "plain args", line: `prog a b  c`, out: "[a]\r\n[b]\r\n[c]\r\n", ran: []Record{rec("prog", "a b  c", 0, "a", "b", "c")}},
		{name: "quoted arg with blanks", line: `prog "a b" c`, out: "[a b]\r\n[c]\r\n", ran: []Record{rec("prog", `"a b" c`, 0, "a b", "c")}},
		{name: "quotes hide &", line: `prog "a&b"`, out: "[a&b]\r\n", ran: []Record{rec("prog", `"a&b"`, 0, "a&b")}},
		{name: "caret hides &", line: `prog a^&b`, out: "[a&b]\r\n", ran: []Record{rec("prog", `a&b`, 0, "a&b")}},
		{name: "bare & separates", line: `prog a&b`, code: 1, out: "[a]\r\n", err: "'b' " + notRecognized,
			ran: []Record{rec("prog", "a", 0, "a"), rec("b", "", 9009)}},
		{name: "breakout attempt", line: `prog "a" & calc & ""`, out: "[a]\r\n", code: 1, err: `'""' ` + notRecognized,
			ran: []Record{rec("prog", `"a" `, 0, "a"), rec("calc", ``, 0), rec("", "", 9009)}},
		{name: "value with quote and & inside quotes", line: `prog a" & calc & "`, out: "[a & calc & ]\r\n",
			ran: []Record{rec("prog", `a" & calc & "`, 0, "a & calc & ")}},
		{name: "escaped quote does not open quoting", line: `prog ^"a & calc`, out: "[a ]\r\n",
			ran: []Record{rec("prog", `"a `, 0, "a "), rec("calc", "", 0)}},
		{name: "caret is literal inside quotes", line: `prog "a ^& b"`, out: "[a ^& b]\r\n", ran: []Record{rec("prog", `"a ^& b"`, 0, "a ^& b")}},
		{name: "unbalanced quote runs to the end", line: `prog "a & calc`, out: "[a & calc]\r\n", ran: []Record{rec("prog", `"a & calc`, 0, "a & calc")}},
		{name: "escaped caret", line: `prog a^^b`, out: "[a^b]\r\n", ran: []Record{rec("prog", "a^b", 0, "a^b")}},
		{name: "trailing caret vanishes", line: `prog a^`, out: "[a]\r\n", ran: []Record{rec("prog", "a", 0, "a")}},
		{name: "escaped quote inside argv", line: `prog "a \"b\" c"`, out: "[a \"b\" c]\r\n", ran: []Record{rec("prog", `"a \"b\" c"`, 0, `a "b" c`)}},
		{name: "doubled quote inside quotes", line: `prog "a "" b"`, out: "[a \" b]\r\n", ran: []Record{rec("prog", `"a "" b"`, 0, `a " b`)}},
		{name: "backslash before closing quote", line: `prog "C:\dir\\" x`, out: "[C:\\dir\\]\r\n[x]\r\n", ran: []Record{rec("prog", `"C:\dir\\" x`, 0, `C:\dir\`, "x")}},
		{name: "quoted program path", line: `"C:\Program Files\prog.exe" a`, out: "[a]\r\n", ran: []Record{rec(`C:\Program Files\prog.exe`, "a", 0, "a")}},
		{name: "program with path and extension", line: `C:\WINNT\system32\PROG.EXE x`, out: "[x]\r\n", ran: []Record{rec(`C:\WINNT\system32\PROG.EXE`, "x", 0, "x")}},
		{name: "odd syntax tail kept for the program", line: `line config X start= demand`, out: "<config X start= demand>\r\n", ran: []Record{rec("line", "config X start= demand", 0, "config", "X", "start=", "demand")}},
		{name: "leading delimiters and @", line: ` ,;@prog x`, out: "[x]\r\n", ran: []Record{rec("prog", "x", 0, "x")}},
		{name: "slash ends the command name", line: `prog/x`, out: "[/x]\r\n", ran: []Record{rec("prog", "/x", 0, "/x")}},
		{name: "name that starts like set", line: `setup /s`, ran: []Record{rec("setup", "/s", 0, "/s")}},
		{name: "non-ASCII letter is not an internal name", line: "m\u212Adir C:\\x", code: 1, err: "'m\u212Adir' " + notRecognized, ran: []Record{rec("m\u212Adir", `C:\x`, 9009, `C:\x`)}},
		{name: "escaped internal name", line: `ec^ho.hi`, out: "hi\r\n", ran: []Record{rec("echo", ".hi", 0, ".hi")}},
		{name: "unknown program", line: `nosuch a b`, code: 1, err: "'nosuch' " + notRecognized, ran: []Record{rec("nosuch", "a b", 9009, "a", "b")}},
		// The parser's own view of a quoted name; @ keeps cmd's /C quote rule
		// (TestRunSlashCQuoteRule) off the line.
		{name: "unknown quoted program", line: `@"no such" a`, code: 1, err: "'\"no such\"' " + notRecognized, ran: []Record{rec("no such", "a", 9009, "a")}},
		{name: "quoted internal name is not internal", line: `@"echo" hi`, code: 1, err: "'\"echo\"' " + notRecognized, ran: []Record{rec("echo", "hi", 9009, "hi")}},
		{name: "empty line", line: ``},
		{name: "only blanks", line: "  \t "},
		{name: "line ends at a line feed", line: "prog a\r\ncalc", out: "[a]\r\n", ran: []Record{rec("prog", "a", 0, "a")}},
	})
}

func TestRunExpansion(t *testing.T) {
	env := map[string]string{
		"COMPUTERNAME": "NODE1",
		"AMP":          "x & calc",
		"QUOTE":        `a" & calc & "`,
		"QAMP":         `"x" & calc & "y"`,
		"CARET":        "a^&b",
		"PCT":          "%COMPUTERNAME%",
		"V":            "abcdef",
	}
	runCases(t, []runCase{
		{name: "inside quotes", env: env, line: `prog "%COMPUTERNAME%"`, out: "[NODE1]\r\n", ran: []Record{rec("prog", `"NODE1"`, 0, "NODE1")}},
		{name: "names are case-insensitive", env: env, line: `prog %computerName%`, out: "[NODE1]\r\n", ran: []Record{rec("prog", "NODE1", 0, "NODE1")}},
		{name: "value with & splits the line", env: env, line: `prog %AMP%`, out: "[x]\r\n",
			ran: []Record{rec("prog", "x ", 0, "x"), rec("calc", "", 0)}},
		{name: "value with & inside quotes stays", env: env, line: `prog "%AMP%"`, out: "[x & calc]\r\n", ran: []Record{rec("prog", `"x & calc"`, 0, "x & calc")}},
		{name: "value with quotes breaks out of quotes", env: env, line: `prog "%QUOTE%"`, out: "[a]\r\n", code: 1, err: `'""' ` + notRecognized,
			ran: []Record{rec("prog", `"a" `, 0, "a"), rec("calc", "", 0), rec("", "", 9009)}},
		{name: "quotes inside a value pair up", env: env, line: `prog "%QAMP%"`, out: "[x & calc & y]\r\n",
			ran: []Record{rec("prog", `""x" & calc & "y""`, 0, "x & calc & y")}},
		{name: "value with quote and & unquoted", env: env, line: `prog %QUOTE%`, out: "[a & calc & ]\r\n", ran: []Record{rec("prog", `a" & calc & "`, 0, "a & calc & ")}},
		{name: "value with caret is escaped in phase 2", env: env, line: `prog %CARET%`, out: "[a&b]\r\n", ran: []Record{rec("prog", "a&b", 0, "a&b")}},
		{name: "value with caret in quotes is literal", env: env, line: `prog "%CARET%"`, out: "[a^&b]\r\n", ran: []Record{rec("prog", `"a^&b"`, 0, "a^&b")}},
		{name: "value with percent is not expanded again", env: env, line: `prog %PCT%`, out: "[%COMPUTERNAME%]\r\n", ran: []Record{rec("prog", "%COMPUTERNAME%", 0, "%COMPUTERNAME%")}},
		{name: "undefined stays as typed", env: env, line: `prog %NOPE% "%NOPE%"`, out: "[%NOPE%]\r\n[%NOPE%]\r\n", ran: []Record{rec("prog", `%NOPE% "%NOPE%"`, 0, "%NOPE%", "%NOPE%")}},
		{name: "scan resumes at the closing percent", env: env, line: `prog %NOPE%V%`, out: "[%NOPEabcdef]\r\n", ran: []Record{rec("prog", "%NOPEabcdef", 0, "%NOPEabcdef")}},
		{name: "doubled percent", env: env, line: `prog %%V%%`, out: "[%abcdef%]\r\n", ran: []Record{rec("prog", "%abcdef%", 0, "%abcdef%")}},
		{name: "lone percent", env: env, line: `prog 100%`, out: "[100%]\r\n", ran: []Record{rec("prog", "100%", 0, "100%")}},
		{name: "substring", env: env, line: `prog %V:~1,3% %V:~-2% %V:~2% %V:~0,-4%`, out: "[bcd]\r\n[ef]\r\n[cdef]\r\n[ab]\r\n",
			ran: []Record{rec("prog", "bcd ef cdef ab", 0, "bcd", "ef", "cdef", "ab")}},
		{name: "substitution", env: env, line: `prog %V:CD=-% %V:*c=%`, out: "[ab-ef]\r\n[def]\r\n", ran: []Record{rec("prog", "ab-ef def", 0, "ab-ef", "def")}},
		{name: "errorlevel is expanded before the line runs", env: env, line: `fail 4 & prog %ERRORLEVEL%`, err: "fail:4 \r\n", out: "[0]\r\n",
			ran: []Record{rec("fail", "4 ", 4, "4"), rec("prog", "0", 0, "0")}},
		{name: "a real ERRORLEVEL variable wins", env: map[string]string{"ERRORLEVEL": "x"}, line: `prog %errorlevel%`, out: "[x]\r\n", ran: []Record{rec("prog", "x", 0, "x")}},
		{name: "CD", env: env, dir: `C:\WINNT`, files: map[string]string{`C:\WINNT\`: ""}, line: `prog "%CD%"`, out: "[C:\\WINNT]\r\n", ran: []Record{rec("prog", `"C:\WINNT"`, 0, `C:\WINNT`)}},
		{name: "set then use on the same line", env: env, line: `set X=1 & prog %X%`, out: "[%X%]\r\n",
			ran: []Record{rec("set", "X=1 ", 0, "X=1"), rec("prog", "%X%", 0, "%X%")}, wantEnv: map[string]string{"X": "1 "}},
		{name: "child cmd expands again", env: env, line: `set X=1& cmd /c prog %^X%`, out: "[1]\r\n",
			ran: []Record{rec("set", "X=1", 0, "X=1"), rec("prog", "1", 0, "1"), rec("cmd", "/c prog %X%", 0, "/c", "prog", "%X%")}},
	})
}

func TestRunOperatorsAndRedirection(t *testing.T) {
	runCases(t, []runCase{
		{name: "& runs both", line: `fail & prog x`, err: "fail:\r\n", out: "[x]\r\n", ran: []Record{rec("fail", "", 1), rec("prog", "x", 0, "x")}},
		{name: "&& stops on failure", line: `fail 2 && prog x`, code: 2, err: "fail:2 \r\n", ran: []Record{rec("fail", "2 ", 2, "2")}},
		{name: "&& goes on on success", line: `prog a && prog b`, out: "[a]\r\n[b]\r\n", ran: []Record{rec("prog", "a ", 0, "a"), rec("prog", "b", 0, "b")}},
		{name: "|| runs on failure", line: `fail || prog x`, err: "fail:\r\n", out: "[x]\r\n", ran: []Record{rec("fail", "", 1), rec("prog", "x", 0, "x")}},
		{name: "|| skips on success", line: `prog a || calc`, out: "[a]\r\n", ran: []Record{rec("prog", "a ", 0, "a")}},
		{name: "&& binds tighter than ||", line: `prog a || prog b && calc`, out: "[a]\r\n", ran: []Record{rec("prog", "a ", 0, "a")}},
		{name: "&& || chain after failure", line: `fail && prog a || prog b`, err: "fail:\r\n", out: "[b]\r\n", ran: []Record{rec("fail", "", 1), rec("prog", "b", 0, "b")}},
		{name: "pipe feeds stdin", line: `echo hello| cat`, out: "hello\r\n", ran: []Record{rec("echo", "hello", 0, "hello"), rec("cat", "", 0)}},
		{name: "pipe exit code is the right side's", line: `prog a | fail 3`, code: 3, err: "fail:3\r\n", ran: []Record{rec("prog", "a ", 0, "a"), rec("fail", "3", 3, "3")}},
		{name: "pipe sides keep SET to themselves", line: `set P=1 | cat`, wantEnv: map[string]string{"P": ""}, ran: []Record{rec("set", "P=1 ", 0, "P=1"), rec("cat", "", 0)}},
		{name: "> writes a file, blank before > kept", line: `echo hi >C:\o.txt`, wantFiles: map[string]string{`C:\o.txt`: "hi \r\n"}, ran: []Record{rec("echo", "hi ", 0, "hi")}},
		{name: "> without blank", line: `echo hi>C:\o.txt`, wantFiles: map[string]string{`C:\o.txt`: "hi\r\n"}, ran: []Record{rec("echo", "hi", 0, "hi")}},
		{name: ">> appends", files: map[string]string{`C:\o.txt`: "a\r\n"}, line: `echo b>>C:\o.txt`, wantFiles: map[string]string{`C:\o.txt`: "a\r\nb\r\n"}, ran: []Record{rec("echo", "b", 0, "b")}},
		{name: "> truncates", files: map[string]string{`C:\o.txt`: "old\r\n"}, line: `echo new>C:\o.txt`, wantFiles: map[string]string{`C:\o.txt`: "new\r\n"}, ran: []Record{rec("echo", "new", 0, "new")}},
		{name: "redirection at the start", line: `>C:\o.txt prog a`, wantFiles: map[string]string{`C:\o.txt`: "[a]\r\n"}, ran: []Record{rec("prog", "a", 0, "a")}},
		{name: "redirection in the middle", line: `prog a >C:\o.txt b`, wantFiles: map[string]string{`C:\o.txt`: "[a]\r\n[b]\r\n"}, ran: []Record{rec("prog", "a  b", 0, "a", "b")}},
		{name: "relative file name", dir: `C:\t`, files: map[string]string{`C:\t\`: ""}, line: `prog a>o.txt`, wantFiles: map[string]string{`C:\t\o.txt`: "[a]\r\n"}, ran: []Record{rec("prog", "a", 0, "a")}},
		{name: "quoted file name", files: map[string]string{`C:\a b\`: ""}, line: `prog a > "C:\a b\o.txt"`, wantFiles: map[string]string{`C:\a b\o.txt`: "[a]\r\n"}, ran: []Record{rec("prog", "a ", 0, "a")}},
		{name: "2> to a file", line: `both 2>C:\e.txt`, out: "out\r\n", wantFiles: map[string]string{`C:\e.txt`: "err\r\n"}, ran: []Record{rec("both", "", 0)}},
		{name: "> then 2>&1 sends both", line: `both >C:\o.txt 2>&1`, wantFiles: map[string]string{`C:\o.txt`: "out\r\nerr\r\n"}, ran: []Record{rec("both", "", 0)}},
		{name: "2>&1 then > sends only stdout", line: `both 2>&1 >C:\o.txt`, out: "err\r\n", wantFiles: map[string]string{`C:\o.txt`: "out\r\n"}, ran: []Record{rec("both", "", 0)}},
		{name: "1>&2", line: `both 1>&2`, err: "out\r\nerr\r\n", ran: []Record{rec("both", "", 0)}},
		{name: "2>&1 into a pipe", line: `both 2>&1 | cat`, out: "out\r\nerr\r\n", ran: []Record{rec("both", "", 0), rec("cat", "", 0)}},
		{name: "nul", line: `both >nul 2>NUL`, ran: []Record{rec("both", "", 0)}},
		{name: "nul with a folder and extension", line: `both > C:\temp\nul.txt 2>&1`, ran: []Record{rec("both", "", 0)}},
		{name: "digit inside a word is not a handle", line: `echo test1>C:\o.txt`, wantFiles: map[string]string{`C:\o.txt`: "test1\r\n"}, ran: []Record{rec("echo", "test1", 0, "test1")}},
		{name: "digit alone is a handle", line: `echo 1>C:\o.txt`, wantFiles: map[string]string{`C:\o.txt`: "ECHO is on.\r\n"}, ran: []Record{rec("echo", "", 0)}},
		{name: "< reads a file", files: map[string]string{`C:\in.txt`: "data\r\n"}, line: `cat < C:\in.txt`, out: "data\r\n", ran: []Record{rec("cat", "", 0)}},
		{name: "< missing file", line: `cat <C:\none.txt & prog a`, err: "The system cannot find the file specified.\r\n", out: "[a]\r\n",
			ran: []Record{rec("cat", "", 1), rec("prog", "a", 0, "a")}},
		{name: "> into a missing folder", line: `prog a >C:\no\o.txt`, code: 1, err: "The system cannot find the path specified.\r\n", ran: []Record{rec("prog", "a ", 1, "a")}},
		{name: "> onto a folder", files: map[string]string{`C:\d\`: ""}, line: `prog a >C:\d`, code: 1, err: "Access is denied.\r\n", ran: []Record{rec("prog", "a ", 1, "a")}},
		{name: "quoted > is an argument", line: `prog "a>b"`, out: "[a>b]\r\n", ran: []Record{rec("prog", `"a>b"`, 0, "a>b")}},
		{name: "escaped > is an argument", line: `prog a^>b`, out: "[a>b]\r\n", ran: []Record{rec("prog", `a>b`, 0, "a>b")}},
		{name: "only a redirection creates the file", line: `>C:\empty.txt`, wantFiles: map[string]string{`C:\empty.txt`: ""}},
		{name: "block with redirection", line: `(echo a& echo b)>C:\o.txt`, wantFiles: map[string]string{`C:\o.txt`: "a\r\nb\r\n"},
			ran: []Record{rec("echo", "a", 0, "a"), rec("echo", "b", 0, "b")}},
		{name: "block and operators", line: `(fail || prog x) && prog y`, err: "fail:\r\n", out: "[x]\r\n[y]\r\n",
			ran: []Record{rec("fail", "", 1), rec("prog", "x", 0, "x"), rec("prog", "y", 0, "y")}},
		{name: "paren outside a block is literal", line: `prog a)`, out: "[a)]\r\n", ran: []Record{rec("prog", "a)", 0, "a)")}},
		{name: "trailing & is accepted", line: `prog a &`, out: "[a]\r\n", ran: []Record{rec("prog", "a ", 0, "a")}},
	})
}

func TestRunSyntaxErrors(t *testing.T) {
	// A line cmd cannot parse runs nothing at all.
	runCases(t, []runCase{
		{name: "leading &", line: `& calc`, code: 255, err: "& was unexpected at this time.\r\n"},
		{name: "leading &&", line: `&& calc`, code: 255, err: "&& was unexpected at this time.\r\n"},
		{name: "leading pipe", line: `| calc`, code: 255, err: "| was unexpected at this time.\r\n"},
		{name: "double pipe operator gap", line: `calc | | calc`, code: 255, err: "| was unexpected at this time.\r\n"},
		{name: "dangling &&", line: `calc &&`, code: 1, err: "The syntax of the command is incorrect.\r\n"},
		{name: "redirection without file", line: `calc >`, code: 1, err: "The syntax of the command is incorrect.\r\n"},
		{name: "redirection to &", line: `calc > & calc`, code: 1, err: "The syntax of the command is incorrect.\r\n"},
		{name: "unclosed block", line: `(calc & calc`, code: 1, err: "The syntax of the command is incorrect.\r\n"},
		{name: "text after block", line: `(calc) calc`, code: 255, err: "calc was unexpected at this time.\r\n"},
		{name: "bad handle duplication", line: `calc 2>&x`, code: 255, err: "& was unexpected at this time.\r\n"},
	})
}

// BenchmarkRun measures a typical provider command line: expansion, parse,
// a redirection and one program.
func BenchmarkRun(b *testing.B) {
	h := NewSimpleHost(map[string]string{"COMPUTERNAME": "NODE1"}, testPrograms())
	line := `prog config "%COMPUTERNAME%" start= demand 2>&1 && echo done`
	b.ReportAllocs()
	for b.Loop() {
		h.ResetCommands()
		if code := Run(context.Background(), h, line, nil, io.Discard, io.Discard); code != 0 {
			b.Fatal(code)
		}
	}
}

// cmd's /C quote rule applies to the top-level line as to a nested `cmd /c`
// (cmd /?): quotes stay only around exactly one quoted program name with a
// blank and no special character in it; otherwise a line that starts with a
// quote loses it and the line's last quote. A line that starts with `(` is
// left alone, and the parentheses only group.
func TestRunSlashCQuoteRule(t *testing.T) {
	runCases(t, []runCase{
		{name: "one quoted program with a blank is kept", line: `"C:\Program Files\prog.exe" a`, out: "[a]\r\n",
			ran: []Record{rec(`C:\Program Files\prog.exe`, "a", 0, "a")}},
		{name: "quoted program alone is kept", line: `"C:\Program Files\prog.exe"`,
			ran: []Record{rec(`C:\Program Files\prog.exe`, "", 0)}},
		{name: "& in the quoted path: old line runs C:\\R, then D\\prog.exe", line: `"C:\R&D\prog.exe" a`, code: 0,
			out: "[a]\r\n", err: `'C:\R' ` + notRecognized,
			ran: []Record{rec(`C:\R`, "", 9009), rec(`D\prog.exe`, "a", 0, "a")}},
		{name: "& in the quoted path, in parentheses", line: `("C:\R&D\prog.exe" a)`, out: "[a]\r\n",
			ran: []Record{rec(`C:\R&D\prog.exe`, "a", 0, "a")}},
		{name: "( ) in the quoted path: old line", line: `"C:\Option Pack (EN)\setup.exe" /u:C:\u.txt /R:N`, code: 1,
			err: `'C:\Option' ` + notRecognized, ran: []Record{rec(`C:\Option`, `Pack (EN)\setup.exe /u:C:\u.txt /R:N`, 9009, "Pack", `(EN)\setup.exe`, `/u:C:\u.txt`, "/R:N")}},
		{name: "( ) in the quoted path, in parentheses", line: `("C:\Option Pack (EN)\setup.exe" /u:C:\u.txt /R:N)`,
			ran: []Record{rec(`C:\Option Pack (EN)\setup.exe`, `/u:C:\u.txt /R:N`, 0, `/u:C:\u.txt`, "/R:N")}},
		{name: "four quotes: first and last go", line: `"C:\Program Files\prog.exe" "a b"`, code: 1,
			err: `'C:\Program' ` + notRecognized, ran: []Record{rec(`C:\Program`, `Files\prog.exe" "a b`, 9009, "Files\\prog.exe a", "b")}},
		{name: "four quotes in parentheses", line: `("C:\Program Files\prog.exe" "a b")`, out: "[a b]\r\n",
			ran: []Record{rec(`C:\Program Files\prog.exe`, `"a b"`, 0, "a b")}},
		{name: "/S strips even one program", line: `cmd /s /c "C:\Program Files\prog.exe" a`, code: 1,
			err: `'C:\Program' ` + notRecognized, ran: []Record{rec(`C:\Program`, `Files\prog.exe a`, 9009, `Files\prog.exe`, "a"), rec("cmd", `/s /c "C:\Program Files\prog.exe" a`, 1, "/s", "/c", `C:\Program Files\prog.exe`, "a")}},
	})
}

// Windows keeps a command's return code (&&, ||, the line's exit code) apart
// from %ERRORLEVEL% (FORMATS.md, "cmd exit codes").
func TestRunReturnCodes(t *testing.T) {
	runCases(t, []runCase{
		{name: "missing program last: line exits 1", line: `nosuch`, code: 1, err: "'nosuch' " + notRecognized, ran: []Record{rec("nosuch", "", 9009)}},
		{name: "missing program: ERRORLEVEL 9009 inside the line", line: `nosuch & if errorlevel 9009 prog e`, out: "[e]\r\n", err: "'nosuch' " + notRecognized,
			ran: []Record{rec("nosuch", "", 9009), rec("prog", "e", 0, "e")}},
		{name: "|| makes the return code the ERRORLEVEL", line: `nosuch || if not errorlevel 2 prog one`, out: "[one]\r\n", err: "'nosuch' " + notRecognized,
			ran: []Record{rec("nosuch", "", 9009), rec("prog", "one", 0, "one")}},
		{name: "program in a missing folder: ERRORLEVEL 3", line: `C:\nope\x.exe & if errorlevel 3 if not errorlevel 4 prog three`, out: "[three]\r\n",
			err: "The system cannot find the path specified.\r\n", ran: []Record{rec(`C:\nope\x.exe`, "", 3), rec("prog", "three", 0, "three")}},
		{name: "failed redirection returns 1", line: `prog a > C:\nope\f.txt`, code: 1, err: "The system cannot find the path specified.\r\n",
			ran: []Record{rec("prog", "a ", 1, "a")}},
		{name: "failed redirection leaves ERRORLEVEL", line: `fail 6 & prog a > C:\nope\f.txt & if errorlevel 6 prog kept`, out: "[kept]\r\n",
			err: "fail:6 \r\nThe system cannot find the path specified.\r\n",
			ran: []Record{rec("fail", "6 ", 6, "6"), rec("prog", "a  ", 1, "a"), rec("prog", "kept", 0, "kept")}},
		{name: "failed redirection and &&", line: `prog a > C:\nope\f.txt && calc`, code: 1, err: "The system cannot find the path specified.\r\n",
			ran: []Record{rec("prog", "a  ", 1, "a")}},
	})
}

// limitedHost is a host whose cmd.exe takes NT 4.0's shorter lines.
type limitedHost struct{ *SimpleHost }

func (limitedHost) MaxLine() int { return MaxLineNT4 }

func TestRunLineTooLong(t *testing.T) {
	for _, c := range []struct {
		name  string
		host  Host
		limit int
	}{
		{"2003", NewSimpleHost(nil, testPrograms()), MaxLine},
		{"nt4", limitedHost{NewSimpleHost(nil, testPrograms())}, MaxLineNT4},
	} {
		t.Run(c.name, func(t *testing.T) {
			fits := "prog " + strings.Repeat("a", c.limit-len("prog "))
			var out, errOut bytes.Buffer
			if code := Run(context.Background(), c.host, fits, nil, &out, &errOut); code != 0 || errOut.Len() != 0 {
				t.Fatalf("a line of %d characters: exit %d, stderr %q", len(fits), code, errOut.String())
			}
			out.Reset()
			code := Run(context.Background(), c.host, fits+"a", nil, &out, &errOut)
			if code != 1 || errOut.String() != "The command line is too long.\r\n" || out.Len() != 0 {
				t.Errorf("a line of %d characters: exit %d, stdout %q, stderr %q", len(fits)+1, code, out.String(), errOut.String())
			}
			// The limit holds after expansion too.
			h := c.host
			h.Setenv("LONG", strings.Repeat("b", c.limit))
			errOut.Reset()
			if code := Run(context.Background(), h, "prog %LONG%", nil, &out, &errOut); code != 1 || errOut.String() != "The command line is too long.\r\n" {
				t.Errorf("expanded past the limit: exit %d, stderr %q", code, errOut.String())
			}
		})
	}
}
