package nodeops

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// ClusterService is the cluster service's name ("Cluster Server" on NT 4.0).
const ClusterService = "ClusSvc"

// ServiceState is a service's SERVICE_STATUS state, named as Windows names it.
type ServiceState string

const (
	StateStopped         ServiceState = "Stopped"
	StateStartPending    ServiceState = "StartPending"
	StateStopPending     ServiceState = "StopPending"
	StateRunning         ServiceState = "Running"
	StateContinuePending ServiceState = "ContinuePending"
	StatePausePending    ServiceState = "PausePending"
	StatePaused          ServiceState = "Paused"
)

// sc prints the numeric state and its SERVICE_* name; the number decides.
var stateByCode = map[int]ServiceState{
	1: StateStopped, 2: StateStartPending, 3: StateStopPending, 4: StateRunning,
	5: StateContinuePending, 6: StatePausePending, 7: StatePaused,
}

// StartType is a service's startup type as the Services applet names it.
type StartType string

const (
	StartBoot      StartType = "Boot"
	StartSystem    StartType = "System"
	StartAutomatic StartType = "Automatic"
	StartManual    StartType = "Manual"
	StartDisabled  StartType = "Disabled"
)

var startTypeByCode = map[int]StartType{0: StartBoot, 1: StartSystem, 2: StartAutomatic, 3: StartManual, 4: StartDisabled}

// scStartArg is the word `sc config NAME start= X` takes for each startup type.
var scStartArg = map[StartType]string{StartAutomatic: "auto", StartManual: "demand", StartDisabled: "disabled"}

// ServiceStatus is what sc query and sc qc tell about a service.
type ServiceStatus struct {
	Name        string // SERVICE_NAME as sc prints it
	DisplayName string
	State       ServiceState
	StartType   StartType
	Exists      bool
	// ExitCode is WIN32_EXIT_CODE: why a stopped service stopped; 1067 is
	// a process that died (a corrupt install), 0 a clean stop.
	ExitCode int
}

// serviceWords names a service in step descriptions the way the KB does.
func serviceWords(name string) string {
	if strings.EqualFold(name, "ClusSvc") {
		return "the cluster service"
	}
	return "service " + name
}

// QueryService runs `sc query` and `sc qc`. A service that is not installed is
// not an error: it comes back with Exists false, so a Read can drop it.
//
// Both run in one command line, `sc query NAME && sc qc NAME`: sc qc runs
// only when sc query succeeded, so a failure's exit code belongs to the
// part whose output is missing its table, and the output splits where sc
// qc's begins (splitSCQueryQC).
func (n *Node) QueryService(ctx context.Context, name string) (ServiceStatus, error) {
	sts, err := n.QueryServices(ctx, name)
	if err != nil {
		return ServiceStatus{Name: name}, err
	}
	return sts[0], nil
}

// QueryServices is QueryService of each of names, all in one command line
// (a batch, see readBatch).
func (n *Node) QueryServices(ctx context.Context, names ...string) ([]ServiceStatus, error) {
	lines, err := serviceLines(names)
	if err != nil {
		return nil, err
	}
	step := servicesStep(names)
	results, err := n.readBatch(ctx, step, lines...)
	if err != nil {
		return nil, err
	}
	return n.serviceStatuses(step, names, lines, results)
}

// servicesStep words a query of names in errors.
func servicesStep(names []string) string {
	if len(names) == 1 {
		return "query " + serviceWords(names[0])
	}
	return "query the services " + strings.Join(names, ", ")
}

// serviceLines are the `sc query NAME && sc qc NAME` lines of names.
func serviceLines(names []string) ([]string, error) {
	lines := make([]string, len(names))
	for i, name := range names {
		q, err := Quote(name)
		if err != nil {
			return nil, fmt.Errorf("service name: %w", err)
		}
		lines[i] = "sc query " + q + " && sc qc " + q
	}
	return lines, nil
}

// serviceStatuses reads the results of serviceLines(names).
func (n *Node) serviceStatuses(step string, names, lines []string, results []winrm.Result) ([]ServiceStatus, error) {
	sts := make([]ServiceStatus, len(names))
	for i, res := range results {
		st, err := n.serviceStatus(step, names[i], lines[i], res)
		if err != nil {
			return nil, err
		}
		sts[i] = st
	}
	return sts, nil
}

// serviceStatus reads the result of `sc query NAME && sc qc NAME`.
func (n *Node) serviceStatus(step, name, line string, res winrm.Result) (ServiceStatus, error) {
	if err := n.checkPart(step, line, res, okCodes(1060)); err != nil {
		return ServiceStatus{Name: name}, err
	}
	out := res.Stdout + res.Stderr
	queryOut, qcOut := splitSCQueryQC(out)
	st, err := ParseSCQuery(queryOut)
	if errors.Is(err, ErrServiceNotFound) {
		return ServiceStatus{Name: name}, nil
	}
	if err != nil {
		return ServiceStatus{Name: name}, n.parseError(step, line, out, err)
	}
	cfg, err := ParseSCQC(qcOut)
	if errors.Is(err, ErrServiceNotFound) { // deleted between the two
		return ServiceStatus{Name: name}, nil
	}
	if err != nil {
		return ServiceStatus{Name: name}, n.parseError(step, line, out, err)
	}
	st.DisplayName, st.StartType = cfg.DisplayName, cfg.StartType
	return st, nil
}

// splitSCQueryQC splits the output of `sc query NAME && sc qc NAME` where
// sc qc's begins: the first `[SC]` line, or second SERVICE_NAME line, after
// sc query's SERVICE_NAME line. When sc query failed there is none, and
// everything is sc query's.
func splitSCQueryQC(out string) (query, qc string) {
	first := strings.Index(out, "SERVICE_NAME")
	if first < 0 {
		return out, ""
	}
	rest := out[first+len("SERVICE_NAME"):]
	cut := -1
	for _, marker := range []string{"\n[SC]", "SERVICE_NAME"} {
		if k := strings.Index(rest, marker); k >= 0 && (cut < 0 || k < cut) {
			cut = k
		}
	}
	if cut < 0 {
		return out, ""
	}
	at := first + len("SERVICE_NAME") + cut
	if out[at] == '\n' {
		at++
	} else if k := strings.LastIndexByte(out[:at], '\n'); k >= 0 {
		at = k + 1 // the start of the second SERVICE_NAME line
	}
	return out[:at], out[at:]
}

// SetStartType runs `sc config NAME start= auto|demand|disabled`.
func (n *Node) SetStartType(ctx context.Context, name string, t StartType) error {
	return n.ConfigureService(ctx, name, t, "")
}

// StartService runs `sc start NAME`; a service already running (1056) or
// already starting is success. sc returns once the start is requested:
// WaitForState waits for Running.
func (n *Node) StartService(ctx context.Context, name string) error {
	return n.ConfigureService(ctx, name, "", "start")
}

// StopService runs `sc stop NAME`; a service not started (1062) or already
// stopping is success. sc returns once the stop is requested: WaitForState
// waits for Stopped.
func (n *Node) StopService(ctx context.Context, name string) error {
	return n.ConfigureService(ctx, name, "", "stop")
}

// scControls are the controls ConfigureService sends: the code sc exits
// with when the service is already there (success too), and the states of
// a service on its way or arrived.
var scControls = map[string]struct {
	already       int
	pending, done ServiceState
}{
	"start": {1056, StateStartPending, StateRunning},
	"stop":  {1062, StateStopPending, StateStopped},
}

// ConfigureService sets name's startup type to t (unless t is "") and then
// sends it the control verb ("start", "stop"; "" for none), as
// StartService and StopService do, in one command line:
//
//	sc config NAME start= demand && sc stop NAME
//
// The startup type goes first (a service being started must not be
// disabled; the KB sets the cluster service to manual with stopping it).
// sc stops at the first failure, and the output tells which failed: sc
// config prints `[SC] ChangeServiceConfig SUCCESS` when it succeeded.
func (n *Node) ConfigureService(ctx context.Context, name string, t StartType, verb string) error {
	q, err := Quote(name)
	if err != nil {
		return fmt.Errorf("service name: %w", err)
	}
	var lines, steps []string
	var cfgLine, cfgStep string
	if t != "" {
		arg, ok := scStartArg[t]
		if !ok {
			return fmt.Errorf("startup type %q cannot be set (use %s, %s or %s)", t, StartAutomatic, StartManual, StartDisabled)
		}
		cfgLine = "sc config " + q + " start= " + arg
		cfgStep = fmt.Sprintf("set the startup type of %s to %s", serviceWords(name), strings.ToLower(string(t)))
		lines, steps = append(lines, cfgLine), append(steps, cfgStep)
	}
	c, control := scControls[verb]
	line, step := "sc "+verb+" "+q, verb+" "+serviceWords(name)
	if control {
		lines, steps = append(lines, line), append(steps, step)
	}
	if len(lines) == 0 {
		return nil
	}
	res, err := n.R.Run(ctx, strings.Join(lines, " && "), false)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", n.R.Node(), strings.Join(steps, ", then "), err)
	}
	if cfgLine != "" && res.ExitCode != 0 && (!control || !strings.Contains(res.Stdout+res.Stderr, "ChangeServiceConfig SUCCESS")) {
		return notFoundAware(n.stepError(cfgStep, cfgLine, res, win32))
	}
	if !control || okCodes(c.already).accepts(res.ExitCode) {
		return nil
	}
	if res.ExitCode == 1061 {
		// 1061 (cannot accept control messages) is what a service in a
		// pending state answers. If it is already on its way, the request
		// is fulfilled; otherwise the 1061 stands.
		if st, qerr := n.QueryService(ctx, name); qerr == nil && (st.State == c.pending || st.State == c.done) {
			return nil
		}
	}
	return notFoundAware(n.stepError(step, line, res, win32))
}

// notFoundAware marks sc's 1060 so callers can errors.Is(err, ErrServiceNotFound).
func notFoundAware(err error) error {
	var se *StepError
	if errors.As(err, &se) && se.ExitCode == 1060 {
		se.Err = ErrServiceNotFound
	}
	return err
}

// WaitForState polls the service (`sc query NAME && sc qc NAME`, one
// command per check, so the state it ends on comes with the configuration),
// backing off to the node's Poll, until the service is in want or ctx ends;
// the error says the state last seen.
func (n *Node) WaitForState(ctx context.Context, name string, want ServiceState) (ServiceStatus, error) {
	return n.waitForState(ctx, name, want, false)
}

// waitForState is WaitForState; controlled tells that the service was just
// sent a start or stop, which no service completes at once (sc returns as
// soon as the control is accepted): the first check comes after the first
// interval rather than straight away, where it would only find the
// service pending.
func (n *Node) waitForState(ctx context.Context, name string, want ServiceState, controlled bool) (ServiceStatus, error) {
	ctx = FreshReads(ctx) // a wait: each poll asks the node
	b := newBackoff(n.Poll)
	var last ServiceStatus
	var lastErr error
	if controlled {
		if err := b.wait(ctx); err != nil {
			return last, fmt.Errorf("%s: %s did not become %s (never seen): %w", n.R.Node(), serviceWords(name), want, ctx.Err())
		}
	}
	for {
		st, err := n.QueryService(ctx, name)
		switch {
		case err != nil:
			lastErr = err
		case !st.Exists:
			lines, _ := serviceLines([]string{name})
			return ServiceStatus{Name: name}, &StepError{Node: n.R.Node(), Step: fmt.Sprintf("wait for %s to be %s", serviceWords(name), want),
				Command: lines[0], ExitCode: 1060, Meaning: win32Meanings[1060], Err: ErrServiceNotFound}
		case st.State == want:
			return st, nil
		default:
			last, lastErr = st, nil
		}
		if err := b.wait(ctx); err != nil {
			seen := "never seen"
			if last.State != "" {
				seen = "last seen " + string(last.State)
			}
			if lastErr != nil {
				seen += "; last query failed: " + lastErr.Error()
			}
			return last, fmt.Errorf("%s: %s did not become %s (%s): %w", n.R.Node(), serviceWords(name), want, seen, ctx.Err())
		}
	}
}

// --- sc's output ---

var scFieldRe = regexp.MustCompile(`^\s*([A-Z_0-9]+)\s*:\s*(.*?)\s*$`)

// scFields reads sc's `KEY : value` lines. Continuation lines (the state's
// flags in parentheses) have no key and are skipped.
func scFields(out string) map[string]string {
	f := map[string]string{}
	for _, l := range splitLines(out) {
		if m := scFieldRe.FindStringSubmatch(l); m != nil {
			if _, seen := f[m[1]]; !seen {
				f[m[1]] = m[2]
			}
		}
	}
	return f
}

// scFailure finds sc's `[SC] Xxx FAILED N:` line; 1060 maps to ErrServiceNotFound.
func scFailure(out string) error {
	m := scFailedRe.FindStringSubmatch(out)
	if m == nil {
		return nil
	}
	if m[1] == "1060" {
		return ErrServiceNotFound
	}
	code, _ := strconv.Atoi(m[1])
	if meaning := win32Meanings[code]; meaning != "" {
		return fmt.Errorf("sc failed with %d: %s", code, meaning)
	}
	return fmt.Errorf("sc failed with %d", code)
}

// leadingCode reads the number that starts sc's values such as `4  RUNNING`.
func leadingCode(v string) (int, bool) {
	fields := strings.Fields(v)
	if len(fields) == 0 {
		return 0, false
	}
	n, err := strconv.Atoi(fields[0])
	return n, err == nil
}

// scCoded reads sc's output: the SERVICE_NAME and the leading code of key
// (STATE, START_TYPE), after sc's own failure line if any.
func scCoded(out, key string) (name string, code int, f map[string]string, err error) {
	if err := scFailure(out); err != nil {
		return "", 0, nil, err
	}
	f = scFields(out)
	name, ok := f["SERVICE_NAME"]
	if !ok {
		return "", 0, nil, errors.New("no SERVICE_NAME line")
	}
	if code, ok = leadingCode(f[key]); !ok {
		return "", 0, nil, fmt.Errorf("no %s line", key)
	}
	return name, code, f, nil
}

// ParseSCQuery reads `sc query NAME`: SERVICE_NAME and STATE.
func ParseSCQuery(out string) (ServiceStatus, error) {
	name, code, f, err := scCoded(out, "STATE")
	if err != nil {
		return ServiceStatus{}, err
	}
	state, ok := stateByCode[code]
	if !ok {
		return ServiceStatus{}, fmt.Errorf("unknown service state %d", code)
	}
	exit, _ := leadingCode(f["WIN32_EXIT_CODE"]) // absent or unreadable: 0
	return ServiceStatus{Name: name, State: state, Exists: true, ExitCode: exit}, nil
}

// ParseSCQC reads `sc qc NAME`: SERVICE_NAME, START_TYPE and DISPLAY_NAME.
func ParseSCQC(out string) (ServiceStatus, error) {
	name, code, f, err := scCoded(out, "START_TYPE")
	if err != nil {
		return ServiceStatus{}, err
	}
	st, ok := startTypeByCode[code]
	if !ok {
		return ServiceStatus{}, fmt.Errorf("unknown start type %d", code)
	}
	return ServiceStatus{Name: name, DisplayName: f["DISPLAY_NAME"], StartType: st, Exists: true}, nil
}
