package nodeops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// ClusterNodeState is node's state as `cluster node` lists it (Up, Down,
// Paused, Joining), asked through each node of via in turn: cluster.exe only
// answers where the cluster service runs, so the first node that can list
// the cluster decides. When none can and node's own cluster service is known
// to be stopped (selfMayRun false), node is Down by definition.
func ClusterNodeState(ctx context.Context, via []*Node, node string, selfMayRun bool) (string, error) {
	var firstErr error
	for _, n := range via {
		nodes, err := n.ClusterNodes(ctx)
		if err != nil {
			tflog.Debug(ctx, "cannot list the cluster nodes", map[string]any{"via": n.R.Node(), "error": err.Error()})
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		for _, cn := range nodes {
			if strings.EqualFold(cn.Name, node) {
				return cn.State, nil
			}
		}
		return "", fmt.Errorf("node %s is not a member of the cluster as node %s lists it", node, n.R.Node())
	}
	if !selfMayRun {
		return "Down", nil
	}
	if firstErr == nil {
		firstErr = errors.New("no configured node can list the cluster's nodes")
	}
	return "", firstErr
}

// WaitForJoin polls ClusterNodeState every poll until the cluster lists node
// as Up or Paused (an administrator's pause is settled too), and returns that
// state; when ctx ends first, the error says what was seen last.
func WaitForJoin(ctx context.Context, via []*Node, node string, poll time.Duration) (string, error) {
	if poll <= 0 {
		poll = defaultPoll
	}
	for {
		state, err := ClusterNodeState(ctx, via, node, true)
		if err == nil && (strings.EqualFold(state, "Up") || strings.EqualFold(state, "Paused")) {
			return state, nil
		}
		seen := "the cluster lists it as " + state
		if err != nil {
			seen = err.Error()
		}
		tflog.Debug(ctx, "waiting for the node to join the cluster", map[string]any{"step": "wait for join", "seen": seen})
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", fmt.Errorf("%s did not join the cluster (last seen: %s): %w", node, seen, ctx.Err())
		case <-t.C:
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

// StopImpactOf reads, through the first node of via that can list the
// cluster, what stopping node's cluster service would move or take offline.
func StopImpactOf(ctx context.Context, via []*Node, node string) (StopImpact, error) {
	var firstErr error
	for _, n := range via {
		nodes, err := n.ClusterNodes(ctx)
		if err == nil {
			var groups []ClusterGroup
			if groups, err = n.groupStatus(ctx); err == nil {
				return stopImpact(node, nodes, groups), nil
			}
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = errors.New("no configured node can list the cluster")
	}
	return StopImpact{}, firstErr
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

// EnsureOtherNodeUp is refuseLastNodeUp for callers outside the package
// (the cluster service resource): call it right before stopping the node's
// running cluster service, unless the operator accepted the outage.
func (n *Node) EnsureOtherNodeUp(ctx context.Context) error {
	return n.refuseLastNodeUp(ctx, "stop the cluster service")
}

// refuseLastNodeUp is the check right before a phase stops the node's
// running cluster service: some other node must be Up to take its groups.
// The node's own cluster.exe answers while its cluster service runs; when it
// can't tell, the stop is refused too.
func (n *Node) refuseLastNodeUp(ctx context.Context, step string) error {
	imp, err := StopImpactOf(ctx, []*Node{n}, n.R.Node())
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
