package world

import (
	"sort"
	"strings"
)

// Accounts on a node (FORMATS.md, "Accounts"): local groups and their
// members, user rights held by accounts, and DCOM's default access and
// launch permissions (HKLM\Software\Microsoft\OLE DefaultAccessPermission /
// DefaultLaunchPermission, kept structured here as ordered ACE lists; nil
// means the value is absent and the defaults apply). The KB's grants for the
// cluster's IUSR and IWAM domain accounts: "Log on locally" and "Access this
// computer from network", Guests, IWAM in MTS Trusted Impersonators, and
// DCOM default access and launch.

const (
	rightInteractive   = "SeInteractiveLogonRight"
	rightNetwork       = "SeNetworkLogonRight"
	groupImpersonators = "MTS Trusted Impersonators"
	olePath            = `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\OLE`
)

// knownRights are the right names ntrights takes (case-sensitive).
var knownRights = []string{rightInteractive, rightNetwork, "SeServiceLogonRight", "SeBatchLogonRight",
	"SeDenyInteractiveLogonRight", "SeDenyNetworkLogonRight", "SeSystemtimePrivilege", "SeShutdownPrivilege"}

// localGroup is a node's local group.
type localGroup struct {
	name, comment string
	members       []string // DOMAIN\name or a local name, as added
}

// ace is one DCOM permission entry.
type ace struct {
	principal string
	allow     bool
}

// accountsState is one node's accounts area.
type accountsState struct {
	groups []*localGroup
	rights map[string][]string // right -> accounts holding it
	// dcomAccess, dcomLaunch: nil = the registry value is absent.
	dcomAccess, dcomLaunch []ace
}

func (a *accountsState) group(name string) *localGroup {
	for _, g := range a.groups {
		if strings.EqualFold(g.name, name) {
			return g
		}
	}
	return nil
}

// seedAccounts gives a node its built-in local groups and rights; the
// domain's Domain Admins are among its Administrators.
func (n *node) seedAccounts(domain string) {
	n.acct = accountsState{rights: map[string][]string{
		rightInteractive: {"Administrators", "Backup Operators", "Server Operators", "Account Operators", "Print Operators"},
		rightNetwork:     {"Everyone", "Administrators"},
	}}
	for _, g := range []struct{ name, comment string }{
		{"Administrators", "Members can fully administer the computer/domain"},
		{"Backup Operators", "Members can bypass file security to back up files"},
		{"Guests", "Users granted guest access to the computer/domain"},
		{"Replicator", "Supports file replication in a domain"},
		{"Users", "Ordinary users"},
	} {
		n.acct.groups = append(n.acct.groups, &localGroup{name: g.name, comment: g.comment})
	}
	n.acct.group("Administrators").members = []string{"Administrator", domain + `\Domain Admins`}
}

// installIISAccounts is what Option Pack setup does for accounts: the local
// IUSR_ and IWAM_ accounts with their rights, Guests, the MTS Trusted
// Impersonators group (with MTS); DCOM's defaults left as they are.
func (n *node) installIISAccounts() {
	iusr, iwam := "IUSR_"+n.name, "IWAM_"+n.name
	n.grantRight(rightInteractive, iusr)
	n.grantRight(rightNetwork, iusr)
	n.grantRight(rightInteractive, iwam)
	n.grantRight(rightNetwork, iwam)
	n.addMember("Guests", iusr)
	n.addMember("Guests", iwam)
	if hasComponent(n.optionPack.Components, "mts_core") {
		if n.acct.group(groupImpersonators) == nil {
			n.acct.groups = append(n.acct.groups, &localGroup{name: groupImpersonators, comment: "MTS trusted impersonators"})
		}
		n.addMember(groupImpersonators, iwam)
	}
}

// grantClusterAccounts gives a node that served the cluster every grant of
// the domain's IUSR and IWAM accounts.
func (w *World) grantClusterAccounts(n *node) {
	iusr, iwam := w.clusterIISAccounts()
	for _, acct := range []string{iusr, iwam} {
		n.grantRight(rightInteractive, acct)
		n.grantRight(rightNetwork, acct)
		n.addMember("Guests", acct)
		n.setDCOM(&n.acct.dcomAccess, acct, true)
		n.setDCOM(&n.acct.dcomLaunch, acct, true)
	}
	n.addMember(groupImpersonators, iwam)
}

// clusterIISAccounts are the scenario's IIS accounts as DOMAIN\user
// (Validate made sure a scenario that uses them names them).
func (w *World) clusterIISAccounts() (iusr, iwam string) {
	d := w.sc.Domain + `\`
	return d + w.sc.IISAccounts.Anonymous, d + w.sc.IISAccounts.WAM
}

func (n *node) grantRight(right, acct string) {
	if !containsFold(n.acct.rights[right], acct) {
		n.acct.rights[right] = append(n.acct.rights[right], acct)
	}
}

func (n *node) revokeRight(right, acct string) {
	n.acct.rights[right] = removeFold(n.acct.rights[right], acct)
}

// addMember adds acct to group; false when it is a member already.
func (n *node) addMember(group, acct string) bool {
	g := n.acct.group(group)
	if g == nil || containsFold(g.members, acct) {
		return false
	}
	g.members = append(g.members, acct)
	return true
}

// setDCOM adds or replaces principal's entry of a DCOM list: a new list
// (the value absent) starts with SYSTEM and INTERACTIVE, as dcomperm does.
func (n *node) setDCOM(list *[]ace, principal string, allow bool) {
	if *list == nil {
		*list = []ace{{`NT AUTHORITY\SYSTEM`, true}, {`NT AUTHORITY\INTERACTIVE`, true}}
	}
	kept := (*list)[:0:0]
	for _, a := range *list {
		if !strings.EqualFold(a.principal, principal) {
			kept = append(kept, a)
		}
	}
	*list = append(kept, ace{principal, allow})
	n.reg.set(olePath, &regValue{Name: dcomValueName(list == &n.acct.dcomAccess), Type: regBinary, Bin: []byte{1, 0, 4, 0x80}})
}

func dcomValueName(access bool) string {
	if access {
		return "DefaultAccessPermission"
	}
	return "DefaultLaunchPermission"
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func removeFold(list []string, s string) []string {
	var out []string
	for _, x := range list {
		if !strings.EqualFold(x, s) {
			out = append(out, x)
		}
	}
	return out
}

// resolveAccount is LookupAccountName: DOMAIN\name of the lab's domain, a
// local account or group of n (bare, or NODE\name), or a well-known name.
// It returns the name as Windows prints it, or false (1332).
func (w *World) resolveAccount(n *node, name string) (string, bool) {
	dom, user, qualified := strings.Cut(name, `\`)
	if !qualified {
		dom, user = "", name
	}
	switch {
	case strings.EqualFold(dom, w.sc.Domain) || dom == "":
		for _, a := range w.sc.Accounts {
			if a.Node == "" && strings.EqualFold(a.User, user) {
				return w.sc.Domain + `\` + a.User, true
			}
		}
		if dom != "" {
			return "", false
		}
		fallthrough
	case strings.EqualFold(dom, n.name):
		if strings.EqualFold(user, "IUSR_"+n.name) || strings.EqualFold(user, "IWAM_"+n.name) {
			if n.optionPack.Installed {
				return strings.ToUpper(user), true // local members list bare
			}
			return "", false
		}
		if g := n.acct.group(user); g != nil {
			return g.name, true
		}
		for _, a := range w.sc.Accounts {
			if strings.EqualFold(a.Node, n.name) && strings.EqualFold(a.User, user) {
				return a.User, true
			}
		}
	case strings.EqualFold(dom, "NT AUTHORITY"):
		return `NT AUTHORITY\` + strings.ToUpper(user), true
	}
	return "", false
}

// AccountsSnapshot is a node's accounts area in the world's snapshot.
type AccountsSnapshot struct {
	Groups      map[string][]string `json:"groups"` // group -> members
	Rights      map[string][]string `json:"rights"` // right -> accounts
	DCOMAccess  []string            `json:"dcom_access"`
	DCOMLaunch  []string            `json:"dcom_launch"`
	DCOMDefault bool                `json:"dcom_default,omitempty"` // no DefaultAccessPermission value
}

func (n *node) accountsSnapshot() AccountsSnapshot {
	s := AccountsSnapshot{Groups: map[string][]string{}, Rights: map[string][]string{}, DCOMDefault: n.acct.dcomAccess == nil}
	for _, g := range n.acct.groups {
		s.Groups[g.name] = append([]string{}, g.members...)
	}
	for r, accts := range n.acct.rights {
		s.Rights[r] = append([]string{}, accts...)
		sort.Strings(s.Rights[r])
	}
	for _, a := range n.acct.dcomAccess {
		if a.allow {
			s.DCOMAccess = append(s.DCOMAccess, a.principal)
		}
	}
	for _, a := range n.acct.dcomLaunch {
		if a.allow {
			s.DCOMLaunch = append(s.DCOMLaunch, a.principal)
		}
	}
	return s
}
