package cmdshell

import (
	"sort"
	"strings"
	"sync"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/winfs"
)

// Record is one entry of a SimpleHost's command log.
type Record struct {
	Name     string   // as typed, quotes removed
	Line     string   // argument tail
	Args     []string // Line split by SplitArgs
	ExitCode int
}

// SimpleHost is a small in-memory Host for tests: an environment, a current
// folder (C:\ at first), a winfs file system, a set of programs and a log of
// every command that ran. It is safe for concurrent use.
type SimpleHost struct {
	mu       sync.Mutex
	env      map[string]envVar // key: upper-case name
	dir      string
	fs       *winfs.FS
	programs map[string]Program // key: programKey(name)
	log      []Record
}

var (
	_ Host      = (*SimpleHost)(nil)
	_ EnvLister = (*SimpleHost)(nil)
	_ FS        = (*winfs.FS)(nil)
	_ DirLister = (*winfs.FS)(nil)
)

// NewSimpleHost returns a host with these variables and programs. Program
// names are matched without a folder and without .exe or .com, case-insensitively:
// a program registered as "sc" answers `sc`, `SC.EXE` and `C:\WINNT\system32\sc.exe`.
func NewSimpleHost(env map[string]string, programs map[string]Program) *SimpleHost {
	h := &SimpleHost{env: map[string]envVar{}, dir: `C:\`, fs: winfs.New(), programs: map[string]Program{}}
	for k, v := range env {
		h.Setenv(k, v)
	}
	for name, p := range programs {
		h.programs[programKey(name)] = p
	}
	return h
}

func programKey(name string) string {
	base := strings.ToLower(name[strings.LastIndexAny(name, `\/`)+1:])
	for _, ext := range []string{".exe", ".com"} {
		base = strings.TrimSuffix(base, ext)
	}
	return base
}

// SetProgram adds or replaces a program.
func (h *SimpleHost) SetProgram(name string, p Program) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.programs[programKey(name)] = p
}

// LookupProgram implements Host.
func (h *SimpleHost) LookupProgram(name string) (Program, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p, ok := h.programs[programKey(name)]
	return p, ok
}

// Getenv implements Host; names are case-insensitive.
func (h *SimpleHost) Getenv(name string) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.env[strings.ToUpper(name)]
	return v.value, ok
}

// Setenv implements Host; an empty value deletes the variable, as SET does.
func (h *SimpleHost) Setenv(name, value string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if value == "" {
		delete(h.env, strings.ToUpper(name))
		return
	}
	key := strings.ToUpper(name)
	if old, ok := h.env[key]; ok {
		name = old.name // the first spelling stays, as on Windows
	}
	h.env[key] = envVar{name: name, value: value}
}

// Environ implements EnvLister.
func (h *SimpleHost) Environ() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	keys := make([]string, 0, len(h.env))
	for k := range h.env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = h.env[k].name + "=" + h.env[k].value
	}
	return out
}

// Dir implements Host.
func (h *SimpleHost) Dir() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.dir
}

// SetDir implements Host.
func (h *SimpleHost) SetDir(dir string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.dir = dir
}

// FS implements Host.
func (h *SimpleHost) FS() FS { return h.fs }

// WinFS is the host's file system with its full API (mounts, listings).
func (h *SimpleHost) WinFS() *winfs.FS { return h.fs }

// CommandDone implements Host by appending to the command log.
func (h *SimpleHost) CommandDone(name, line string, exitCode int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.log = append(h.log, Record{Name: name, Line: line, Args: SplitArgs(line), ExitCode: exitCode})
}

// Commands returns a copy of the command log in order.
func (h *SimpleHost) Commands() []Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Record(nil), h.log...)
}

// ResetCommands empties the command log.
func (h *SimpleHost) ResetCommands() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.log = nil
}
