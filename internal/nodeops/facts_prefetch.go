package nodeops

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// Prefetch reads, on every node of c at once, the facts the phases' plans
// read into the nodes' ReadCache, in as few command lines as the batches
// allow: one of the node's version, Option Pack and services, the
// cluster's listings, MSDTC's and MTS's registry keys and the phases'
// tools; then one of what depends on it (the owners of the groups it
// listed, the private properties of its Network Name and IIS resources,
// the tools not in system32, the journals and records under the
// SystemRoot it learnt, the accounts' grants) beside the metabase's, level
// by level. A plan's reads of those facts are then answered without a
// round trip each, which over a WAN link is most of a plan's time (issue
// 27).
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

// prefetch is Prefetch on one node. The node's own check comes first
// (beforeReader: the provider's identity check): a node that fails it is
// left alone, and what the check read (SystemRoot, the version key) is
// known when the lines are written and answered from the cache.
func (n *Node) prefetch(ctx context.Context) {
	if b, ok := n.R.(beforeReader); ok && b.BeforeRead(ctx) != nil {
		return
	}
	lines, err := n.factLines()
	if err != nil {
		return
	}
	if _, err := n.readBatch(ctx, "read the node's facts", lines...); err != nil {
		return
	}
	// The reads that depend on those answers, as the readers themselves
	// write them: each round runs every reader collecting (nothing is sent,
	// see collection), then sends what they asked for at once. Three
	// rounds: the metabase's second level depends on its first.
	readers := []func(context.Context){
		func(ctx context.Context) { n.prefetchFiles(ctx) },
		func(ctx context.Context) { _, _ = n.ClusterGroups(ctx) },
		func(ctx context.Context) { _, _ = n.MissingTools(ctx, planTools) },
		func(ctx context.Context) { _, _ = n.ReadIISConfig(ctx) },
		func(ctx context.Context) { n.prefetchPrivate(ctx) },
		func(ctx context.Context) { _, _ = n.ReadHeld(ctx) },
	}
	for range 3 {
		col := &collection{}
		cctx := context.WithValue(ctx, collectKey{}, col)
		for _, read := range readers {
			read(cctx)
		}
		if len(col.groups) == 0 || !n.sendCollected(ctx, col) {
			return
		}
	}
}

// sendCollected reads col's parts into the cache: in one batch, but for
// the metabase's reads, each group of which goes in a batch of its own as
// adsEnum sends it (adsutil's failures are read by their exit code, which
// only a batch's last part keeps), all at once. False when a read failed.
func (n *Node) sendCollected(ctx context.Context, col *collection) bool {
	var merged []string
	seen := map[string]bool{}
	var alone [][]string
	for _, g := range col.groups {
		if slices.ContainsFunc(g, func(p string) bool { return strings.HasPrefix(p, "cscript ") }) {
			alone = append(alone, g)
			continue
		}
		for _, p := range g {
			if !seen[p] {
				seen[p] = true
				merged = append(merged, p)
			}
		}
	}
	batches := alone
	if len(merged) > 0 {
		batches = append(batches, merged)
	}
	var failed atomic.Bool
	var wg sync.WaitGroup
	for _, b := range batches {
		wg.Go(func() {
			if _, err := n.readBatch(ctx, "read the node's facts", b...); err != nil {
				failed.Store(true)
			}
		})
	}
	wg.Wait()
	return !failed.Load()
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
	tools, err := toolParts(planTools, n.knownSystemRoot())
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

// prefetchFiles reads the journals the install's and MSDTC's plans read
// and the records MSDTC's and the failover test's hold read, once the node's SystemRoot is known (its identity check, before the
// first batch, reads it).
func (n *Node) prefetchFiles(ctx context.Context) {
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
