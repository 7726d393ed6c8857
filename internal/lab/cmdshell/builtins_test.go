package cmdshell

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

func TestRunEcho(t *testing.T) {
	runCases(t, []runCase{
		{name: "text", line: `echo hello  world`, out: "hello  world\r\n", ran: []Record{rec("echo", "hello  world", 0, "hello", "world")}},
		{name: "only the first blank is dropped", line: `echo  two`, out: " two\r\n", ran: []Record{rec("echo", "two", 0, "two")}},
		{name: "state", line: `echo`, out: "ECHO is on.\r\n", ran: []Record{rec("echo", "", 0)}},
		{name: "blanks only show the state", line: `echo   `, out: "ECHO is on.\r\n", ran: []Record{rec("echo", "", 0)}},
		{name: "off", line: `echo off& echo`, out: "ECHO is off.\r\n", ran: []Record{rec("echo", "off", 0, "off"), rec("echo", "", 0)}},
		{name: "dot gives an empty line", line: `echo.`, out: "\r\n", ran: []Record{rec("echo", ".", 0, ".")}},
		{name: "dot then text", line: `echo.on`, out: "on\r\n", ran: []Record{rec("echo", ".on", 0, ".on")}},
		{name: "paren form", line: `echo(hi`, out: "hi\r\n", ran: []Record{rec("echo", "(hi", 0, "(hi")}},
		{name: "slash form", line: `echo/hi`, out: "hi\r\n", ran: []Record{rec("echo", "/hi", 0, "/hi")}},
		{name: "quotes are echoed", line: `echo "a & b"`, out: "\"a & b\"\r\n", ran: []Record{rec("echo", `"a & b"`, 0, "a & b")}},
		{name: "escapes are not", line: `echo a^&b ^<c^>`, out: "a&b <c>\r\n", ran: []Record{rec("echo", "a&b <c>", 0, "a&b", "<c>")}},
		{name: "case-insensitive name", line: `ECHO Hi`, out: "Hi\r\n", ran: []Record{rec("ECHO", "Hi", 0, "Hi")}},
		{name: "does not change errorlevel", line: `fail 5 & echo x& if errorlevel 5 prog kept`, err: "fail:5 \r\n", out: "x\r\n[kept]\r\n",
			ran: []Record{rec("fail", "5 ", 5, "5"), rec("echo", "x", 0, "x"), rec("prog", "kept", 0, "kept")}},
	})
}

func TestRunSet(t *testing.T) {
	env := map[string]string{"Alpha": "1", "beta": "2"}
	runCases(t, []runCase{
		{name: "list", env: env, line: `set`, out: "Alpha=1\r\nbeta=2\r\n", ran: []Record{rec("set", "", 0)}},
		{name: "prefix", env: env, line: `set AL`, out: "Alpha=1\r\n", ran: []Record{rec("set", "AL", 0, "AL")}},
		{name: "prefix not found", env: env, line: `set zz`, code: 1, err: "Environment variable zz not defined\r\n", ran: []Record{rec("set", "zz", 1, "zz")}},
		{name: "assign keeps trailing blanks", env: env, line: `set X=a b `, wantEnv: map[string]string{"X": "a b "}, ran: []Record{rec("set", "X=a b ", 0, "X=a", "b")}},
		{name: "quoted assignment", env: env, line: `set "X=a & b" junk`, wantEnv: map[string]string{"X": "a & b"}, ran: []Record{rec("set", `"X=a & b" junk`, 0, "X=a & b", "junk")}},
		{name: "value up to the operator", env: env, line: `set X=a& prog b`, out: "[b]\r\n", wantEnv: map[string]string{"X": "a"},
			ran: []Record{rec("set", "X=a", 0, "X=a"), rec("prog", "b", 0, "b")}},
		{name: "escaped operator in value", env: env, line: `set X=a^&b`, wantEnv: map[string]string{"X": "a&b"}, ran: []Record{rec("set", "X=a&b", 0, "X=a&b")}},
		{name: "empty value deletes", env: env, line: `set alpha=`, wantEnv: map[string]string{"ALPHA": ""}, ran: []Record{rec("set", "alpha=", 0, "alpha=")}},
		{name: "missing name", env: env, line: `set =x`, code: 1, err: "The syntax of the command is incorrect.\r\n", ran: []Record{rec("set", "=x", 1, "=x")}},
		{name: "set /a is not emulated", env: env, line: `set /a 1+1`, code: 1, err: "The syntax of the command is incorrect.\r\n", ran: []Record{rec("set", "/a 1+1", 1, "/a", "1+1")}},
	})
}

// blockingStdin gives its lines, then blocks until the run is interrupted,
// as a WinRM command's stdin does while the client sends nothing.
type blockingStdin struct {
	ctx   context.Context
	lines string
}

func (b *blockingStdin) Read(p []byte) (int, error) {
	if b.lines != "" {
		n := copy(p, b.lines)
		b.lines = b.lines[n:]
		return n, nil
	}
	<-b.ctx.Done()
	return 0, io.EOF
}

// cmd reading its stdin and interrupted (ctrl_c) ends with
// STATUS_CONTROL_C_EXIT, whatever its last command's errorlevel.
func TestRunCmdInterruptedOnStdin(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	h := NewSimpleHost(nil, testPrograms())
	ran := make(chan struct{})
	h.SetProgram("ready", func(context.Context, *Proc) int { close(ran); return 0 })
	done := make(chan int)
	go func() { done <- Run(ctx, h, `cmd`, &blockingStdin{ctx: ctx, lines: "ready\r\n"}, nil, nil) }()
	<-ran
	cancel()
	if code := <-done; code != ExitCtrlC {
		t.Fatalf("code = %d, want %d", code, ExitCtrlC)
	}
}

func TestRunFolders(t *testing.T) {
	tree := map[string]string{`C:\WINNT\system32\`: "", `C:\data\f.txt`: "F\r\n", `C:\data\g.log`: "G", `C:\empty\`: ""}
	runCases(t, []runCase{
		{name: "cd shows the folder", dir: `C:\WINNT`, files: tree, line: `cd`, out: "C:\\WINNT\r\n", ran: []Record{rec("cd", "", 0)}},
		{name: "cd absolute", files: tree, line: `cd C:\winnt\SYSTEM32`, wantDir: `C:\WINNT\system32`, ran: []Record{rec("cd", `C:\winnt\SYSTEM32`, 0, `C:\winnt\SYSTEM32`)}},
		{name: "cd relative", dir: `C:\WINNT`, files: tree, line: `chdir system32`, wantDir: `C:\WINNT\system32`, ran: []Record{rec("chdir", "system32", 0, "system32")}},
		{name: "cd..", dir: `C:\WINNT\system32`, files: tree, line: `cd..`, wantDir: `C:\WINNT`, ran: []Record{rec("cd", "..", 0, "..")}},
		{name: "cd\\", dir: `C:\WINNT\system32`, files: tree, line: `cd\`, wantDir: `C:\`, ran: []Record{rec("cd", `\`, 0, `\`)}},
		{name: "cd quoted with /d", files: map[string]string{`C:\a b\`: ""}, line: `cd /d "C:\a b"`, wantDir: `C:\a b`, ran: []Record{rec("cd", `/d "C:\a b"`, 0, "/d", `C:\a b`)}},
		{name: "cd missing", files: tree, line: `cd C:\nope || prog x`, code: 0, err: "The system cannot find the path specified.\r\n", out: "[x]\r\n", wantDir: `C:\`,
			ran: []Record{rec("cd", `C:\nope `, 1, `C:\nope`), rec("prog", "x", 0, "x")}},
		{name: "relative paths follow cd", files: tree, line: `cd data & type f.txt`, out: "F\r\n", ran: []Record{rec("cd", "data ", 0, "data"), rec("type", "f.txt", 0, "f.txt")}},
		{name: "drive change", dir: `C:\WINNT`, files: tree, line: `c:`, wantDir: `C:\`, ran: []Record{rec("c:", "", 0)}},
		{name: "missing drive", files: tree, line: `Q:`, code: 1, err: "The system cannot find the drive specified.\r\n", ran: []Record{rec("Q:", "", 1)}},
		{name: "type", files: tree, line: `type "C:\data\f.txt"`, out: "F\r\n", ran: []Record{rec("type", `"C:\data\f.txt"`, 0, `C:\data\f.txt`)}},
		{name: "type missing", files: tree, line: `type C:\data\none.txt`, code: 1, err: "The system cannot find the file specified.\r\n", ran: []Record{rec("type", `C:\data\none.txt`, 1, `C:\data\none.txt`)}},
		{name: "type folder", files: tree, line: `type C:\data`, code: 1, err: "Access is denied.\r\n", ran: []Record{rec("type", `C:\data`, 1, `C:\data`)}},
		{name: "type nothing", line: `type`, code: 1, err: "The syntax of the command is incorrect.\r\n", ran: []Record{rec("type", "", 1)}},
		{name: "md creates parents", line: `md C:\a\b "C:\c d"`, ran: []Record{rec("md", `C:\a\b "C:\c d"`, 0, `C:\a\b`, `C:\c d`)},
			wantFiles: map[string]string{`C:\a\b\x`: "<none>"}},
		{name: "md existing", files: tree, line: `mkdir C:\data`, code: 1, err: "A subdirectory or file C:\\data already exists.\r\n", ran: []Record{rec("mkdir", `C:\data`, 1, `C:\data`)}},
		{name: "rd empty", files: tree, line: `rd C:\empty & if not exist C:\empty prog gone`, out: "[gone]\r\n",
			ran: []Record{rec("rd", `C:\empty `, 0, `C:\empty`), rec("prog", "gone", 0, "gone")}},
		{name: "rd not empty", files: tree, line: `rmdir C:\data`, code: 145, err: "The directory is not empty.\r\n", ran: []Record{rec("rmdir", `C:\data`, 145, `C:\data`)}},
		{name: "rd missing", line: `rd C:\nope`, code: 2, err: "The system cannot find the file specified.\r\n", ran: []Record{rec("rd", `C:\nope`, 2, `C:\nope`)}},
		// RD returns its Win32 code but leaves ERRORLEVEL alone; || makes it the ERRORLEVEL.
		{name: "rd missing leaves errorlevel", line: `fail 7 & rd C:\nope & if errorlevel 7 prog kept`, out: "[kept]\r\n",
			err: "fail:7 \r\nThe system cannot find the file specified.\r\n",
			ran: []Record{rec("fail", "7 ", 7, "7"), rec("rd", `C:\nope `, 2, `C:\nope`), rec("prog", "kept", 0, "kept")}},
		{name: "rd missing parent", line: `rd C:\nope\sub || if errorlevel 3 prog three`, out: "[three]\r\n",
			err: "The system cannot find the path specified.\r\n",
			ran: []Record{rec("rd", `C:\nope\sub `, 3, `C:\nope\sub`), rec("prog", "three", 0, "three")}},
		{name: "rd file", files: tree, line: `rd C:\data\f.txt`, code: 267, err: "The directory name is invalid.\r\n", ran: []Record{rec("rd", `C:\data\f.txt`, 267, `C:\data\f.txt`)}},
		{name: "ren folder", files: tree, line: `ren C:\data data.old && type C:\data.old\f.txt`, out: "F\r\n",
			wantFiles: map[string]string{`C:\data\f.txt`: "<none>", `C:\data.old\g.log`: "G"},
			ran:       []Record{rec("ren", `C:\data data.old `, 0, `C:\data`, "data.old"), rec("type", `C:\data.old\f.txt`, 0, `C:\data.old\f.txt`)}},
		{name: "rename file, relative", dir: `C:\data`, files: tree, line: `rename "f.txt" h.txt`,
			wantFiles: map[string]string{`C:\data\f.txt`: "<none>", `C:\data\h.txt`: "F\r\n"}, ran: []Record{rec("rename", `"f.txt" h.txt`, 0, "f.txt", "h.txt")}},
		// A second REN of one folder finds it gone; a name taken is refused.
		{name: "ren missing", files: tree, line: `ren C:\nope x`, code: 1, err: "The system cannot find the file specified.\r\n", ran: []Record{rec("ren", `C:\nope x`, 1, `C:\nope`, "x")}},
		{name: "ren onto a name taken", files: tree, line: `ren C:\data\f.txt g.log`, code: 1, err: "A duplicate file name exists, or the file cannot be found.\r\n",
			wantFiles: map[string]string{`C:\data\f.txt`: "F\r\n"}, ran: []Record{rec("ren", `C:\data\f.txt g.log`, 1, `C:\data\f.txt`, "g.log")}},
		{name: "ren with a path in the new name", files: tree, line: `ren C:\data C:\elsewhere`, code: 1, err: "The syntax of the command is incorrect.\r\n", ran: []Record{rec("ren", `C:\data C:\elsewhere`, 1, `C:\data`, `C:\elsewhere`)}},
		{name: "ren one name", files: tree, line: `ren C:\data`, code: 1, err: "The syntax of the command is incorrect.\r\n", ran: []Record{rec("ren", `C:\data`, 1, `C:\data`)}},
		{name: "rd /s /q", files: tree, line: `rd /s /q C:\data`, wantFiles: map[string]string{`C:\data\f.txt`: "<none>"}, ran: []Record{rec("rd", `/s /q C:\data`, 0, "/s", "/q", `C:\data`)}},
		{name: "rd /s asks, yes", files: tree, stdin: "y\r\n", line: `rd /s C:\data`, out: "C:\\data, Are you sure (Y/N)? \r\n",
			wantFiles: map[string]string{`C:\data\f.txt`: "<none>"}, ran: []Record{rec("rd", `/s C:\data`, 0, "/s", `C:\data`)}},
		{name: "rd /s asks, no", files: tree, stdin: "n\r\n", line: `rd /s C:\data`, out: "C:\\data, Are you sure (Y/N)? \r\n",
			wantFiles: map[string]string{`C:\data\f.txt`: "F\r\n"}, ran: []Record{rec("rd", `/s C:\data`, 0, "/s", `C:\data`)}},
		{name: "del file", files: tree, line: `del C:\data\F.TXT`, wantFiles: map[string]string{`C:\data\f.txt`: "<none>", `C:\data\g.log`: "G"}, ran: []Record{rec("del", `C:\data\F.TXT`, 0, `C:\data\F.TXT`)}},
		{name: "del missing is not a failure", files: tree, line: `erase data\none.txt && prog ok`, err: "Could Not Find C:\\data\\none.txt\r\n", out: "[ok]\r\n",
			ran: []Record{rec("erase", `data\none.txt `, 0, `data\none.txt`), rec("prog", "ok", 0, "ok")}},
		{name: "del of a missing folder fails", files: tree, line: `fail 4 & del /q C:\nope\x.txt || if errorlevel 1 prog failed`, out: "[failed]\r\n",
			err: "fail:4 \r\nThe system cannot find the path specified.\r\n",
			ran: []Record{rec("fail", "4 ", 4, "4"), rec("del", `/q C:\nope\x.txt `, 1, "/q", `C:\nope\x.txt`), rec("prog", "failed", 0, "failed")}},
		{name: "del wildcard", files: tree, line: `del /q C:\data\*.txt`, wantFiles: map[string]string{`C:\data\f.txt`: "<none>", `C:\data\g.log`: "G"}, ran: []Record{rec("del", `/q C:\data\*.txt`, 0, "/q", `C:\data\*.txt`)}},
		{name: "del folder /q", files: tree, line: `del /q C:\data`, wantFiles: map[string]string{`C:\data\f.txt`: "<none>", `C:\data\g.log`: "<none>"}, ran: []Record{rec("del", `/q C:\data`, 0, "/q", `C:\data`)}},
		{name: "copy", files: tree, line: `copy C:\data\f.txt C:\empty`, out: "        1 file(s) copied.\r\n", wantFiles: map[string]string{`C:\empty\f.txt`: "F\r\n"},
			ran: []Record{rec("copy", `C:\data\f.txt C:\empty`, 0, `C:\data\f.txt`, `C:\empty`)}},
		{name: "type nul makes an empty file", files: map[string]string{`C:\e.txt`: "old"}, line: `type nul > C:\e.txt`, wantFiles: map[string]string{`C:\e.txt`: ""}, ran: []Record{rec("type", "nul ", 0, "nul")}},
		{name: "copy nul", line: `copy nul C:\e.txt`, out: "        1 file(s) copied.\r\n", wantFiles: map[string]string{`C:\e.txt`: ""}, ran: []Record{rec("copy", `nul C:\e.txt`, 0, "nul", `C:\e.txt`)}},
		{name: "copy missing", files: tree, line: `copy C:\none C:\x`, code: 1, err: "The system cannot find the file specified.\r\n", out: "        0 file(s) copied.\r\n",
			ran: []Record{rec("copy", `C:\none C:\x`, 1, `C:\none`, `C:\x`)}},
	})
}

func TestRunIfRemExit(t *testing.T) {
	files := map[string]string{`C:\f.txt`: "x"}
	env := map[string]string{"X": "1"}
	runCases(t, []runCase{
		{name: "exist", files: files, line: `if exist C:\f.txt prog y`, out: "[y]\r\n", ran: []Record{rec("prog", "y", 0, "y")}},
		{name: "exist quoted relative", files: files, line: `if exist "f.txt" prog y`, out: "[y]\r\n", ran: []Record{rec("prog", "y", 0, "y")}},
		{name: "not exist", line: `if not exist C:\f.txt prog n`, out: "[n]\r\n", ran: []Record{rec("prog", "n", 0, "n")}},
		{name: "exist false", line: `if exist C:\f.txt calc`},
		{name: "exist folder\\nul", files: map[string]string{`C:\NTOP\`: ""}, line: `if exist C:\ntop\nul prog d& if exist C:\f.txt\nul calc`, out: "[d]\r\n", ran: []Record{rec("prog", "d", 0, "d")}},
		{name: "exist wildcard", files: map[string]string{`C:\NTOP\setup.inf`: ""}, line: `if exist C:\ntop\*.INF prog w& if exist C:\ntop\*.exe calc`, out: "[w]\r\n", ran: []Record{rec("prog", "w", 0, "w")}},
		{name: "errorlevel", line: `fail 2 & if errorlevel 2 prog e`, code: 0, err: "fail:2 \r\n", out: "[e]\r\n",
			ran: []Record{rec("fail", "2 ", 2, "2"), rec("prog", "e", 0, "e")}},
		{name: "errorlevel is at least", line: `fail 1 & if errorlevel 2 calc`, code: 0, err: "fail:1 \r\n", ran: []Record{rec("fail", "1 ", 1, "1")}},
		{name: "compare", line: `if a==a prog eq`, out: "[eq]\r\n", ran: []Record{rec("prog", "eq", 0, "eq")}},
		{name: "compare with quotes", line: `if "a b"=="a b" prog q`, out: "[q]\r\n", ran: []Record{rec("prog", "q", 0, "q")}},
		{name: "quotes take part", line: `if "a"==a calc`},
		{name: "case-sensitive", line: `if A==a calc`},
		{name: "/i", line: `if /i A==a prog ci`, out: "[ci]\r\n", ran: []Record{rec("prog", "ci", 0, "ci")}},
		{name: "numeric GTR", line: `if 10 GTR 9 prog gt`, out: "[gt]\r\n", ran: []Record{rec("prog", "gt", 0, "gt")}},
		{name: "string LSS", line: `if abc lss abd prog lt`, out: "[lt]\r\n", ran: []Record{rec("prog", "lt", 0, "lt")}},
		{name: "defined", env: env, line: `if defined x prog d`, out: "[d]\r\n", ran: []Record{rec("prog", "d", 0, "d")}},
		{name: "not defined", line: `if not defined x prog nd`, out: "[nd]\r\n", ran: []Record{rec("prog", "nd", 0, "nd")}},
		{name: "the rest of the line belongs to IF", line: `if 1==2 prog a & calc`},
		{name: "else after a block", line: `if 1==2 (calc) else (prog b)`, out: "[b]\r\n", ran: []Record{rec("prog", "b", 0, "b")}},
		{name: "then block", line: `if 1==1 (prog a) else (calc)`, out: "[a]\r\n", ran: []Record{rec("prog", "a", 0, "a")}},
		{name: "else after a simple command is an argument", line: `if 1==1 prog a else calc`, out: "[a]\r\n[else]\r\n[calc]\r\n", ran: []Record{rec("prog", "a else calc", 0, "a", "else", "calc")}},
		{name: "if inside a block", line: `(if 1==2 calc) & prog x`, out: "[x]\r\n", ran: []Record{rec("prog", "x", 0, "x")}},
		{name: "if without a command", line: `if 1==1`, code: 1, err: "The syntax of the command is incorrect.\r\n"},
		{name: "if bad operator", line: `if 1 FOO 1 calc`, code: 255, err: "FOO was unexpected at this time.\r\n"},
		{name: "rem takes the rest", line: `rem & calc | calc > C:\x`, ran: []Record{rec("rem", "& calc | calc > C:\\x", 0, "&", "calc", "|", "calc", ">", `C:\x`)},
			wantFiles: map[string]string{`C:\x`: "<none>"}},
		{name: "exit stops the line", line: `exit 3 & calc`, code: 3, ran: []Record{rec("exit", "3 ", 3, "3")}},
		{name: "exit /b", line: `exit /b 5`, code: 5, ran: []Record{rec("exit", "/b 5", 5, "/b", "5")}},
		{name: "exit keeps errorlevel", line: `fail 4 & exit`, code: 4, err: "fail:4 \r\n", ran: []Record{rec("fail", "4 ", 4, "4"), rec("exit", "", 4)}},
	})
}

func TestRunChildCmd(t *testing.T) {
	env := map[string]string{"V": "x & calc"}
	runCases(t, []runCase{
		{name: "cmd /c", line: `cmd /c prog a`, out: "[a]\r\n", ran: []Record{rec("prog", "a", 0, "a"), rec("cmd", "/c prog a", 0, "/c", "prog", "a")}},
		{name: "outer quotes stripped", line: `cmd /c "prog "a b""`, out: "[a b]\r\n", ran: []Record{rec("prog", `"a b"`, 0, "a b"), rec("cmd", `/c "prog "a b""`, 0, "/c", "prog a", "b")}},
		{name: "quoted program kept", line: `cmd /c "C:\Program Files\prog.exe"`, ran: []Record{rec(`C:\Program Files\prog.exe`, "", 0), rec("cmd", `/c "C:\Program Files\prog.exe"`, 0, "/c", `C:\Program Files\prog.exe`)}},
		{name: "/s strips", line: `cmd /s /c "prog a"`, out: "[a]\r\n", ran: []Record{rec("prog", "a", 0, "a"), rec("cmd", `/s /c "prog a"`, 0, "/s", "/c", "prog a")}},
		{name: "quoted program and quoted args", line: `cmd.exe /c ""C:\Program Files\prog.exe" "a b""`, out: "[a b]\r\n",
			ran: []Record{rec(`C:\Program Files\prog.exe`, `"a b"`, 0, "a b"), rec("cmd.exe", `/c ""C:\Program Files\prog.exe" "a b""`, 0, "/c", `C:\Program`, `Files\prog.exe a`, `b`)}},
		{name: "child expands again", env: env, line: `cmd /c prog %^V%`, out: "[x]\r\n",
			ran: []Record{rec("prog", "x ", 0, "x"), rec("calc", "", 0), rec("cmd", `/c prog %V%`, 0, "/c", "prog", "%V%")}},
		{name: "percents doubled on the command line", env: env, line: `cmd /c "prog %%V%%"`, code: 1, out: "[%x]\r\n", err: "'calc%' " + notRecognized,
			ran: []Record{rec("prog", "%x ", 0, "%x"), rec("calc%", "", 9009), rec("cmd", `/c "prog %x & calc%"`, 1, "/c", "prog %x & calc%")}},
		{name: "child set stays in the child", line: `cmd /c set X=1& prog %X%`, out: "[%X%]\r\n", wantEnv: map[string]string{"X": ""},
			ran: []Record{rec("set", "X=1", 0, "X=1"), rec("cmd", "/c set X=1", 0, "/c", "set", "X=1"), rec("prog", "%X%", 0, "%X%")}},
		{name: "child cd stays in the child", files: map[string]string{`C:\t\`: ""}, line: `cmd /c cd C:\t`, wantDir: `C:\`,
			ran: []Record{rec("cd", `C:\t`, 0, `C:\t`), rec("cmd", `/c cd C:\t`, 0, "/c", "cd", `C:\t`)}},
		{name: "child exit code", line: `cmd /c exit 7 || prog f`, out: "[f]\r\n",
			ran: []Record{rec("exit", "7 ", 7, "7"), rec("cmd", "/c exit 7 ", 7, "/c", "exit", "7"), rec("prog", "f", 0, "f")}},
		{name: "full path", line: `C:\WINNT\system32\CMD.EXE /C prog a`, out: "[a]\r\n", ran: []Record{rec("prog", "a", 0, "a"), rec(`C:\WINNT\system32\CMD.EXE`, "/C prog a", 0, "/C", "prog", "a")}},
		{name: "/k goes on with stdin", stdin: "prog b\r\n", line: `cmd /k prog a`, out: "[a]\r\n[b]\r\n",
			ran: []Record{rec("prog", "a", 0, "a"), rec("prog", "b", 0, "b"), rec("cmd", "/k prog a", 0, "/k", "prog", "a")}},
		{name: "reads stdin without /c", stdin: "prog a\r\nexit 3\r\nprog b\r\n", line: `cmd`, code: 3, out: "[a]\r\n",
			ran: []Record{rec("prog", "a", 0, "a"), rec("exit", "3", 3, "3"), rec("cmd", "", 3)}},
	})
}

func TestRunCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	h := NewSimpleHost(nil, testPrograms())
	h.SetProgram("stop", func(ctx context.Context, p *Proc) int {
		cancel()
		if ctx.Err() == nil {
			t.Error("program did not get the run's context")
		}
		return 0
	})
	code := Run(ctx, h, `prog a & stop & calc`, nil, nil, nil)
	if code != ExitCtrlC {
		t.Errorf("code = %d, want %d", code, ExitCtrlC)
	}
	want := []Record{rec("prog", "a ", 0, "a"), rec("stop", "", 0)}
	if got := h.Commands(); len(got) != 2 || got[0].Name != want[0].Name || got[1].Name != want[1].Name {
		t.Errorf("ran %v, want %v", got, want)
	}
	if code := Run(ctx, h, `calc`, nil, nil, nil); code != ExitCtrlC || len(h.Commands()) != 2 {
		t.Errorf("cancelled context: code %d, commands %v", code, h.Commands())
	}
}

func TestSimpleHost(t *testing.T) {
	h := NewSimpleHost(map[string]string{"Path": `C:\WINNT`}, testPrograms())
	for _, name := range []string{"prog", "PROG.EXE", `C:\x\prog.com`, "C:/x/Prog"} {
		if _, ok := h.LookupProgram(name); !ok {
			t.Errorf("LookupProgram(%q) not found", name)
		}
	}
	if _, ok := h.LookupProgram("prog.bat"); ok {
		t.Error("prog.bat found")
	}
	h.Setenv("PATH", `C:\x`)
	if got := h.Environ(); len(got) != 1 || got[0] != `Path=C:\x` {
		t.Errorf("Environ = %q (the first spelling of a name stays)", got)
	}
	var out bytes.Buffer
	Run(context.Background(), h, `prog "%path%"`, nil, &out, nil)
	if out.String() != "[C:\\x]\r\n" {
		t.Errorf("out = %q", out.String())
	}
	if got := h.Commands(); len(got) != 1 || strings.Join(got[0].Args, "|") != `C:\x` {
		t.Errorf("Commands = %#v", got)
	}
	h.ResetCommands()
	if len(h.Commands()) != 0 {
		t.Error("ResetCommands kept entries")
	}
}

func TestUnderlyingHost(t *testing.T) {
	h := NewSimpleHost(nil, nil)
	var seen []Host
	h.SetProgram("who", func(_ context.Context, p *Proc) int {
		seen = append(seen, Underlying(p.Host))
		return 0
	})
	Run(context.Background(), h, `who & cmd /c "cmd /c who" & who | who`, nil, nil, nil)
	if len(seen) != 4 {
		t.Fatalf("who ran %d times", len(seen))
	}
	for i, s := range seen {
		if s != Host(h) {
			t.Errorf("run %d: Underlying = %T, want the SimpleHost", i, s)
		}
	}
}
