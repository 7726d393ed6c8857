package nodeops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// Cluster is the nodes of one cluster, for what is asked of the cluster
// rather than of one node. cluster.exe only answers on a node whose cluster
// service runs, so every read goes through whichever node answers (Through);
// the moves and property changes of the later phases go through the node
// that owns what they change. It owns the waits on the cluster (a node
// joining, a group coming online) at its Poll interval; safety rule 6
// ("Affect the group" off while moving, restored after from a record) is
// hold.go's.
type Cluster struct {
	// Nodes are the configured nodes, in the order they are asked.
	Nodes []*Node
	// Poll is the longest interval between two checks of the cluster's
	// waits (see backoff); 0 means 2 s.
	Poll time.Duration
}

// Node is the configured node named name (case-insensitively), or nil.
func (c *Cluster) Node(name string) *Node {
	for _, n := range c.Nodes {
		if strings.EqualFold(n.R.Node(), name) {
			return n
		}
	}
	return nil
}

// Asking is whom a read of the cluster about a node asks.
type Asking bool

const (
	// AskNodeFirst asks the node itself first (its cluster service may
	// answer), then the other nodes.
	AskNodeFirst Asking = true
	// AskOthersOnly asks only the other nodes: the node's own cluster
	// service is stopped, or about to stop.
	AskOthersOnly Asking = false
)

// AskingWith is whom to ask about a node one of whose services, service,
// is running or not: the node itself first unless service is its cluster
// service and not running, which leaves only the other nodes to answer.
func AskingWith(service string, running bool) Asking {
	if IsClusterService(service) && !running {
		return AskOthersOnly
	}
	return AskNodeFirst
}

// order is the nodes to ask about node's cluster: node itself first when
// asking says so, then the others as configured.
func (c *Cluster) order(node string, asking Asking) []*Node {
	var order []*Node
	if n := c.Node(node); n != nil && asking == AskNodeFirst {
		order = append(order, n)
	}
	for _, n := range c.Nodes {
		if !strings.EqualFold(n.R.Node(), node) {
			order = append(order, n)
		}
	}
	return order
}

// NoNodeAnswered is a read of the cluster that no node could answer: each
// node asked, with why it could not.
type NoNodeAnswered struct {
	Asked    []string
	Failures []error
}

func (e *NoNodeAnswered) Error() string {
	if len(e.Failures) == 0 {
		return "no configured node can list the cluster"
	}
	if len(e.Failures) == 1 {
		return e.Failures[0].Error()
	}
	lines := make([]string, len(e.Failures))
	for i, err := range e.Failures {
		lines[i] = "- " + err.Error()
	}
	return "no configured node could list the cluster:\n" + strings.Join(lines, "\n")
}

// Unwrap gives errors.Is/As every node's failure.
func (e *NoNodeAnswered) Unwrap() []error { return e.Failures }

// Through asks the nodes of order in turn until ask succeeds on one, and
// returns that node. A node failing is logged and the next one asked; when
// none succeeds the error is a *NoNodeAnswered. ask's own verdicts that must
// not try another node (the answer is final) go in its result, not its error.
func Through(ctx context.Context, order []*Node, ask func(n *Node) error) (*Node, error) {
	failed := &NoNodeAnswered{}
	for _, n := range order {
		failed.Asked = append(failed.Asked, n.R.Node())
		err := ask(n)
		if err == nil {
			return n, nil
		}
		tflog.Debug(ctx, "a node could not answer for the cluster; asking the next", map[string]any{"via": n.R.Node(), "error": err.Error()})
		failed.Failures = append(failed.Failures, err)
	}
	return nil, failed
}

// NodeState is node's state as `cluster node` lists it (Up, Down, Paused,
// Joining), asked through the nodes in turn: the first node that can list
// the cluster decides. When none can and node's own cluster service is known
// to be stopped (AskOthersOnly), node is Down by definition.
func (c *Cluster) NodeState(ctx context.Context, node string, asking Asking) (string, error) {
	var nodes []ClusterNode
	via, err := Through(ctx, c.order(node, asking), func(n *Node) (err error) {
		nodes, err = n.ClusterNodes(ctx)
		return err
	})
	if err != nil {
		if asking == AskOthersOnly {
			return "Down", nil
		}
		return "", err
	}
	for _, cn := range nodes {
		if strings.EqualFold(cn.Name, node) {
			return cn.State, nil
		}
	}
	return "", fmt.Errorf("node %s is not a member of the cluster as node %s lists it", node, via.R.Node())
}

// WaitForJoin polls NodeState (see waitFor) until the
// cluster lists node as Up or Paused (an administrator's pause is settled
// too), and returns that state; when ctx ends first, the error says what was
// seen last.
func (c *Cluster) WaitForJoin(ctx context.Context, node string) (string, error) {
	ctx = FreshReads(ctx) // a wait: each poll asks the node
	var state string
	seen, err := c.waitFor(ctx, "wait for join", func() (bool, string, error) {
		s, err := c.NodeState(ctx, node, AskNodeFirst)
		if err != nil {
			return false, "", err
		}
		state = s
		return strings.EqualFold(s, "Up") || strings.EqualFold(s, "Paused"), "the cluster lists it as " + s, nil
	})
	if err != nil {
		return "", fmt.Errorf("%s did not join the cluster (last seen: %s): %w", node, seen, err)
	}
	return state, nil
}

// waitFor polls check, backing off to the cluster's Poll, until it is done; an error
// from check is what was seen, not the end of the wait (a node that does not
// answer yet). When ctx ends first it returns ctx's error and what was seen
// last.
func (c *Cluster) waitFor(ctx context.Context, step string, check func() (done bool, seen string, err error)) (string, error) {
	b := newBackoff(c.Poll)
	for {
		done, seen, err := check()
		if err == nil && done {
			return seen, nil
		}
		if err != nil {
			seen = err.Error()
		}
		tflog.Debug(ctx, "waiting on the cluster", map[string]any{"step": step, "seen": seen})
		if err := b.wait(ctx); err != nil {
			return seen, err
		}
	}
}

// ErrLastNodeUp is a refused stop of the cluster service of the only node
// that is Up: its groups would have nowhere to fail over to.
var ErrLastNodeUp = errors.New("no other node is Up to take the node's groups")

// StopImpact is what stopping a node's cluster service does to the cluster.
type StopImpact struct {
	// Owned are the groups the node owns; they fail over to OthersUp, or go
	// offline when there is none.
	Owned []string
	// OthersUp are the other nodes the cluster lists as Up.
	OthersUp []string
}

// StopImpact reads, through the first node that can list the cluster (node
// itself first under AskNodeFirst), what stopping node's cluster service
// would move or take offline.
func (c *Cluster) StopImpact(ctx context.Context, node string, asking Asking) (StopImpact, error) {
	var imp StopImpact
	_, err := Through(ctx, c.order(node, asking), func(n *Node) error {
		nodes, groups, _, nodesErr, err := n.clusterStatus(ctx, "list the cluster nodes and groups")
		if err = errors.Join(nodesErr, err); err != nil {
			return err
		}
		imp = stopImpact(node, nodes, groups)
		return nil
	})
	return imp, err
}

func stopImpact(node string, nodes []ClusterNode, groups []ClusterGroup) StopImpact {
	var imp StopImpact
	for _, g := range groups {
		if strings.EqualFold(g.OwnerNode, node) {
			imp.Owned = append(imp.Owned, g.Name)
		}
	}
	for _, cn := range nodes {
		if !strings.EqualFold(cn.Name, node) && strings.EqualFold(cn.State, "Up") {
			imp.OthersUp = append(imp.OthersUp, cn.Name)
		}
	}
	return imp
}

// EnsureOtherNodeUp is the check right before a phase stops the node's
// running cluster service (unless the operator accepted the outage): some
// other node must be Up to take its groups. The node's own cluster.exe
// answers while its cluster service runs; when it can't tell, the stop is
// refused too.
func (n *Node) EnsureOtherNodeUp(ctx context.Context) error {
	return n.refuseLastNodeUp(ctx, "stop the cluster service")
}

func (n *Node) refuseLastNodeUp(ctx context.Context, step string) error {
	imp, err := (&Cluster{Nodes: []*Node{n}}).StopImpact(ctx, n.R.Node(), AskNodeFirst)
	if err != nil {
		return &StepError{Node: n.R.Node(), Step: step, Err: ErrLastNodeUp, Meaning: fmt.Sprintf(
			"cannot tell whether another node is Up to take its groups (%v), so its cluster service was left "+
				"running; set allow_cluster_outage = true to stop it anyway", err)}
	}
	if len(imp.OthersUp) == 0 {
		owned := "every group"
		if len(imp.Owned) > 0 {
			owned = strings.Join(imp.Owned, ", ")
		}
		return &StepError{Node: n.R.Node(), Step: step, Err: ErrLastNodeUp, Meaning: fmt.Sprintf(
			"it is the only node Up in the cluster: stopping its cluster service would take %s offline; its cluster "+
				"service was left running. Bring another node up first, or set allow_cluster_outage = true to accept the outage",
			owned)}
	}
	return nil
}

// View is the cluster as cluster.exe lists it through one node.
type View struct {
	Via       string
	Nodes     []ClusterNode
	Groups    []ClusterGroup
	Resources []ClusterResource
}

// Read lists the cluster's nodes, groups (with preferred owners) and
// resources (with their common properties) through the first node that
// answers and is Up itself, asking only via when it is not "". Only the
// node listing moves on to the next node: a node that listed the nodes and
// then fails is an error of its own.
func (c *Cluster) Read(ctx context.Context, via string) (View, error) {
	order := c.Nodes
	if via != "" {
		order = []*Node{c.Node(via)}
	}
	var v View
	var readErr error // a failure after the node listing: not the next node's to answer
	n, err := Through(ctx, order, func(n *Node) error {
		nodes, groups, more, nodesErr, err := n.clusterStatus(ctx, "list the cluster", resourceLines...)
		if nodesErr != nil {
			return nodesErr
		}
		if !listedUp(nodes, n.R.Node()) {
			return ErrNotUp
		}
		v.Nodes, v.Groups, readErr = nodes, groups, err
		if readErr == nil {
			v.Resources, readErr = resourcesOf(n, more)
		}
		if readErr == nil {
			readErr = n.listOwners(ctx, v.Groups)
		}
		return nil
	})
	if err != nil {
		return View{}, err
	}
	if readErr != nil {
		return View{}, readErr
	}
	v.Via = n.R.Node()
	return v, nil
}

// listedUp reports whether node is Up in a node listing.
func listedUp(nodes []ClusterNode, node string) bool {
	for _, n := range nodes {
		if strings.EqualFold(n.Name, node) {
			return strings.EqualFold(n.State, "Up")
		}
	}
	return false
}

// MoveGroup moves group to node (`cluster group G /move:NODE`, run on node
// itself, which must be Up) and waits until each of the group's resources
// reads Online there (see moveOnline). A group already Online on node is
// left alone.
func (c *Cluster) MoveGroup(ctx context.Context, group, node string) error {
	return c.moveOnline(ctx, group, node, 0, waitOwned, "")
}

// moveAndWait moves group to node like MoveGroup, but leaves a group node
// owns already alone, whatever its resources read, and does not judge the
// resource named result, whose state is the caller's result, not the
// move's: MSDTC's moves (the KB's test expects that MSDTC may not come
// online; the phase reads its state itself) and its restore, whose
// read-back judges the group.
func (c *Cluster) moveAndWait(ctx context.Context, group, node, result string) error {
	return c.moveOnline(ctx, group, node, 0, leaveOwned, result)
}

// ifOwned is what moveOnline does with a group node owns already.
type ifOwned bool

const (
	waitOwned  ifOwned = true  // waits for its resources to read Online, as for a moved group
	leaveOwned ifOwned = false // leaves it alone, whatever its resources read
)

// defaultMoveTimeout bounds the wait for a moved group's resources.
const defaultMoveTimeout = 3 * time.Minute

// moveOnline moves group to node, unless each of its resources already
// reads Online there, and polls `cluster res /status` until each one does,
// for at most timeout (0: defaultMoveTimeout). Nothing else tells that a
// move worked: cluster.exe's /move exits 0 when the group failed on node,
// failed back to where it was, or was still pending at the end of its own
// wait; the group's line alone says Online for a group whose resources are
// still coming online; and NT 4.0 prints a pending resource as Online and a
// failed one as Offline. So the move counts only when two readings a poll
// apart agree that every resource is Online on node (one reading may be a
// pending one that still fails); a resource read as Failed fails the move,
// naming it; a group read on another node at the deadline failed back.
//
// A group node owns already is not moved; owned says whether its resources
// are still waited for. The resource named result ("" none) is not judged.
func (c *Cluster) moveOnline(ctx context.Context, group, node string, timeout time.Duration, owned ifOwned, result string) error {
	ctx = FreshReads(ctx) // a wait: each reading asks the node
	n := c.Node(node)
	if n == nil {
		return fmt.Errorf("move group %s: %s is not a configured node", group, node)
	}
	step := "move group " + group + " to " + node
	g, err := n.groupOf(ctx, group)
	if err != nil {
		return err
	}
	switch {
	case !strings.EqualFold(g.OwnerNode, node):
		if err := n.GroupMove(ctx, group, node); err != nil {
			return err
		}
	case owned == leaveOwned:
		return nil
	}
	// Each reading through the first node that can list the cluster, node
	// first: one node's listing failing is not the end of a restore.
	read := func() (groupReading, error) {
		var r groupReading
		_, err := Through(ctx, c.order(node, AskNodeFirst), func(via *Node) error {
			var err error
			r, err = via.groupOnlineOn(ctx, group, node, result)
			return err
		})
		return r, err
	}
	if timeout <= 0 {
		timeout = defaultMoveTimeout
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var failed, elsewhere string
	var readErr error          // the last check's, when it could not read the cluster
	var agreed onlineReadings  // every resource Online on node
	var offline onlineReadings // a resource Offline on node (NT 4.0's Failed)
	last, err := c.waitFor(tctx, "wait for group "+group+" online on "+node, func() (bool, string, error) {
		s, err := read()
		if readErr = err; err != nil {
			agreed.saw(false)
			elsewhere = ""
			return false, "", err
		}
		elsewhere = s.elsewhere
		if s.failed != "" {
			failed = s.failed
			return true, s.seen, nil
		}
		if offline.saw(s.offline != "") {
			failed = s.offline
			return true, s.seen, nil
		}
		return agreed.saw(s.online), s.seen, nil
	})
	switch {
	case failed != "":
		return &StepError{Node: node, Step: step, Meaning: fmt.Sprintf(
			"resource %s of group %s failed on %s (last seen: %s)", failed, group, node, last)}
	case err != nil && readErr != nil && ctx.Err() == nil:
		return &StepError{Node: node, Step: step, Err: readErr, Meaning: fmt.Sprintf(
			"the cluster could not be read when the wait ran out, so whether the group's resources came online is not known: %v", readErr)}
	case err != nil && elsewhere != "":
		return &StepError{Node: node, Step: step, Err: err, Meaning: fmt.Sprintf(
			"group %s is on %s, not %s: it failed there and failed back, or did not move (last seen: %s)", group, elsewhere, node, last)}
	case err != nil:
		return &StepError{Node: node, Step: step, Err: err, Meaning: fmt.Sprintf(
			"not every resource of group %s came online on %s (last seen: %s)", group, node, last)}
	}
	return nil
}

// onlineReadings counts the readings in a row that read Online. NT 4.0
// prints a pending resource as Online, and a pending one may still fail:
// one reading proves nothing, two a poll apart that agree do (moveOnline,
// and MSDTC's test). It counts the readings of NT 4.0's Failed (Offline
// after the move returned) the same way, so such a wait ends then instead
// of at its time limit.
type onlineReadings int

// saw adds one reading (a reading that is not Online, or none, starts the
// count again) and says whether enough readings in a row agree.
func (a *onlineReadings) saw(online bool) bool {
	if !online {
		*a = 0
		return false
	}
	*a++
	return *a >= 2
}

// groupReading is one reading of a group's resources (groupOnlineOn).
type groupReading struct {
	online bool   // every resource of the group Online on the node
	failed string // a resource of the group read as Failed on the node
	// offline is a resource of the group read as Offline on the node: NT
	// 4.0's Failed, once the move has returned (it prints a pending one
	// as Online); judged by two readings in a row.
	offline string
	// elsewhere is the node another owns the group, e.g. after it failed
	// back.
	elsewhere string
	seen      string // what was read, e.g. "Web Server Offline on NODE1"
}

// groupOnlineOn reads, from one `cluster res /status` run on n, whether
// each resource of group (but skip) reads Online on node. A group with no
// resource is judged by its own line of `cluster group /status`.
func (n *Node) groupOnlineOn(ctx context.Context, group, node, skip string) (groupReading, error) {
	rs, err := n.clusterResourceStatus(ctx)
	if err != nil {
		return groupReading{}, err
	}
	var r groupReading
	var seen []string
	all := true
	for _, res := range rs {
		if !strings.EqualFold(res.Group, group) {
			continue
		}
		seen = append(seen, res.Name+" "+res.State+" on "+res.OwnerNode)
		on := strings.EqualFold(res.OwnerNode, node)
		switch {
		case skip != "" && strings.EqualFold(res.Name, skip):
			if !on {
				r.elsewhere, all = res.OwnerNode, false
			}
		case on && strings.EqualFold(res.State, "Failed"):
			if r.failed == "" {
				r.failed = res.Name
			}
			all = false
		case !on:
			r.elsewhere, all = res.OwnerNode, false
		case !strings.EqualFold(res.State, "Online"):
			if strings.EqualFold(res.State, "Offline") && r.offline == "" {
				r.offline = res.Name
			}
			all = false
		}
	}
	if len(seen) == 0 {
		g, err := n.groupOf(ctx, group)
		if err != nil {
			return groupReading{}, err
		}
		return groupReading{
			online: strings.EqualFold(g.OwnerNode, node) && strings.EqualFold(g.State, "Online"),
			seen:   fmt.Sprintf("group %s %s on %s, no resources", g.Name, g.State, g.OwnerNode),
		}, nil
	}
	r.online, r.seen = all, strings.Join(seen, ", ")
	return r, nil
}

// groupOf is one group's row of `cluster group /status`.
func (n *Node) groupOf(ctx context.Context, group string) (ClusterGroup, error) {
	groups, err := n.groupStatus(ctx)
	if err != nil {
		return ClusterGroup{}, err
	}
	for _, g := range groups {
		if strings.EqualFold(g.Name, group) {
			return g, nil
		}
	}
	return ClusterGroup{}, &StepError{Node: n.R.Node(), Step: "find group " + group, Meaning: "the cluster has no such group"}
}

// RestartAction values (Cluster Administrator's "Affect the group").
const (
	RestartNot          = 0 // don't restart
	RestartNoFailover   = 1 // restart; "Affect the group" unchecked
	RestartWithFailover = 2 // restart and fail the group over; checked (the default)
)
