package nodeops

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// Node runs typed operations on one node through its Runner.
type Node struct {
	R winrm.Runner
	// Poll is the longest interval between two checks of the node's waits
	// (a service reaching a state, the node back from a reboot; see
	// backoff); 0 means 2 s.
	Poll time.Duration
	// Reads holds the answers of reads made under SharedReads, shared by
	// every Node of the cluster (facts_cache.go); R must then run through
	// Reads.Guard. nil: every read goes to the node.
	Reads *ReadCache

	// sysRoot caches the node's SystemRoot (see systemRoot); Terraform
	// plans resources concurrently, so it is read and set under sysRootMu.
	sysRootMu sync.Mutex
	sysRoot   string
}

// knownSystemRoot is the node's SystemRoot when a read has given it, or "".
func (n *Node) knownSystemRoot() string {
	n.sysRootMu.Lock()
	defer n.sysRootMu.Unlock()
	return n.sysRoot
}

// learnSystemRoot keeps the node's SystemRoot as a registry read gave it:
// it does not change, so later journal, lock and record paths need no
// query of their own.
func (n *Node) learnSystemRoot(root string) {
	if root == "" {
		return
	}
	n.sysRootMu.Lock()
	defer n.sysRootMu.Unlock()
	n.sysRoot = root
}

// StepError is a command that ran but failed. Its text is meant to be read in
// a Terraform diagnostic: which node, which step, which command, what exit
// code and, where known, what the code means.
type StepError struct {
	Node     string
	Step     string // what the provider was doing, e.g. "stop the cluster service"
	Command  string // "" when the step is a check of the node's state, not a command
	ExitCode int
	Meaning  string // the exit code's meaning when known
	Output   string // what the command printed (stdout then stderr), trimmed
	// Err is a sentinel the failure matches (ErrServiceNotFound), or nil.
	Err error
}

func (e *StepError) Error() string {
	if e.Command == "" {
		// A check that failed rather than a command (the install's verification).
		return fmt.Sprintf("%s: %s: %s", e.Node, e.Step, e.Meaning)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s: `%s` exited %d", e.Node, e.Step, e.Command, e.ExitCode)
	if e.Meaning != "" {
		fmt.Fprintf(&b, " (%s)", e.Meaning)
	} else if out := firstLines(e.Output, 3); out != "" {
		fmt.Fprintf(&b, ": %s", out)
	}
	return b.String()
}

func (e *StepError) Unwrap() error { return e.Err }

// firstLines joins the first n non-blank lines of s, for a one-line message.
// It is what every error quotes of a tool's output, so a line naming a
// password (IIS 4.0's adsutil.vbs prints AnonymousUserPass in clear) is
// left out here, whichever read failed.
func firstLines(s string, n int) string {
	var keep []string
	for _, l := range splitLines(withoutPasswords(s)) {
		if l = strings.TrimSpace(l); l != "" {
			keep = append(keep, l)
			if len(keep) == n {
				break
			}
		}
	}
	return strings.Join(keep, " / ")
}

// namesPassword tells a property that holds a password.
func namesPassword(name string) bool { return strings.Contains(strings.ToLower(name), "pass") }

// withoutPasswords is adsutil's output with every line that names a
// password left out, for a diagnostic.
func withoutPasswords(out string) string {
	var keep []string
	for _, l := range splitLines(out) {
		if namesPassword(l) {
			l = "(a line naming a password, not shown)"
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n")
}

// first is v's first value, "" when v is empty (a property read with no value).
func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// appendFold appends name to list unless the list has it already, in any
// case (node, service and instance names are case-insensitive on Windows).
func appendFold(list []string, name string) []string {
	for _, n := range list {
		if strings.EqualFold(n, name) {
			return list
		}
	}
	return append(list, name)
}

// splitLines splits tool output on LF or CRLF (or stray CR).
func splitLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Split(s, "\n")
}

// lineMatches is re's first group on each line of tool output it matches.
func lineMatches(out string, re *regexp.Regexp) []string {
	var found []string
	for _, l := range splitLines(out) {
		if m := re.FindStringSubmatch(l); m != nil {
			found = append(found, m[1])
		}
	}
	return found
}

// win32Meanings holds the codes the KB's tools exit with, as Windows words them.
var win32Meanings = map[int]string{
	2:    "the system cannot find the file specified",
	3:    "the system cannot find the path specified",
	5:    "access is denied",
	87:   "the parameter is incorrect",
	1051: "a stop control has been sent to a service that other running services are dependent on",
	1052: "the requested control is not valid for this service",
	1053: "the service did not respond to the start or control request in a timely fashion",
	1056: "an instance of the service is already running",
	1058: "the service cannot be started because it is disabled",
	1060: "the specified service does not exist as an installed service",
	1061: "the service cannot accept control messages at this time",
	1062: "the service has not been started",
	1068: "the dependency service or group failed to start",
	1069: "the service did not start due to a logon failure",
	1067: "the process terminated unexpectedly",
	1072: "the specified service has been marked for deletion",
	1722: "the RPC server is unavailable (is the cluster service running on that node?)",
	5007: "the cluster resource could not be found",
	5013: "the cluster resource group could not be found",
	5042: "the cluster node could not be found",
	5050: "the cluster node is down",
	9009: "the program is not installed on the node",
}

// exitNotRecognized is cmd's ERRORLEVEL after a program it cannot find. It
// is never a line's exit code (that is 1): the provider reads cmd's "is not
// recognized as an internal or external command" text (notRecognizedRe).
const exitNotRecognized = 9009

// notRecognizedRe is cmd's line for a program it cannot find: "'x' is not
// recognized as an internal or external command,".
var notRecognizedRe = regexp.MustCompile(`(?m)^'.*' is not recognized as an internal or external command`)

// win32Meaning words a Win32 code, or says it is unknown here.
func win32Meaning(code int) string { return worded(win32Meanings, code, "an error") }

// worded is code's wording in table, or "<what> this provider does not
// know": an operator reads the number beside it.
func worded[K comparable](table map[K]string, code K, what string) string {
	if m, ok := table[code]; ok {
		return m
	}
	return what + " this provider does not know"
}

// Codes is what one tool's exit codes mean, for run. Most of the KB's
// tools exit with Win32 error codes (the zero value, win32); IISSYNC's
// status codes (Q224801), msdtc's and dcomperm's (which always exits 0, so
// only reading the state back tells) need their own.
type Codes struct {
	// OK are the codes besides 0 that are not failures (sc's "already running").
	OK []int
	// Meanings words the tool's own codes; a code not in it is looked up in
	// the Win32 table unless OwnOnly.
	Meanings map[int]string
	OwnOnly  bool
}

// win32 is a tool that exits 0 or with a Win32 error code.
var win32 = Codes{}

// okCodes is a Win32 tool for which codes are success too.
func okCodes(codes ...int) Codes { return Codes{OK: codes} }

func (c Codes) accepts(code int) bool {
	if code == 0 {
		return true
	}
	for _, ok := range c.OK {
		if code == ok {
			return true
		}
	}
	return false
}

// meaning words code, "" when unknown.
func (c Codes) meaning(code int) string {
	if m, ok := c.Meanings[code]; ok {
		return m
	}
	if c.OwnOnly {
		return ""
	}
	return win32Meanings[code]
}

// run runs a command line and turns an exit code codes does not accept into
// a StepError worded with codes' meanings (net.exe's: see netFailure).
func (n *Node) run(ctx context.Context, step, line string, readOnly bool, codes Codes) (winrm.Result, error) {
	if startsWithQuote(line) {
		// A line of the provider's own making: cmd's /C rule would run
		// something else than it names (programLine).
		return winrm.Result{}, fmt.Errorf("%s: %s: the command line starts with a double quote, which cmd /c strips; it was not sent", n.R.Node(), step)
	}
	res, err := n.R.Run(ctx, line, readOnly)
	if err != nil {
		return res, fmt.Errorf("%s: %s: %w", n.R.Node(), step, err)
	}
	if codes.accepts(res.ExitCode) {
		return res, nil
	}
	if f, ok := netFailure(line, res); ok && f.system && codes.accepts(f.code) {
		return res, nil // net's own code is one the caller accepts (1378 already a member)
	}
	return res, n.stepError(step, line, res, codes)
}

// stepError is the StepError of a command that failed, run's and
// checkPart's: the one place a failed command is worded.
func (n *Node) stepError(step, line string, res winrm.Result, codes Codes) *StepError {
	meaning := codes.meaning(res.ExitCode)
	if notRecognizedRe.MatchString(res.Stdout + "\n" + res.Stderr) {
		// A line whose program cmd cannot find exits 1 (its ERRORLEVEL
		// is 9009 inside the line only): cmd's text tells.
		meaning = win32Meanings[exitNotRecognized]
	}
	if f, ok := netFailure(line, res); ok {
		meaning = f.meaning
	}
	return &StepError{
		Node:     n.R.Node(),
		Step:     step,
		Command:  line,
		ExitCode: res.ExitCode,
		Meaning:  meaning,
		Output:   strings.TrimSpace(res.Stdout + "\n" + res.Stderr),
	}
}

// net.exe's own failure lines (FORMATS.md, net.exe): `System error N has
// occurred.` followed by the system's text of the Win32 code N, or a NET
// message followed by `More help is available by typing NET HELPMSG N.`.
// net exits 2 whatever failed, so its exit code alone says nothing (2 is
// not Win32's "file not found" there). NT 4.0 prints both lines on stderr;
// Windows 2003 prints the System error line on stdout and its text on
// stderr, so both streams are read, stdout first.
var (
	netSystemErrorRe = regexp.MustCompile(`(?m)^System error (\d+) has occurred\.\r?$`)
	netHelpmsgRe     = regexp.MustCompile(`(?m)^More help is available by typing NET HELPMSG (\d+)\.\r?$`)
)

// netFail is a failure net.exe named in its output.
type netFail struct {
	code    int  // the Win32 code (system) or the NET message number
	system  bool // a System error line: code is a Win32 code
	meaning string
}

// netFailure reads a net.exe command's own failure line; ok is false for
// another program or output without one.
func netFailure(line string, res winrm.Result) (f netFail, ok bool) {
	prog, _, _ := strings.Cut(strings.TrimSpace(line), " ")
	prog = strings.ToLower(prog[strings.LastIndex(prog, `\`)+1:])
	if prog != "net" && prog != "net.exe" {
		return f, false
	}
	out := res.Stdout + "\n" + res.Stderr
	lines := splitLines(out)
	// nextText is the first non-blank line after the one at index i.
	nextText := func(after string) string {
		for i, l := range lines {
			if strings.TrimSpace(l) != after {
				continue
			}
			for _, t := range lines[i+1:] {
				if t = strings.TrimSpace(t); t != "" {
					return t
				}
			}
		}
		return ""
	}
	if m := netSystemErrorRe.FindStringSubmatch(out); m != nil {
		code, _ := strconv.Atoi(m[1])
		text := win32Meanings[code]
		if text == "" {
			text = nextText(strings.TrimSpace(m[0]))
		}
		if text == "" {
			text = "a Win32 error this provider does not know"
		}
		return netFail{code: code, system: true, meaning: fmt.Sprintf("System error %d: %s", code, text)}, true
	}
	if m := netHelpmsgRe.FindStringSubmatch(out); m != nil {
		code, _ := strconv.Atoi(m[1])
		// The NET message is the text before the hint.
		var msg []string
		for _, l := range lines {
			l = strings.TrimSpace(l)
			if l == strings.TrimSpace(m[0]) {
				break
			}
			if l != "" {
				msg = append(msg, l)
			}
		}
		text := "a NET message this provider does not know"
		if len(msg) > 0 {
			text = msg[len(msg)-1]
		}
		return netFail{code: code, meaning: fmt.Sprintf("NET HELPMSG %d: %s", code, text)}, true
	}
	return f, false
}
