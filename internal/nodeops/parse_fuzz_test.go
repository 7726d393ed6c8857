package nodeops

import "testing"

// FuzzParsers feeds arbitrary tool output to every parser: they may refuse
// it, never panic.
func FuzzParsers(f *testing.F) {
	for _, s := range []string{kbSCQueryRunning, scQCClusSvc, scNotFound, kbNodeStatus, kbGroupStatus, kbResourceStatus, kbResourceProp,
		"-- --\n R x\n", "--\n\n", "Listing properties for 'R':\n-- -- --- --\n   R  \n",
		formatsRegQuery, formatsRegQueryValue, ntWkstaStats, "Statistics since \n", "step=a spec=b\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, out string) {
		_, _ = ParseSCQuery(out)
		_, _ = ParseSCQC(out)
		_, _ = ParseNodeStatus(out)
		_, _ = ParseGroupStatus(out)
		_, _ = ParseResourceStatus(out)
		_, _ = ParseProps(out)
		_, _ = ParseListOwners(out)
		_, _, _ = ParseLocalgroups(out)
		_, _ = ParseLocalgroupMembers(out, true)
		_, _ = ParseShowpriv(out)
		_, _ = ParseDcompermList(out)
		_, _ = ParseRegQuery(out)
		_, _ = ParseBootTime(out)
		_, _ = ParseJournal(out)
		_ = ServicePackLevel(out)
	})
}
