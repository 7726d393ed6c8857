package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/cmdshell"
)

func TestClientCommands(t *testing.T) {
	l, err := lab.Start(context.Background(), lab.Options{Scenario: "rebuilt-node", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ready := filepath.Join(t.TempDir(), "lab.json")
	if err := l.WriteReadyFile(ready); err != nil {
		t.Fatal(err)
	}

	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"tfvars", "--ready-file", ready}, &out, &errOut); err != nil {
		t.Fatalf("tfvars: %v (%s)", err, errOut.String())
	}
	var vars struct {
		Nodes      map[string]string `json:"nodes"`
		Username   string            `json:"username"`
		CACertFile string            `json:"ca_cert_file"`
		Password   *string           `json:"password"`
	}
	if err := json.Unmarshal(out.Bytes(), &vars); err != nil {
		t.Fatalf("tfvars output is not JSON: %v\n%s", err, out.String())
	}
	node2, _ := l.Node("NODE2")
	if vars.Nodes["NODE2"] != node2.HTTPS || vars.Username != l.Username() || vars.CACertFile != l.CAFile() {
		t.Errorf("tfvars = %+v, want NODE2=%s username=%s ca=%s", vars, node2.HTTPS, l.Username(), l.CAFile())
	}
	if vars.Password != nil || strings.Contains(out.String(), l.Password()) {
		t.Error("tfvars must not write the password")
	}

	out.Reset()
	if err := run(context.Background(), []string{"password", "--ready-file", ready}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out.String()) != l.Password() {
		t.Errorf("password printed %q", out.String())
	}

	// A command an operator runs shows up in the report under its node.
	host := l.World().Host("NODE2", l.Username(), "", nil)
	cmdshell.Run(context.Background(), host, "sc query ClusSvc", nil, nil, nil)
	out.Reset()
	if err := run(context.Background(), []string{"report", "--ready-file", ready}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Commands run on NODE1: 0", "Commands run on NODE2: 1", "sc query ClusSvc", "exit 0", "State at the end:", "MSDTC clustered", "Web Group", "Incidents (safety rule violations): 0"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}

	if err := run(context.Background(), []string{"report"}, &out, &errOut); err == nil {
		t.Error("report without --ready-file must be a usage error")
	}
}

// Every command's -h says what the command does, then its flags.
func TestCommandHelp(t *testing.T) {
	for cmd, want := range map[string]string{
		"serve":    "Starts a lab cluster from a scenario",
		"tfvars":   "Prints examples/recovery's variables",
		"password": "Prints the running lab's administrator password",
		"report":   "Prints the commands each node of a running lab ran",
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{cmd, "-h"}, &out, &errOut)
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(errOut.String(), want) || !strings.Contains(errOut.String(), "-") {
			t.Errorf("%s -h: %v\n%s", cmd, err, errOut.String())
		}
	}
}
