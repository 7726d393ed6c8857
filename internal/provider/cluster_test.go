package provider

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/mscs-ops/terraform-provider-mscs/internal/nodeops"
)

func TestStepDiag(t *testing.T) {
	se := &nodeops.StepError{Node: "NODE2", Step: "start the cluster service", Command: "sc start ClusSvc",
		ExitCode: 1058, Meaning: "the service is disabled", Output: "[SC] StartService FAILED 1058:\r\n\r\nThe service cannot be started.\r\n"}
	d := stepDiag("Cannot converge service ClusSvc on node NODE2", "NODE2", fmt.Errorf("wrapped: %w", se))
	for _, want := range []string{"Node NODE2", `step "start the cluster service"`, `command "sc start ClusSvc"`,
		"exited with code 1058 (the service is disabled)", "[SC] StartService FAILED 1058"} {
		if !strings.Contains(d.Detail(), want) {
			t.Errorf("detail %q lacks %q", d.Detail(), want)
		}
	}

	d = stepDiag("Cannot read", "NODE2", errors.New("connection refused"))
	if d.Detail() != "node NODE2: connection refused" {
		t.Errorf("transport error detail = %q; it must name the node", d.Detail())
	}
	d = stepDiag("Cannot read", "NODE2", errors.New("NODE2 unreachable at https://x:5986/wsman"))
	if strings.Count(d.Detail(), "NODE2") != 1 {
		t.Errorf("detail %q names the node twice", d.Detail())
	}
}

func TestConfiguredCluster(t *testing.T) {
	var diags diag.Diagnostics
	if c := configuredCluster(nil, "Resource", &diags); c != nil || diags.HasError() {
		t.Errorf("before the provider is configured: %v, %v; want nil and no error", c, diags)
	}
	want := &cluster{}
	if c := configuredCluster(want, "Resource", &diags); c != want || diags.HasError() {
		t.Errorf("configured: %v, %v", c, diags)
	}
	if c := configuredCluster("not a cluster", "Data Source", &diags); c != nil || !diags.HasError() ||
		diags[0].Summary() != "Unexpected Data Source Configure Type" || !strings.Contains(diags[0].Detail(), "got string") {
		t.Errorf("wrong type: %v, %v", c, diags)
	}
}

func TestClusterStepDiagHidesPasswords(t *testing.T) {
	c := &cluster{secrets: []string{"s3cret-Pa55"}}
	err := &nodeops.StepError{Node: "NODE2", Step: "map the share", Command: `net use \\NODE1\C$ s3cret-Pa55`, ExitCode: 5,
		Meaning: "access is denied", Output: "System error 5 has occurred.\r\nAccess is denied (s3cret-Pa55)."}
	d := c.stepDiag("Cannot map the share with s3cret-Pa55", "NODE2", err)
	if text := d.Summary() + d.Detail(); strings.Contains(text, "s3cret-Pa55") || !strings.Contains(text, "Access is denied (***).") {
		t.Errorf("diagnostic %q / %q", d.Summary(), d.Detail())
	}
	check := c.stepDiag("Cannot verify", "NODE2", &nodeops.StepError{Node: "NODE2", Step: "verify the Option Pack install", Meaning: "a reboot is still pending"})
	if strings.Contains(check.Detail(), `command ""`) || check.Detail() != `Node NODE2, step "verify the Option Pack install": a reboot is still pending.` {
		t.Errorf("a failed check reads %q", check.Detail())
	}
}
