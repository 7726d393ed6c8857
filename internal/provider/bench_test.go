package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-exec/tfexec"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// BenchmarkPlanRecovery runs `terraform plan` of examples/recovery against an
// in-process lab (after one apply, so plan refreshes the resource and reads
// the data source), with the provider served in this process so its WinRM
// counters can be read. Reported per plan: wall time (ns/op), HTTP requests,
// shells opened and commands run, with shell reuse on and off.
//
//	go test -run '^$' -bench PlanRecovery ./internal/provider/
func BenchmarkPlanRecovery(b *testing.B) {
	for _, reuse := range []bool{true, false} {
		b.Run(fmt.Sprintf("reuse_shell=%t", reuse), func(b *testing.B) { benchPlanRecovery(b, reuse) })
	}
}

func benchPlanRecovery(b *testing.B, reuse bool) {
	ctx := context.Background()
	tfPath := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tfPath == "" {
		var err error
		if tfPath, err = exec.LookPath("terraform"); err != nil {
			b.Fatalf("terraform not found on PATH nor in TF_ACC_TERRAFORM_PATH: %v", err)
		}
	}
	l, err := lab.Start(ctx, lab.Options{Scenario: "rebuilt-node"})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.Setenv(envUsername, l.Username())
	b.Setenv(envPassword, l.Password())

	// The provider, served in this process; every cluster it configures is kept.
	var mu sync.Mutex
	var clusters []*cluster
	p := &mscsProvider{version: "bench", getenv: os.Getenv, onConfigure: func(c *cluster) {
		mu.Lock()
		clusters = append(clusters, c)
		mu.Unlock()
	}}
	stats := func() winrm.Stats {
		mu.Lock()
		defer mu.Unlock()
		var s winrm.Stats
		for _, c := range clusters {
			cs := c.Stats()
			s.HTTPRequests += cs.HTTPRequests
			s.ShellsOpened += cs.ShellsOpened
			s.Commands += cs.Commands
		}
		return s
	}
	serveCtx, stop := context.WithCancel(ctx)
	defer stop()
	reattach := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	go func() {
		err := tf6server.Serve("registry.terraform.io/mscs-ops/mscs", providerserver.NewProtocol6(p),
			tf6server.WithDebug(serveCtx, reattach, closed), tf6server.WithLoggingSink(benchT{b}),
			tf6server.WithGoPluginLogger(hclog.NewNullLogger()))
		if err != nil {
			b.Error(err)
		}
	}()
	rc := <-reattach
	defer func() { stop(); <-closed }()

	dir := b.TempDir()
	for _, f := range []string{"main.tf", "variables.tf"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "examples", "recovery", f))
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	nodes := map[string]string{}
	for _, n := range l.Nodes() {
		nodes[n.Name] = n.HTTPS
	}
	vars, _ := json.Marshal(map[string]any{"nodes": nodes, "ca_cert_file": l.CAFile(), "reuse_shell": reuse})
	if err := os.WriteFile(filepath.Join(dir, "terraform.tfvars.json"), vars, 0o600); err != nil {
		b.Fatal(err)
	}

	tf, err := tfexec.NewTerraform(dir, tfPath)
	if err != nil {
		b.Fatal(err)
	}
	attach := tfexec.Reattach(tfexec.ReattachInfo{"registry.terraform.io/mscs-ops/mscs": tfexec.ReattachConfig{
		Protocol: string(rc.Protocol), ProtocolVersion: rc.ProtocolVersion, Pid: rc.Pid, Test: rc.Test,
		Addr: tfexec.ReattachConfigAddr{Network: rc.Addr.Network(), String: rc.Addr.String()},
	}})
	if err := tf.Init(ctx, attach); err != nil {
		b.Fatal(err)
	}
	if err := tf.Apply(ctx, attach); err != nil {
		b.Fatal(err)
	}

	before := stats()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		changes, err := tf.Plan(ctx, attach)
		if err != nil {
			b.Fatal(err)
		}
		if changes {
			b.Fatal("plan after apply has changes")
		}
	}
	b.StopTimer()
	after := stats()
	n := float64(b.N)
	b.ReportMetric(float64(after.HTTPRequests-before.HTTPRequests)/n, "http-requests/op")
	b.ReportMetric(float64(after.ShellsOpened-before.ShellsOpened)/n, "shells/op")
	b.ReportMetric(float64(after.Commands-before.Commands)/n, "commands/op")
	if inc, err := l.Control().Incidents(); err != nil || len(inc) > 0 {
		b.Fatalf("lab incidents: %v %v", inc, err)
	}
}

// benchT lets a benchmark be the provider's logging sink, which then follows
// TF_LOG like an acceptance test does (silent by default).
type benchT struct{ *testing.B }

func (benchT) Parallel() {}
