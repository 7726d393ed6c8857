package nodeops

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnquotable is wrapped by every error of Quote and ValidateArg.
var ErrUnquotable = errors.New("cannot be passed safely on a cmd.exe command line")

// UnquotableError names the first character of a value that Quote refuses.
// It never repeats the value itself: values may be secrets.
type UnquotableError struct {
	Char   rune
	Pos    int // byte offset in the value
	Reason string
}

func (e *UnquotableError) Error() string {
	return fmt.Sprintf("character %s at position %d %v: %s", describeRune(e.Char), e.Pos, ErrUnquotable, e.Reason)
}

func (e *UnquotableError) Unwrap() error { return ErrUnquotable }

func describeRune(r rune) string {
	switch r {
	case '\n':
		return "newline (U+000A)"
	case '\r':
		return "carriage return (U+000D)"
	case '\t':
		return "tab (U+0009)"
	case 0:
		return "NUL (U+0000)"
	}
	if r < 0x20 || r == 0x7f {
		return fmt.Sprintf("control character U+%04X", r)
	}
	return fmt.Sprintf("%q (U+%04X)", r, r)
}

// refusal says why r cannot be carried, or "" when it can.
//
// cmd.exe reads a command line in phases: %VAR% expansion first (inside
// double quotes too), then quote tracking, ^ escapes, operators and
// redirection outside quotes; the program then splits what it got with
// CommandLineToArgvW. A double-quoted token shields & | < > ^ ( ) , ; = and
// blanks from cmd.exe, so the only characters that cannot be carried are the
// ones quoting does not shield, which refusal words.
func refusal(r rune) string {
	switch {
	case r == '%':
		return "cmd.exe expands %VAR% even inside double quotes"
	case r == '!':
		// Off by default, but a registry value (Command Processor\DelayedExpansion)
		// turns it on for every shell; the provider cannot know.
		return "cmd.exe expands !VAR! when delayed expansion is enabled on the node"
	case r == '"':
		return "a double quote ends cmd.exe's quoting and exposes the rest of the value to cmd.exe"
	case r == '\n' || r == '\r':
		return "a line break ends the command line"
	case r < 0x20 || r == 0x7f:
		return "control characters are not passed through reliably"
	case r > 0x7e:
		// The shell converts the command line to the node's code page; best-fit
		// mappings turn some characters into quotes or other metacharacters
		// (e.g. U+FF02 into '"'), so only ASCII is predictable.
		return "only printable ASCII is passed through the node's code page unchanged"
	}
	return ""
}

// bare reports whether s is a plain token that needs no quotes: cmd.exe gives
// none of its characters a meaning, and CommandLineToArgvW returns it as one
// argument unchanged. ',', ';' and '=' are left out because cmd.exe treats
// them as blanks when the token is a program name or an internal command's
// argument.
func bare(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte(`_-.:\/@+$#~`, c) >= 0:
		default:
			return false
		}
	}
	return true
}

// ValidateArg reports whether s can go into a command line through Quote; it
// is what plan-time validators call. The error names the offending character.
func ValidateArg(s string) error {
	for i, r := range s {
		if why := refusal(r); why != "" {
			return &UnquotableError{Char: r, Pos: i, Reason: why}
		}
	}
	return nil
}

// Quote is the one quoting function for every value that goes into a cmd.exe
// command line. It returns a token that cmd.exe passes to the program
// untouched and that the program's CommandLineToArgvW turns back into exactly
// s, or an error wrapping ErrUnquotable.
//
// Plain tokens (ClusSvc, NODE2, C:\WINNT\system32) stay bare so that plans,
// logs and the node's command history read as an administrator would type
// them; anything else is double-quoted, the form Microsoft documents for
// names with spaces ("Cluster Group"). Inside the quotes a backslash is
// literal except before a quote, so only a trailing run of backslashes is
// doubled: "C:\dir\\" gives C:\dir\.
func Quote(s string) (string, error) {
	if err := ValidateArg(s); err != nil {
		return "", err
	}
	if bare(s) {
		return s, nil
	}
	trailing := len(s) - len(strings.TrimRight(s, `\`))
	return `"` + s + strings.Repeat(`\`, trailing) + `"`, nil
}

// quoteAll quotes each value (given as name, value pairs), stopping at the first refusal; the error
// says which of the named values was refused.
func quoteAll(named ...string) ([]string, error) {
	out := make([]string, 0, len(named)/2)
	for i := 0; i+1 < len(named); i += 2 {
		q, err := Quote(named[i+1])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", named[i], err)
		}
		out = append(out, q)
	}
	return out, nil
}

// programLine is the command line that runs the program at path (a file on
// the node) with args, each one a token of Quote or a fixed switch.
//
// Over WinRM the line runs as `cmd /c <line>`, and cmd.exe's /C rule (cmd /?)
// looks at the line's quotes before anything else: they are kept only when
// the line holds exactly two, around one existing program's name with a blank
// in it and none of & < > ( ) @ ^ |; otherwise a line that starts with a quote
// loses that quote and the line's last one. So `"C:\R&D\update.exe" -u`
// would run C:\R and then D\update.exe, and `"D:\Option Pack (EN)\setup.exe"
// "/u:C:\My Temp\u.txt"` would fail with 'D:\Option' is not recognized.
//
// A line that does not start with a quote keeps all its quotes under both
// branches of the rule (and under /S, which strips only a leading quote),
// so a quoted program goes in parentheses: `("C:\R&D\update.exe" -u)`. To
// cmd's parser the parentheses only group: inside the quoted path & ( ) @ ^
// are plain characters, the block runs the one program, and its exit code is
// the program's. NT 4.0's cmd.exe has the same grouping (readBatch relies on
// it too). An unquoted ) in an argument would end the block early, so args
// may hold ) only inside quotes, which Quote's tokens do. Not `call "path"
// args`: CALL expands % and halves ^ a second time. Not `cd . && "path"
// args`: it works, but shows an odd step in plans and logs.
func programLine(path string, args ...string) (string, error) {
	q, err := Quote(path)
	if err != nil {
		return "", err
	}
	line := strings.Join(append([]string{q}, args...), " ")
	if !strings.HasPrefix(q, `"`) {
		return line, nil
	}
	inQuote := false
	for _, c := range line {
		switch {
		case c == '"':
			inQuote = !inQuote
		case c == ')' && !inQuote:
			return "", fmt.Errorf("an argument of %s holds ) outside quotes, which would end the parentheses that keep its path's quotes", path)
		}
	}
	return "(" + line + ")", nil
}

// startsWithQuote reports a command line that cmd's /C rule would strip (see
// programLine): every line the provider sends must start with something else.
func startsWithQuote(line string) bool {
	return strings.HasPrefix(strings.TrimLeft(line, " \t"), `"`)
}
