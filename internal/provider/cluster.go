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
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mscs-ops/terraform-provider-mscs/internal/nodeops"
	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// cluster is what Configure hands to resources and data sources: one WinRM
// client per configured node, looked up by NetBIOS name (case-insensitively,
// as Windows compares them).
type cluster struct {
	names   []string // as configured, sorted
	clients map[string]*winrm.Client
	secrets []string
	poll    time.Duration // poll_interval_max: nodeops.Node.Poll; 0 = its default
	// clusterName is the provider's cluster_name: every node must be a
	// member of it. "" = the nodes must agree with each other.
	clusterName string
	ids         identities
	// nodes are the operations on each node (Node), made once so that what
	// a node's reads learn (its SystemRoot) serves every later request.
	nodesMu sync.Mutex
	nodes   map[string]*nodeops.Node
	// reads are the answers every node's plan-time reads share in this
	// process, prefetched once (sharedReads, readcache.go).
	reads      *nodeops.ReadCache
	prefetched sync.Once
}

func newCluster(configs []winrm.Config, clusterName string) (*cluster, error) {
	c := &cluster{clients: map[string]*winrm.Client{}, nodes: map[string]*nodeops.Node{}, reads: nodeops.NewReadCache(), clusterName: clusterName, ids: identities{
		perNode: map[string]*sync.Mutex{}, known: map[string]nodeops.Identity{}, verified: map[string]bool{}}}
	for _, cfg := range configs {
		client, err := winrm.New(cfg)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", cfg.Node, err)
		}
		c.names = append(c.names, cfg.Node)
		c.clients[strings.ToUpper(cfg.Node)] = client
		c.ids.perNode[strings.ToUpper(cfg.Node)] = &sync.Mutex{}
		if cfg.Password != "" {
			c.secrets = append(c.secrets, cfg.Password)
		}
	}
	track(c)
	return c, nil
}

// configuredCluster is what Configure of every resource and data source does
// with the provider's data: the *cluster, or nil before the provider is
// configured (the framework calls Configure early, e.g. for validation); kind
// ("Resource", "Data Source") names the caller in the error.
func configuredCluster(providerData any, kind string, diags *diag.Diagnostics) *cluster {
	if providerData == nil {
		return nil
	}
	c, ok := providerData.(*cluster)
	if !ok {
		diags.AddError("Unexpected "+kind+" Configure Type",
			fmt.Sprintf("Expected *provider.cluster, got %T. Please report this issue to the provider developers.", providerData))
	}
	return c
}

// Names lists the configured nodes.
func (c *cluster) Names() []string { return append([]string(nil), c.names...) }

// Has reports whether node is configured.
func (c *cluster) Has(node string) bool {
	_, ok := c.clients[strings.ToUpper(node)]
	return ok
}

// Node is the operations on one configured node. Its commands go through
// the identity check (identity.go): none reaches a machine that is not the
// node meant.
func (c *cluster) Node(node string) (*nodeops.Node, bool) {
	key := strings.ToUpper(node)
	client, ok := c.clients[key]
	if !ok {
		return nil, false
	}
	c.nodesMu.Lock()
	defer c.nodesMu.Unlock()
	n := c.nodes[key]
	if n == nil {
		n = &nodeops.Node{R: c.reads.Guard(guardedRunner{c: c, key: key, Client: client}), Reads: c.reads, Poll: c.poll}
		c.nodes[key] = n
	}
	return n, true
}

// ops is the cluster-level operations over every configured node (each
// guarded as Node's are), asked in the configured order.
func (c *cluster) ops() *nodeops.Cluster {
	oc := &nodeops.Cluster{Poll: c.poll}
	for _, name := range c.names {
		n, _ := c.Node(name)
		oc.Nodes = append(oc.Nodes, n)
	}
	return oc
}

// Stats adds up the transport counters of every node.
func (c *cluster) Stats() winrm.Stats {
	var s winrm.Stats
	for _, client := range c.clients {
		s = s.Add(client.Stats())
	}
	return s
}

// mask keeps every configured password out of the logs written under ctx
// (messages, field values, and fields named password). Each request has a
// fresh ctx, so every entry point calls it.
func (c *cluster) mask(ctx context.Context) context.Context {
	return winrm.MaskSecrets(ctx, c.secrets...)
}

// safetyRulesDoc is where the docs list the safety rules that errors cite.
const safetyRulesDoc = "see the safety rules guide, docs/guides/safety-rules.md"

// stepDiag is the package's stepDiag (the node, the step, the command, its
// exit code and meaning) with every configured password scrubbed from its
// summary and detail: a command's output or an error text may hold one (a
// failing `net use` echoing its command line), and diagnostics are printed
// and may be logged.
func (c *cluster) stepDiag(summary string, node string, err error) diag.Diagnostic {
	d := stepDiag(summary, node, err)
	return diag.NewErrorDiagnostic(c.scrub(d.Summary()), c.scrub(d.Detail()))
}

// scrub hides every configured password in s.
func (c *cluster) scrub(s string) string {
	for _, secret := range c.secrets {
		s = strings.ReplaceAll(s, secret, "***")
	}
	return s
}

// stepDiag turns an error from nodeops or winrm into a diagnostic that names
// the node, the step, the command, the exit code and its meaning. Callers
// with a cluster use its stepDiag, which also hides passwords.
func stepDiag(summary string, node string, err error) diag.Diagnostic {
	var se *nodeops.StepError
	// What a failed phase left (rule 6's record) is part of the error, never
	// dropped with the rest of the chain; a StepError found only inside it
	// (the restore's) is not the failure itself, which the whole text says.
	var left *nodeops.LeftError
	hasLeft := errors.As(err, &left)
	found := asStepError(err, &se)
	var inner *nodeops.StepError
	if found && hasLeft && errors.As(left, &inner) && inner == se {
		found = false
	}
	if found {
		detail := fmt.Sprintf("Node %s, step %q: command %q", se.Node, se.Step, se.Command)
		if se.Command == "" {
			// A check of the node's state, not a command that failed.
			detail = fmt.Sprintf("Node %s, step %q", se.Node, se.Step)
		}
		if se.ExitCode != 0 {
			detail += fmt.Sprintf(" exited with code %d", se.ExitCode)
			if se.Meaning != "" {
				detail += " (" + se.Meaning + ")"
			}
		} else if se.Meaning != "" {
			detail += ": " + se.Meaning
		}
		detail += "."
		if out := strings.TrimSpace(se.Output); out != "" {
			detail += "\n\nOutput:\n" + out
		}
		if hasLeft {
			detail += "\n\n" + left.Error()
		}
		// A refusal after an earlier run's record was restored says so.
		var restored *nodeops.RestoredError
		if errors.As(err, &restored) {
			detail += "\n\nBefore that, " + restored.Note() + "."
		}
		return diag.NewErrorDiagnostic(summary, detail)
	}
	msg := err.Error()
	if !strings.Contains(msg, node) {
		msg = fmt.Sprintf("node %s: %s", node, msg)
	}
	return diag.NewErrorDiagnostic(summary, msg)
}

// planStop says in the plan what stopping node's cluster service does: the
// groups it owns fail over to another node Up (a warning naming them), or,
// with no other node Up, go offline howLong, which is refused on attr unless
// allowed. It also returns the same in a few words for the plan's list of
// steps ("" when no node can list the cluster: apply checks again right
// before the stop).
func (c *cluster) planStop(ctx context.Context, node string, attr path.Path, allowed bool, howLong string) (diag.Diagnostics, string) {
	var diags diag.Diagnostics
	imp, err := c.ops().StopImpact(ctx, node, nodeops.AskNodeFirst)
	if err != nil {
		tflog.Debug(ctx, "no node could list the cluster; the plan cannot say what stopping the cluster service moves",
			map[string]any{"node": node, "error": err.Error()})
		return nil, ""
	}
	owned := "no group"
	if len(imp.Owned) > 0 {
		owned = strings.Join(imp.Owned, ", ")
	}
	switch {
	case len(imp.OthersUp) > 0:
		if len(imp.Owned) == 0 {
			return nil, node + " owns no group"
		}
		others := strings.Join(imp.OthersUp, " or ")
		diags.AddAttributeWarning(attr, fmt.Sprintf("Stopping the cluster service of %s moves groups %s", node, owned),
			fmt.Sprintf("%s owns %s: stopping its cluster service fails them over to %s.", node, owned, others))
		return diags, owned + " fail over to " + others
	case allowed:
		diags.AddAttributeWarning(attr, fmt.Sprintf("Stopping the cluster service of %s takes groups %s offline", node, owned),
			fmt.Sprintf("%s is the only node Up and owns %s: stopping its cluster service takes them offline %s "+
				"(allow_cluster_outage = true).", node, owned, howLong))
		return diags, owned + " go offline: no other node is Up"
	}
	diags.AddAttributeError(attr, "Stopping the cluster service of the only node Up",
		fmt.Sprintf("%s is the only node Up in the cluster and owns %s: stopping its cluster service would take "+
			"them offline %s. Bring another node up first, or set allow_cluster_outage = true to accept the "+
			"outage. Nothing was changed on any node.", node, owned, howLong))
	return diags, ""
}

// live holds every cluster this process configured, so that Shutdown can
// delete their open shells: the framework has no hook for the end of a
// provider's life, and a shell left open on a node counts against the node's
// MaxShellsPerUser until the node's idle timeout (hours) expires it.
var live struct {
	sync.Mutex
	clusters []*cluster
}

func track(c *cluster) {
	live.Lock()
	live.clusters = append(live.clusters, c)
	live.Unlock()
}

// Shutdown closes the WinRM clients of every cluster configured in this
// process, deleting their idle shells on the nodes, and logs each node's
// transport counters at DEBUG. main calls it when Terraform has told the
// provider to stop.
func Shutdown(ctx context.Context) {
	live.Lock()
	clusters := live.clusters
	live.clusters = nil
	live.Unlock()
	var wg sync.WaitGroup
	for _, c := range clusters {
		wg.Add(1)
		go func() { defer wg.Done(); c.close(ctx) }()
	}
	wg.Wait()
}

// close closes c's WinRM clients (see Shutdown) and logs their counters.
func (c *cluster) close(ctx context.Context) {
	var wg sync.WaitGroup
	for _, client := range c.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := client.Close(ctx); err != nil {
				tflog.Debug(ctx, "closing a node's WinRM client", map[string]any{"node": client.Node(), "error": err.Error()})
			}
			s := client.Stats()
			tflog.Debug(ctx, "WinRM transport counters", map[string]any{"node": client.Node(), "endpoint": client.Endpoint(),
				"messages": s.Messages, "http_requests": s.HTTPRequests, "http_401": s.Unauthorized,
				"bytes_sent": s.BytesSent, "bytes_received": s.BytesReceived, "shells_opened": s.ShellsOpened,
				"commands": s.Commands, "retries": s.Retries})
		}()
	}
	wg.Wait()
}

// unknownNode is the plan-time error, on attr, for a node the provider has
// no endpoint for: nothing is sent anywhere.
func (c *cluster) unknownNode(attr path.Path, node string) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(attr, "Unknown node", fmt.Sprintf("Node %q is not in the provider's "+
		"nodes (configured: %s). Add it to the provider's nodes map with its endpoint, or fix the name. Nothing was "+
		"sent to any node.", node, strings.Join(c.names, ", ")))
}
