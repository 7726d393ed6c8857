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
