package lab

import (
	"context"
	"io"
	"sync"
	"testing"
)

// Command round trips per second against a lab node, through masterzen/winrm:
//
//	go test -run '^$' -bench RoundTrip ./internal/lab/
//
// A reused shell costs Command + Receive (+ Signal) per command; a fresh shell
// adds Create and Delete.

var benchModes = []authMode{httpsBasic, httpsNTLM}

func BenchmarkRoundTripReusedShell(b *testing.B) {
	l := startLab(b, Options{})
	for _, mode := range benchModes {
		b.Run(mode.name, func(b *testing.B) {
			c := newClient(b, l, "NODE1", mode, l.Password())
			shell, err := c.CreateShell()
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = shell.Close() }()
			ctx := context.Background()
			for b.Loop() {
				cmd, err := shell.ExecuteWithContext(ctx, "hostname")
				if err != nil {
					b.Fatal(err)
				}
				var drained sync.WaitGroup
				drained.Go(func() { _, _ = io.Copy(io.Discard, cmd.Stdout) })
				drained.Go(func() { _, _ = io.Copy(io.Discard, cmd.Stderr) })
				cmd.Wait()
				drained.Wait()
				if cmd.ExitCode() != 0 {
					b.Fatalf("hostname: exit %d", cmd.ExitCode())
				}
				_ = cmd.Close()
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "roundtrips/s")
		})
	}
}

func BenchmarkRoundTripFreshShell(b *testing.B) {
	l := startLab(b, Options{})
	for _, mode := range benchModes {
		b.Run(mode.name, func(b *testing.B) {
			c := newClient(b, l, "NODE1", mode, l.Password())
			ctx := context.Background()
			for b.Loop() {
				code, err := c.RunWithContext(ctx, "hostname", io.Discard, io.Discard)
				if err != nil || code != 0 {
					b.Fatalf("hostname: exit %d, %v", code, err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "roundtrips/s")
		})
	}
}
