package nodeops

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
	"github.com/mscs-ops/terraform-provider-mscs/internal/labtest"
)

// BenchmarkClusterRead is what the mscs_cluster data source reads (Cluster.Read:
// nodes, groups with their preferred owners, resources with their type and
// restart policy) from a cluster of 2, 50 and 100 groups (the healthy
// scenario plus generated groups of three resources each), with every
// WS-Management answer delayed 10 ms, as a node across a slow link answers.
// Reported per read: wall time (ns/op), commands and messages.
//
//	go test -run '^$' -bench ClusterRead ./internal/nodeops/
func BenchmarkClusterRead(b *testing.B) {
	for _, groups := range []int{2, 50, 100} {
		b.Run(fmt.Sprintf("groups=%d/rtt=10ms", groups), func(b *testing.B) {
			l, err := lab.Start(context.Background(), lab.Options{Scenario: generatedScenario(b, groups), Latency: 10 * time.Millisecond})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			tl := labtest.Of(l)
			client := tl.Client(b, "NODE1")
			c := &Cluster{Nodes: []*Node{{R: client}}}
			ctx := context.Background()
			if _, err := c.Read(ctx, ""); err != nil { // the shell opened, outside the timing
				b.Fatal(err)
			}
			before := client.Stats()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				v, err := c.Read(ctx, "")
				if err != nil {
					b.Fatal(err)
				}
				if len(v.Groups) != groups {
					b.Fatalf("read %d groups, want %d", len(v.Groups), groups)
				}
			}
			b.StopTimer()
			after := client.Stats()
			b.ReportMetric(float64(after.Commands-before.Commands)/float64(b.N), "commands/op")
			b.ReportMetric(float64(after.Messages-before.Messages)/float64(b.N), "messages/op")
		})
	}
}

// generatedScenario is the healthy scenario with groups-2 more groups, each
// an IP address, a network name and a file share, written to a file.
func generatedScenario(b *testing.B, groups int) string {
	sc, err := world.LoadScenario("healthy")
	if err != nil {
		b.Fatal(err)
	}
	sc.Name = fmt.Sprintf("generated-%d-groups", groups)
	for g := len(sc.Cluster.Groups); g < groups; g++ {
		name := fmt.Sprintf("App Group %03d", g)
		sc.Cluster.Groups = append(sc.Cluster.Groups, world.GroupSpec{Name: name, Owner: "NODE1", PreferredOwners: []string{"NODE1", "NODE2"}})
		ip, vs := fmt.Sprintf("App IP %03d", g), fmt.Sprintf("APPVS%03d", g)
		sc.Cluster.Resources = append(sc.Cluster.Resources,
			world.ResourceSpec{Name: ip, Type: "IP Address", Group: name,
				Private: map[string]string{"Address": fmt.Sprintf("10.1.%d.%d", g/200, g%200+10), "SubnetMask": "255.255.0.0", "Network": "Public"}},
			world.ResourceSpec{Name: vs, Type: "Network Name", Group: name, Dependencies: []string{ip}, Private: map[string]string{"Name": vs}},
			world.ResourceSpec{Name: fmt.Sprintf("App Share %03d", g), Type: "File Share", Group: name, Dependencies: []string{vs},
				Private: map[string]string{"ShareName": fmt.Sprintf("app%03d", g), "Path": `C:\Shares`}})
	}
	data, err := json.Marshal(sc)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), sc.Name+".json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}
