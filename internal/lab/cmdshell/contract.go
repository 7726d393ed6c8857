// Package cmdshell interprets command lines the way cmd.exe on Windows NT does:
// quoting, ^ escapes, %VAR% expansion, the &, &&, ||, | operators, redirection,
// and a handful of internal commands. External programs come from a Host.
//
// The emulator's safety depends on this parser being faithful: the provider's
// quoting function is tested against it, so a string that would break out of
// its quotes on Windows must break out here too.
package cmdshell

import (
	"context"
	"io"
)

// Program is an emulated executable (or an internal command). It returns the
// process exit code, which becomes %ERRORLEVEL%.
type Program func(ctx context.Context, p *Proc) int

// Proc is one program invocation.
type Proc struct {
	// Name is the program as typed, quotes removed, e.g. `sc`, `sc.exe`,
	// `C:\WINNT\system32\msdtc.exe`, `D:\NTOP\setup.exe`.
	Name string
	// Line is the argument tail as the program receives it in its command line:
	// after %VAR% expansion, with ^ escapes and redirections removed, quotes kept,
	// leading blanks trimmed. Windows programs parse their own command line, so
	// tools with odd syntax (`sc config X start= demand`, `cluster /prop K=V`)
	// read this.
	Line string
	// Args is Line split by the Microsoft C runtime rules (CommandLineToArgvW).
	Args []string

	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer

	Host Host
}

// Host is the machine a command line runs on.
type Host interface {
	// LookupProgram resolves a program name as typed (see Proc.Name). Internal
	// commands of cmd.exe are handled by the interpreter before it asks.
	LookupProgram(name string) (Program, bool)
	// Getenv looks a variable up, case-insensitively.
	Getenv(name string) (string, bool)
	Setenv(name, value string)
	// Dir is the current directory, e.g. `C:\WINNT\system32`.
	Dir() string
	SetDir(dir string)
	FS() FS
	// CommandDone is called after every simple command, internal or external,
	// with the name as typed, the argument tail and the exit code. The lab keeps
	// its per-node command log with it.
	CommandDone(name, line string, exitCode int)
}

// FaultHost is a Host that can make an internal command fail (the lab's
// injected exit faults), as a full disk or a denied write makes `echo x >> f`
// fail on Windows. The interpreter asks before each internal command; hit
// means the command is replaced by printing stderr and exiting with code.
type FaultHost interface {
	InternalFault(name, line string) (stderr string, code int, hit bool)
}

// FS is a Windows file system seen through absolute paths such as `C:\temp\a.txt`
// (drive letters and names are case-insensitive; `\` separators; `/` accepted).
// Errors for missing files or folders wrap io/fs.ErrNotExist.
type FS interface {
	ReadFile(path string) ([]byte, error)
	// WriteFile creates or truncates the file, or appends to it; the folder must exist.
	WriteFile(path string, data []byte, appendData bool) error
	// Mkdir creates the folder and any missing parents (cmd extensions' md).
	Mkdir(path string) error
	// Remove deletes a file, or an empty folder.
	Remove(path string) error
	// Stat reports whether path exists and is a folder.
	Stat(path string) (isDir bool, err error)
	// Rename gives a file or folder a new name in its folder, atomically
	// (MoveFile): fs.ErrNotExist for a missing path, fs.ErrExist for a name
	// another item has.
	Rename(path, newName string) error
}
