package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
)

// The client commands read a running lab's ready file, so scripts (make demo)
// need nothing but this binary to point Terraform at a lab and report on it.

// clientWhat says what each client command does, for its -h.
var clientWhat = map[string]string{
	"tfvars": "Prints examples/recovery's variables for a running lab as terraform.tfvars.json: the nodes' HTTPS\n" +
		"endpoints, the administrator and the CA file; not the password (see mscs-lab password).",
	"password": "Prints the running lab's administrator password, for MSCS_PASSWORD.",
	"report":   "Prints the commands each node of a running lab ran, with their exit codes, each node's and group's\nstate at the end, and the safety-rule incidents it recorded, ending with \"Incidents (safety rule\nviolations): N\".",
}

// readyFlags parses the --ready-file flag that every client command takes.
func readyFlags(name string, args []string, stderr io.Writer) (lab.ReadyInfo, error) {
	fs := flag.NewFlagSet("mscs-lab "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("ready-file", "", "the ready file of a running lab (required)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: mscs-lab %s --ready-file FILE\n\n%s\n\nFlags:\n", name, clientWhat[name])
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return lab.ReadyInfo{}, err
		}
		return lab.ReadyInfo{}, errFlags
	}
	if *path == "" || fs.NArg() > 0 {
		return lab.ReadyInfo{}, fmt.Errorf("%w: %s takes --ready-file FILE and nothing else", errUsage, name)
	}
	return lab.ReadReadyFile(*path)
}

// tfvars prints the variables of examples/recovery (nodes, username,
// ca_cert_file) as terraform.tfvars.json. The password is left out on purpose:
// it goes to Terraform through MSCS_PASSWORD, not into a file.
func tfvars(args []string, stdout, stderr io.Writer) error {
	info, err := readyFlags("tfvars", args, stderr)
	if err != nil {
		return err
	}
	nodes := make(map[string]string, len(info.Nodes))
	for _, n := range info.Nodes {
		nodes[n.Name] = n.HTTPS
	}
	urls := []string{}
	for _, addr := range sortedAddresses(info.Sites) {
		urls = append(urls, info.Sites[addr]+"/")
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{
		"nodes":        nodes,
		"username":     info.Username,
		"ca_cert_file": info.CAFile,
		"web_urls":     urls,
	})
}

func password(args []string, stdout, stderr io.Writer) error {
	info, err := readyFlags("password", args, stderr)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, info.Password)
	return err
}

// report prints what the lab saw: every command per node in order, then the
// incidents (violations of the KB's safety rules).
func report(args []string, stdout, stderr io.Writer) error {
	info, err := readyFlags("report", args, stderr)
	if err != nil {
		return err
	}
	ctl := lab.Control{URL: info.ControlURL}
	for _, n := range info.Nodes {
		cmds, err := ctl.Commands(n.Name)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Commands run on %s: %d\n", n.Name, len(cmds))
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		for _, c := range cmds {
			fmt.Fprintf(tw, "  %d\t%s %s\texit %d\n", c.Seq, c.Program, c.Args, c.ExitCode)
		}
		tw.Flush()
	}
	state, err := ctl.State()
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "State at the end:")
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	for _, n := range state.Nodes {
		op := "no Option Pack"
		if n.OptionPack.Installed {
			op = fmt.Sprintf("Option Pack %s (%d components)", n.OptionPack.Method, len(n.OptionPack.Components))
		}
		fmt.Fprintf(tw, "  %s	cluster %s	%s	%s	MSDTC %s\n", n.Name, n.ClusterState, n.CSDVersion, op, n.MSDTC)
	}
	for _, g := range state.Cluster.Groups {
		fmt.Fprintf(tw, "  %s	on %s	%s\n", g.Name, g.Owner, g.State)
	}
	tw.Flush()
	if len(state.WebRequests) > 0 {
		fmt.Fprintf(stdout, "Web requests answered: %d\n", len(state.WebRequests))
		for _, r := range state.WebRequests {
			fmt.Fprintf(stdout, "  http://%s%s answered %d by %s\n", r.Address, r.Path, r.Status, r.Node)
		}
	}
	incidents := state.Incidents
	fmt.Fprintf(stdout, "Incidents (safety rule violations): %d\n", len(incidents))
	for _, i := range incidents {
		fmt.Fprintf(stdout, "  %s rule %d: %s; %s\n", i.Node, i.Rule, i.What, i.Damage)
	}
	return nil
}

func sortedAddresses(sites map[string]string) []string {
	out := make([]string, 0, len(sites))
	for a := range sites {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}
