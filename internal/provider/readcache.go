package provider

import (
	"context"

	"github.com/mscs-ops/terraform-provider-mscs/internal/nodeops"
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
	c.prefetched.Do(func() { c.ops().Prefetch(ctx) })
	return nodeops.SharedReads(ctx)
}
