package nodeops

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// The KB's last configuration item: the cluster's IUSR and IWAM domain
// accounts on the rebuilt node get "Log on locally" and "Access this
// computer from network", membership of Guests (and IWAM of the MTS
// impersonators group), and DCOM's default access and launch permission.
// Each grant is read first (showpriv, net localgroup, dcomperm list), only
// the missing ones are added, and the result is read back: dcomperm always
// exits 0 and ntrights' output is unconfirmed.

// The two rights the KB grants (case-sensitive, as ntrights takes them).
const (
	RightLogOnLocally = "SeInteractiveLogonRight"
	RightNetworkLogon = "SeNetworkLogonRight"
)

// ImpersonatorsGroups are the MTS impersonators group's names: Option Pack
// setup's, and the one some nodes have (KB Q241573).
var ImpersonatorsGroups = []string{"MTS Trusted Impersonators", "MTS Impersonators"}

// Grant is one grant of an account on a node.
type Grant struct {
	Account string
	Kind    string // "right", "group", "dcom-access", "dcom-launch"
	What    string // the right or group name; "" for DCOM
}

func (g Grant) String() string {
	switch g.Kind {
	case "right":
		return g.What
	case "group":
		return "member of " + g.What
	case "dcom-access":
		return "DCOM default access"
	}
	return "DCOM default launch"
}

// GrantWords are grants as the plan, drift and errors word each:
// "DOMAIN\name: member of Guests".
func GrantWords(grants []Grant) []string {
	words := make([]string, len(grants))
	for i, g := range grants {
		words[i] = g.Account + ": " + g.String()
	}
	return words
}

// Grants are the KB's grants for iusr and iwam, with impersonators the
// MTS impersonators group's name on the node.
func Grants(iusr, iwam, impersonators string) []Grant {
	var gs []Grant
	for _, a := range []string{iusr, iwam} {
		gs = append(gs, Grant{a, "right", RightLogOnLocally}, Grant{a, "right", RightNetworkLogon}, Grant{a, "group", "Guests"},
			Grant{a, "dcom-access", ""}, Grant{a, "dcom-launch", ""})
	}
	return append(gs, Grant{iwam, "group", impersonators})
}

// Held are the grants a node has, as read.
type Held struct {
	Rights        map[string][]string // right -> accounts
	Groups        map[string][]string // group -> members
	DCOMAccess    []string
	DCOMLaunch    []string
	Impersonators string // the impersonators group that exists, "" for none
}

// members are group's members as read; group names compare without case,
// as Windows compares them.
func (h Held) members(group string) []string {
	for g, m := range h.Groups {
		if strings.EqualFold(g, group) {
			return m
		}
	}
	return nil
}

// Has reports whether g is held.
func (h Held) Has(g Grant) bool {
	switch g.Kind {
	case "right":
		return containsAccount(h.Rights[g.What], g.Account)
	case "group":
		return containsAccount(h.members(g.What), g.Account)
	case "dcom-access":
		return containsAccount(h.DCOMAccess, g.Account)
	}
	return containsAccount(h.DCOMLaunch, g.Account)
}

// containsAccount tells whether list holds acct, whole names compared
// without case (Windows' account names are case-blind). A bare listed name
// is a local account, never the same as DOMAIN\name, so it matches only
// a bare acct.
func containsAccount(list []string, acct string) bool {
	return slices.ContainsFunc(list, func(a string) bool { return strings.EqualFold(a, acct) })
}

// ReadHeld reads the node's grants for the accounts the KB names: the two
// rights (showpriv), the local groups' members (net localgroup) and the
// DCOM default lists (dcomperm list, the only dcomperm command it sends
// unasked: any other argument would hang on its usage screen). It only
// reads, all in one command line (a batch, see readBatch): the members of
// every group it may need are listed along, and a group the node lacks
// (net's 1376) is left out by the list of groups.
func (n *Node) ReadHeld(ctx context.Context, groups ...string) (Held, error) {
	const step = "read the grants: rights, local groups and DCOM permissions"
	h := Held{Rights: map[string][]string{}, Groups: map[string][]string{}}
	rights := []string{RightLogOnLocally, RightNetworkLogon}
	var lines []string
	for _, right := range rights {
		lines = append(lines, "showpriv "+right)
	}
	lines = append(lines, "dcomperm -da list", "dcomperm -dl list", "net localgroup")
	var candidates []string
	for _, g := range append(append([]string{"Guests"}, ImpersonatorsGroups...), groups...) {
		if g == "" || containsAccount(candidates, g) {
			continue
		}
		q, err := Quote(g)
		if err != nil {
			return h, err
		}
		candidates = append(candidates, g)
		lines = append(lines, "net localgroup "+q)
	}
	results, err := n.readBatch(ctx, step, lines...)
	if err != nil {
		return h, err
	}
	fixed := len(rights) + 3
	for i, res := range results[:fixed] {
		if err := n.checkPart(step, lines[i], res, win32); err != nil {
			return h, err
		}
	}
	// Output a parser does not recognise is an error naming its command,
	// never "no account holds it".
	for i, right := range rights {
		if h.Rights[right], err = ParseShowpriv(results[i].Stdout); err != nil {
			return h, n.parseError(step, lines[i], results[i].Stdout, err)
		}
	}
	for i, list := range []*[]string{&h.DCOMAccess, &h.DCOMLaunch} {
		res := results[len(rights)+i]
		if *list, err = ParseDcompermList(res.Stdout); err != nil {
			return h, n.parseError(step, lines[len(rights)+i], res.Stdout, err)
		}
	}
	groupsRes := results[len(rights)+2]
	existing, columns, err := ParseLocalgroups(groupsRes.Stdout)
	if err != nil {
		return h, n.parseError(step, lines[len(rights)+2], groupsRes.Stdout, err)
	}
	for _, g := range ImpersonatorsGroups {
		if containsAccount(existing, g) {
			h.Impersonators = g
			break
		}
	}
	for i, g := range candidates {
		if !containsAccount(existing, g) {
			continue
		}
		if containsAccount(ImpersonatorsGroups, g) && !strings.EqualFold(g, h.Impersonators) && !containsAccount(groups, g) {
			continue // the other name of the impersonators' group
		}
		res := results[fixed+i]
		if err := n.checkPart(step, lines[fixed+i], res, win32); err != nil {
			return h, err
		}
		// The group list's layout is the node's net.exe's: NT 4.0's lists
		// members in the same columns.
		if h.Groups[g], err = ParseLocalgroupMembers(res.Stdout, columns); err != nil {
			return h, n.parseError(step, lines[fixed+i], res.Stdout, err)
		}
	}
	return h, nil
}

// AccountsSpec is mscs_iis_cluster_accounts' configuration.
type AccountsSpec struct {
	Node          string
	IUSR, IWAM    string // DOMAIN\name
	Impersonators string // "": the group that exists on the node
}

// Missing are the grants spec asks for that held lacks, in order.
func Missing(held Held, spec AccountsSpec) []Grant {
	group := spec.Impersonators
	if group == "" {
		group = held.Impersonators
	}
	var out []Grant
	for _, g := range Grants(spec.IUSR, spec.IWAM, group) {
		if !held.Has(g) {
			out = append(out, g)
		}
	}
	return out
}

// A grantOp is what a command does to a grant: adds it or removes it.
type grantOp bool

const (
	addGrant    grantOp = true
	removeGrant grantOp = false
)

// grantCommand is the command line that does op to g; "" when the tools
// cannot remove it (the 1996 dcomperm's -dl remove falls into its usage
// screen).
func grantCommand(g Grant, op grantOp) (string, error) {
	q, err := quoteAll("account", g.Account, "name", cmp.Or(g.What, "x"))
	if err != nil {
		return "", err
	}
	account, name := q[0], q[1]
	var lines [2]string // adding, removing
	switch g.Kind {
	case "right":
		lines = [2]string{"ntrights +r " + g.What + " -u " + account, "ntrights -r " + g.What + " -u " + account}
	case "group":
		lines = [2]string{"net localgroup " + name + " " + account + " /add", "net localgroup " + name + " " + account + " /delete"}
	case "dcom-access":
		lines = [2]string{"dcomperm -da set " + account + " permit", "dcomperm -da remove " + account}
	default:
		lines = [2]string{"dcomperm -dl set " + account + " permit", ""}
	}
	if op == addGrant {
		return lines[0], nil
	}
	return lines[1], nil
}

// PlanAccounts is the phase's steps in words.
func PlanAccounts(node string, missing []Grant) []string {
	steps := []string{}
	for _, g := range missing {
		line, _ := grantCommand(g, addGrant)
		steps = append(steps, fmt.Sprintf("%s: %s (%s: %s)", node, line, g.Account, g))
	}
	return append(steps, node+": list every grant again and compare")
}

// AccountsResult is what GrantAccounts did and found.
type AccountsResult struct {
	Held Held // what the node holds afterwards, listed again
	// Steps is the plan of the grants it found missing and acted on
	// (PlanAccounts), for a caller whose plan could not list them.
	Steps []string
}

// GrantAccounts adds the missing grants, each read just before (so a grant
// made in the meantime is not sent again), and verifies by listing.
func (n *Node) GrantAccounts(ctx context.Context, spec AccountsSpec, progress Progress) (AccountsResult, error) {
	var res AccountsResult
	if err := n.CheckTools(ctx, AccountsTools...); err != nil {
		return res, err
	}
	held, err := n.ReadHeld(ctx, spec.Impersonators)
	if err != nil {
		return res, err
	}
	missing := Missing(held, spec)
	res.Held, res.Steps = held, PlanAccounts(n.R.Node(), missing)
	if spec.Impersonators == "" && held.Impersonators == "" {
		return res, &StepError{Node: n.R.Node(), Step: "find the MTS impersonators group", Meaning: fmt.Sprintf(
			"none of %s exists on the node (is MTS installed?); set impersonators_group", strings.Join(ImpersonatorsGroups, ", "))}
	}
	for _, g := range missing {
		line, err := grantCommand(g, addGrant)
		if err != nil {
			return res, err
		}
		if progress != nil {
			progress(line)
		}
		if _, err := n.run(ctx, "grant "+g.Account+" "+g.String(), line, false, win32); err != nil {
			if err := n.judgeByListing(ctx, spec.Impersonators, g, addGrant, err); err != nil {
				return res, err
			}
		}
	}
	if res.Held, err = n.ReadHeld(ctx, spec.Impersonators); err != nil {
		return res, err
	}
	if still := Missing(res.Held, spec); len(still) > 0 {
		return res, &StepError{Node: n.R.Node(), Step: "verify the grants", Meaning: "listed again, the node still lacks " +
			strings.Join(GrantWords(still), "; ") + " (dcomperm exits 0 whatever happened: its change did not take)"}
	}
	return res, nil
}

// RevokeAccounts removes spec's grants of the two accounts (never the local
// defaults or other accounts). The DCOM launch permission stays: the 1996
// dcomperm cannot remove from the launch list; it is returned as kept.
func (n *Node) RevokeAccounts(ctx context.Context, spec AccountsSpec, progress Progress) ([]Grant, error) {
	if err := n.CheckTools(ctx, AccountsTools...); err != nil {
		return nil, err
	}
	held, err := n.ReadHeld(ctx, spec.Impersonators)
	if err != nil {
		return nil, err
	}
	group := cmp.Or(spec.Impersonators, held.Impersonators)
	var kept []Grant
	for _, g := range Grants(spec.IUSR, spec.IWAM, group) {
		if !held.Has(g) {
			continue
		}
		line, err := grantCommand(g, removeGrant)
		if err != nil {
			return kept, err
		}
		if line == "" {
			kept = append(kept, g)
			continue
		}
		if progress != nil {
			progress(line)
		}
		if _, err := n.run(ctx, "revoke "+g.Account+" "+g.String(), line, false, win32); err != nil {
			if err := n.judgeByListing(ctx, spec.Impersonators, g, removeGrant, err); err != nil {
				return kept, err
			}
		}
	}
	return kept, nil
}

// judgeByListing settles a grant or revoke whose command failed by listing
// again: failed is its error when the node still does not hold g after
// addGrant, or still holds it after removeGrant. The exit codes cannot tell: net localgroup
// exits 2 for a member already there (System error 1378) and for one that is
// not (1377) as for any other failure, and the 1996 dcomperm's exit code
// means nothing; a change made in the meantime by someone else is no failure.
func (n *Node) judgeByListing(ctx context.Context, impersonators string, g Grant, op grantOp, failed error) error {
	var se *StepError
	if !errors.As(failed, &se) {
		return failed // the command may not have run: nothing to judge
	}
	held, err := n.ReadHeld(ctx, impersonators)
	if err != nil {
		return err
	}
	if held.Has(g) != (op == addGrant) {
		return failed
	}
	return nil
}

// SortedGrantWords is held's grants of acct in words, sorted.
func SortedGrantWords(held Held, acct, impersonators string) []string {
	var out []string
	for _, g := range Grants(acct, acct, cmp.Or(impersonators, held.Impersonators)) {
		if held.Has(g) && !slices.Contains(out, g.String()) {
			out = append(out, g.String())
		}
	}
	sort.Strings(out)
	return out
}

var domainLineRe = regexp.MustCompile(`(?i)domain controller for domain (\S+?)\.?\s*$`)

// DomainAccountExists asks the node's domain controller whether account
// (DOMAIN\name) exists: `net user NAME /domain`, read-only. known is false
// when the answer does not settle it: the node's domain is another than the
// account's (a trusted domain), or the output says neither.
func (n *Node) DomainAccountExists(ctx context.Context, account string) (exists, known bool, err error) {
	dom, name, ok := strings.Cut(account, `\`)
	if !ok {
		return false, false, nil
	}
	q, err := Quote(name)
	if err != nil {
		return false, false, err
	}
	res, err := n.run(ctx, "look up "+account+" in the domain", "net user "+q+" /domain", true, okCodes(2))
	if err != nil {
		return false, false, err
	}
	asked := ""
	if found := lineMatches(res.Stdout, domainLineRe); len(found) > 0 {
		asked = found[len(found)-1]
	}
	if asked != "" && !strings.EqualFold(asked, dom) {
		return false, false, nil
	}
	switch {
	case res.ExitCode == 0:
		return true, true, nil
	case strings.Contains(res.Stdout+res.Stderr, "2221") || strings.Contains(res.Stdout+res.Stderr, "could not be found"):
		return false, true, nil
	}
	return false, false, nil
}
