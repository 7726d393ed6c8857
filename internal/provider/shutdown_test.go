package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// At shutdown each node's transport counters reach the DEBUG log, once per
// node, without the password; the idle shells are deleted.
func TestShutdownLogsTransportCounters(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "healthy")
	c, err := newCluster([]winrm.Config{l.ClientConfig(t, "NODE1"), l.ClientConfig(t, "NODE2")}, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, node := range []string{"NODE1", "NODE2"} {
		if _, err := c.clients[node].Run(context.Background(), "hostname", true); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	c.close(tflogtest.RootLogger(context.Background(), &out))
	if strings.Contains(out.String(), l.Password) {
		t.Fatal("the password reached the log")
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if entry["@message"] != "WinRM transport counters" {
			continue
		}
		node, _ := entry["node"].(string)
		messages, _ := entry["messages"].(float64)
		requests, _ := entry["http_requests"].(float64)
		// Create, Command, Receive, Signal, and Delete at close.
		if messages != 5 || requests < messages || entry["commands"] != float64(1) || entry["@level"] != "debug" {
			t.Errorf("%s: %v", node, entry)
		}
		seen[node] = true
	}
	if !seen["NODE1"] || !seen["NODE2"] {
		t.Errorf("counters logged for %v:\n%s", seen, out.String())
	}
}
