package cmdshell

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/winfs"
)

// ExitCtrlC is the exit code of a command line interrupted by cancellation,
// STATUS_CONTROL_C_EXIT, which is what Windows reports for a cmd.exe stopped
// with Ctrl+C.
const ExitCtrlC = -1073741510

// ExitNotRecognized is %ERRORLEVEL% after an unknown command. The command
// itself returns 1 (what && and || see, and what `cmd /c` exits with when it
// was the line's last command): see returnNotFound.
const ExitNotRecognized = 9009

// Windows' cmd keeps two numbers apart: the return code of each command,
// which && and || test and which `cmd /c` exits with (the last command's),
// and %ERRORLEVEL%, which most commands set to their return code but some
// leave alone. Where they differ (wine's cmd conformance tests, whose
// expected output is Windows', programs/cmd/tests/test_builtins.bat.exp):
//
//	a program cmd cannot find   returns 1, ERRORLEVEL 9009 (3 when its folder is missing)
//	a redirection that fails    returns 1, ERRORLEVEL unchanged
//	RD / RMDIR                  returns 2, 3, 145 or 267 on failure, ERRORLEVEL unchanged
//	||                          sets ERRORLEVEL to the failed return code before its right side
const (
	returnNotFound   = 1
	exitPathNotFound = 3
)

// The longest command line cmd.exe takes: 8,191 characters from Windows XP
// and 2003 on, 2,047 on NT 4.0 and 2000 (Microsoft KB 830473, "Command
// prompt (Cmd.exe) command-line string limitation"); the limit holds for the
// line as received and after %VAR% expansion.
const (
	MaxLine    = 8191
	MaxLineNT4 = 2047
)

// LineLimiter is an optional interface of a Host whose cmd.exe takes lines of
// another length than MaxLine (NT 4.0's MaxLineNT4).
type LineLimiter interface {
	MaxLine() int
}

// EnvLister is an optional interface of a Host that can enumerate its
// environment; `set` with no or a partial name lists variables through it.
type EnvLister interface {
	// Environ returns "NAME=value" entries sorted case-insensitively by name.
	Environ() []string
}

// DirLister is an optional interface of an FS that can list a folder; del with
// wildcards or on a folder uses it.
type DirLister interface {
	List(dir string) ([]winfs.Entry, error)
}

// Run interprets one command line as `cmd.exe /c line` does, quote rule of
// /C included (see slashC), and returns cmd's exit code: the return code of
// the last command that ran, which is not always %ERRORLEVEL% (see above).
// Output goes to stdout and stderr with CRLF line endings; nil readers and
// writers stand for empty input and discarded output.
//
// A WinRM cmd shell runs each rsp:Command this way: the text-based command
// shell of MS-WSMV hands the line to cmd.exe, and a line that starts with a
// quoted program path with blanks gets cmd's /C treatment over WinRM
// (FORMATS.md, "cmd /c at the top level", gives the evidence).
func Run(ctx context.Context, host Host, line string, stdin io.Reader, stdout, stderr io.Writer) int {
	sh := &shell{host: host, echo: true}
	return sh.slashC(ctx, line, false, streams{in: orEmpty(stdin), out: orDiscard(stdout), err: orDiscard(stderr)})
}

// slashC runs what follows cmd's /C switch: cmd's quote rule (cmdQuotes)
// first, then the line. It is the one path for the top-level line and for a
// nested `cmd /c`.
func (sh *shell) slashC(ctx context.Context, rest string, stripS bool, st streams) int {
	line := cmdQuotes(rest, stripS, func(name string) bool {
		_, ok := sh.host.LookupProgram(name)
		return ok
	})
	return sh.runLine(ctx, line, st)
}

func orEmpty(r io.Reader) io.Reader {
	if r == nil {
		return strings.NewReader("")
	}
	return r
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

type streams struct {
	in       io.Reader
	out, err io.Writer
}

// shell is the state of one cmd.exe process.
type shell struct {
	host       Host
	errorlevel int
	echo       bool
	exited     bool // EXIT ran: nothing more runs in this process
}

// runLine runs phase 1 and 2 over the line, then executes it, and returns
// the last command's return code.
func (sh *shell) runLine(ctx context.Context, line string, st streams) int {
	limit := MaxLine
	if l, ok := Underlying(sh.host).(LineLimiter); ok {
		limit = l.MaxLine()
	}
	expanded := ""
	if len(line) <= limit {
		expanded = expandPercent(line, sh.lookup)
	}
	if len(line) > limit || len(expanded) > limit {
		// Nothing of the line runs. The exit code is not documented; 1 is
		// cmd's code for its own refusals (FORMATS.md: guess).
		fmt.Fprint(st.err, "The command line is too long.\r\n")
		return sh.setLevel(1)
	}
	tree, err := parse(expanded)
	if err != nil {
		var se *syntaxError
		errors.As(err, &se)
		fmt.Fprint(st.err, se.msg+"\r\n")
		return sh.setLevel(se.code)
	}
	return sh.exec(ctx, tree, st)
}

// lookup resolves a variable for expansion; the dynamic variables apply only
// when no real variable of that name exists, as in cmd. Empty values count as
// undefined: cmd cannot hold an empty variable.
func (sh *shell) lookup(name string) (string, bool) {
	if v, ok := sh.host.Getenv(name); ok && v != "" {
		return v, true
	}
	switch strings.ToUpper(name) {
	case "ERRORLEVEL":
		return strconv.Itoa(sh.errorlevel), true
	case "CD":
		return sh.host.Dir(), true
	case "RANDOM":
		return strconv.Itoa(rand.IntN(32768)), true
	case "CMDEXTVERSION":
		return "2", true
	}
	return "", false
}

// exec runs a node and returns its exit code (for && and ||); %ERRORLEVEL% is
// kept in sh.errorlevel, which not every internal command changes.
func (sh *shell) exec(ctx context.Context, n node, st streams) int {
	if sh.exited {
		return sh.errorlevel
	}
	switch n := n.(type) {
	case nil:
		return 0
	case *opNode:
		return sh.execOp(ctx, n, st)
	case *blockNode:
		sio, code, ok := sh.redirect(n.redirs, st)
		if !ok {
			return code
		}
		return sh.exec(ctx, n.body, sio)
	case *ifNode:
		return sh.execIf(ctx, n, st)
	case *cmdNode:
		return sh.execCommand(ctx, n, st)
	}
	panic(fmt.Sprintf("cmdshell: unknown node %T", n))
}

func (sh *shell) execOp(ctx context.Context, n *opNode, st streams) int {
	switch n.op {
	case "&":
		sh.exec(ctx, n.left, st)
		return sh.exec(ctx, n.right, st)
	case "&&":
		if code := sh.exec(ctx, n.left, st); code != 0 {
			return code
		}
		return sh.exec(ctx, n.right, st)
	case "||":
		code := sh.exec(ctx, n.left, st)
		if code == 0 || sh.exited {
			return code
		}
		// `rd missing || echo %ERRORLEVEL%`-style lines see the failure:
		// || makes the return code the ERRORLEVEL (see above).
		sh.errorlevel = code
		return sh.exec(ctx, n.right, st)
	}
	// "|": cmd runs each side in a child cmd.exe at the same time; here the
	// children run one after the other through a buffer, which gives the same
	// bytes for the lab's tools. Like real children, they keep their SET, CD
	// and EXIT to themselves.
	var buf bytes.Buffer
	left := &shell{host: newChildHost(sh.host), echo: sh.echo, errorlevel: sh.errorlevel}
	left.exec(ctx, n.left, streams{in: st.in, out: &buf, err: st.err})
	if ctx.Err() != nil {
		sh.exited = true
		return sh.setLevel(ExitCtrlC)
	}
	right := &shell{host: newChildHost(sh.host), echo: sh.echo, errorlevel: sh.errorlevel}
	code := right.exec(ctx, n.right, streams{in: &buf, out: st.out, err: st.err})
	return sh.setLevel(code) // the right child's exit code
}

func (sh *shell) execIf(ctx context.Context, n *ifNode, st streams) int {
	var cond bool
	switch n.kind {
	case "exist":
		cond = sh.exists(sh.abs(unquote(n.a)))
	case "errorlevel":
		level, err := strconv.Atoi(n.a)
		if err != nil {
			fmt.Fprint(st.err, "The syntax of the command is incorrect.\r\n")
			sh.errorlevel = 1
			return 1
		}
		cond = sh.errorlevel >= level
	case "defined":
		v, ok := sh.host.Getenv(n.a)
		cond = ok && v != ""
	default:
		cond = compare(n.a, n.b, n.cmpOp, n.ignoreCase)
	}
	if cond != n.not {
		return sh.exec(ctx, n.then, st)
	}
	if n.els != nil {
		return sh.exec(ctx, n.els, st)
	}
	return 0
}

// exists is IF EXIST: a file or folder, a wildcard that matches a file, or
// folder\nul, the NT idiom that is true for an existing folder.
func (sh *shell) exists(path string) bool {
	fsys := sh.host.FS()
	i := strings.LastIndexByte(path, '\\')
	if i < 0 {
		return false
	}
	dir, base := path[:i], path[i+1:]
	if !strings.Contains(dir, `\`) {
		dir += `\`
	}
	switch {
	case isNul(base):
		isDir, err := fsys.Stat(dir)
		return err == nil && isDir
	case strings.ContainsAny(base, "*?"):
		lister, ok := fsys.(DirLister)
		if !ok {
			return false
		}
		entries, _ := lister.List(dir)
		for _, e := range entries {
			if !e.IsDir && matchWild(base, e.Name) {
				return true
			}
		}
		return false
	}
	_, err := fsys.Stat(path)
	return err == nil
}

// Underlying returns the host a command line was started on. Programs run
// inside `cmd /c` or a pipe see a child host (the environment and current
// folder of the child cmd.exe); a program that needs its machine's own Host
// type unwraps it with this.
func Underlying(h Host) Host {
	for {
		u, ok := h.(interface{ Unwrap() Host })
		if !ok {
			return h
		}
		h = u.Unwrap()
	}
}

// compare evaluates IF's comparisons: == always compares strings (quotes
// included); EQU and friends compare numbers when both sides are numbers.
func compare(a, b, op string, fold bool) bool {
	if op == "==" {
		if fold {
			return strings.EqualFold(a, b)
		}
		return a == b
	}
	var c int
	x, errA := strconv.ParseInt(a, 0, 64)
	y, errB := strconv.ParseInt(b, 0, 64)
	switch {
	case errA == nil && errB == nil:
		c = cmpInt(x, y)
	case fold:
		c = strings.Compare(strings.ToLower(a), strings.ToLower(b))
	default:
		c = strings.Compare(a, b)
	}
	switch op {
	case "EQU":
		return c == 0
	case "NEQ":
		return c != 0
	case "LSS":
		return c < 0
	case "LEQ":
		return c <= 0
	case "GTR":
		return c > 0
	}
	return c >= 0 // GEQ
}

func cmpInt(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func (sh *shell) execCommand(ctx context.Context, n *cmdNode, st streams) int {
	if ctx.Err() != nil {
		sh.exited = true
		sh.errorlevel = ExitCtrlC
		return ExitCtrlC
	}
	line := strings.TrimLeft(n.tail, " \t")
	sio, code, ok := sh.redirect(n.redirs, st)
	if !ok {
		if n.name != "" {
			sh.host.CommandDone(n.name, line, code)
		}
		return code
	}
	if n.typed == "" {
		return 0 // only redirections: the files are created, nothing runs
	}
	if n.internal != "" {
		if fh, ok := sh.host.(FaultHost); ok {
			if stderr, fcode, hit := fh.InternalFault(n.name, line); hit {
				fmt.Fprint(sio.err, stderr)
				code = sh.setLevel(fcode)
				sh.host.CommandDone(n.name, line, code)
				return code
			}
		}
		code = sh.builtin(n, sio)
	} else {
		var found bool
		code, found = sh.external(ctx, n, line, sio)
		if !found {
			// The log keeps what tells a missing program apart: its
			// ERRORLEVEL (9009, or 3), not the return code 1.
			sh.host.CommandDone(n.name, line, sh.errorlevel)
			return code
		}
	}
	sh.host.CommandDone(n.name, line, code)
	return code
}

// external runs a program; found is false when there is none of that name.
func (sh *shell) external(ctx context.Context, n *cmdNode, line string, st streams) (code int, found bool) {
	base := strings.ToLower(n.name[strings.LastIndexAny(n.name, `\/`)+1:])
	switch {
	case base == "cmd" || base == "cmd.exe":
		return sh.setLevel(sh.cmd(ctx, n.tail, st)), true
	case len(n.name) == 2 && n.name[1] == ':' && line == "":
		return sh.setLevel(sh.changeDrive(n.name, st)), true
	}
	prog, found := sh.host.LookupProgram(n.name)
	if !found {
		// A path whose folder is missing gets the file system's message
		// and ERRORLEVEL 3; any other name cmd's "not recognized".
		if i := strings.LastIndexAny(n.name, `\/`); i >= 0 {
			dir := sh.abs(n.name[:i+1])
			if _, err := sh.host.FS().Stat(dir); err != nil {
				fmt.Fprint(st.err, "The system cannot find the path specified.\r\n")
				sh.errorlevel = exitPathNotFound
				return returnNotFound, false
			}
		}
		fmt.Fprintf(st.err, "'%s' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", n.typed)
		sh.errorlevel = ExitNotRecognized
		return returnNotFound, false
	}
	proc := &Proc{Name: n.name, Line: line, Args: SplitArgs(line), Stdin: st.in, Stdout: st.out, Stderr: st.err, Host: sh.host}
	return sh.setLevel(prog(ctx, proc)), true
}

func (sh *shell) setLevel(code int) int {
	sh.errorlevel = code
	return code
}

// changeDrive runs `D:`. The lab keeps no current folder per drive, so the new
// current folder is the drive's root.
func (sh *shell) changeDrive(drive string, st streams) int {
	root := strings.ToUpper(drive) + `\`
	if isDir, err := sh.host.FS().Stat(root); err != nil || !isDir {
		fmt.Fprint(st.err, "The system cannot find the drive specified.\r\n")
		return 1
	}
	sh.host.SetDir(root)
	return 0
}

// abs resolves a path typed on the command line against the current folder.
func (sh *shell) abs(p string) string {
	return winfs.Abs(sh.host.Dir(), p)
}

// isNul reports cmd's null device names.
func isNul(p string) bool {
	base := strings.ToLower(strings.TrimRight(p[strings.LastIndexAny(p, `\/:`)+1:], ": "))
	if i := strings.IndexByte(base, '.'); i >= 0 {
		base = base[:i] // nul.txt is still the null device
	}
	return base == "nul" || strings.EqualFold(strings.TrimRight(p, ":"), "nul")
}

// redirect applies redirections in order (so `>f 2>&1` sends both to f and
// `2>&1 >f` only stdout). It reports ok=false, with the message printed and the
// return code 1, when a file cannot be opened; the command then does not run,
// and ERRORLEVEL stays what it was (see above).
func (sh *shell) redirect(rs []redirect, st streams) (streams, int, bool) {
	if len(rs) == 0 {
		return st, 0, true
	}
	fds := map[int]any{0: st.in, 1: st.out, 2: st.err}
	fsys := sh.host.FS()
	for _, r := range rs {
		switch {
		case r.dupFd >= 0:
			if fds[r.dupFd] == nil {
				fmt.Fprint(st.err, "The handle could not be duplicated\r\nduring redirection of handle "+strconv.Itoa(r.fd)+".\r\n")
				return st, 1, false
			}
			fds[r.fd] = fds[r.dupFd]
		case isNul(r.path):
			if r.input {
				fds[r.fd] = strings.NewReader("")
			} else {
				fds[r.fd] = discard{}
			}
		case r.input:
			data, err := fsys.ReadFile(sh.abs(r.path))
			if err != nil {
				fmt.Fprint(st.err, fsMessage(err, false)+"\r\n")
				return st, 1, false
			}
			fds[r.fd] = bytes.NewReader(data)
		default:
			path := sh.abs(r.path)
			if err := fsys.WriteFile(path, nil, r.append); err != nil {
				fmt.Fprint(st.err, fsMessage(err, true)+"\r\n")
				return st, 1, false
			}
			fds[r.fd] = &fileWriter{fs: fsys, path: path}
		}
	}
	out := st
	if r, ok := fds[0].(io.Reader); ok {
		out.in = r
	}
	if w, ok := fds[1].(io.Writer); ok {
		out.out = w
	}
	if w, ok := fds[2].(io.Writer); ok {
		out.err = w
	}
	return out, 0, true
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// fileWriter appends each write to a file, so output lands as the command runs.
type fileWriter struct {
	fs   FS
	path string
}

func (w *fileWriter) Write(p []byte) (int, error) {
	if err := w.fs.WriteFile(w.path, p, true); err != nil {
		return 0, err
	}
	return len(p), nil
}

// fsMessage maps a file system error to cmd's text. Paths that miss a folder
// and paths that miss the last name read the same for writes.
func fsMessage(err error, forWrite bool) string {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return "Access is denied."
	case errors.Is(err, winfs.ErrInvalidPath):
		return "The filename, directory name, or volume label syntax is incorrect."
	case errors.Is(err, fs.ErrNotExist) && forWrite:
		return "The system cannot find the path specified."
	case errors.Is(err, fs.ErrNotExist):
		return "The system cannot find the file specified."
	case errors.Is(err, fs.ErrExist):
		return "Cannot create a file when that file already exists."
	}
	return "The system cannot find the path specified."
}

// unquote removes every double quote, as cmd does with file names.
func unquote(s string) string { return strings.ReplaceAll(s, `"`, "") }
