package cmdshell

import (
	"strconv"
	"strings"
)

// The interpreter follows the phases of cmd.exe's line parser as measured in
// the well-known analysis "How does the Windows Command Interpreter (CMD.EXE)
// parse scripts" (command-line mode, no delayed expansion):
//
//	phase 1: %VAR% expansion over the whole line, before anything is parsed;
//	phase 2: quotes, ^ escapes, operators, parentheses, redirections;
//	phase 5.5/7: redirection and execution, command by command (run.go).
//
// Because expansion comes first, a value holding & or " changes the parse.

// expandPercent is phase 1 in command-line mode: %NAME% is replaced when NAME is
// defined (names are case-insensitive); an undefined %NAME% is kept as typed and
// the scan goes on from its closing %, which may open the next variable; a %
// without a partner stays. %NAME:~n,m% and %NAME:a=b% edit the value.
func expandPercent(s string, lookup func(string) (string, bool)) string {
	var out strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '%' {
			out.WriteByte(s[i])
			i++
			continue
		}
		j := strings.IndexByte(s[i+1:], '%')
		if j < 0 {
			out.WriteString(s[i:])
			break
		}
		j += i + 1
		if v, ok := expandVar(s[i+1:j], lookup); ok {
			out.WriteString(v)
			i = j + 1
		} else {
			out.WriteString(s[i:j])
			i = j
		}
	}
	return out.String()
}

// expandVar expands one name between percents, with an optional :~ substring or
// :old=new substitution modifier.
func expandVar(spec string, lookup func(string) (string, bool)) (string, bool) {
	if spec == "" {
		return "", false
	}
	name, mod, hasMod := strings.Cut(spec, ":")
	v, ok := lookup(name)
	if !ok {
		return "", false
	}
	if !hasMod {
		return v, true
	}
	if rest, isSub := strings.CutPrefix(mod, "~"); isSub {
		return substring(v, rest)
	}
	old, repl, found := strings.Cut(mod, "=")
	if !found || old == "" || old == "*" {
		return "", false
	}
	return replaceFold(v, old, repl), true
}

// substring applies %VAR:~start[,length]% with negative counts from the end.
func substring(v, spec string) (string, bool) {
	a, b, hasLen := strings.Cut(spec, ",")
	start, err := strconv.Atoi(strings.TrimSpace(a))
	if err != nil {
		return "", false
	}
	n := len(v)
	if start < 0 {
		start = max(n+start, 0)
	}
	start = min(start, n)
	end := n
	if hasLen {
		l, err := strconv.Atoi(strings.TrimSpace(b))
		if err != nil {
			return "", false
		}
		if l < 0 {
			end = max(n+l, start)
		} else {
			end = min(start+l, n)
		}
	}
	return v[start:end], true
}

// replaceFold replaces every case-insensitive occurrence of old; a leading *
// in old means "everything up to and including the first occurrence".
func replaceFold(v, old, repl string) string {
	lv := strings.ToLower(v)
	if rest, star := strings.CutPrefix(old, "*"); star {
		i := strings.Index(lv, strings.ToLower(rest))
		if i < 0 {
			return v
		}
		return repl + v[i+len(rest):]
	}
	lo := strings.ToLower(old)
	var out strings.Builder
	for {
		i := strings.Index(lv, lo)
		if i < 0 || len(lv) != len(v) {
			// lower-casing changed byte lengths (non-ASCII); fall back to exact case
			if i >= 0 {
				return out.String() + strings.ReplaceAll(v, old, repl)
			}
			out.WriteString(v)
			return out.String()
		}
		out.WriteString(v[:i])
		out.WriteString(repl)
		v, lv = v[i+len(old):], lv[i+len(old):]
	}
}

// node is a piece of the parsed line: *opNode, *blockNode, *ifNode, *cmdNode,
// or nil for an empty command.
type node interface{}

// opNode joins two commands with &, &&, || or |.
type opNode struct {
	op          string
	left, right node
}

// blockNode is a parenthesised group with its own redirections.
type blockNode struct {
	body   node
	redirs []redirect
}

type ifNode struct {
	ignoreCase, not bool
	kind            string // "exist", "errorlevel", "defined", "compare"
	a, b, cmpOp     string // operands as typed (quotes kept) and ==, EQU, NEQ, ...
	then, els       node
}

// cmdNode is a simple command.
type cmdNode struct {
	typed    string // the command token as typed, escapes removed, quotes kept
	name     string // typed without quotes
	internal string // lower-case internal command name, or ""
	tail     string // everything after the command name, redirections removed
	redirs   []redirect
}

// redirect is one of >, >>, <, n>, n>&m in the order written.
type redirect struct {
	fd     int // 0 for <, 1 or the digit for >
	input  bool
	append bool
	dupFd  int    // n>&m: m; -1 otherwise
	path   string // quotes removed
}

// syntaxError is a line cmd refuses before running any of it.
type syntaxError struct {
	msg  string
	code int
}

func (e *syntaxError) Error() string { return e.msg }

func unexpected(what string) *syntaxError {
	return &syntaxError{msg: what + " was unexpected at this time.", code: 255}
}

var errSyntax = &syntaxError{msg: "The syntax of the command is incorrect.", code: 1}

// internalCommands are recognised by cmd before any program search.
var internalCommands = []string{"echo", "type", "set", "cd", "chdir", "exit", "if", "rem",
	"mkdir", "md", "rmdir", "rd", "del", "erase", "copy", "dir", "ren", "rename"}

// isDelim reports cmd's token delimiters: <space> <tab> , ; = <VT> <FF> <0xFF>.
func isDelim(c byte) bool {
	switch c {
	case ' ', '\t', ',', ';', '=', '\v', '\f', 0xFF:
		return true
	}
	return false
}

type parser struct {
	s     string
	pos   int
	depth int // open parentheses
}

// parse is phase 2 over an already expanded line.
func parse(line string) (n node, err error) {
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	line = strings.ReplaceAll(line, "\r", "")
	p := &parser{s: line}
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(*syntaxError)
			if !ok {
				panic(r)
			}
			n, err = nil, se
		}
	}()
	n = p.seq()
	if p.pos < len(p.s) {
		panic(unexpected(p.rest()))
	}
	return n, nil
}

func (p *parser) rest() string {
	r := p.s[p.pos:]
	if i := strings.IndexAny(r, " \t"); i > 0 {
		r = r[:i]
	}
	return r
}

func (p *parser) peek() byte {
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

func (p *parser) skipDelims() {
	for p.pos < len(p.s) && isDelim(p.s[p.pos]) {
		p.pos++
	}
}

func (p *parser) skipBlanks() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

// Operator precedence from loosest to tightest: &, ||, &&, | (as ReactOS's
// cmd, which reproduces Windows', parses them).
func (p *parser) seq() node {
	left := p.or()
	for p.op() == "&" {
		if left == nil {
			panic(unexpected("&"))
		}
		p.pos++
		p.skipDelims()
		if p.pos >= len(p.s) || p.peek() == ')' && p.depth > 0 {
			return left // a trailing & is accepted
		}
		left = &opNode{op: "&", left: left, right: p.or()}
	}
	return left
}

// The binary operators bind, loosest to tightest: & (above), ||, &&, |.
func (p *parser) or() node   { return p.binary("||", p.and) }
func (p *parser) and() node  { return p.binary("&&", p.pipe) }
func (p *parser) pipe() node { return p.binary("|", p.command) }

// binary parses a left-associative chain of op over operands parsed by next;
// op needs an operand on both sides.
func (p *parser) binary(op string, next func() node) node {
	left := next()
	for p.op() == op {
		if left == nil {
			panic(unexpected(op))
		}
		p.pos += len(op)
		left = &opNode{op: op, left: left, right: p.required(next)}
	}
	return left
}

// required parses the right side of a binary operator, which may not be empty.
func (p *parser) required(f func() node) node {
	start := p.pos
	n := f()
	if n == nil {
		p.pos = start
		p.skipDelims()
		if p.pos < len(p.s) {
			panic(unexpected(p.rest()))
		}
		panic(errSyntax)
	}
	return n
}

// op reports the operator at the current position, if any.
func (p *parser) op() string {
	r := p.s[p.pos:]
	switch {
	case strings.HasPrefix(r, "&&"):
		return "&&"
	case strings.HasPrefix(r, "||"):
		return "||"
	case strings.HasPrefix(r, "&"):
		return "&"
	case strings.HasPrefix(r, "|"):
		return "|"
	}
	return ""
}

// command parses one command: a parenthesised block, an IF, a REM, or a simple
// command, each with its redirections. It returns nil for an empty command.
func (p *parser) command() node {
	var redirs []redirect
	for {
		p.skipDelims()
		for p.peek() == '@' {
			p.pos++
			p.skipDelims()
		}
		if !p.redirect(&redirs) {
			break
		}
	}
	switch c := p.peek(); {
	case c == 0 || c == '&' || c == '|':
		if len(redirs) > 0 {
			return &cmdNode{redirs: redirs}
		}
		return nil
	case c == ')' && p.depth > 0:
		if len(redirs) > 0 {
			return &cmdNode{redirs: redirs}
		}
		return nil
	case c == '(':
		return p.block(redirs)
	}
	return p.simple(redirs)
}

func (p *parser) block(redirs []redirect) node {
	p.pos++
	p.depth++
	body := p.seq()
	p.skipDelims()
	if p.peek() != ')' {
		panic(errSyntax) // cmd /c has no further line to close the block with
	}
	p.pos++
	p.depth--
	for {
		p.skipBlanks()
		if !p.redirect(&redirs) {
			break
		}
	}
	return &blockNode{body: body, redirs: redirs}
}

// word reads a command token up to a delimiter or special character. Quotes
// are kept and toggle quoting, ^ escapes outside quotes and is dropped.
// stopAt lists further characters that end the word outside quotes.
func (p *parser) word(stopAt string) (typed string, quoted bool) {
	var b strings.Builder
	inQuote := false
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == '"' {
			inQuote = !inQuote
			quoted = true
			b.WriteByte(c)
			p.pos++
			continue
		}
		if !inQuote {
			if isDelim(c) || strings.IndexByte("&|<>", c) >= 0 || c == ')' && p.depth > 0 ||
				strings.IndexByte(stopAt, c) >= 0 {
				break
			}
			if c == '^' {
				p.pos++
				if p.pos < len(p.s) {
					b.WriteByte(p.s[p.pos])
					p.pos++
				}
				continue
			}
		}
		b.WriteByte(c)
		p.pos++
	}
	return b.String(), quoted
}

func (p *parser) simple(redirs []redirect) node {
	start := p.pos
	typed, quoted := p.word("/")
	name := strings.ReplaceAll(typed, `"`, "")
	internal := ""
	if !quoted {
		lower := asciiLower(name) // byte offsets must match name's
		for _, ic := range internalCommands {
			if lower == ic {
				internal = ic
				break
			}
			// echo. cd.. type/? : the internal name ends at one of these characters
			if strings.HasPrefix(lower, ic) && strings.IndexByte(`.:\[]+(`, lower[len(ic)]) >= 0 {
				internal = ic
				p.pos = start + p.rawIndex(start, len(ic))
				typed, name = typed[:len(ic)], name[:len(ic)]
				break
			}
		}
	}
	switch internal {
	case "rem":
		// REM takes the rest of the line, operators included.
		tail := p.s[p.pos:]
		p.pos = len(p.s)
		return &cmdNode{typed: typed, name: name, internal: internal, tail: tail, redirs: redirs}
	case "if":
		return p.ifCommand()
	}
	tail := p.tail(&redirs)
	return &cmdNode{typed: typed, name: name, internal: internal, tail: tail, redirs: redirs}
}

// rawIndex maps n bytes of unescaped word text starting at raw offset start to
// a raw length, accounting for ^ escapes.
func (p *parser) rawIndex(start, n int) int {
	i := start
	for ; n > 0 && i < len(p.s); n-- {
		if p.s[i] == '^' {
			i++
		}
		i++
	}
	return i - start
}

// tail collects a simple command's arguments up to the next operator,
// removing redirections (which may appear anywhere) and ^ escapes.
func (p *parser) tail(redirs *[]redirect) string {
	var b strings.Builder
	inQuote := false
	tokenStart := true // whether the next byte starts a token (for 2> handles)
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if inQuote {
			if c == '"' {
				inQuote = false
			}
			b.WriteByte(c)
			p.pos++
			tokenStart = false
			continue
		}
		switch {
		case c == '"':
			inQuote = true
		case c == '&' || c == '|' || c == ')' && p.depth > 0:
			return b.String()
		case c >= '0' && c <= '9' && tokenStart && p.pos+1 < len(p.s) && (p.s[p.pos+1] == '>' || p.s[p.pos+1] == '<'):
			p.redirect(redirs)
			tokenStart = true
			continue
		case c == '<' || c == '>':
			p.redirect(redirs)
			tokenStart = true
			continue
		case c == '^':
			p.pos++
			if p.pos < len(p.s) {
				b.WriteByte(p.s[p.pos])
				p.pos++
			}
			tokenStart = false
			continue
		}
		b.WriteByte(c)
		p.pos++
		tokenStart = isDelim(c)
	}
	return b.String() // an unbalanced quote runs to the end of the line
}

// redirect parses a redirection at the current position if there is one; a
// digit right before > or < is its handle (callers only offer a digit that
// starts a token: in `echo test1>f` the 1 is text).
func (p *parser) redirect(redirs *[]redirect) bool {
	r := redirect{fd: 1, dupFd: -1}
	i := p.pos
	if i+1 < len(p.s) && p.s[i] >= '0' && p.s[i] <= '9' && (p.s[i+1] == '>' || p.s[i+1] == '<') {
		r.fd = int(p.s[i] - '0')
		i++
	}
	if i >= len(p.s) || (p.s[i] != '>' && p.s[i] != '<') {
		return false
	}
	if p.s[i] == '<' {
		r.input = true
		if i == p.pos {
			r.fd = 0
		}
	}
	i++
	if !r.input && i < len(p.s) && p.s[i] == '>' {
		r.append = true
		i++
	}
	p.pos = i
	if p.peek() == '&' {
		p.pos++
		if d := p.peek(); d >= '0' && d <= '9' {
			r.dupFd = int(d - '0')
			p.pos++
			*redirs = append(*redirs, r)
			return true
		}
		panic(unexpected("&"))
	}
	p.skipDelims()
	target, _ := p.word("")
	target = strings.ReplaceAll(target, `"`, "")
	if target == "" {
		panic(errSyntax)
	}
	r.path = target
	*redirs = append(*redirs, r)
	return true
}

// ifCommand parses IF [/I] [NOT] EXIST p | ERRORLEVEL n | DEFINED v | a==b |
// a op b, then its command. As in cmd, the command takes the rest of the line
// with its operators (IF 1==2 echo a & echo b runs neither); ELSE can only
// follow a parenthesised command, since a simple one would take it as an argument.
func (p *parser) ifCommand() node {
	n := &ifNode{}
	peek := func() string {
		p.skipDelims()
		return p.peekWord()
	}
	w := peek()
	if strings.EqualFold(w, "/i") {
		n.ignoreCase = true
		p.pos += len(w)
		w = peek()
	}
	if strings.EqualFold(w, "not") {
		n.not = true
		p.pos += len(w)
		w = peek()
	}
	switch lw := strings.ToLower(w); lw {
	case "exist", "errorlevel", "defined":
		p.pos += len(w)
		n.kind = lw
		p.skipDelims()
		n.a, _ = p.word("")
	default:
		n.kind = "compare"
		n.a = p.operand()
		p.skipBlanks()
		if strings.HasPrefix(p.s[p.pos:], "==") {
			for p.peek() == '=' {
				p.pos++
			}
			n.cmpOp = "=="
		} else {
			n.cmpOp = strings.ToUpper(p.peekWord())
			switch n.cmpOp {
			case "EQU", "NEQ", "LSS", "LEQ", "GTR", "GEQ":
				p.pos += len(n.cmpOp)
			default:
				panic(unexpected(p.rest()))
			}
		}
		p.skipBlanks()
		n.b = p.operand()
	}
	if n.a == "" || n.kind == "compare" && n.b == "" {
		panic(errSyntax)
	}
	p.skipDelims()
	n.then = p.seq()
	if n.then == nil {
		panic(errSyntax)
	}
	p.skipDelims()
	if strings.EqualFold(p.peekWord(), "else") {
		p.pos += 4
		p.skipDelims()
		n.els = p.seq()
		if n.els == nil {
			panic(errSyntax)
		}
	}
	return n
}

// operand reads an IF comparison operand: up to a blank or "==" outside quotes.
func (p *parser) operand() string {
	var b strings.Builder
	inQuote := false
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if !inQuote {
			if c == ' ' || c == '\t' || c == ',' || c == ';' || strings.HasPrefix(p.s[p.pos:], "==") ||
				strings.IndexByte("&|<>", c) >= 0 {
				break
			}
			if c == '^' {
				p.pos++
				if p.pos < len(p.s) {
					b.WriteByte(p.s[p.pos])
					p.pos++
				}
				continue
			}
		}
		if c == '"' {
			inQuote = !inQuote
		}
		b.WriteByte(c)
		p.pos++
	}
	return b.String()
}

// peekWord returns the next plain word without consuming it.
func (p *parser) peekWord() string {
	i := p.pos
	for i < len(p.s) && !isDelim(p.s[i]) && strings.IndexByte("&|<>()\"^", p.s[i]) < 0 {
		i++
	}
	return p.s[p.pos:i]
}

// asciiLower lower-cases A-Z only, keeping byte offsets; cmd matches its
// internal command names in ASCII.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
