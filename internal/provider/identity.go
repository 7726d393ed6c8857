package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mscs-ops/terraform-provider-mscs/internal/nodeops"
	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// peerProbeTimeout bounds the read of another node's identity while checking
// a node's cluster: a node that does not answer in that time (rebooting,
// down) is left out of the comparison rather than holding the plan up.
const peerProbeTimeout = 30 * time.Second

// identityError says that the machine at a node's endpoint is not the node
// its key names, or is a member of another cluster. Nothing ran on it but
// the registry reads that found out.
type identityError struct {
	key, endpoint string
	answered      nodeops.Identity
	why           string
}

func (e *identityError) Error() string {
	return fmt.Sprintf("the machine at node %s's endpoint (%s) is %s%s. Check the provider's nodes map "+
		"(two endpoints swapped, or one of another cluster?). No command that changes anything was sent to any node",
		e.key, e.endpoint, e.answered, e.why)
}

// identities caches what each node's machine said it is, and which nodes
// passed the check, for the life of the provider (one terraform command).
type identities struct {
	mu       sync.Mutex
	perNode  map[string]*sync.Mutex // one read of a node's identity at a time
	known    map[string]nodeops.Identity
	verified map[string]bool
}

// guardedRunner is the Runner every nodeops.Node of the provider uses: no
// command reaches the machine at a node's endpoint before that machine has
// shown it is the node its key names and a member of the same cluster as the
// other configured nodes (or of the provider's cluster_name).
type guardedRunner struct {
	c   *cluster
	key string
	*winrm.Client
}

// BeforeRead is the same check before a read the ReadCache answers, where
// Run is not called (nodeops' sharedBatch).
func (g guardedRunner) BeforeRead(ctx context.Context) error { return g.c.verify(ctx, g.key) }

func (g guardedRunner) Run(ctx context.Context, line string, readOnly bool) (winrm.Result, error) {
	if err := g.BeforeRead(ctx); err != nil {
		return winrm.Result{}, err
	}
	return g.Client.Run(ctx, line, readOnly)
}

// identify reads node key's identity through its unguarded client, once.
func (c *cluster) identify(ctx context.Context, key string) (nodeops.Identity, error) {
	ids := &c.ids
	ids.mu.Lock()
	if id, ok := ids.known[key]; ok {
		ids.mu.Unlock()
		return id, nil
	}
	m := ids.perNode[key]
	ids.mu.Unlock()
	m.Lock()
	defer m.Unlock()
	ids.mu.Lock()
	id, ok := ids.known[key]
	ids.mu.Unlock()
	if ok {
		return id, nil
	}
	// Its answers are kept for the plan's reads (nodeops.SharedReads): the
	// version key it reads whole is one of theirs. They are kept as any
	// read's are (a changing command drops them, 30 s at most), and served
	// only through the node's guardedRunner, whose BeforeRead refuses them
	// while the machine has not passed this check.
	id, err := (&nodeops.Node{R: c.reads.Guard(c.clients[key]), Reads: c.reads}).Identity(nodeops.SharedReads(ctx))
	if err != nil {
		return id, err
	}
	if n, ok := c.Node(key); ok {
		n.UseIdentity(id)
	}
	ids.mu.Lock()
	ids.known[key] = id
	ids.mu.Unlock()
	return id, nil
}

// verify is the identity check of node key (upper case), done before its
// first command. A node that does not answer is not an identity error: the
// command that follows fails on its own.
func (c *cluster) verify(ctx context.Context, key string) error {
	c.ids.mu.Lock()
	done := c.ids.verified[key]
	c.ids.mu.Unlock()
	if done {
		return nil
	}
	id, err := c.identify(ctx, key)
	if err != nil {
		return err
	}
	if err := c.compare(ctx, key, id); err != nil {
		return err
	}
	c.ids.mu.Lock()
	c.ids.verified[key] = true
	c.ids.mu.Unlock()
	return nil
}

// compare checks what node key's machine said against its key, the
// provider's cluster_name, and the cluster of every other configured node
// that answers as itself.
func (c *cluster) compare(ctx context.Context, key string, id nodeops.Identity) error {
	fail := func(why string) error {
		return &identityError{key: c.configured(key), endpoint: c.clients[key].Endpoint(), answered: id, why: why}
	}
	if !strings.EqualFold(id.ComputerName, key) {
		return fail(", not " + c.configured(key))
	}
	if c.clusterName != "" {
		if !strings.EqualFold(id.ClusterName, c.clusterName) {
			return fail(", not a member of the provider's cluster_name " + c.clusterName)
		}
		return nil
	}
	if id.ClusterName == "" {
		return fail(": the provider only acts on nodes of a cluster")
	}
	for _, name := range c.names {
		other := strings.ToUpper(name)
		if other == key {
			continue
		}
		pctx, cancel := context.WithTimeout(winrm.WithoutRetries(ctx), peerProbeTimeout)
		peer, err := c.identify(pctx, other)
		cancel()
		if err != nil {
			tflog.Debug(ctx, "another node did not say which cluster it belongs to; left out of the comparison",
				map[string]any{"node": key, "other": name, "error": err.Error()})
			continue
		}
		if !strings.EqualFold(peer.ComputerName, other) {
			continue // that node's own check reports it
		}
		if !strings.EqualFold(peer.ClusterName, id.ClusterName) {
			return fail(fmt.Sprintf(", but the machine at %s's is %s: the nodes are not members of one cluster "+
				"(set the provider's cluster_name to say which cluster is meant)", name, peer))
		}
	}
	return nil
}

// configured is a node name spelled as in the provider's nodes (Windows
// names match without case): ids and messages use that one spelling.
func (c *cluster) configured(key string) string {
	for _, n := range c.names {
		if strings.EqualFold(n, key) {
			return n
		}
	}
	return key
}

// checkIdentity runs node's identity check at plan time: a machine that is
// not the node meant is an error; a node that cannot be reached is not (the
// check runs again before the first command of apply).
func (c *cluster) checkIdentity(ctx context.Context, node string) error {
	err := c.verify(ctx, strings.ToUpper(node))
	var ie *identityError
	if errors.As(err, &ie) {
		return err
	}
	if err != nil {
		tflog.Debug(ctx, "cannot check the node's identity at plan time", map[string]any{"node": node, "error": err.Error()})
	}
	return nil
}

// planNode is a node a plan names, with the attribute that names it.
type planNode struct {
	attr path.Path
	name types.String
}

// checkNodes is the read-only first step of every ModifyPlan: each node the
// plan names is one of the provider's, and the machine at its endpoint,
// where it answers, is that node and a member of this cluster. Unknown and
// null names are checked at apply, when they are known.
func (c *cluster) checkNodes(ctx context.Context, nodes ...planNode) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, n := range nodes {
		if n.name.IsNull() || n.name.IsUnknown() {
			continue
		}
		name := n.name.ValueString()
		if !c.Has(name) {
			diags.Append(c.unknownNode(n.attr, name))
			continue
		}
		if err := c.checkIdentity(ctx, name); err != nil {
			diags.AddAttributeError(n.attr, "Wrong machine at node "+name+"'s endpoint", err.Error())
		}
	}
	return diags
}
