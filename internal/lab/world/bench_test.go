package world

import (
	"context"
	"io"
	"testing"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/cmdshell"
)

func benchmarkLine(b *testing.B, line string) {
	sc, err := LoadScenario("healthy")
	if err != nil {
		b.Fatal(err)
	}
	w, err := New(sc, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	b.ReportAllocs()
	for b.Loop() {
		h := w.Host("NODE1", `LAB\Administrator`, "", nil)
		if code := cmdshell.Run(context.Background(), h, line, nil, io.Discard, io.Discard); code != 0 {
			b.Fatalf("%s: exit %d", line, code)
		}
	}
}

// The command log grows by one record per iteration, as in a long lab run.
func BenchmarkSCQuery(b *testing.B)       { benchmarkLine(b, "sc query ClusSvc") }
func BenchmarkClusterRes(b *testing.B)    { benchmarkLine(b, "cluster res") }
func BenchmarkGroupMoveBack(b *testing.B) { benchmarkLine(b, `cluster group "Web Group" /move`) }
func BenchmarkRegQueryValue(b *testing.B) {
	benchmarkLine(b, `reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion" /v CSDVersion`)
}
