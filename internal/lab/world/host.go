package world

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/cmdshell"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/winfs"
)

// toolFunc is an emulated executable running on h's node.
type toolFunc func(ctx context.Context, h *host, p *cmdshell.Proc) int

// toolFiles are the executables every node has, and where. cluster.exe lives
// in %SystemRoot%\cluster, which MSCS setup adds to the system PATH.
var toolFiles = []struct {
	path string
	run  toolFunc
}{
	{`C:\WINNT\system32\sc.exe`, runSC},
	{`C:\WINNT\system32\net.exe`, runNet},
	{`C:\WINNT\system32\reg.exe`, runReg},
	{`C:\WINNT\system32\hostname.exe`, runHostname},
	{`C:\WINNT\cluster\cluster.exe`, runCluster},
	{`C:\WINNT\system32\shutdown.exe`, runShutdown}, // NT Resource Kit
	{`C:\WINNT\system32\ntrights.exe`, runNtrights}, // Resource Kit Supplement 3
	{`C:\WINNT\system32\showpriv.exe`, runShowpriv}, // Resource Kit
	{`C:\WINNT\system32\dcomperm.exe`, runDcomperm}, // Platform SDK sample, built
}

// mediaTools run from files a scenario places on a node (the Option Pack
// CD's setup.exe, service pack packages); they read their own file.
var mediaTools = map[string]toolFunc{
	"setup":    runOptionPackSetup,
	"update":   runServicePack,
	"nt4sp3_i": runServicePack,
	"sp4i386":  runServicePack,
	"sp5i386":  runServicePack,
	"sp6i386":  runServicePack,
	"msdtc":    runMSDTC, // installed with MTS (msdtc.go)
	"dtcsetup": runDTCSetup,
	"iissync":  runIISSync, // installed with IIS (metabase.go)
	"cscript":  runCScript, // installed with WSH
}

// builtins are cmd.exe internal commands the world answers for when the
// interpreter asks (it handles most internal commands itself).
var builtins = map[string]toolFunc{"ver": runVer}

func (w *World) registerTools() {
	for _, t := range toolFiles {
		w.tools[strings.ToLower(baseName(t.path))] = t.run
	}
	for name, run := range mediaTools {
		w.tools[name] = run
	}
}

// baseName is the file name without folder and extension.
func baseName(path string) string {
	if i := strings.LastIndexAny(path, `\/:`); i >= 0 {
		path = path[i+1:]
	}
	if i := strings.LastIndex(path, "."); i > 0 {
		path = path[:i]
	}
	return path
}

// host is one command's view of a node.
type host struct {
	w    *World
	n    *node
	user string // as given, e.g. LAB\Administrator
	dir  string
	exe  string            // full path of the running program (tools get a copy of the host)
	env  map[string]envVar // by upper-case name
	run  int               // CommandRecord.Run of this command line
	// answerLost: a "lost" fault hit a command of this line (AnswerLost).
	answerLost bool
}

type envVar struct{ name, value string }

// Host returns a cmd.exe context on node for user. dir and env carry the
// shell's state from earlier commands; empty means a fresh logon: the profile
// folder as current directory and the system environment.
func (w *World) Host(nodeName, user, dir string, env map[string]string) cmdshell.Host {
	w.lock()
	n := w.node(nodeName)
	w.runs++
	run := w.runs
	w.unlock()
	h := &host{w: w, n: n, user: user, dir: dir, env: map[string]envVar{}, run: run}
	if n == nil {
		// An unknown node gets an empty machine that runs nothing.
		h.n = &node{name: strings.ToUpper(nodeName), status: nodeDown, fs: winfs.New(), services: map[string]*service{}, reg: newRegistry()}
	}
	domain, name := w.sc.Domain, user
	if d, u, ok := strings.Cut(user, `\`); ok {
		domain, name = d, u
	}
	profile := `C:\WINNT\Profiles\` + name
	if err := h.n.fs.Mkdir(profile); err != nil {
		_ = err // already there: a returning user keeps the profile
	}
	for _, kv := range [][2]string{
		{"COMPUTERNAME", h.n.name}, {"USERNAME", name}, {"USERDOMAIN", strings.ToUpper(domain)},
		{"USERPROFILE", profile}, {"HOMEDRIVE", "C:"}, {"HOMEPATH", `\`},
		{"windir", `C:\WINNT`}, {"SystemRoot", `C:\WINNT`}, {"SystemDrive", "C:"},
		{"OS", "Windows_NT"}, {"Os2LibPath", `C:\WINNT\system32\os2\dll;`},
		{"PATH", `C:\WINNT\system32;C:\WINNT;C:\WINNT\cluster`}, {"PATHEXT", ".COM;.EXE;.BAT;.CMD"},
		{"PROCESSOR_ARCHITECTURE", "x86"}, {"PROCESSOR_LEVEL", "6"}, {"NUMBER_OF_PROCESSORS", "1"},
		{"ComSpec", `C:\WINNT\system32\cmd.exe`}, {"PROMPT", "$P$G"}, {"TEMP", `C:\TEMP`}, {"TMP", `C:\TEMP`},
	} {
		h.Setenv(kv[0], kv[1])
	}
	for k, v := range env {
		h.Setenv(k, v)
	}
	if h.dir == "" {
		h.dir = profile
	}
	return h
}

func (h *host) Getenv(name string) (string, bool) {
	v, ok := h.env[strings.ToUpper(name)]
	return v.value, ok
}

func (h *host) Setenv(name, value string) {
	if value == "" {
		delete(h.env, strings.ToUpper(name))
		return
	}
	h.env[strings.ToUpper(name)] = envVar{name, value}
}

// Environ lists "NAME=value" sorted case-insensitively (cmdshell.EnvLister,
// for `set`).
func (h *host) Environ() []string {
	var out []string
	for _, k := range sortedKeys(h.env) {
		out = append(out, h.env[k].name+"="+h.env[k].value)
	}
	return out
}

// MaxLine is the longest command line the node's cmd.exe takes: NT 4.0's
// 2,047 characters, or 8,191 under the 2003 tool layout (cmdshell.LineLimiter).
func (h *host) MaxLine() int {
	if h.w.layout2003 {
		return cmdshell.MaxLine
	}
	return cmdshell.MaxLineNT4
}

func (h *host) Dir() string       { return h.dir }
func (h *host) SetDir(dir string) { h.dir = dir }
func (h *host) FS() cmdshell.FS   { return h.n.fs }

// Now is the emulated clock (what the tools print as dates), for `dir`.
func (h *host) Now() time.Time { return h.w.emulatedAt(h.w.now()) }

// CommandDone appends the command to the node's log, then shows it to the
// OnCommand observers (outside the lock, so they may call back in).
func (h *host) CommandDone(name, line string, exitCode int) {
	w := h.w
	w.lock()
	w.seq++
	rec := CommandRecord{Seq: w.seq, Node: h.n.name, User: h.user, Program: name, Args: line, ExitCode: exitCode, Time: w.now(), Run: h.run}
	w.commands = append(w.commands, rec)
	fns := w.cmdFns
	w.unlock()
	for _, f := range fns {
		f(rec)
	}
}

// AnswerLost reports whether a "lost" fault hit a command of this command
// line: the line runs to its end, and the endpoint then loses the answer
// that carries its end (LostAnswerHost).
func (h *host) AnswerLost() bool { return h.answerLost }

// LostAnswerHost is the Host that World.Host returns, as the lab's endpoint
// sees it after the command line ran.
type LostAnswerHost interface {
	AnswerLost() bool
}

// LookupProgram resolves a program as cmd.exe does: a name with a path must
// name an existing file; a bare name is searched in the current folder, then
// along PATH, trying PATHEXT's executable extensions.
func (h *host) LookupProgram(name string) (cmdshell.Program, bool) {
	if name == "" {
		return nil, false
	}
	if run, ok := builtins[strings.ToLower(name)]; ok {
		return h.wrap(run, ""), true
	}
	var dirs []string
	file := name
	if strings.ContainsAny(name, `\/:`) {
		full := winfs.Abs(h.dir, name)
		i := strings.LastIndex(full, `\`)
		dirs, file = []string{full[:i]}, full[i+1:]
	} else {
		dirs = append(dirs, h.dir)
		if path, ok := h.Getenv("PATH"); ok {
			for _, d := range strings.Split(path, ";") {
				if d = strings.TrimSpace(d); d != "" {
					dirs = append(dirs, winfs.Abs(h.dir, d))
				}
			}
		}
	}
	candidates := []string{file}
	if !strings.Contains(file, ".") {
		candidates = []string{file + ".com", file + ".exe"}
	}
	for _, d := range dirs {
		for _, c := range candidates {
			full := strings.TrimRight(d, `\`) + `\` + c
			isDir, err := h.n.fs.Stat(full)
			if err != nil || isDir {
				continue
			}
			if run, ok := h.w.tools[strings.ToLower(baseName(c))]; ok {
				return h.wrap(run, full), true
			}
		}
	}
	return nil, false
}

// wrap adds what happens before any program runs: a node that is not up
// refuses it, an injected exit fault replaces it, and a lost fault marks
// its line's answer lost.
func (h *host) wrap(run toolFunc, exe string) cmdshell.Program {
	return func(ctx context.Context, p *cmdshell.Proc) int {
		w := h.w
		w.lock()
		status := h.n.status
		f := w.commandFault(h, strings.TrimSpace(p.Name+" "+p.Line))
		w.unlock()
		if status != nodeUp {
			fmt.Fprintf(p.Stderr, "%s\r\n", win32Messages[errShutdownInProgress])
			return errShutdownInProgress
		}
		if f != nil {
			io.WriteString(p.Stderr, f.Stderr)
			return f.ExitCode
		}
		self := *h
		self.exe = exe
		return run(ctx, &self, p)
	}
}

// InternalFault applies injected exit faults to cmd.exe's internal commands
// (echo, type, mkdir, ...), as wrap does to programs: a journal write that
// fails can be tested like any tool that fails.
func (h *host) InternalFault(name, line string) (string, int, bool) {
	w := h.w
	w.lock()
	f := w.commandFault(h, strings.TrimSpace(name+" "+line))
	w.unlock()
	if f == nil {
		return "", 0, false
	}
	return f.Stderr, f.ExitCode, true
}

// crlf writes lines joined and terminated by CRLF.
func crlf(out io.Writer, lines ...string) {
	io.WriteString(out, strings.Join(lines, "\r\n")+"\r\n")
}
