package nodeops

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The parsers of the accounts phase's reads. Each reads the one layout (or
// the layouts) its tool is known to print and returns an error for any
// other output: a missing program's message, a usage screen or a layout
// nobody has seen must never read as "no account holds it".

var (
	showprivHeadRe  = regexp.MustCompile(`^(\d+) account\(s\) with the (\S+) user right:$`)
	showprivLineRe  = regexp.MustCompile(`^\s+(\S.*?)\s*$`)
	dcompermHeadRe  = regexp.MustCompile(`(?i)^Default (access|launch) permission list:$`)
	dcompermEntryRe = regexp.MustCompile(`(?i)^(?:Access|Launch) (permitted|denied) to (.+?)\.?$`)
	ruleLineRe      = regexp.MustCompile(`^-{10,}$`)
	completedMsg    = "The command completed successfully."
)

// ParseShowpriv reads `showpriv RIGHT`: the line `N account(s) with the
// RIGHT user right:` and the N accounts, each on an indented line.
func ParseShowpriv(out string) ([]string, error) {
	var accounts []string
	want := -1
	for _, l := range splitLines(out) {
		t := strings.TrimSpace(l)
		switch {
		case t == "":
		case want < 0:
			m := showprivHeadRe.FindStringSubmatch(t)
			if m == nil {
				return nil, fmt.Errorf("no `N account(s) with the RIGHT user right:` line first, but %q", t)
			}
			want, _ = strconv.Atoi(m[1])
		default:
			m := showprivLineRe.FindStringSubmatch(l)
			if m == nil {
				return nil, fmt.Errorf("line %q is not an indented account", t)
			}
			accounts = append(accounts, m[1])
		}
	}
	switch {
	case want < 0:
		return nil, errors.New("no output")
	case len(accounts) != want:
		return nil, fmt.Errorf("%d accounts listed under a count of %d", len(accounts), want)
	}
	return accounts, nil
}

// ParseDcompermList reads `dcomperm -da list` or `-dl list` (the 1996
// sample, TOOLS-PHASES.md 3.4): the principals permitted. The title line
// comes first; then only entries (`Access permitted to X.`, `Access denied
// to X.`, `Launch ...` from the later sample) or the sample's markers for
// no list (`<Using Default Permissions>`) and a null one.
func ParseDcompermList(out string) ([]string, error) {
	lines, err := afterTitle(out, dcompermHeadRe, "Default access|launch permission list:")
	if err != nil {
		return nil, err
	}
	var permitted []string
	for _, t := range lines {
		if strings.EqualFold(t, "<Using Default Permissions>") || strings.EqualFold(t, "<Access is denied to everyone>") {
			continue
		}
		m := dcompermEntryRe.FindStringSubmatch(t)
		if m == nil {
			return nil, fmt.Errorf("line %q is no permission entry", t)
		}
		if strings.EqualFold(m[1], "permitted") {
			permitted = append(permitted, m[2])
		}
	}
	return permitted, nil
}

// afterTitle is the lines of a tool's listing after its title line, each
// trimmed, blank ones left out: the first line that is not blank must match
// title (worded as want), and output without one is an error, never an
// empty listing.
func afterTitle(out string, title *regexp.Regexp, want string) ([]string, error) {
	var lines []string
	titled := false
	for _, l := range splitLines(out) {
		t := strings.TrimSpace(l)
		switch {
		case t == "":
		case !titled:
			if !title.MatchString(t) {
				return nil, fmt.Errorf("no `%s` line first, but %q", want, t)
			}
			titled = true
		default:
			lines = append(lines, t)
		}
	}
	if !titled {
		return nil, errors.New("no output")
	}
	return lines, nil
}

// netListColumn is the width NT 4.0's net.exe pads each name of a list to,
// three to a line (`net localgroup`, `net localgroup G`). A longer name is
// not cut: it runs into the next, which starts right after it.
const netListColumn = 25

// netList is the lines of a net.exe listing between the rule of dashes and
// `The command completed successfully.`, trailing blanks removed.
func netList(out string) ([]string, error) {
	var lines []string
	state := 0 // 0 before the rule, 1 in the list, 2 after the completion line
	for _, l := range splitLines(out) {
		l = strings.TrimRight(l, " \t")
		t := strings.TrimSpace(l)
		switch {
		case state == 0:
			if ruleLineRe.MatchString(t) {
				state = 1
			}
		case state == 1 && t == completedMsg:
			state = 2
		case state == 1:
			if t != "" {
				lines = append(lines, l)
			}
		case t != "":
			return nil, fmt.Errorf("line %q after %q", t, completedMsg)
		}
	}
	switch state {
	case 0:
		return nil, errors.New("no rule of dashes over a list")
	case 1:
		return nil, fmt.Errorf("the list does not end with %q", completedMsg)
	}
	return lines, nil
}

// ParseLocalgroups reads `net localgroup`: the groups, each `*Name`, one to
// a line (Windows 2000 and later) or three to a line, each padded to 25
// characters (NT 4.0's net.exe; a name of 24 characters or more runs into
// the next `*`). columns tells that the node's net.exe lists in columns,
// as it then lists a group's members too (ParseLocalgroupMembers). Account
// names cannot hold a `*`, so it alone tells the names apart.
func ParseLocalgroups(out string) (groups []string, columns bool, err error) {
	lines, err := netList(out)
	if err != nil {
		return nil, false, err
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "*") {
			return nil, false, fmt.Errorf("line %q is no `*Group` entry", strings.TrimSpace(l))
		}
		entries := strings.Split(l[1:], "*")
		if len(entries) > 3 {
			return nil, false, fmt.Errorf("line %q holds more than three groups", l)
		}
		for i, e := range entries {
			name := strings.TrimRight(e, " ")
			// Every entry but a line's last is padded to the column exactly.
			if name == "" || i < len(entries)-1 && 1+len(e) != max(netListColumn, 1+len(name)) {
				return nil, false, fmt.Errorf("line %q is not in columns of %d characters", l, netListColumn)
			}
			groups = append(groups, name)
		}
		columns = columns || len(entries) > 1
	}
	return groups, columns, nil
}

// ParseLocalgroupMembers reads `net localgroup G`: the members listed
// between the rule of dashes and the completion line, one to a line or,
// with columns (what the node's `net localgroup` showed), three to a line,
// each padded to 25 characters. Names hold single blanks (`LAB\Domain
// Guests`) and a 24-character name leaves one blank before the next, so the
// columns are cut by position, not at blanks. A name of 25 characters or
// more runs into the next one: where it ends cannot be told unless it is
// the last on its line, and such a listing is an error.
func ParseLocalgroupMembers(out string, columns bool) ([]string, error) {
	lines, err := netList(out)
	if err != nil {
		return nil, err
	}
	var members []string
	for _, l := range lines {
		if !columns {
			if strings.Contains(strings.TrimSpace(l), "  ") {
				return nil, fmt.Errorf("member line %q holds a run of blanks: members in columns where the group list had none", l)
			}
			members = append(members, strings.TrimSpace(l))
			continue
		}
		for at, i := 0, 0; at < len(l); i++ {
			end := at + netListColumn
			if i == 2 || end >= len(l) {
				end = len(l)
			} else if l[end-1] != ' ' {
				return nil, fmt.Errorf("member line %q: the name at column %d fills its %d characters and runs into the next: cannot tell where it ends", l, at+1, netListColumn)
			}
			name := strings.TrimRight(l[at:end], " ")
			if name == "" || name[0] == ' ' {
				return nil, fmt.Errorf("member line %q is not in columns of %d characters", l, netListColumn)
			}
			members = append(members, name)
			at = end
		}
	}
	return members, nil
}
