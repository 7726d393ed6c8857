package cmdshell

import (
	"bufio"
	"context"
	"errors"
	"fmt"

	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/winfs"
)

// builtin runs one of cmd's internal commands. Following cmd, ECHO, REM and a
// successful SET leave %ERRORLEVEL% alone; the others set it to their code.
func (sh *shell) builtin(n *cmdNode, st streams) int {
	args := strings.TrimLeft(n.tail, " \t")
	switch n.internal {
	case "echo":
		return sh.echoCmd(n.tail, st)
	case "rem":
		return 0
	case "set":
		return sh.set(args, st)
	case "exit":
		return sh.exit(args)
	case "cd", "chdir":
		return sh.setLevel(sh.cd(args, st))
	case "type":
		return sh.setLevel(sh.typeCmd(args, st))
	case "mkdir", "md":
		return sh.setLevel(sh.mkdir(args, st))
	case "rmdir", "rd":
		return sh.rmdir(args, st) // never sets ERRORLEVEL (see run.go)
	case "del", "erase":
		return sh.del(args, st)
	case "copy":
		return sh.setLevel(sh.copyCmd(args, st))
	case "dir":
		return sh.setLevel(sh.dir(args, st))
	case "ren", "rename":
		return sh.setLevel(sh.ren(args, st))
	}
	panic("cmdshell: internal command without implementation: " + n.internal)
}

func syntaxIncorrect(st streams) int {
	fmt.Fprint(st.err, "The syntax of the command is incorrect.\r\n")
	return 1
}

// echoCmd: the character right after ECHO (a blank, or one of .:\[]+(/ ) is
// dropped and the rest is printed as typed, trailing blanks included.
func (sh *shell) echoCmd(tail string, st streams) int {
	state := func() {
		if sh.echo {
			fmt.Fprint(st.out, "ECHO is on.\r\n")
		} else {
			fmt.Fprint(st.out, "ECHO is off.\r\n")
		}
	}
	if tail == "" {
		state()
		return 0
	}
	text := tail[1:]
	if isDelim(tail[0]) {
		switch strings.ToLower(strings.Trim(text, " \t")) {
		case "":
			state()
			return 0
		case "on":
			sh.echo = true
			return 0
		case "off":
			sh.echo = false
			return 0
		}
	}
	fmt.Fprint(st.out, text+"\r\n")
	return 0
}

// set: SET, SET prefix, SET name=value, SET "name=value" (text after the last
// quote ignored). An empty value deletes the variable.
func (sh *shell) set(args string, st streams) int {
	if strings.HasPrefix(args, "/") {
		// SET /A and SET /P are not emulated.
		return sh.setLevel(syntaxIncorrect(st))
	}
	content := args
	if strings.HasPrefix(args, `"`) {
		content = args[1:]
		if j := strings.LastIndexByte(content, '"'); j >= 0 {
			content = content[:j]
		}
	}
	name, value, assign := strings.Cut(content, "=")
	if !assign {
		return sh.listEnv(strings.TrimRight(name, " \t"), st)
	}
	if name == "" {
		return sh.setLevel(syntaxIncorrect(st))
	}
	sh.host.Setenv(name, value)
	return 0
}

func (sh *shell) listEnv(prefix string, st streams) int {
	var entries []string
	if l, ok := sh.host.(EnvLister); ok {
		entries = l.Environ()
	} else if v, ok := sh.host.Getenv(prefix); ok && v != "" {
		entries = []string{prefix + "=" + v}
	}
	found := false
	for _, e := range entries {
		if len(e) >= len(prefix) && strings.EqualFold(e[:len(prefix)], prefix) {
			fmt.Fprint(st.out, e+"\r\n")
			found = true
		}
	}
	if !found && prefix != "" {
		fmt.Fprintf(st.err, "Environment variable %s not defined\r\n", prefix)
		return sh.setLevel(1)
	}
	return 0
}

// exit ends this cmd process with the given code, or the current errorlevel.
// Outside a batch file EXIT /B ends the process too.
func (sh *shell) exit(args string) int {
	f := strings.Fields(args)
	if len(f) > 0 && strings.EqualFold(f[0], "/b") {
		f = f[1:]
	}
	if len(f) > 0 {
		code, _ := strconv.Atoi(f[0])
		sh.errorlevel = code
	}
	sh.exited = true
	return sh.errorlevel
}

func (sh *shell) cd(args string, st streams) int {
	args = strings.TrimLeft(args, " \t,;=")
	changeDrive := false
	if len(args) >= 2 && strings.EqualFold(args[:2], "/d") && (len(args) == 2 || isDelim(args[2])) {
		changeDrive = true
		args = strings.TrimLeft(args[2:], " \t")
	}
	target := strings.TrimRight(unquote(args), " \t")
	if target == "" {
		fmt.Fprint(st.out, sh.host.Dir()+"\r\n")
		return 0
	}
	path := sh.abs(target)
	if isDir, err := sh.host.FS().Stat(path); err != nil || !isDir {
		if err == nil {
			fmt.Fprint(st.err, "The directory name is invalid.\r\n")
		} else {
			fmt.Fprint(st.err, "The system cannot find the path specified.\r\n")
		}
		return 1
	}
	if d := sh.host.Dir(); !changeDrive && len(d) >= 2 && !strings.EqualFold(d[:2], path[:2]) {
		return 0 // CD to another drive changes that drive's folder, not the current drive
	}
	if dp, ok := sh.host.FS().(interface{ DisplayPath(string) string }); ok {
		path = dp.DisplayPath(path)
	}
	sh.host.SetDir(path)
	return 0
}

// fields splits arguments of internal commands: delimiters outside quotes
// separate, quotes are removed. Switches (/x) are returned apart.
func fields(args string) (names, switches []string) {
	var cur strings.Builder
	inQuote, have := false, false
	flush := func() {
		if have {
			if s := cur.String(); strings.HasPrefix(s, "/") {
				switches = append(switches, strings.ToLower(s))
			} else {
				names = append(names, s)
			}
		}
		cur.Reset()
		have = false
	}
	for i := 0; i < len(args); i++ {
		c := args[i]
		switch {
		case c == '"':
			inQuote = !inQuote
			have = true
		case !inQuote && isDelim(c):
			flush()
		default:
			cur.WriteByte(c)
			have = true
		}
	}
	flush()
	return names, switches
}

func (sh *shell) typeCmd(args string, st streams) int {
	names, _ := fields(args)
	if len(names) == 0 {
		return syntaxIncorrect(st)
	}
	code := 0
	for _, name := range names {
		if isNul(name) {
			continue
		}
		data, err := sh.host.FS().ReadFile(sh.abs(name))
		if err != nil {
			fmt.Fprint(st.err, fsMessage(err, false)+"\r\n")
			code = 1
			continue
		}
		if len(names) > 1 {
			// with several files TYPE names each one on stderr first
			fmt.Fprint(st.err, "\r\n"+name+"\r\n\r\n\r\n")
		}
		_, _ = st.out.Write(data)
	}
	return code
}

func (sh *shell) mkdir(args string, st streams) int {
	names, _ := fields(args)
	if len(names) == 0 {
		return syntaxIncorrect(st)
	}
	code := 0
	for _, name := range names {
		err := sh.host.FS().Mkdir(sh.abs(name))
		switch {
		case err == nil:
		case errors.Is(err, fs.ErrExist):
			fmt.Fprintf(st.err, "A subdirectory or file %s already exists.\r\n", name)
			code = 1
		default:
			fmt.Fprint(st.err, fsMessage(err, true)+"\r\n")
			code = 1
		}
	}
	return code
}

// confirm asks cmd's (Y/N) question on stdout and reads the answer from stdin.
func confirm(prompt string, st streams) bool {
	fmt.Fprint(st.out, prompt+", Are you sure (Y/N)? ")
	line, _ := bufio.NewReader(st.in).ReadString('\n')
	fmt.Fprint(st.out, "\r\n")
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(line)), "y")
}

// rmdir returns the Win32 code of its failure, as Windows' RD does: 2 for a
// missing folder, 3 for a missing parent, 145 for a folder not empty, 267
// for a file (wine's conformance tests, run.go).
func (sh *shell) rmdir(args string, st streams) int {
	names, switches := fields(args)
	if len(names) == 0 {
		return syntaxIncorrect(st)
	}
	tree, quiet := hasSwitch(switches, "/s"), hasSwitch(switches, "/q")
	fsys := sh.host.FS()
	code := 0
	for _, name := range names {
		path := sh.abs(name)
		isDir, err := fsys.Stat(path)
		switch {
		case err != nil && sh.parentMissing(path):
			fmt.Fprint(st.err, "The system cannot find the path specified.\r\n")
			code = 3
			continue
		case err != nil:
			fmt.Fprint(st.err, "The system cannot find the file specified.\r\n")
			code = 2
			continue
		case !isDir:
			fmt.Fprint(st.err, "The directory name is invalid.\r\n")
			code = 267
			continue
		}
		if tree {
			if !quiet && !confirm(name, st) {
				continue
			}
			if ra, ok := fsys.(interface{ RemoveAll(string) error }); ok {
				err = ra.RemoveAll(path)
			} else {
				err = fsys.Remove(path)
			}
		} else {
			err = fsys.Remove(path)
		}
		switch {
		case errors.Is(err, winfs.ErrNotEmpty):
			fmt.Fprint(st.err, "The directory is not empty.\r\n")
			code = 145
		case errors.Is(err, fs.ErrPermission):
			fmt.Fprint(st.err, fsMessage(err, false)+"\r\n")
			code = 5
		case err != nil:
			fmt.Fprint(st.err, fsMessage(err, false)+"\r\n")
			code = 1
		}
	}
	return code
}

// parentMissing reports whether the folder that would hold path is missing.
func (sh *shell) parentMissing(path string) bool {
	i := strings.LastIndexByte(strings.TrimRight(path, `\`), '\\')
	if i < 0 {
		return false
	}
	dir := path[:i]
	if !strings.Contains(dir, `\`) {
		dir += `\`
	}
	_, err := sh.host.FS().Stat(dir)
	return err != nil
}

// ren is REN (RENAME): `ren [drive:][path]name1 name2` gives a file or a
// folder the name name2 in the same folder, in one step (MoveFile), so of
// two RENs of one item only the first finds it. name2 takes no drive or
// path. A name with wildcards is not emulated as a pattern (no tool of the
// lab needs it): it names a file no one can create, so it is not found.
func (sh *shell) ren(args string, st streams) int {
	names, switches := fields(args)
	if len(names) != 2 || len(switches) > 0 || strings.ContainsAny(names[1], `\:`) {
		return syntaxIncorrect(st)
	}
	err := sh.host.FS().Rename(sh.abs(names[0]), names[1])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, fs.ErrExist):
		fmt.Fprint(st.err, "A duplicate file name exists, or the file cannot be found.\r\n")
	default:
		fmt.Fprint(st.err, fsMessage(err, false)+"\r\n")
	}
	return 1
}

func hasSwitch(switches []string, s string) bool {
	for _, x := range switches {
		if x == s {
			return true
		}
	}
	return false
}

// del removes files, by name, wildcard or folder (all its files, after a
// question unless /Q). A name that matches nothing prints "Could Not Find" but,
// as in cmd, is not a failure; a name whose folder is missing is: del
// returns 1 (wine's conformance tests, run.go), ERRORLEVEL unchanged.
func (sh *shell) del(args string, st streams) int {
	names, switches := fields(args)
	if len(names) == 0 {
		return sh.setLevel(syntaxIncorrect(st))
	}
	quiet := hasSwitch(switches, "/q")
	fsys := sh.host.FS()
	code := 0
	for _, name := range names {
		path := sh.abs(name)
		dir, pattern := path, "*"
		if _, err := fsys.Stat(path); err != nil && sh.parentMissing(path) {
			fmt.Fprint(st.err, "The system cannot find the path specified.\r\n")
			code = 1
			continue
		}
		if isDir, err := fsys.Stat(path); err == nil && !isDir {
			if err := fsys.Remove(path); err != nil {
				fmt.Fprint(st.err, fsMessage(err, false)+"\r\n")
			}
			continue
		} else if err == nil {
			if !quiet && !confirm(strings.TrimRight(path, `\`)+`\*`, st) {
				continue
			}
		} else if i := strings.LastIndexByte(path, '\\'); strings.ContainsAny(path[i+1:], "*?") {
			dir, pattern = path[:i], path[i+1:]
			if !strings.Contains(dir, `\`) {
				dir += `\`
			}
		} else {
			fmt.Fprintf(st.err, "Could Not Find %s\r\n", path)
			continue
		}
		lister, ok := fsys.(DirLister)
		if !ok {
			fmt.Fprintf(st.err, "Could Not Find %s\r\n", path)
			continue
		}
		entries, _ := lister.List(dir)
		deleted := 0
		for _, e := range entries {
			if !e.IsDir && matchWild(pattern, e.Name) {
				if fsys.Remove(strings.TrimRight(dir, `\`)+`\`+e.Name) == nil {
					deleted++
				}
			}
		}
		if deleted == 0 && pattern != "*" {
			fmt.Fprintf(st.err, "Could Not Find %s\r\n", path)
		}
	}
	return code
}

// matchWild matches a Windows wildcard (* and ?) case-insensitively; *.* also
// matches names without a dot, as on Windows.
func matchWild(pattern, name string) bool {
	if pattern == "*.*" {
		return true
	}
	p, s := strings.ToLower(pattern), strings.ToLower(name)
	// iterative glob with one backtrack point
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// copyCmd copies one file to a file or into a folder (no wildcards or
// concatenation). It overwrites without asking, as COPY /Y does.
func (sh *shell) copyCmd(args string, st streams) int {
	names, _ := fields(args)
	if len(names) == 0 || len(names) > 2 {
		return syntaxIncorrect(st)
	}
	fsys := sh.host.FS()
	src := sh.abs(names[0])
	dst := sh.host.Dir()
	if len(names) == 2 {
		dst = sh.abs(names[1])
	}
	var data []byte
	var err error
	if !isNul(names[0]) { // copy nul file makes an empty file
		data, err = fsys.ReadFile(src)
	}
	if err != nil {
		fmt.Fprint(st.err, fsMessage(err, false)+"\r\n")
		fmt.Fprint(st.out, "        0 file(s) copied.\r\n")
		return 1
	}
	if isDir, err := fsys.Stat(dst); err == nil && isDir {
		dst = strings.TrimRight(dst, `\`) + `\` + src[strings.LastIndexByte(src, '\\')+1:]
	}
	if strings.EqualFold(src, dst) {
		fmt.Fprint(st.err, "The file cannot be copied onto itself.\r\n")
		fmt.Fprint(st.out, "        0 file(s) copied.\r\n")
		return 1
	}
	if err := fsys.WriteFile(dst, data, false); err != nil {
		fmt.Fprint(st.err, fsMessage(err, true)+"\r\n")
		fmt.Fprint(st.out, "        0 file(s) copied.\r\n")
		return 1
	}
	fmt.Fprint(st.out, "        1 file(s) copied.\r\n")
	return 0
}

// cmd runs `cmd [/S] [/Q] [/D] ... /C line` (or /K) in a child process: it
// inherits a copy of the environment and the current folder, starts with
// %ERRORLEVEL% 0, expands the line again and returns its exit code (with /C
// the last command's return code, as Run).
// Without /C or /K it reads command lines from stdin, as cmd does.
func (sh *shell) cmd(ctx context.Context, tail string, st streams) int {
	rest, stripS, mode := parseCmdSwitches(tail)
	child := &shell{host: newChildHost(sh.host), echo: true}
	if mode != 0 {
		code := child.slashC(ctx, rest, stripS, st)
		if mode == 'c' {
			return code
		}
	}
	// /K, or no command line: go on with the lines of stdin
	in := bufio.NewReader(st.in)
	for !child.exited && ctx.Err() == nil {
		line, err := in.ReadString('\n')
		if strings.TrimSpace(line) != "" {
			child.runLine(ctx, strings.TrimRight(line, "\r\n"), st)
		}
		if err != nil {
			break
		}
	}
	if ctx.Err() != nil {
		// Interrupted (ctrl_c, terminate) while reading its stdin: cmd.exe
		// ends with STATUS_CONTROL_C_EXIT, not its last errorlevel.
		return ExitCtrlC
	}
	return child.errorlevel
}

// parseCmdSwitches reads cmd.exe's switches up to /C or /K (mode 'c' or 'k';
// 0 when neither is given); the text after that switch is the command line.
func parseCmdSwitches(tail string) (rest string, stripS bool, mode byte) {
	t := tail
	for {
		t = strings.TrimLeft(t, " \t")
		if len(t) < 2 || t[0] != '/' {
			return "", stripS, 0
		}
		switch c := t[1] | 0x20; c {
		case 'c', 'k':
			return t[2:], stripS, c
		case 's':
			stripS = true
		}
		i := 2
		for i < len(t) && t[i] != '/' && !isDelim(t[i]) {
			i++ // /E:ON, /V:OFF, /T:fg carry a value
		}
		t = t[i:]
	}
}

// cmdQuotes applies the quote rules of `cmd /?`: quotes are kept when there is
// no /S, exactly two quotes, no special character between them, a blank
// between them, and the quoted text names a program; otherwise a leading quote
// and the last quote of the line are removed.
func cmdQuotes(rest string, stripS bool, isProgram func(string) bool) string {
	t := strings.TrimLeft(rest, " \t")
	if !stripS && strings.Count(t, `"`) == 2 {
		i, j := strings.IndexByte(t, '"'), strings.LastIndexByte(t, '"')
		inner := t[i+1 : j]
		if !strings.ContainsAny(inner, "&<>()@^|") && strings.ContainsAny(inner, " \t") && isProgram(inner) {
			return t
		}
	}
	if strings.HasPrefix(t, `"`) {
		if j := strings.LastIndexByte(t, '"'); j > 0 {
			return t[1:j] + t[j+1:]
		}
		return t[1:]
	}
	return t
}

// childHost is the environment of a child cmd.exe: variables and folder
// changes stay in the child; programs, files and the command log are shared.
type childHost struct {
	Host
	env map[string]envVar // key: upper-case name
	dir string
}

type envVar struct{ name, value string }

func newChildHost(parent Host) *childHost {
	return &childHost{Host: parent, env: map[string]envVar{}, dir: parent.Dir()}
}

func (c *childHost) Getenv(name string) (string, bool) {
	if v, ok := c.env[strings.ToUpper(name)]; ok {
		return v.value, v.value != ""
	}
	return c.Host.Getenv(name)
}

func (c *childHost) Setenv(name, value string) {
	c.env[strings.ToUpper(name)] = envVar{name: name, value: value}
}

// Unwrap returns the host of the parent process.
func (c *childHost) Unwrap() Host { return c.Host }

func (c *childHost) Dir() string       { return c.dir }
func (c *childHost) SetDir(dir string) { c.dir = dir }

func (c *childHost) Environ() []string {
	vars := map[string]envVar{}
	if l, ok := c.Host.(EnvLister); ok {
		for _, e := range l.Environ() {
			name, value, _ := strings.Cut(e, "=")
			vars[strings.ToUpper(name)] = envVar{name: name, value: value}
		}
	}
	for k, v := range c.env {
		vars[k] = v
	}
	out := make([]string, 0, len(vars))
	for _, v := range vars {
		if v.value != "" {
			out = append(out, v.name+"="+v.value)
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToUpper(out[i]) < strings.ToUpper(out[j]) })
	return out
}
