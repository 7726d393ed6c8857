package nodeops

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// InstallSpec is what mscs_optionpack_install declares.
type InstallSpec struct {
	Method          string   // minimal | typical | custom
	Components      []string // for custom: every component to install (setup adds nothing the node doesn't list)
	ServicePack     string   // "4", "5", "6", "6a"; re-applied after setup when >= 4; "" = not checked
	SetupPath       string   // e.g. C:\NTOPTPAK\EN\X86\WINNT.SRV\setup.exe
	ServicePackPath string   // e.g. C:\SP4\I386\UPDATE\update.exe
	RebootTimeout   time.Duration
	// Record is what a finished install records on the node for a later
	// import (see InstallRecord): settings no registry value holds.
	Record InstallRecord
	// AllowOutage lets the run stop the cluster service of the only node
	// that is Up, taking its groups offline; without it that is refused.
	AllowOutage bool
	// LockMaxAge is the longest a run holds the node's lock (the caller's
	// time limit); an older lock is stale. 0 means 2 h.
	LockMaxAge time.Duration
	// Reinstall is ReinstallWhenNeeded ("" too: an install identical to
	// the working node's and healthy is adopted, see AdoptInstall) or
	// ReinstallAlways (the KB's reinstall whatever the node has).
	Reinstall string
	// WorkingNode names the template node in the plan's words ("as NODE1
	// has it"); the provider checks the template itself (safety rule 3).
	WorkingNode string
	// Adopt: the plan adopted the install present (AdoptInstall), so the
	// run checks, read-only, that it still may and changes nothing; a node
	// that changed since is an error, never a reinstall the plan did not show.
	Adopt bool
}

var (
	componentNameRe = regexp.MustCompile(`^[A-Za-z0-9_]+$`)
	servicePacks    = map[string]int{"3": 3, "4": 4, "5": 5, "6": 6, "6a": 6}
	// ServicePackLevels are the NT 4.0 service packs the Option Pack runs
	// on (SP3 or later), as service_pack names them.
	ServicePackLevels = []string{"3", "4", "5", "6", "6a"}
)

// ReappliesServicePack reports whether the KB re-applies service pack level
// after Option Pack setup and Remove All: SP4 and later.
func ReappliesServicePack(level string) bool { return servicePacks[strings.ToLower(level)] >= 4 }

// Validate checks the spec without touching a node (plan time): the method,
// the components (known names; a list only for custom), the service pack
// level, and that both paths can be put on a command line.
func (s InstallSpec) Validate() error {
	_, err := s.WantComponents()
	if err != nil {
		return err
	}
	if _, ok := servicePacks[strings.ToLower(s.ServicePack)]; !ok && s.ServicePack != "" {
		return fmt.Errorf("service pack %q is not one of 3, 4, 5, 6, 6a", s.ServicePack)
	}
	if s.SetupPath == "" {
		return errors.New("setup_path is empty")
	}
	if err := ValidateArg(s.SetupPath); err != nil {
		return fmt.Errorf("setup_path: %w", err)
	}
	if s.reapplySP() {
		if s.ServicePackPath == "" {
			return fmt.Errorf("service pack %s is re-applied after setup: service_pack_path is empty", s.ServicePack)
		}
		if err := ValidateArg(s.ServicePackPath); err != nil {
			return fmt.Errorf("service_pack_path: %w", err)
		}
	}
	return nil
}

// WantComponents is the component set the install must end with: the
// method's fixed set, or the custom list (lower-case, sorted).
func (s InstallSpec) WantComponents() ([]string, error) {
	if !strings.EqualFold(s.Method, MethodCustom) {
		if _, err := MethodComponents(s.Method); err != nil {
			return nil, err
		}
		if len(s.Components) > 0 {
			return nil, fmt.Errorf("components are only given with install method custom (%s has a fixed set)", s.Method)
		}
		return MethodComponents(s.Method)
	}
	if len(s.Components) == 0 {
		return nil, errors.New("install method custom needs at least one component")
	}
	for _, c := range s.Components {
		if !componentNameRe.MatchString(c) || !known(c) {
			return nil, fmt.Errorf("component %q is not one Option Pack setup knows (%s)", c, strings.Join(KnownComponents, ", "))
		}
	}
	return normalizeComponents(s.Components), nil
}

// known tells a component Option Pack setup knows, in any case.
func known(c string) bool {
	return slices.ContainsFunc(KnownComponents, func(k string) bool { return strings.EqualFold(k, c) })
}

// reapplySP: the KB re-applies Service Pack 4 or later after setup.
func (s InstallSpec) reapplySP() bool { return ReappliesServicePack(s.ServicePack) }

// phaseSpec is what a journal is written for: the goal and the method,
// components and service pack level (not the paths or timeouts, which may
// change between runs without changing what is done).
func (s InstallSpec) phaseSpec(goal string) string {
	comps, _ := s.WantComponents()
	return goal + "|" + strings.ToLower(s.Method) + "|" + strings.Join(comps, ",") + "|" + strings.ToLower(s.ServicePack)
}

// optionPackPhase names the Option Pack's journal and lock.
var optionPackPhase = Phase{Name: "optionpack", Words: "install"}

// Steps of the KB's sequence, as the journal names them.
const (
	stepRemoveAll         = "removeall"
	stepRemoveAllReboot   = "removeall-reboot"
	stepRemoveAllSP       = "removeall-sp"
	stepRemoveAllSPReboot = "removeall-sp-reboot"
	stepSetup             = "setup"
	stepSetupReboot       = "setup-reboot"
	stepSP                = "sp"
	stepSPReboot          = "sp-reboot"
	stepRecord            = "record" // not a journal step: the record written after verify
)

var (
	installSteps = []string{stepRemoveAll, stepRemoveAllReboot, stepRemoveAllSP, stepRemoveAllSPReboot,
		stepSetup, stepSetupReboot, stepSP, stepSPReboot, stepDone}
	removeSteps = []string{stepRemoveAll, stepRemoveAllReboot, stepRemoveAllSP, stepRemoveAllSPReboot, stepDone}
)

// stepWords is each step as progress and errors word it.
var stepWords = map[string]string{
	stepRemoveAll:         "Remove All of the Option Pack present on the node",
	stepRemoveAllReboot:   "reboot after Remove All",
	stepRemoveAllSP:       "re-apply the service pack after Remove All",
	stepRemoveAllSPReboot: "reboot after re-applying the service pack",
	stepSetup:             "install the Option Pack",
	stepSetupReboot:       "reboot after Option Pack setup",
	stepSP:                "re-apply the service pack after Option Pack setup",
	stepSPReboot:          "reboot after re-applying the service pack",
	stepDone:              "verify the Option Pack install",
	stepRecord:            "record the install for a later import",
}

// InstallFacts are what a plan reads, read-only, about a node before an
// install: the cluster service, the Option Pack, and the journal of the last
// run. PlanInstallSteps turns them into the steps the install will run.
type InstallFacts struct {
	ClusterService ServiceStatus
	OptionPack     OptionPack
	// JournalStep is the last step of an unfinished run of the same spec
	// ("start" when it recorded none yet), "" when the install starts over.
	JournalStep string
	// Unfinished: the journal holds an unfinished run, of any spec.
	Unfinished bool
	// Finished: the journal's last run is one of the same spec that reached
	// its verified end (the service pack re-applied after its setup).
	Finished bool
	// IIS are the IIS services (IISADMIN, W3SVC, MSFTPSVC) as the node has
	// them; ServicePack is its level ("4", "6a"; "" for none).
	IIS         []ServiceStatus
	ServicePack string
}

// iisServiceNames are the services an Option Pack install may run, in the
// order ReadInstallFacts reads them.
var iisServiceNames = []string{"IISADMIN", "W3SVC", "MSFTPSVC"}

// ReadInstallFacts reads the facts PlanInstallSteps needs. It only reads.
func (n *Node) ReadInstallFacts(ctx context.Context, spec InstallSpec) (InstallFacts, error) {
	var f InstallFacts
	r, journal, err := n.readNodeAndJournal(ctx, "read the cluster service, the Option Pack state and its journal",
		optionPackPhase, append([]string{ClusterService}, iisServiceNames...))
	if err != nil {
		return f, err
	}
	f.ClusterService, f.OptionPack, f.IIS, f.ServicePack = r.services[0], r.op, r.services[1:], r.os.servicePack
	f.Unfinished = journal.Unfinished
	f.Finished = !journal.Unfinished && journal.Step == stepDone && journal.hash == specHash(spec.phaseSpec("install"))
	if journal.Resumes(spec.phaseSpec("install")) {
		f.JournalStep = journal.Step
	}
	return f, nil
}

// ErrInstallUnfinished is a refused start of the cluster service on a node
// whose Option Pack run did not finish.
var ErrInstallUnfinished = errors.New("the Option Pack install on the node is unfinished")

// ReadyToJoin checks, read-only, that the node's cluster service may start:
// no Option Pack run left unfinished (setup done, the service pack re-apply
// after it maybe not: safety rule 4) and no change waiting for a reboot.
func (n *Node) ReadyToJoin(ctx context.Context) error {
	const step = "check that the Option Pack install is finished"
	r, journal, err := n.readNodeAndJournal(ctx, step, optionPackPhase, nil)
	if err != nil {
		return err
	}
	op := r.op
	if journal.Unfinished {
		return &StepError{Node: n.R.Node(), Step: step, Err: ErrInstallUnfinished, Meaning: fmt.Sprintf(
			"an Option Pack run stopped after its step %q: starting the cluster service before the install and the "+
				"service pack re-apply finish breaks safety rule 4. Apply mscs_optionpack_install first: it resumes the run", journal.Step)}
	}
	if op.PendingReboot {
		return &StepError{Node: n.R.Node(), Step: step, Err: ErrInstallUnfinished, Meaning: "a change of setup or a " +
			"service pack waits for a reboot: the cluster service is only started after it"}
	}
	return nil
}

// OptionPackJournal reads the journal of the Option Pack runs on the node.
// It only reads. The journal does not say which goal wrote it (the hash
// covers it), so Unfinished is true for any last step but done.
func (n *Node) OptionPackJournal(ctx context.Context) (JournalState, error) {
	return n.Journal(ctx, optionPackPhase)
}

// --- the install record ---

// InstallRecord is what a finished install leaves on the node for a later
// import, since no registry value says it: the caller's settings by name
// (paths, the working node, timeouts), in %SystemRoot%\mscs-optionpack.ini,
// written after the install verified. Names are lower-case words with '_'
// and '.'.
type InstallRecord map[string]string

const recordFile = "mscs-optionpack.ini"

var recordKeyRe = regexp.MustCompile(`^[a-z][a-z0-9_.]*$`)

// ReadInstallRecord reads the record of the last finished install; nil when
// there is none. It only reads.
func (n *Node) ReadInstallRecord(ctx context.Context) (InstallRecord, error) {
	sysRoot, err := n.systemRoot(ctx)
	if err != nil {
		return nil, err
	}
	out, err := n.readFile(ctx, "read the install record", sysRoot+`\`+recordFile)
	if err != nil {
		return nil, err
	}
	return ParseInstallRecord(out), nil
}

// ParseInstallRecord reads the record's name=value lines (echo leaves a
// blank before the line end, which is trimmed); nil without its header.
func ParseInstallRecord(out string) InstallRecord {
	var rec InstallRecord
	for _, l := range splitLines(out) {
		l = strings.TrimSpace(l)
		if strings.EqualFold(l, "[Install]") {
			rec = InstallRecord{}
			continue
		}
		if k, v, ok := strings.Cut(l, "="); ok && rec != nil && recordKeyRe.MatchString(strings.TrimSpace(k)) {
			rec[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return rec
}
