package world

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/cmdshell"
)

const (
	regNotFound      = "ERROR: The system was unable to find the specified registry key or value."
	regNetworkPath   = "ERROR: The network path was not found."
	regInvalidSyntax = "ERROR: Invalid syntax.\r\nType \"REG QUERY /?\" for usage."
	regAddSyntax     = "ERROR: Invalid syntax.\r\nType \"REG ADD /?\" for usage."
)

// runReg is reg.exe's query and add verbs (Windows XP's syntax, as the
// Resource Kit's reg.exe is emulated): `reg query KEY [/v NAME | /ve] [/s]`,
// `reg add KEY [/v NAME | /ve] [/t REG_SZ|REG_DWORD] [/d DATA] [/f]`, KEY
// optionally on another node (`\\NODE2\HKLM\...`).
func runReg(ctx context.Context, h *host, p *cmdshell.Proc) int {
	var out bytes.Buffer
	h.w.lock()
	code, errText := regLocked(h, p.Args, &out)
	h.w.unlock()
	p.Stdout.Write(out.Bytes())
	if errText != "" {
		fmt.Fprintf(p.Stderr, "%s\r\n", errText)
	}
	return code
}

func regLocked(h *host, args []string, out io.Writer) (int, string) {
	if len(args) < 2 || !strings.EqualFold(args[0], "query") && !strings.EqualFold(args[0], "add") {
		return 1, regInvalidSyntax
	}
	n, keyArg := h.n, args[1]
	if strings.HasPrefix(keyArg, `\\`) {
		machine, rest, _ := strings.Cut(keyArg[2:], `\`)
		n, keyArg = h.w.node(machine), rest
		if n == nil || !h.w.reachableLocked(n) {
			return 1, regNetworkPath
		}
	}
	if strings.EqualFold(args[0], "add") {
		return regAdd(n, keyArg, args[2:], out)
	}
	var value *string
	recurse := false
	for i := 2; i < len(args); i++ {
		switch strings.ToLower(args[i]) {
		case "/v":
			if i+1 >= len(args) || value != nil {
				return 1, regInvalidSyntax
			}
			i++
			value = &args[i]
		case "/ve":
			if value != nil {
				return 1, regInvalidSyntax
			}
			empty := ""
			value = &empty
		case "/s":
			recurse = true
		default:
			return 1, regInvalidSyntax
		}
	}
	path, err := parseRegKey(keyArg)
	if err != nil {
		return 1, regInvalidSyntax
	}
	k, ok := n.reg.key(path)
	if !ok {
		return 1, regNotFound
	}
	xp := h.w.layout2003
	if value != nil {
		v, ok := k.value(*value)
		if !ok {
			return 1, regNotFound
		}
		regHeader(out, xp)
		fmt.Fprintf(out, "\r\n%s\r\n", k.path)
		regValueRow(out, v, xp)
		io.WriteString(out, "\r\n")
		return 0, ""
	}
	regHeader(out, xp)
	regKeyBlock(out, n.reg, k, recurse, xp)
	return 0, ""
}

// regHeader is the first line reg.exe 3.0 (XP, 2003) prints after a blank
// one; later versions print none.
func regHeader(out io.Writer, xp bool) {
	if xp {
		io.WriteString(out, "\r\n! REG.EXE VERSION 3.0\r\n")
	}
}

// regKeyBlock prints a key: a blank line, its full name, its values, a blank
// line, then its subkeys (their full names, or whole blocks with /s).
func regKeyBlock(out io.Writer, r *registry, k *regKey, recurse, xp bool) {
	fmt.Fprintf(out, "\r\n%s\r\n", k.path)
	for _, v := range k.values {
		regValueRow(out, v, xp)
	}
	io.WriteString(out, "\r\n")
	for _, sub := range r.subkeys(k.path) {
		if recurse {
			sk, _ := r.key(sub)
			regKeyBlock(out, r, sk, true, xp)
		} else {
			fmt.Fprintf(out, "%s\r\n", sub)
		}
	}
}

// regValueRow prints a value: indented four blanks, then name, type and
// data four blanks apart. reg.exe 3.0 separates them with tabs, names the
// default value <NO NAME> and ends a REG_MULTI_SZ with \0\0.
func regValueRow(out io.Writer, v *regValue, xp bool) {
	name, sep, data := v.Name, "    ", v.text()
	if xp {
		sep = "\t"
		if name == "" {
			name = "<NO NAME>"
		}
		if v.Type == regMultiSZ {
			data += `\0\0`
		}
	} else if name == "" {
		name = "(Default)"
	}
	fmt.Fprintf(out, "    %s%s%s%s%s\r\n", name, sep, v.Type, sep, data)
}

// regAdd is `reg add`: the key created, and the value set when named. An
// existing value is only overwritten with /f: reg asks otherwise, and a
// remote shell has no one to answer (FORMATS.md).
func regAdd(n *node, keyArg string, args []string, out io.Writer) (int, string) {
	var name *string
	typ, data, force := regSZ, "", false
	for i := 0; i < len(args); i++ {
		switch strings.ToLower(args[i]) {
		case "/v", "/t", "/d":
			if i+1 >= len(args) {
				return 1, regAddSyntax
			}
			switch strings.ToLower(args[i]) {
			case "/v":
				name = &args[i+1]
			case "/t":
				typ = strings.ToUpper(args[i+1])
			case "/d":
				data = args[i+1]
			}
			i++
		case "/ve":
			empty := ""
			name = &empty
		case "/f":
			force = true
		default:
			return 1, regAddSyntax
		}
	}
	path, err := parseRegKey(keyArg)
	if err != nil || typ != regSZ && typ != regDWORD {
		return 1, regAddSyntax
	}
	if name == nil {
		n.reg.ensureKey(path)
		io.WriteString(out, "The operation completed successfully.\r\n")
		return 0, ""
	}
	if k, ok := n.reg.key(path); ok && !force {
		if _, exists := k.value(*name); exists {
			fmt.Fprintf(out, "Value %s exists, overwrite(Yes/No)? ", *name)
			return 1, "The operation was canceled by the user."
		}
	}
	v := &regValue{Name: *name, Type: typ, Str: data}
	if typ == regDWORD {
		num, err := strconv.ParseUint(data, 0, 32)
		if err != nil {
			return 1, regAddSyntax
		}
		v = &regValue{Name: *name, Type: regDWORD, DWord: uint32(num)}
	}
	n.reg.set(path, v)
	io.WriteString(out, "The operation completed successfully.\r\n")
	return 0, ""
}
