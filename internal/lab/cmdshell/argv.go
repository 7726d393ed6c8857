package cmdshell

import "strings"

// SplitArgs splits a command-line argument tail the way the Microsoft C runtime
// does before main() (CommandLineToArgvW, "Parsing C++ command-line arguments"):
//   - arguments are separated by spaces and tabs;
//   - a double-quoted part may hold spaces and can sit inside a larger argument;
//   - 2n backslashes before a quote give n backslashes and the quote opens or
//     closes quoting; 2n+1 backslashes give n backslashes and a literal quote;
//   - backslashes not followed by a quote are literal;
//   - inside quotes, "" gives a literal quote and quoting goes on.
func SplitArgs(line string) []string {
	var args []string
	var cur strings.Builder
	inArg, inQuote := false, false
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case (c == ' ' || c == '\t') && !inQuote:
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
			i++
		case c == '\\':
			n := 0
			for i < len(line) && line[i] == '\\' {
				n++
				i++
			}
			inArg = true
			if i < len(line) && line[i] == '"' {
				cur.WriteString(strings.Repeat(`\`, n/2))
				if n%2 == 1 {
					cur.WriteByte('"')
					i++
				}
				// with an even count the quote is handled by the next iteration
			} else {
				cur.WriteString(strings.Repeat(`\`, n))
			}
		case c == '"':
			inArg = true
			if inQuote && i+1 < len(line) && line[i+1] == '"' {
				cur.WriteByte('"')
				i += 2
				continue
			}
			inQuote = !inQuote
			i++
		default:
			inArg = true
			cur.WriteByte(c)
			i++
		}
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args
}
