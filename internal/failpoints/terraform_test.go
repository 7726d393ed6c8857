package failpoints

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
)

// The provider binary, built once per test binary into a folder that a
// dev_overrides block names, as `make demo` and `make first-run` run it.
var (
	buildOnce   sync.Once
	providerDir string // made and removed by TestMain
	buildErr    error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mscs-failpoints-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	providerDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func providerBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		out, err := exec.Command("go", "build", "-o", filepath.Join(providerDir, "terraform-provider-mscs"), "../..").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("building the provider: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return providerDir
}

func terraformPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		return p
	}
	p, err := exec.LookPath("terraform")
	if err != nil {
		t.Fatal("no terraform on PATH (make test builds one)")
	}
	return p
}

// Timeouts of examples/recovery that fit the lab, whose reboots take half a
// second: a provider that waits for something that never comes gives up in
// minutes, not in the example's hour. They are the configuration of every
// apply of a point, the failed one and the one after alike.
const (
	rebootTimeout  = "1m"
	installTimeout = "4m"
	// processTimeout bounds one terraform command.
	processTimeout = 6 * time.Minute
)

// workspace is examples/recovery copied into a folder of the test's,
// pointed at an in-process lab, with its own Terraform CLI configuration.
type workspace struct {
	t   *testing.T
	dir string
	tf  string
	env []string
}

func newWorkspace(t *testing.T, l *lab.Lab) *workspace {
	t.Helper()
	bin := providerBinary(t)
	root := t.TempDir()
	dir := filepath.Join(root, "recovery")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "recovery", "*.tf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("examples/recovery: %v (%d files)", err, len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	nodes := map[string]string{}
	for _, n := range l.Nodes() {
		nodes[n.Name] = n.HTTPS
	}
	var urls []string
	sites := l.Sites()
	addrs := make([]string, 0, len(sites))
	for a := range sites {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	for _, a := range addrs {
		urls = append(urls, sites[a]+"/")
	}
	vars, err := json.MarshalIndent(map[string]any{
		"nodes": nodes, "username": l.Username(), "ca_cert_file": l.CAFile(), "web_urls": urls,
		"reboot_timeout": rebootTimeout, "install_timeout": installTimeout,
	}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "terraform.tfvars.json"), vars, 0o600); err != nil {
		t.Fatal(err)
	}
	rc := filepath.Join(root, "terraformrc")
	if err := os.WriteFile(rc, []byte(fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"mscs-ops/mscs\" = %q\n  }\n  direct {}\n}\n", bin)), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "TF_INPUT=0",
		"CHECKPOINT_DISABLE=1", "MSCS_PASSWORD="+l.Password(), "TF_LOG=")
	return &workspace{t: t, dir: dir, tf: terraformPath(t), env: env}
}

// tfRun is one terraform command's outcome.
type tfRun struct {
	exit   int  // -1: killed or timed out
	killed bool // by the test (kill points), not by the timeout
	out    string
	// events are the -json lines of an apply.
	events []tfEvent
}

type tfEvent struct {
	Type       string    `json:"type"`
	Level      string    `json:"@level"`
	Message    string    `json:"@message"`
	Timestamp  time.Time `json:"@timestamp"`
	Diagnostic *struct {
		Severity string `json:"severity"`
		Summary  string `json:"summary"`
		Detail   string `json:"detail"`
	} `json:"diagnostic"`
	Hook *struct {
		Resource struct {
			Addr string `json:"addr"`
		} `json:"resource"`
	} `json:"hook"`
}

// firstError is the first error diagnostic of an apply, on one line.
func (r tfRun) firstError() string {
	for _, e := range r.events {
		if e.Diagnostic != nil && e.Diagnostic.Severity == "error" {
			return oneLine(e.Diagnostic.Summary + ": " + e.Diagnostic.Detail)
		}
	}
	switch {
	case r.killed:
		return "(killed by the test)"
	case r.exit != 0:
		// Not a diagnostic: what terraform printed last that is no event.
		var plain []string
		for _, line := range strings.Split(r.out, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(line), "{") {
				plain = append(plain, line)
			}
		}
		return oneLine(tail(strings.Join(plain, " "), 400))
	}
	return ""
}

// killer kills the process group of a running terraform: terraform and the
// provider plugin it started.
type killer struct {
	mu     sync.Mutex
	pgid   int
	killed bool
}

func (k *killer) kill() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.pgid > 0 && !k.killed {
		k.killed = true
		_ = syscall.Kill(-k.pgid, syscall.SIGKILL)
	}
}

// run runs terraform with args in the workspace, in a process group of its
// own so that k (when given) can kill it with its provider.
func (w *workspace) run(k *killer, args ...string) tfRun {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.t.Context(), processTimeout)
	defer cancel()
	cmd := exec.Command(w.tf, args...)
	cmd.Dir, cmd.Env = w.dir, w.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// The plugin may outlive a killed terraform for a moment, holding the
	// output pipe.
	cmd.WaitDelay = 10 * time.Second
	if k == nil {
		k = &killer{}
	}
	k.mu.Lock()
	err := cmd.Start()
	if err == nil {
		k.pgid = cmd.Process.Pid
	}
	k.mu.Unlock()
	if err != nil {
		w.t.Fatalf("terraform %s: %v", strings.Join(args, " "), err)
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		case <-done:
		}
	}()
	err = cmd.Wait()
	close(done)
	// Whatever the group still holds (a provider whose terraform died),
	// until it is gone: the next run judges a lock left behind by whether
	// its process still exists, and an operator's next run comes after the
	// killed one has gone, not while its plugin is being reaped.
	gone := time.Now().Add(30 * time.Second)
	for syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) == nil && time.Now().Before(gone) {
		time.Sleep(10 * time.Millisecond)
	}
	r := tfRun{out: out.String()}
	k.mu.Lock()
	r.killed = k.killed
	k.mu.Unlock()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		r.exit = ee.ExitCode()
	default:
		r.exit = -1
	}
	if ctx.Err() != nil && !r.killed {
		r.exit = -1
		r.out += fmt.Sprintf("\n[the test killed terraform after %s]", processTimeout)
	}
	sc := bufio.NewScanner(strings.NewReader(r.out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var e tfEvent
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Type != "" {
			r.events = append(r.events, e)
		}
	}
	return r
}

func (w *workspace) apply(k *killer) tfRun {
	return w.run(k, "apply", "-input=false", "-auto-approve", "-json")
}

// plan runs `terraform plan -detailed-exitcode`; for a plan that is not
// empty, what it changes: resources (address and actions) and outputs.
func (w *workspace) plan() (r tfRun, resources, outputs []string) {
	w.t.Helper()
	r = w.run(nil, "plan", "-input=false", "-detailed-exitcode", "-out=after.tfplan")
	if r.exit != 2 {
		return r, nil, nil
	}
	show := w.run(nil, "show", "-json", "after.tfplan")
	var p struct {
		ResourceChanges []struct {
			Address string `json:"address"`
			Change  struct {
				Actions []string `json:"actions"`
			} `json:"change"`
		} `json:"resource_changes"`
		OutputChanges map[string]struct {
			Actions []string `json:"actions"`
		} `json:"output_changes"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(show.out)), &p); err != nil {
		return r, []string{"(terraform show -json: " + err.Error() + ")"}, nil
	}
	for _, rc := range p.ResourceChanges {
		if a := strings.Join(rc.Change.Actions, ","); a != "no-op" && a != "read" {
			resources = append(resources, rc.Address+" "+a)
		}
	}
	for name, oc := range p.OutputChanges {
		if a := strings.Join(oc.Actions, ","); a != "no-op" {
			outputs = append(outputs, name)
		}
	}
	sort.Strings(outputs)
	return r, resources, outputs
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
