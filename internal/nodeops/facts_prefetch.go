package nodeops

import (
	"context"
	"sync"

	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// Prefetch reads, on every node of c at once, the facts the phases' plans
// read (the node's version, Option Pack and services, the cluster's
// listings, the install's and MSDTC's journals, MSDTC's and MTS's registry keys, the
// phases' tools, the groups' owners and the metabase) into the nodes'
// ReadCache, in as few command lines as the batches allow: one, then the
// reads that depend on it at once (the owners of the groups it listed, the
// private properties of its Network Name and IIS resources, the tools not
// in system32, the metabase level by level, the files named under the
// SystemRoot it learnt, the accounts' grants). A plan's reads
// of those facts are then answered without a round trip each, which over
// a WAN link is most of a plan's time (issue 27).
//
// It reports nothing: a read that fails keeps nothing, and the phase that
// needs it reads it again and reports its own failure. Nodes without a
// ReadCache are left alone. Only reads are sent, none retried (a node that
// does not answer is not waited for here).
func (c *Cluster) Prefetch(ctx context.Context) {
	ctx = SharedReads(winrm.WithoutRetries(ctx))
	var wg sync.WaitGroup
	for _, n := range c.Nodes {
		if n.Reads != nil {
			wg.Go(func() { n.prefetch(ctx) })
		}
	}
	wg.Wait()
}

// planTools are the tools the phases' plans look for, on either node.
var planTools = func() []Tool {
	var all []Tool
	seen := map[Tool]bool{}
	for _, list := range [][]Tool{InstallTools, ServiceTools, {ToolCluster, ToolReg, ToolMSDTC}, SyncTools, AccountsTools, FailoverTools} {
		for _, t := range list {
			if !seen[t] {
				seen[t] = true
				all = append(all, t)
			}
		}
	}
	return all
}()

// prefetch is Prefetch on one node.
func (n *Node) prefetch(ctx context.Context) {
	lines, err := n.factLines()
	if err != nil {
		return
	}
	if _, err := n.readBatch(ctx, "read the node's facts", lines...); err != nil {
		return
	}
	// The reads that depend on those answers, through the readers
	// themselves so that their lines are the ones the phases send.
	var wg sync.WaitGroup
	wg.Go(func() { n.prefetchJournals(ctx) })
	wg.Go(func() { _, _ = n.ClusterGroups(ctx) })
	wg.Go(func() { _, _ = n.MissingTools(ctx, planTools) })
	wg.Go(func() { _, _ = n.ReadIISConfig(ctx) })
	wg.Go(func() { n.prefetchPrivate(ctx) })
	wg.Go(func() { _, _ = n.ReadHeld(ctx) })
	wg.Wait()
}

// prefetchPrivate reads the private properties MSDTC's plan reads (of the
// Network Name resources) and the metabase sync's (of the IIS resources),
// from the resources the first batch listed.
func (n *Node) prefetchPrivate(ctx context.Context) {
	rs, err := n.ClusterResources(ctx)
	if err != nil {
		return
	}
	var names []string
	for _, r := range rs {
		if r.Type == "Network Name" || r.Type == iisResourceType {
			names = append(names, r.Name)
		}
	}
	_, _, _ = n.resourceTablesEach(ctx, names, "/priv", "read the private properties of the Network Name and IIS resources")
}

// factLines are the read-only lines of prefetch's first batch, as the
// readers of those facts write them: Info's, MSDTCState's, the cluster's
// listings (clusterStatus, ClusterResources), readMTS's, MissingTools'
// first batch for planTools. The metabase's ENUM
// lines are left to ReadIISConfig: adsutil's failure text is read by its
// exit code, which only a batch's last part keeps.
func (n *Node) factLines() ([]string, error) {
	qs := append(append([]regQ{}, osVersionQueries...), optionPackQueries...)
	qs = append(qs, regQ{msdtcKey, ""}, regQ{msdtcClusterKey, ""})
	regs, err := regLines(qs)
	if err != nil {
		return nil, err
	}
	svcs, err := serviceLines(InfoServices)
	if err != nil {
		return nil, err
	}
	packages, local, err := mtsLines()
	if err != nil {
		return nil, err
	}
	tools, err := toolParts(planTools)
	if err != nil {
		return nil, err
	}
	lines := append([]string{"hostname"}, regs...)
	lines = append(lines, svcs...)
	lines = append(lines, nodeStatusLine, groupStatusLine)
	lines = append(lines, resourceLines...)
	lines = append(lines, packages, local)
	return append(lines, tools...), nil
}

// prefetchJournals reads the journals the install's and MSDTC's plans read
// and the records MSDTC's and the failover test's hold read, once the node's SystemRoot is known (its identity check, before the
// first batch, reads it).
func (n *Node) prefetchJournals(ctx context.Context) {
	root := n.knownSystemRoot()
	if root == "" {
		return
	}
	files := []string{journalFile(root, optionPackPhase.Name), journalFile(root, msdtcPhase.Name),
		holdFile(root, msdtcPhase.Name), holdFile(root, "failover")}
	var lines []string
	for _, f := range files {
		l, err := readFileLine(f)
		if err != nil {
			return
		}
		lines = append(lines, l)
	}
	_, _ = n.readBatch(ctx, "read the phases' journals", lines...)
}
