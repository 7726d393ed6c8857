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
