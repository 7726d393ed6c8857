package world

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/cmdshell"
)

const (
	errNoneMapped        = 1332
	errNoSuchAlias       = 1376
	errMemberNotInAlias  = 1377
	errMemberInAlias     = 1378
	ntrightsUsage        = "Usage: ntrights {-r Right|+r Right} -u UserOrGroup [-m \\\\Computer] [-?]\r\n"
	dcompermKeyPrompt    = "Press any key to continue. . ."
	dcompermSyntaxBanner = "Syntax: dcomperm <option> [...]\r\n\r\n" +
		"Options:\r\n" +
		"   -da <\"set\" or \"remove\"> <Principal Name> [\"permit\" or \"deny\"]\r\n" +
		"   -da list\r\n" +
		"       Modify or list the default access permission list\r\n\r\n" +
		"   -dl <\"set\" or \"remove\"> <Principal Name> [\"permit\" or \"deny\"]\r\n" +
		"   -dl list\r\n" +
		"       Modify or list the default launch permission list\r\n\r\n"
)

func init() {
	win32Messages[errNoneMapped] = "No mapping between account names and security IDs was done."
	win32Messages[errNoSuchAlias] = "The specified local group does not exist."
	win32Messages[errMemberNotInAlias] = "The specified account name is not a member of the local group."
	win32Messages[errMemberInAlias] = "The specified account name is already a member of the local group."
}

// runNtrights is the Resource Kit's ntrights.exe: `ntrights +r RIGHT -u
// ACCOUNT [-m \\NODE]` grants, `-r` revokes; right names are case-sensitive
// (KB Q266280). Its output is unconfirmed (FORMATS.md): callers verify with
// showpriv.
func runNtrights(_ context.Context, h *host, p *cmdshell.Proc) int {
	var right, account, machine string
	grant := false
	args := p.Args
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case (a == "+r" || a == "-r") && i+1 < len(args):
			right, grant = args[i+1], a == "+r"
			i++
		case strings.EqualFold(a, "-u") && i+1 < len(args):
			account = args[i+1]
			i++
		case strings.EqualFold(a, "-m") && i+1 < len(args):
			machine = strings.TrimPrefix(args[i+1], `\\`)
			i++
		case strings.HasPrefix(strings.ToLower(a), `-m\\`):
			machine = a[4:]
		default:
			io.WriteString(p.Stderr, ntrightsUsage)
			return 1
		}
	}
	if right == "" || account == "" {
		io.WriteString(p.Stderr, ntrightsUsage)
		return 1
	}
	w := h.w
	w.lock()
	defer w.unlock()
	n := h.n
	if machine != "" {
		if n = w.node(machine); n == nil || !w.reachableLocked(n) {
			fmt.Fprintf(p.Stderr, "Error: cannot open the policy on \\\\%s: %s\r\n", machine, win32Messages[errRPCServerUnavailable])
			return errRPCServerUnavailable
		}
	}
	if !containsExact(knownRights, right) {
		fmt.Fprintf(p.Stderr, "Error: %s is not a valid user right (names are case-sensitive).\r\n", right)
		return 1
	}
	name, ok := w.resolveAccount(n, account)
	if !ok {
		fmt.Fprintf(p.Stderr, "Error: %s: %s\r\n", account, win32Messages[errNoneMapped])
		return errNoneMapped
	}
	verb := "Granting"
	if grant {
		n.grantRight(right, name)
	} else {
		verb = "Revoking"
		n.revokeRight(right, name)
	}
	fmt.Fprintf(p.Stdout, "%s %s to %s ... successful\r\n", verb, right, name)
	return 0
}

func containsExact(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// runShowpriv is the Resource Kit's showpriv.exe: `showpriv RIGHT` lists the
// accounts holding a right (output chosen: FORMATS.md).
func runShowpriv(_ context.Context, h *host, p *cmdshell.Proc) int {
	if len(p.Args) != 1 {
		io.WriteString(p.Stderr, "Usage: showpriv <privilege or right>\r\n")
		return 1
	}
	right := p.Args[0]
	if !containsExact(knownRights, right) {
		fmt.Fprintf(p.Stderr, "Error: %s is not a valid user right (names are case-sensitive).\r\n", right)
		return 1
	}
	h.w.lock()
	defer h.w.unlock()
	accts := h.n.acct.rights[right]
	fmt.Fprintf(p.Stdout, "%d account(s) with the %s user right:\r\n", len(accts), right)
	for _, a := range accts {
		fmt.Fprintf(p.Stdout, "    %s\r\n", a)
	}
	return 0
}

// runDcomperm is the 1996 Platform SDK's dcomperm sample (TOOLS-PHASES.md
// 3.4): `-da|-dl list`, `-da|-dl set PRINCIPAL permit|deny`, `-da remove
// PRINCIPAL`. It always exits 0; `set` prints nothing on success; its usage
// screen waits for a key press, which an unattended shell never gives (so a
// bad command line hangs until the caller gives up), and `-dl remove` falls
// into that usage screen (the 1996 sample's bug). A `dcomperm_noop` fault
// makes `set` and `remove` report success and change nothing.
func runDcomperm(ctx context.Context, h *host, p *cmdshell.Proc) int {
	args := p.Args
	usage := func(extra string) int {
		io.WriteString(p.Stdout, extra+dcompermSyntaxBanner+dcompermKeyPrompt)
		<-ctx.Done() // _getch() on a console no one types on
		return 0
	}
	if len(args) < 2 || args[0] != "-da" && args[0] != "-dl" {
		return usage("")
	}
	access := args[0] == "-da"
	w, n := h.w, h.n
	w.lock()
	list := &n.acct.dcomLaunch
	what := "launch"
	if access {
		list, what = &n.acct.dcomAccess, "access"
	}
	switch {
	case strings.EqualFold(args[1], "list") && len(args) == 2:
		defer w.unlock()
		if access {
			io.WriteString(p.Stdout, "Default access permission list:\r\n\r\n")
		} else {
			io.WriteString(p.Stdout, "Default launch permission list:\r\n\r\n")
		}
		if *list == nil {
			io.WriteString(p.Stdout, "<Using Default Permissions>\r\n")
			return 0
		}
		for _, a := range *list {
			word := "permitted"
			if !a.allow {
				word = "denied"
			}
			fmt.Fprintf(p.Stdout, "Access %s to %s.\r\n", word, a.principal)
		}
		return 0
	case strings.EqualFold(args[1], "set") && len(args) == 4 && (strings.EqualFold(args[3], "permit") || strings.EqualFold(args[3], "deny")):
		defer w.unlock()
		name, ok := w.resolveAccount(n, args[2])
		if !ok {
			fmt.Fprintf(p.Stdout, "ERROR: Cannot add user to default %s ACL.\r\n%s\r\n(%x)\r\n", what, win32Messages[errNoneMapped], errNoneMapped)
			return 0
		}
		if !w.hasFault(n.name, "dcomperm_noop") {
			n.setDCOM(list, name, strings.EqualFold(args[3], "permit"))
		}
		return 0
	case strings.EqualFold(args[1], "remove") && len(args) == 3 && access:
		defer w.unlock()
		name, ok := w.resolveAccount(n, args[2])
		if !ok {
			fmt.Fprintf(p.Stdout, "ERROR: Cannot remove user from default %s ACL.\r\n%s\r\n(%x)\r\n", what, win32Messages[errNoneMapped], errNoneMapped)
			return 0
		}
		if *list != nil && !w.hasFault(n.name, "dcomperm_noop") {
			kept := (*list)[:0:0]
			for _, a := range *list {
				if !strings.EqualFold(a.principal, name) {
					kept = append(kept, a)
				}
			}
			*list = kept
		}
		return 0
	}
	w.unlock()
	// The 1996 -dl handler tests the principal, not the verb, for "remove".
	return usage("You can only \"set\" or \"remove\" a user.\r\n\r\n")
}

// netLocalgroup is `net localgroup [GROUP [ACCOUNT ... /add | /delete]]`.
func netLocalgroup(h *host, p *cmdshell.Proc) int {
	w, n := h.w, h.n
	w.lock()
	defer w.unlock()
	args := p.Args[1:]
	var names []string
	add, del := false, false
	for _, a := range args {
		switch strings.ToLower(a) {
		case "/add":
			add = true
		case "/delete", "/del":
			del = true
		default:
			names = append(names, a)
		}
	}
	if len(names) == 0 {
		fmt.Fprintf(p.Stdout, "\r\nAliases for \\\\%s\r\n\r\n%s\r\n", n.name, strings.Repeat("-", 79))
		names := make([]string, len(n.acct.groups))
		for i, g := range n.acct.groups {
			names[i] = "*" + g.name
		}
		// net.exe lists the groups sorted.
		sort.Slice(names, func(i, j int) bool { return strings.ToLower(names[i]) < strings.ToLower(names[j]) })
		w.netNames(p.Stdout, names)
		io.WriteString(p.Stdout, "The command completed successfully.\r\n\r\n")
		return 0
	}
	// A group name with blanks may come unquoted: the accounts follow it
	// only with /add or /delete, and they hold a backslash or no blank.
	group, accounts := names[0], names[1:]
	if !add && !del {
		group, accounts = strings.Join(names, " "), nil
	}
	g := n.acct.group(group)
	if g == nil {
		return netSystemErr(p.Stderr, errNoSuchAlias)
	}
	if !add && !del {
		fmt.Fprintf(p.Stdout, "Alias name     %s\r\nComment        %s\r\n\r\nMembers\r\n\r\n%s\r\n", g.name, g.comment, strings.Repeat("-", 79))
		w.netNames(p.Stdout, g.members)
		io.WriteString(p.Stdout, "The command completed successfully.\r\n\r\n")
		return 0
	}
	if len(accounts) == 0 || add && del {
		netSyntax(p.Stdout)
		return 1
	}
	for _, a := range accounts {
		name, ok := w.resolveAccount(n, a)
		if !ok {
			return netSystemErr(p.Stderr, errNoneMapped)
		}
		if add && !n.addMember(g.name, name) {
			return netSystemErr(p.Stderr, errMemberInAlias)
		}
		if del {
			if !containsFold(g.members, name) {
				return netSystemErr(p.Stderr, errMemberNotInAlias)
			}
			g.members = removeFold(g.members, name)
		}
	}
	io.WriteString(p.Stdout, "The command completed successfully.\r\n\r\n")
	return 0
}

// netNames prints the names of a net listing: one a line, as Windows 2000
// and later print them (the 2003 layout), or as NT 4.0's net.exe does
// (FORMATS.md): three a line, each padded to 25 characters, a longer one
// running into the next.
func (w *World) netNames(out io.Writer, names []string) {
	for i, name := range names {
		switch {
		case w.layout2003:
			fmt.Fprintf(out, "%s\r\n", name)
		case i%3 == 2 || i == len(names)-1:
			fmt.Fprintf(out, "%s\r\n", name)
		default:
			fmt.Fprintf(out, "%-25s", name)
		}
	}
}

// netUserNotFound is NET's 2221: "The user name could not be found.".
const netUserNotFound = 2221

// netUser is `net user NAME /domain`: the domain account's details from the
// domain controller, or NET 2221. Without /domain the node's own accounts
// are asked, which the lab has only as the scenario's local ones.
func netUser(h *host, p *cmdshell.Proc) int {
	w, n := h.w, h.n
	w.lock()
	defer w.unlock()
	var name string
	domain := false
	for _, a := range p.Args[1:] {
		switch {
		case strings.EqualFold(a, "/domain"):
			domain = true
		case strings.HasPrefix(a, "/") || name != "":
			netSyntax(p.Stdout)
			return 1
		default:
			name = a
		}
	}
	if name == "" {
		netSyntax(p.Stdout)
		return 1
	}
	found := ""
	for _, a := range w.sc.Accounts {
		if strings.EqualFold(a.User, name) && (domain && a.Node == "" || !domain && strings.EqualFold(a.Node, n.name)) {
			found = a.User
		}
	}
	if domain {
		fmt.Fprintf(p.Stdout, "The request will be processed at a domain controller for domain %s.\r\n\r\n", w.sc.Domain)
	}
	if found == "" {
		return netError(p.Stderr, "The user name could not be found.", netUserNotFound)
	}
	fmt.Fprintf(p.Stdout, "User name                    %s\r\nFull Name\r\nComment\r\nAccount active               Yes\r\n"+
		"\r\nThe command completed successfully.\r\n\r\n", found)
	return 0
}
