package nodeops

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ErrServiceNotFound is sc's 1060: no service of that name is installed.
var ErrServiceNotFound = errors.New("the specified service does not exist as an installed service")

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
	q, err := Quote(name)
	if err != nil {
		return ServiceStatus{}, fmt.Errorf("service name: %w", err)
	}
	step := "query " + serviceWords(name)
	line := "sc query " + q + " && sc qc " + q
	res, err := n.run(ctx, step, line, true, okCodes(1060))
	if err != nil {
		return ServiceStatus{Name: name}, err
	}
	queryOut, qcOut := splitSCQueryQC(res.Stdout + res.Stderr)
	st, err := ParseSCQuery(queryOut)
	if errors.Is(err, ErrServiceNotFound) {
		return ServiceStatus{Name: name}, nil
	}
	if err != nil {
		return ServiceStatus{Name: name}, n.parseError(step, line, res.Stdout+res.Stderr, err)
	}
	cfg, err := ParseSCQC(qcOut)
	if errors.Is(err, ErrServiceNotFound) { // deleted between the two
		return ServiceStatus{Name: name}, nil
	}
	if err != nil {
		return ServiceStatus{Name: name}, n.parseError(step, line, res.Stdout+res.Stderr, err)
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

// withConfig adds `sc qc NAME`'s startup type and display name to st.
func (n *Node) withConfig(ctx context.Context, name string, st ServiceStatus) (ServiceStatus, error) {
	cfg, found, err := n.scQuery(ctx, name, "qc", ParseSCQC)
	if err != nil || !found {
		return ServiceStatus{Name: name}, err
	}
	st.DisplayName = cfg.DisplayName
	st.StartType = cfg.StartType
	return st, nil
}

// scQuery runs `sc VERB NAME` (query, qc) and parses it; found is false
// for 1060, or a parse that says so: the service is not installed (or was
// deleted between two queries).
func (n *Node) scQuery(ctx context.Context, name, verb string, parse func(string) (ServiceStatus, error)) (st ServiceStatus, found bool, err error) {
	q, err := Quote(name)
	if err != nil {
		return ServiceStatus{}, false, fmt.Errorf("service name: %w", err)
	}
	step := "query " + serviceWords(name)
	line := "sc " + verb + " " + q
	res, err := n.run(ctx, step, line, true, okCodes(1060))
	if err != nil {
		return ServiceStatus{}, false, err
	}
	st, err = parse(res.Stdout + res.Stderr)
	if errors.Is(err, ErrServiceNotFound) {
		return ServiceStatus{}, false, nil
	}
	if err != nil {
		return ServiceStatus{}, false, n.parseError(step, line, res.Stdout, err)
	}
	return st, true, nil
}

func (n *Node) parseError(step, line, out string, err error) error {
	return fmt.Errorf("%s: %s: cannot read the output of `%s`: %w (output: %s)", n.R.Node(), step, line, err, firstLines(out, 4))
}

// SetStartType runs `sc config NAME start= auto|demand|disabled`.
func (n *Node) SetStartType(ctx context.Context, name string, t StartType) error {
	arg, ok := scStartArg[t]
	if !ok {
		return fmt.Errorf("startup type %q cannot be set (use %s, %s or %s)", t, StartAutomatic, StartManual, StartDisabled)
	}
	q, err := Quote(name)
	if err != nil {
		return fmt.Errorf("service name: %w", err)
	}
	line := "sc config " + q + " start= " + arg
	_, err = n.run(ctx, fmt.Sprintf("set the startup type of %s to %s", serviceWords(name), strings.ToLower(string(t))), line, false, win32)
	return notFoundAware(err)
}

// StartService runs `sc start NAME`; a service already running (1056) or
// already starting is success. sc returns once the start is requested:
// WaitForState waits for Running.
func (n *Node) StartService(ctx context.Context, name string) error {
	return n.control(ctx, "start", name, 1056, StateStartPending, StateRunning)
}

// StopService runs `sc stop NAME`; a service not started (1062) or already
// stopping is success. sc returns once the stop is requested: WaitForState
// waits for Stopped.
func (n *Node) StopService(ctx context.Context, name string) error {
	return n.control(ctx, "stop", name, 1062, StateStopPending, StateStopped)
}

func (n *Node) control(ctx context.Context, verb, name string, already int, pending, done ServiceState) error {
	q, err := Quote(name)
	if err != nil {
		return fmt.Errorf("service name: %w", err)
	}
	line := "sc " + verb + " " + q
	_, err = n.run(ctx, verb+" "+serviceWords(name), line, false, okCodes(already))
	var se *StepError
	if errors.As(err, &se) && se.ExitCode == 1061 {
		// 1061 (cannot accept control messages) is what a service in a
		// pending state answers. If it is already on its way, the request
		// is fulfilled; otherwise the 1061 stands.
		if st, qerr := n.QueryService(ctx, name); qerr == nil && (st.State == pending || st.State == done) {
			return nil
		}
	}
	return notFoundAware(err)
}

// notFoundAware marks sc's 1060 so callers can errors.Is(err, ErrServiceNotFound).
func notFoundAware(err error) error {
	var se *StepError
	if errors.As(err, &se) && se.ExitCode == 1060 {
		se.Err = ErrServiceNotFound
	}
	return err
}

// WaitForState polls `sc query` (one command per check), backing off to the
// node's Poll, until the service is in want or ctx ends, then reads its
// configuration once (`sc qc`); the error says the state last seen.
func (n *Node) WaitForState(ctx context.Context, name string, want ServiceState) (ServiceStatus, error) {
	b := newBackoff(n.Poll)
	var last ServiceStatus
	var lastErr error
	q, err := Quote(name)
	if err != nil {
		return last, fmt.Errorf("service name: %w", err)
	}
	for {
		st, found, err := n.scQuery(ctx, name, "query", ParseSCQuery)
		switch {
		case err != nil:
			lastErr = err
		case !found:
			return ServiceStatus{Name: name}, &StepError{Node: n.R.Node(), Step: fmt.Sprintf("wait for %s to be %s", serviceWords(name), want),
				Command: "sc query " + q, ExitCode: 1060, Meaning: win32Meanings[1060], Err: ErrServiceNotFound}
		case st.State == want:
			return n.withConfig(ctx, name, st)
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

var (
	scFieldRe  = regexp.MustCompile(`^\s*([A-Z_0-9]+)\s*:\s*(.*?)\s*$`)
	scFailedRe = regexp.MustCompile(`FAILED (\d+):`)
)

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
