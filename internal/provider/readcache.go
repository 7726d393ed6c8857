package provider

import (
	"context"
	"strings"
	"sync"

	"github.com/mscs-ops/terraform-provider-mscs/internal/nodeops"
	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// sharedReads is ctx for a plan-time read (a resource's Read or ModifyPlan,
// a data source's Read): its reads may be answered from what this process
// read already (nodeops.SharedReads; any change on a node drops it all).
// The first such read of the process prefetches, from every node at once,
// the facts the phases' plans read (nodeops.Cluster.Prefetch); the reads
// that come meanwhile wait for it, then find their answers there. Apply's
// reads never come through here: they ask the nodes; and once this process
// has changed a node (an apply's plans of the resources after the first),
// no read is shared any more (nodeops.ReadCache).
func (c *cluster) sharedReads(ctx context.Context) context.Context {
	if !c.reads.Sharing() {
		return ctx
	}
	c.prefetched.Do(func() { c.prefetch(ctx) })
	return nodeops.SharedReads(ctx)
}

// prefetch checks every node's identity, all at once, then prefetches the
// nodes that passed: what the identity read (SystemRoot, the version key)
// is then known to the prefetch, which reads it no more, and a node that
// failed (down, or the wrong machine) is left to the phase that needs it,
// whose first command checks again and reports the failure.
func (c *cluster) prefetch(ctx context.Context) {
	ctx = winrm.WithoutRetries(ctx)
	ok := make([]bool, len(c.names))
	var wg sync.WaitGroup
	for i, name := range c.names {
		wg.Go(func() { ok[i] = c.verify(ctx, strings.ToUpper(name)) == nil })
	}
	wg.Wait()
	oc := c.ops() // its Nodes in c.names' order
	var passed []*nodeops.Node
	for i, n := range oc.Nodes {
		if ok[i] {
			passed = append(passed, n)
		}
	}
	oc.Nodes = passed
	oc.Prefetch(ctx)
}
