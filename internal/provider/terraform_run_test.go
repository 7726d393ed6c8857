package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-exec/tfexec"
	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/mscs-ops/terraform-provider-mscs/internal/labtest"
	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// servedProvider is the provider served in the test's process, which
// terraform, run by the test itself, attaches to; it keeps every cluster
// the provider configures, for the benchmarks' counters and so that a
// command's clusters can be closed when it ends.
type servedProvider struct {
	attach   *tfexec.ReattachOption
	tfPath   string
	mu       sync.Mutex
	clusters []*cluster
	ended    int // clusters[:ended] belong to commands that have ended
}

// serveProvider serves p until the test ends, taking over its onConfigure
// hook. It answers for both
// addresses a configuration may name it by: `mscs-ops/mscs` (what the
// examples require) and the implicit `hashicorp/mscs`, at the registry host
// the client resolves them to, which OpenTofu's is not Terraform's
// (TF_ACC_PROVIDER_HOST, as the acceptance tests take it).
func serveProvider(tb testing.TB, p *mscsProvider) *servedProvider {
	tb.Helper()
	tfPath := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tfPath == "" {
		var err error
		if tfPath, err = exec.LookPath("terraform"); err != nil {
			tb.Fatalf("terraform not found on PATH nor in TF_ACC_TERRAFORM_PATH: %v", err)
		}
	}
	sp := &servedProvider{tfPath: tfPath}
	p.onConfigure = func(c *cluster) {
		sp.mu.Lock()
		sp.clusters = append(sp.clusters, c)
		sp.mu.Unlock()
	}
	host := os.Getenv("TF_ACC_PROVIDER_HOST")
	if host == "" {
		host = "registry.terraform.io"
	}
	addr := host + "/mscs-ops/mscs"
	serveCtx, stop := context.WithCancel(context.Background())
	reattach := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	go func() {
		err := tf6server.Serve(addr, providerserver.NewProtocol6(p),
			tf6server.WithDebug(serveCtx, reattach, closed), tf6server.WithLoggingSink(loggingSink{tb}),
			tf6server.WithGoPluginLogger(hclog.NewNullLogger()))
		if err != nil {
			tb.Error(err)
		}
	}()
	rc := <-reattach
	tb.Cleanup(func() { stop(); <-closed; sp.endCommand() })
	cfg := tfexec.ReattachConfig{
		Protocol: string(rc.Protocol), ProtocolVersion: rc.ProtocolVersion, Pid: rc.Pid, Test: rc.Test,
		Addr: tfexec.ReattachConfigAddr{Network: rc.Addr.Network(), String: rc.Addr.String()},
	}
	sp.attach = tfexec.Reattach(tfexec.ReattachInfo{addr: cfg, host + "/hashicorp/mscs": cfg})
	return sp
}

// loggingSink lets any test or benchmark be the provider's logging sink,
// which then follows TF_LOG like an acceptance test does (silent by
// default).
type loggingSink struct{ testing.TB }

func (loggingSink) Parallel() {}

func (sp *servedProvider) stats() winrm.Stats {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	var s winrm.Stats
	for _, c := range sp.clusters {
		s = s.Add(c.Stats())
	}
	return s
}

// endCommand closes the clusters the commands run so far configured, as
// their provider processes' ends would (main's Shutdown deletes their
// shells), so that a test of many commands stays within the nodes'
// MaxShellsPerUser as Terraform does.
func (sp *servedProvider) endCommand() {
	sp.mu.Lock()
	ended := sp.clusters[sp.ended:]
	sp.ended = len(sp.clusters)
	sp.mu.Unlock()
	for _, c := range ended {
		c.close(context.Background())
	}
}

// terraformRun is runTestCase's engine: terraform, run through
// terraform-exec in one working directory, against a provider served in
// the test's process. A step is a saved plan and its apply, each a command
// (a provider process) of its own as in resource.Test, with the plan
// shown only for PreApply checks and the state only for a state check
// that reads it; then a plan without refresh and one with it, saved and
// shown only for plan checks their exit codes cannot answer. That is 4
// commands for most steps, where resource.Test runs 7 or 8 (a `show`
// after each plan and of the state, init again when the step names its
// providers), and per case a destroy, where resource.Test also runs init,
// version twice and a show. An import step is the import and, to verify
// it, a show of each state: resource.Test also inits its working
// directory and shows the state before. Starting terraform was most of
// `make test`'s CPU (issue 27).
//
// No working directory is initialised: a configuration here names only
// the provider served in the test's process (runTestCase refuses others),
// and terraform neither installs nor locks a provider it is given through
// TF_REATTACH_PROVIDERS, so init would only cost a command, and the
// version command terraform-exec runs before it. Terraform 1.5.7 (what
// `make terraform` builds), 1.11 and OpenTofu 1.10 plan, apply, import
// and destroy without it.
type terraformRun struct {
	t  *testing.T
	sp *servedProvider
	tf *tfexec.Terraform
	// stepNumber is the step's (from 1), for ConfigDirectory's functions.
	stepNumber int
	// files is the configuration useStep wrote last, by file name.
	files map[string][]byte
}

// newTerraformRun serves p (nil: testProvider(os.Getenv)) for a run.
func newTerraformRun(t *testing.T, p *mscsProvider) *terraformRun {
	t.Helper()
	if p == nil {
		p = testProvider(os.Getenv)
	}
	sp := serveProvider(t, p)
	return &terraformRun{t: t, sp: sp, tf: sp.terraformIn(t, t.TempDir())}
}

// terraformIn is terraform run in dir, writing terraform's own log as
// resource.Test does: TF_LOG_PATH_MASK (per test) over TF_ACC_LOG_PATH,
// at TF_ACC_LOG's level.
func (sp *servedProvider) terraformIn(t *testing.T, dir string) *tfexec.Terraform {
	t.Helper()
	tf, err := tfexec.NewTerraform(dir, sp.tfPath)
	if err != nil {
		t.Fatal(err)
	}
	logPath := os.Getenv("TF_ACC_LOG_PATH")
	if mask := os.Getenv("TF_LOG_PATH_MASK"); mask != "" {
		logPath = fmt.Sprintf(mask, strings.ReplaceAll(t.Name(), "/", "__"))
	}
	if logPath != "" {
		if err := tf.SetLogPath(logPath); err != nil {
			t.Fatal(err)
		}
		if level := os.Getenv("TF_ACC_LOG"); level != "" {
			if err := tf.SetLog(level); err != nil {
				t.Fatal(err)
			}
		}
	}
	return tf
}

// command runs one terraform command, then ends it as its provider
// process's end would.
func (r *terraformRun) command(run func() error) error {
	err := run()
	r.sp.endCommand()
	return err
}

// checkAll runs every check and joins their errors.
func checkAll[C any](checks []C, check func(C) error) error {
	var errs []error
	for _, c := range checks {
		errs = append(errs, check(c))
	}
	return errors.Join(errs...)
}

// useStep makes the step's configuration the working directory's, as
// resource.Test does: its Config as main.tf, or its ConfigDirectory's
// files; its ConfigVariables in the file plugin-testing writes them to.
func (r *terraformRun) useStep(step resource.TestStep) {
	r.t.Helper()
	// The previous step's files go, the state (terraform.tfstate) stays.
	for name := range r.files {
		if err := os.Remove(filepath.Join(r.tf.WorkingDir(), name)); err != nil {
			r.t.Fatal(err)
		}
	}
	r.files = r.stepFiles(step)
	writeFiles(r.t, r.tf.WorkingDir(), r.files)
}

// varsFile is where plugin-testing writes a step's ConfigVariables.
const varsFile = "terraform-plugin-testing.auto.tfvars.json"

// stepFiles is the configuration of step, by file name.
func (r *terraformRun) stepFiles(step resource.TestStep) map[string][]byte {
	r.t.Helper()
	files := map[string][]byte{"main.tf": []byte(step.Config)}
	if step.ConfigDirectory != nil {
		dir := step.ConfigDirectory(config.TestStepConfigRequest{StepNumber: r.stepNumber, TestName: r.t.Name()})
		entries, err := os.ReadDir(dir)
		if err != nil {
			r.t.Fatal(err)
		}
		files = map[string][]byte{}
		for _, e := range entries {
			if !e.Type().IsRegular() {
				continue
			}
			if files[e.Name()], err = os.ReadFile(filepath.Join(dir, e.Name())); err != nil {
				r.t.Fatal(err)
			}
		}
	}
	if len(step.ConfigVariables) > 0 {
		var err error
		if files[varsFile], err = json.Marshal(step.ConfigVariables); err != nil {
			r.t.Fatal(err)
		}
	}
	return files
}

// writeFiles writes a configuration (stepFiles') into dir.
func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// destroy runs terraform destroy as resource.Test does at a case's end
// (without refresh): the resources' deletes must succeed after what the
// test applied.
func (r *terraformRun) destroy() error {
	return r.command(func() error { return r.tf.Destroy(context.Background(), r.sp.attach, tfexec.Refresh(false)) })
}

// runTestCase runs tc as resource.Test would, through terraformRun, for the
// test cases that use no more of a TestCase than it handles: steps of
// Config, or a static ConfigDirectory with ConfigVariables; PreConfig;
// Taint; ExpectError; PlanOnly; ExpectNonEmptyPlan; ConfigPlanChecks;
// ConfigStateChecks; import steps by ResourceName and ImportStateId, with
// ImportStateVerify and ImportStateVerifyIgnore (see importStep);
// testAccProtoV6ProviderFactories, at the case's level or the steps';
// CheckDestroy (given no state); IsUnitTest (resource.UnitTest: it runs
// without TF_ACC too). A field it does not handle
// fails the test, naming it, rather than go unchecked. Like resource.Test
// it destroys what the steps left in state at the end, also when a step
// failed.
func runTestCase(t *testing.T, tc resource.TestCase) {
	t.Helper()
	runTestCaseOf(t, nil, tc)
}

// runTestCaseOf is runTestCase serving p (see newTerraformRun) in place
// of testAccProtoV6ProviderFactories' provider, for steps that name those
// factories or none.
func runTestCaseOf(t *testing.T, p *mscsProvider, tc resource.TestCase) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" && !tc.IsUnitTest {
		t.Skip("runs terraform: set TF_ACC=1 (make test does)")
	}
	refuseFields(t, "TestCase", tc, "Steps", "ProtoV6ProviderFactories", "CheckDestroy", "IsUnitTest")
	for i, step := range tc.Steps {
		handled := []string{"PreConfig", "Config", "ConfigDirectory", "ConfigVariables", "ProtoV6ProviderFactories", "ExpectError"}
		if step.ImportState {
			handled = append(handled, "ImportState", "ResourceName", "ImportStateId", "ImportStateVerify", "ImportStateVerifyIgnore")
			if step.ResourceName == "" || step.ImportStateId == "" || i == 0 && step.Config == "" && step.ConfigDirectory == nil {
				t.Fatalf("step %d: runTestCase imports by ResourceName and ImportStateId, with a configuration", i+1)
			}
		} else {
			handled = append(handled, "PlanOnly", "ExpectNonEmptyPlan", "ConfigPlanChecks", "ConfigStateChecks", "Taint")
		}
		refuseFields(t, fmt.Sprintf("step %d", i+1), step, handled...)
		factories := step.ProtoV6ProviderFactories
		if factories == nil {
			factories = tc.ProtoV6ProviderFactories
		}
		if factories != nil && reflect.ValueOf(factories).Pointer() != reflect.ValueOf(testAccProtoV6ProviderFactories).Pointer() {
			t.Fatalf("step %d: runTestCase serves testProvider; this step names other providers: use resource.Test", i+1)
		}
	}
	run := newTerraformRun(t, p)
	defer func() {
		if has, err := run.hasResources(); err != nil || !has {
			if err != nil {
				t.Errorf("before the destroy at the end: %v", err)
			}
			return
		}
		if err := run.destroy(); err != nil {
			t.Errorf("terraform destroy at the end: %v", err)
			return
		}
		// resource.Test passes the state before the destroy; the checks
		// here read the lab, not their argument.
		if tc.CheckDestroy != nil {
			if err := tc.CheckDestroy(nil); err != nil {
				t.Errorf("CheckDestroy: %v", err)
			}
		}
	}()
	for i, step := range tc.Steps {
		run.stepNumber = i + 1
		if step.PreConfig != nil {
			step.PreConfig()
		}
		var err error
		if step.ImportState {
			err = run.importStep(step)
		} else {
			for _, addr := range step.Taint {
				if err := run.command(func() error { return run.tf.Taint(context.Background(), addr) }); err != nil {
					t.Fatalf("step %d/%d: tainting %s: %v", i+1, len(tc.Steps), addr, err)
				}
			}
			run.useStep(step)
			err = run.step(step)
		}
		switch {
		case step.ExpectError == nil && err != nil:
			t.Fatalf("step %d/%d: %v", i+1, len(tc.Steps), err)
		case step.ExpectError != nil && err == nil:
			t.Fatalf("step %d/%d: expected an error matching %s, got none", i+1, len(tc.Steps), step.ExpectError)
		case step.ExpectError != nil && !step.ExpectError.MatchString(err.Error()):
			t.Fatalf("step %d/%d: expected an error matching %s, got: %v", i+1, len(tc.Steps), step.ExpectError, err)
		}
	}
}

// refuseFields fails the test if v (a TestCase or TestStep) sets a field
// other than those named.
func refuseFields(t *testing.T, what string, v any, handled ...string) {
	t.Helper()
	rv := reflect.ValueOf(v)
	for i := range rv.NumField() {
		name := rv.Type().Field(i).Name
		if !rv.Field(i).IsZero() && !slices.Contains(handled, name) {
			t.Fatalf("%s sets %s, which runTestCase does not handle: use resource.Test", what, name)
		}
	}
}

// step runs a TestStep's commands after its configuration is in place:
// unless PlanOnly, the apply (of the plan PreApply checks, when there are
// some) and the state checks; then the plan without refresh and the one
// with it, each run through its plan checks and required empty (unless
// ExpectNonEmptyPlan, which requires the second not to be). An error is
// returned, for ExpectError to match, not reported.
func (r *terraformRun) step(step resource.TestStep) error {
	r.t.Helper()
	ctx := context.Background()
	if !step.PlanOnly {
		if err := r.apply(ctx, step.ConfigPlanChecks.PreApply); err != nil {
			return err
		}
		if err := r.stateChecks(ctx, step.ConfigStateChecks); err != nil {
			return err
		}
	}
	for _, refresh := range []bool{false, true} {
		checks := step.ConfigPlanChecks.PostApplyPreRefresh
		if refresh {
			checks = step.ConfigPlanChecks.PostApplyPostRefresh
		}
		empty, err := r.plan(ctx, refresh, checks, step.ExpectNonEmptyPlan)
		if err != nil {
			return err
		}
		switch {
		case !empty && !step.ExpectNonEmptyPlan:
			return fmt.Errorf("after this step, the plan (refresh=%t) is not empty", refresh)
		case refresh && empty && step.ExpectNonEmptyPlan:
			return errors.New("expected a non-empty plan, but got an empty refresh plan")
		}
	}
	return nil
}

// importStep runs an import step as resource.Test does by default (the
// import command): in a working directory of its own, with the step's
// configuration or else the previous step's (the step's variables
// either way), `terraform import` of ResourceName by ImportStateId. With
// ImportStateVerify, each resource imported must hold what the case's
// state holds for the resource of its type and id, but for the
// attributes under ImportStateVerifyIgnore's prefixes, and timeouts.
// An error is returned, for ExpectError to match, not reported.
func (r *terraformRun) importStep(step resource.TestStep) error {
	r.t.Helper()
	ctx := context.Background()
	files := r.stepFiles(step)
	if step.Config == "" && step.ConfigDirectory == nil {
		vars, ok := files[varsFile]
		files = maps.Clone(r.files)
		delete(files, varsFile)
		if ok {
			files[varsFile] = vars
		}
	}
	dir := r.t.TempDir()
	writeFiles(r.t, dir, files)
	if err := r.command(func() error {
		return r.sp.terraformIn(r.t, dir).Import(ctx, step.ResourceName, step.ImportStateId, r.sp.attach)
	}); err != nil {
		return err
	}
	if !step.ImportStateVerify {
		return nil
	}
	var before, imported *tfjson.State
	if err := r.command(func() (err error) { before, err = r.tf.Show(ctx, r.sp.attach); return err }); err != nil {
		return err
	}
	if err := r.command(func() (err error) {
		imported, err = r.tf.ShowStateFile(ctx, filepath.Join(dir, "terraform.tfstate"), r.sp.attach)
		return err
	}); err != nil {
		return err
	}
	return verifyImport(before, imported, step.ImportStateVerifyIgnore)
}

// verifyImport is ImportStateVerify's comparison: each managed resource
// of imported against the resource of before with its type, provider and
// id, attribute by attribute in the flatmap form resource.Test compares.
func verifyImport(before, imported *tfjson.State, ignore []string) error {
	managed := func(s *tfjson.State) []*tfjson.StateResource {
		return slices.DeleteFunc(slices.Clone(rootResources(s)), func(r *tfjson.StateResource) bool {
			return r.Mode != tfjson.ManagedResourceMode
		})
	}
	kept := func(values map[string]any) map[string]string {
		flat := flatAttributes(values)
		maps.DeleteFunc(flat, func(k, v string) bool {
			empty := (strings.HasSuffix(k, ".#") || strings.HasSuffix(k, ".%")) && v == "0"
			return empty || k == "timeouts" || strings.HasPrefix(k, "timeouts.") ||
				slices.ContainsFunc(ignore, func(prefix string) bool { return strings.HasPrefix(k, prefix) })
		})
		return flat
	}
	imports, olds := managed(imported), managed(before)
	if len(imports) == 0 {
		return errors.New("ImportStateVerify: the import left no resource in state")
	}
	for _, r := range imports {
		id, ok := r.AttributeValues["id"]
		if !ok {
			return fmt.Errorf("ImportStateVerify: the imported %s has no id", r.Address)
		}
		i := slices.IndexFunc(olds, func(o *tfjson.StateResource) bool {
			return o.Type == r.Type && o.ProviderName == r.ProviderName && o.AttributeValues["id"] == id
		})
		if i < 0 {
			return fmt.Errorf("ImportStateVerify: no %s with id %v in the state before the import", r.Type, id)
		}
		want, got := kept(olds[i].AttributeValues), kept(r.AttributeValues)
		if !maps.Equal(want, got) {
			var diff []string
			for _, k := range slices.Sorted(maps.Keys(want)) {
				if g, ok := got[k]; !ok || g != want[k] {
					diff = append(diff, fmt.Sprintf("- %s = %q", k, want[k]))
				}
			}
			for _, k := range slices.Sorted(maps.Keys(got)) {
				if w, ok := want[k]; !ok || w != got[k] {
					diff = append(diff, fmt.Sprintf("+ %s = %q", k, got[k]))
				}
			}
			return fmt.Errorf("ImportStateVerify: %s: the attributes differ (- before the import, + imported):\n%s", r.Address, strings.Join(diff, "\n"))
		}
	}
	return nil
}

// rootResources is the resources and data sources of the state's root
// module (none when the state holds none).
func rootResources(s *tfjson.State) []*tfjson.StateResource {
	if s == nil || s.Values == nil || s.Values.RootModule == nil {
		return nil
	}
	return s.Values.RootModule.Resources
}

// flatAttributes is a resource's values in state as the flatmap keys
// resource.Test's legacy checks and ImportStateVerify read: "name",
// "groups.#" (a list's length), "groups.0.name", "tags.%" (a map's or
// object's size); a null value has no key.
func flatAttributes(values map[string]any) map[string]string {
	flat := map[string]string{}
	var add func(key string, v any)
	add = func(key string, v any) {
		switch v := v.(type) {
		case nil:
		case []any:
			flat[key+".#"] = strconv.Itoa(len(v))
			for i, e := range v {
				add(key+"."+strconv.Itoa(i), e)
			}
		case map[string]any:
			flat[key+".%"] = strconv.Itoa(len(v))
			for k, e := range v {
				add(key+"."+k, e)
			}
		default:
			flat[key] = fmt.Sprint(v)
		}
	}
	for k, v := range values {
		add(k, v)
	}
	return flat
}

// apply saves a plan, runs checks on it (shown only when there are some),
// then applies that plan, as resource.Test does: the apply is a provider
// process of its own, as after `terraform plan -out`.
func (r *terraformRun) apply(ctx context.Context, checks []plancheck.PlanCheck) error {
	if err := r.savePlan(ctx, true); err != nil {
		return err
	}
	if len(checks) > 0 {
		if _, err := r.checkSavedPlan(ctx, "before the apply", checks); err != nil {
			return err
		}
	}
	return r.command(func() error { return r.tf.Apply(ctx, r.sp.attach, tfexec.DirOrPlan(planFile)) })
}

// plan plans (with or without refresh) and says whether the plan is empty,
// running checks on it. The plan is saved and shown only for checks the
// exit code cannot answer: plancheck.ExpectEmptyPlan it answers, unless
// the step expects the refresh plan not to be empty (ExpectNonEmptyPlan),
// when an ExpectEmptyPlan may still be the other plan's.
func (r *terraformRun) plan(ctx context.Context, refresh bool, checks []plancheck.PlanCheck, expectNonEmpty bool) (empty bool, err error) {
	if !expectNonEmpty {
		checks = slices.DeleteFunc(slices.Clone(checks), func(c plancheck.PlanCheck) bool {
			return reflect.TypeOf(c) == reflect.TypeOf(plancheck.ExpectEmptyPlan())
		})
	}
	if len(checks) == 0 {
		var changes bool
		err := r.command(func() (err error) {
			changes, err = r.tf.Plan(ctx, r.sp.attach, tfexec.Refresh(refresh))
			return err
		})
		return !changes, err
	}
	if err := r.savePlan(ctx, refresh); err != nil {
		return false, err
	}
	plan, err := r.checkSavedPlan(ctx, fmt.Sprintf("after the apply (refresh=%t)", refresh), checks)
	if err != nil {
		return false, err
	}
	for _, rc := range plan.ResourceChanges {
		if !rc.Change.Actions.NoOp() {
			return false, nil
		}
	}
	for _, oc := range plan.OutputChanges {
		if !oc.Actions.NoOp() {
			return false, nil
		}
	}
	return true, nil
}

// planFile is where savePlan saves a plan, in the working directory.
const planFile = "tfplan"

func (r *terraformRun) savePlan(ctx context.Context, refresh bool) error {
	return r.command(func() error {
		_, err := r.tf.Plan(ctx, r.sp.attach, tfexec.Refresh(refresh), tfexec.Out(planFile))
		return err
	})
}

// checkSavedPlan shows the saved plan and runs checks on it.
func (r *terraformRun) checkSavedPlan(ctx context.Context, which string, checks []plancheck.PlanCheck) (*tfjson.Plan, error) {
	var plan *tfjson.Plan
	if err := r.command(func() (err error) { plan, err = r.tf.ShowPlanFile(ctx, planFile, r.sp.attach); return err }); err != nil {
		return nil, err
	}
	if err := checkAll(checks, func(c plancheck.PlanCheck) error {
		var resp plancheck.CheckPlanResponse
		c.CheckPlan(ctx, plancheck.CheckPlanRequest{Plan: plan}, &resp)
		return resp.Error
	}); err != nil {
		return nil, fmt.Errorf("plan check(s) failed on the plan %s:\n%w", which, err)
	}
	return plan, nil
}

// stateChecks runs checks on the state, shown only when one reads it.
func (r *terraformRun) stateChecks(ctx context.Context, checks []statecheck.StateCheck) error {
	var state *tfjson.State
	if slices.ContainsFunc(checks, labtest.ReadsState) {
		if err := r.command(func() (err error) { state, err = r.tf.Show(ctx, r.sp.attach); return err }); err != nil {
			return err
		}
	}
	if err := checkAll(checks, func(c statecheck.StateCheck) error {
		var resp statecheck.CheckStateResponse
		c.CheckState(ctx, statecheck.CheckStateRequest{State: state}, &resp)
		return resp.Error
	}); err != nil {
		return fmt.Errorf("state check(s) failed:\n%w", err)
	}
	return nil
}

// checkState adapts a check of the state (as `terraform show` gives it) to
// a step's ConfigStateChecks.
type checkState func(*tfjson.State) error

func (f checkState) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = f(req.State)
}

// hasResources says whether the state file holds a resource or a data
// source's read (when resource.Test destroys), read from the file rather
// than by a command.
func (r *terraformRun) hasResources() (bool, error) {
	data, err := os.ReadFile(filepath.Join(r.tf.WorkingDir(), "terraform.tfstate"))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var state struct {
		Resources []json.RawMessage `json:"resources"`
	}
	if err := json.Unmarshal(data, &state); err != nil {
		return false, fmt.Errorf("terraform.tfstate: %w", err)
	}
	return len(state.Resources) > 0, nil
}
