package nodeops

import (
	"context"
	"fmt"
	"strings"
)

// IsClusterService reports whether name is the cluster service.
func IsClusterService(name string) bool { return strings.EqualFold(name, ClusterService) }

// ServiceSpec is a service held at a state and startup type: the KB's
// "re-enable clustering" phase for the cluster service.
type ServiceSpec struct {
	Name      string
	State     ServiceState // StateRunning or StateStopped
	StartType StartType
	// AllowOutage lets a stop of the cluster service go on when no other
	// node is Up to take the node's groups.
	AllowOutage bool
}

// ServiceSteps is what ConvergeServiceChanges runs, in its order, each
// step naming node, as the plan lists them; moves says what a stop of the
// cluster service moves ("" when unknown). The convergence skips a step
// whose end the node is already at.
func ServiceSteps(node string, spec ServiceSpec, moves string) []string {
	steps := []string{fmt.Sprintf("%s: set the startup type of %s to %s", node, spec.Name, strings.ToLower(string(spec.StartType)))}
	switch {
	case spec.State == StateStopped:
		stop := fmt.Sprintf("%s: stop %s and wait until it is STOPPED", node, spec.Name)
		if moves != "" {
			stop += " (" + moves + ")"
		}
		steps = append(steps, stop)
	case IsClusterService(spec.Name):
		steps = append(steps,
			fmt.Sprintf("%s: check that no Option Pack run is unfinished (safety rule 4)", node),
			fmt.Sprintf("%s: start %s and wait until it runs", node, spec.Name),
			fmt.Sprintf("%s: wait until the cluster lists %s as Up", node, node))
	default:
		steps = append(steps, fmt.Sprintf("%s: start %s and wait until it runs", node, spec.Name))
	}
	return steps
}

// ServiceChange is what ConvergeServiceChanges changed: the startup type, the
// state (a start or a stop). Neither: the service already was as declared.
type ServiceChange struct{ StartType, State bool }

// ServiceRan is the steps a convergence ran, of planned (ServiceSteps'
// lines): the startup type's line when it changed, the state's lines when
// that changed; none for a service already as declared, which the phase
// adopts without a command that changes it.
func ServiceRan(planned []string, ch ServiceChange) []string {
	ran := []string{}
	for i, s := range planned {
		if (i == 0 && ch.StartType) || (i > 0 && ch.State) {
			ran = append(ran, s)
		}
	}
	return ran
}

// ConvergeServiceChanges brings node's service to spec's startup type and
// state, waits until the service reports that state and, for a start of
// the cluster service, until the cluster lists node as Up (the phase is
// done when the node has joined, not merely when the service runs). It
// returns node's state in the cluster afterwards, and what it changed.
//
// The checks that only read come first: the service exists; a stop of the
// cluster service leaves another node Up (unless AllowOutage; safety rule
// 2); a start of it finds no unfinished Option Pack run (safety rule 4).
// The startup type goes before the state: a service being started must not
// be disabled, and the KB sets the cluster service to manual together with
// stopping it.
func (c *Cluster) ConvergeServiceChanges(ctx context.Context, node string, spec ServiceSpec) (_ string, ch ServiceChange, _ error) {
	n := c.Node(node)
	if n == nil {
		return "", ch, fmt.Errorf("%s is not a configured node", node)
	}
	current, err := n.QueryService(ctx, spec.Name)
	if err != nil {
		return "", ch, err
	}
	if !current.Exists {
		return "", ch, &StepError{Node: n.R.Node(), Step: "query service", Err: ErrServiceNotFound, Meaning: fmt.Sprintf(
			"service %q is not installed on the node (sc query exited 1060). Check service_name, or install what "+
				"provides it first", spec.Name)}
	}
	changeState := Settled(current.State) != spec.State
	if changeState && IsClusterService(spec.Name) {
		var check error
		switch {
		case spec.State == StateStopped && !spec.AllowOutage:
			check = n.EnsureOtherNodeUp(ctx)
		case spec.State == StateRunning:
			check = n.ReadyToJoin(ctx)
		}
		if check != nil {
			return "", ch, check
		}
	}
	var startType StartType
	if current.StartType != spec.StartType {
		startType = spec.StartType
	}
	verb := ""
	switch {
	case changeState && spec.State == StateStopped:
		verb = "stop"
	case changeState:
		verb = "start"
	}
	ch = ServiceChange{StartType: startType != "", State: verb != ""}
	if err := n.ConfigureService(ctx, spec.Name, startType, verb); err != nil {
		return "", ch, err
	}
	if changeState || current.State != Settled(current.State) {
		if _, err := n.waitForState(ctx, spec.Name, spec.State, verb != ""); err != nil {
			return "", ch, err
		}
	}
	if IsClusterService(spec.Name) && spec.State == StateRunning {
		state, err := c.WaitForJoin(ctx, node)
		return state, ch, err
	}
	state, err := c.NodeState(ctx, node, AskingWith(spec.Name, spec.State == StateRunning))
	return state, ch, err
}

// Settled is the state a service is in or heading for: a pending start
// counts as running, a pending stop as stopped, so a service that is
// starting is not drift from "running".
func Settled(s ServiceState) ServiceState {
	switch s {
	case StateStartPending:
		return StateRunning
	case StateStopPending:
		return StateStopped
	}
	return s
}
