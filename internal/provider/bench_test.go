package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// BenchmarkPlanRecovery runs `terraform plan` of examples/recovery against an
// in-process lab (after one apply, so plan refreshes every resource and reads
// the data sources), with the provider served in this process so its WinRM
// counters can be read. Reported per plan: wall time (ns/op), WS-Management
// messages, HTTP requests, shells opened and commands run, with shell reuse
// on and off.
//
//	go test -run '^$' -bench PlanRecovery ./internal/provider/
func BenchmarkPlanRecovery(b *testing.B) {
	for _, reuse := range []bool{true, false} {
		b.Run(fmt.Sprintf("reuse_shell=%t", reuse), func(b *testing.B) {
			ctx := context.Background()
			p := serveProvider(b, &mscsProvider{version: "bench", getenv: os.Getenv})
			l := startBenchLab(b, "rebuilt-node")
			tf := p.workdir(b, l, true, map[string]any{"reuse_shell": reuse})
			if err := tf.Apply(ctx, p.attach); err != nil {
				b.Fatal(err)
			}
			before := p.stats()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				changes, err := tf.Plan(ctx, p.attach)
				if err != nil {
					b.Fatal(err)
				}
				if changes {
					b.Fatal("plan after apply has changes")
				}
			}
			b.StopTimer()
			reportTransport(b, p.stats(), before, b.N)
			expectNoIncidents(b, l)
		})
	}
}

// BenchmarkPlanRecoveryWAN is BenchmarkPlanRecovery with every WS-Management
// request to either node 50 ms late, as over a WAN link (issue 27): what a
// plan costs is then its sequential round trips. Reported per plan: its wall
// time over 50 ms (round-trips/op, the measure, which counts
// Terraform's own time too), the same for the time it adds to an
// undelayed plan run first (delayed-round-trips/op: the round trips
// alone), the commands the lab's log shows (each simple command of a
// batched line counts) and the command lines they came in.
//
//	go test -run '^$' -bench PlanRecoveryWAN -benchtime 3x ./internal/provider/
func BenchmarkPlanRecoveryWAN(b *testing.B) {
	const delay = 50 * time.Millisecond
	ctx := context.Background()
	p := serveProvider(b, &mscsProvider{version: "bench", getenv: os.Getenv})
	l := startBenchLab(b, "rebuilt-node")
	tf := p.workdir(b, l, true, nil)
	if err := tf.Apply(ctx, p.attach); err != nil {
		b.Fatal(err)
	}
	plan := func() {
		changes, err := tf.Plan(ctx, p.attach)
		if err != nil {
			b.Fatal(err)
		}
		if changes {
			b.Fatal("plan after apply has changes")
		}
	}
	start := time.Now()
	for i := 0; i < b.N; i++ {
		plan()
	}
	undelayed := time.Since(start)
	for _, n := range l.Nodes() {
		if err := l.Control().AddFault(world.Fault{Node: n.Name, Kind: "delay", DelayMS: int(delay / time.Millisecond)}); err != nil {
			b.Fatal(err)
		}
	}
	logged := func() (commands, lines int) {
		recs, err := l.Control().Commands("")
		if err != nil {
			b.Fatal(err)
		}
		runs := map[int]bool{}
		for _, r := range recs {
			runs[r.Run] = true
		}
		return len(recs), len(runs)
	}
	before := p.stats()
	commands0, lines0 := logged()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		plan()
	}
	b.StopTimer()
	commands, lines := logged()
	n := float64(b.N)
	b.ReportMetric(float64(b.Elapsed())/n/float64(delay), "round-trips/op")
	b.ReportMetric(float64(b.Elapsed()-undelayed)/n/float64(delay), "delayed-round-trips/op")
	b.ReportMetric(undelayed.Seconds()/n, "undelayed-s/op")
	b.ReportMetric(float64(commands-commands0)/n, "logged-commands/op")
	b.ReportMetric(float64(lines-lines0)/n, "command-lines/op")
	reportTransport(b, p.stats(), before, b.N)
	if err := l.Control().ClearFaults(); err != nil {
		b.Fatal(err)
	}
	expectNoIncidents(b, l)
}

// BenchmarkRecoveryApply is `terraform apply` of examples/recovery against a
// fresh in-process lab of each scenario, over HTTPS and over plain HTTP
// (sealed NTLM). ns/op is the apply's wall time; beside it the lab's own
// waits (Snapshot.LabWaits: reboots, services starting and stopping), the
// wall time of a no-op apply right after, and the ratio of the apply to
// their sum, which shows what the provider adds; and per apply the
// WS-Management messages, HTTP requests (and per message), 401s, shells
// and commands.
//
//	go test -run '^$' -bench RecoveryApply -benchtime 3x ./internal/provider/
func BenchmarkRecoveryApply(b *testing.B) {
	for _, scenario := range []string{"rebuilt-node", "corrupted-iis"} {
		for _, https := range []bool{true, false} {
			name := scenario + "/https"
			if !https {
				name = scenario + "/http-sealed"
			}
			b.Run(name, func(b *testing.B) { benchRecoveryApply(b, scenario, https) })
		}
	}
	// The chain as it was when the transport was first measured (the reads,
	// the install and the cluster service), for comparison with those figures.
	b.Run("rebuilt-node/https/install+service", func(b *testing.B) {
		benchRecoveryApply(b, "rebuilt-node", true, tfexec.Target("mscs_cluster_node_service.rebuilt"))
	})
}

func benchRecoveryApply(b *testing.B, scenario string, https bool, opts ...tfexec.ApplyOption) {
	ctx := context.Background()
	p := serveProvider(b, &mscsProvider{version: "bench", getenv: os.Getenv})
	var labWaits, noop time.Duration
	var transport winrm.Stats
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		l := startBenchLab(b, scenario)
		tf := p.workdir(b, l, https, nil)
		before := p.stats()
		b.StartTimer()
		if err := tf.Apply(ctx, append([]tfexec.ApplyOption{p.attach}, opts...)...); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		transport = transport.Add(diffStats(p.stats(), before))
		snap, err := l.Control().State()
		if err != nil {
			b.Fatal(err)
		}
		labWaits += snap.LabWaits
		expectNoIncidents(b, l)
		start := time.Now()
		if err := tf.Apply(ctx, append([]tfexec.ApplyOption{p.attach}, opts...)...); err != nil {
			b.Fatal(err)
		}
		noop += time.Since(start)
		l.Close()
	}
	n := float64(b.N)
	b.ReportMetric(labWaits.Seconds()/n, "lab-waits-s/op")
	b.ReportMetric(noop.Seconds()/n, "noop-apply-s/op")
	// b.Elapsed counts only the timed applies.
	b.ReportMetric(b.Elapsed().Seconds()/(labWaits+noop).Seconds(), "x-(lab-waits+noop)")
	reportTransport(b, transport, winrm.Stats{}, b.N)
}

func reportTransport(b *testing.B, after, before winrm.Stats, ops int) {
	d := diffStats(after, before)
	n := float64(ops)
	b.ReportMetric(float64(d.Messages)/n, "messages/op")
	b.ReportMetric(float64(d.HTTPRequests)/n, "http-requests/op")
	if d.Messages > 0 {
		b.ReportMetric(float64(d.HTTPRequests)/float64(d.Messages), "http-requests/message")
	}
	b.ReportMetric(float64(d.Unauthorized)/n, "http-401/op")
	b.ReportMetric(float64(d.ShellsOpened)/n, "shells/op")
	b.ReportMetric(float64(d.Commands)/n, "commands/op")
}

func diffStats(a, b winrm.Stats) winrm.Stats {
	return a.Add(winrm.Stats{Messages: -b.Messages, HTTPRequests: -b.HTTPRequests, Unauthorized: -b.Unauthorized,
		BytesSent: -b.BytesSent, BytesReceived: -b.BytesReceived, ShellsOpened: -b.ShellsOpened,
		Commands: -b.Commands, Retries: -b.Retries})
}

func startBenchLab(b *testing.B, scenario string) *lab.Lab {
	l, err := lab.Start(context.Background(), lab.Options{Scenario: scenario})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(l.Close)
	return l
}

func expectNoIncidents(b *testing.B, l *lab.Lab) {
	if inc, err := l.Control().Incidents(); err != nil || len(inc) > 0 {
		b.Fatalf("lab incidents: %v %v", inc, err)
	}
}

// workdir is examples/recovery, initialised, with variables pointing it at
// l over HTTPS or plain HTTP.
func (sp *servedProvider) workdir(b *testing.B, l *lab.Lab, https bool, extra map[string]any) *tfexec.Terraform {
	dir := b.TempDir()
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "recovery", "*.tf"))
	if err != nil || len(files) == 0 {
		b.Fatalf("examples/recovery: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	nodes := map[string]string{}
	for _, n := range l.Nodes() {
		nodes[n.Name] = n.HTTPS
		if !https {
			nodes[n.Name] = n.HTTP
		}
	}
	var urls []string
	for _, u := range l.Sites() {
		urls = append(urls, u+"/")
	}
	vars := map[string]any{"nodes": nodes, "ca_cert_file": l.CAFile(), "username": l.Username(),
		"password": l.Password(), "web_urls": urls}
	for k, v := range extra {
		vars[k] = v
	}
	data, _ := json.Marshal(vars)
	if err := os.WriteFile(filepath.Join(dir, "terraform.tfvars.json"), data, 0o600); err != nil {
		b.Fatal(err)
	}
	tf, err := tfexec.NewTerraform(dir, sp.tfPath)
	if err != nil {
		b.Fatal(err)
	}
	if err := tf.Init(context.Background(), sp.attach); err != nil {
		b.Fatal(err)
	}
	return tf
}
