// Command mscs-lab runs the lab cluster emulator: a fake two-node NT 4.0 MSCS
// cluster whose nodes speak WS-Management on loopback, for tests, the demo
// and first tries of the provider. See internal/lab/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
)

const usage = `Usage:
  mscs-lab serve [flags]            start a lab and serve until SIGINT or SIGTERM
  mscs-lab scenarios                list the built-in scenarios
  mscs-lab tfvars --ready-file F    print examples/recovery's variables for a running lab
  mscs-lab password --ready-file F  print the lab's administrator password
  mscs-lab report --ready-file F    print the commands each node ran and the incidents
  mscs-lab help                     show this help

Run "mscs-lab serve -h" for the flags of serve.
`

var (
	// errUsage marks errors that the user fixes by reading the usage text.
	errUsage = errors.New("usage")
	// errFlags is a bad flag of serve, which the flag package has already
	// reported along with the flags' usage.
	errFlags = errors.New("bad flags")
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errFlags):
		os.Exit(2)
	case errors.Is(err, errUsage):
		fmt.Fprintf(os.Stderr, "mscs-lab: %v\n\n%s", err, usage)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "mscs-lab: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: no command given", errUsage)
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stderr)
	case "scenarios":
		if len(args) > 1 {
			return fmt.Errorf("%w: scenarios takes no arguments", errUsage)
		}
		for _, name := range world.BuiltinScenarios() {
			sc, err := world.LoadScenario(name)
			if err != nil {
				return fmt.Errorf("built-in scenario %s: %w", name, err)
			}
			fmt.Fprintf(stdout, "%-15s %s\n", name, sc.Description)
		}
		return nil
	case "tfvars":
		return tfvars(args[1:], stdout, stderr)
	case "password":
		return password(args[1:], stdout, stderr)
	case "report":
		return report(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("mscs-lab serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts lab.Options
	fs.StringVar(&opts.Scenario, "scenario", "healthy", "built-in scenario name or scenario file path (see: mscs-lab scenarios)")
	readyFile := fs.String("ready-file", "", "write the lab's endpoints, CA file, credentials and control URL to this JSON file once it is ready (removed on exit)")
	fs.BoolVar(&opts.HTTPSOnly, "https-only", false, "start no plain HTTP listeners")
	fs.BoolVar(&opts.AllowUnencrypted, "allow-unencrypted", false, "accept Basic auth and unsealed messages over plain HTTP (WinRM's AllowUnencrypted)")
	fs.StringVar(&opts.ToolLayout, "tool-layout", "", `the tools' output: "nt4" (TOOLS.md's, as Vista and later print it, with NT 4.0's net localgroup columns) or "2003" (XP and Server 2003's sc, reg, cluster and net); default: the scenario's`)
	fs.BoolVar(&opts.DisableBasic, "disable-basic", false, "turn Basic authentication off, as Windows' default (Auth/Basic=false) has it")
	fs.Int64Var(&opts.Seed, "seed", 0, "seed of the world's randomness")
	fs.Float64Var(&opts.TimeScale, "time-scale", 0, "multiplier of emulated durations such as reboots (0: the scenario's own)")
	fs.IntVar(&opts.PortBase, "port-base", 0, "node i listens on port-base+2i (HTTP) and port-base+2i+1 (HTTPS), the control API after them (0: random ports)")
	fs.StringVar(&opts.Dir, "dir", "", "folder for the CA certificate (default: a temporary folder removed on exit)")
	fs.DurationVar(&opts.Latency, "latency", 0, "delay every WS-Management answer this long, as a slow link would (e.g. 10ms)")
	fs.StringVar(&opts.CBTHardening, "cbt-hardening", "", `WinRM's CbtHardeningLevel on every node for HTTPS, checked for NTLM and Kerberos: "none", "relaxed" (checked when sent) or "strict" (required); default: the scenario's, else none`)
	fs.StringVar(&opts.Krb5Keytab, "krb5-keytab", "", "accept Kerberos tickets of an outside KDC: each node verifies with its own SPNs' keys from this keytab (host/, HTTP/, WSMAN/ on <node>.<realm lower> and <node>); the lab then runs no KDC. Needs --krb5-realm")
	fs.StringVar(&opts.Krb5Realm, "krb5-realm", "", "the realm of --krb5-keytab's keys, e.g. EXAMPLE.TEST")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: mscs-lab serve [flags]\n\nStarts a lab cluster from a scenario: its nodes' WinRM endpoints (HTTP and HTTPS)\n"+
			"and the control API on loopback, until SIGINT or SIGTERM. It logs where everything is; with\n"+
			"--ready-file it also writes that, with the password, for the client commands and scripts.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errFlags
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: serve takes no arguments, got %q", errUsage, fs.Args())
	}
	if opts.TimeScale < 0 {
		return fmt.Errorf("%w: --time-scale must not be negative", errUsage)
	}
	if opts.PortBase < 0 || opts.PortBase > 65535 {
		return fmt.Errorf("%w: --port-base must be a port number", errUsage)
	}
	if !world.ValidCBTHardening(opts.CBTHardening) {
		return fmt.Errorf("%w: --cbt-hardening must be none, relaxed or strict", errUsage)
	}
	if (opts.Krb5Keytab == "") != (opts.Krb5Realm == "") {
		return fmt.Errorf("%w: --krb5-keytab and --krb5-realm go together", errUsage)
	}

	l, err := lab.Start(ctx, opts)
	if err != nil {
		return err
	}
	defer l.Close()
	if *readyFile != "" {
		if err := l.WriteReadyFile(*readyFile); err != nil {
			return fmt.Errorf("ready file: %w", err)
		}
		// A ready file that outlives the lab would send clients to dead ports.
		defer func() { _ = os.Remove(*readyFile) }()
	}

	fmt.Fprintf(stderr, "mscs-lab: scenario %s is up\n", opts.Scenario)
	for _, n := range l.Nodes() {
		if n.HTTP != "" {
			fmt.Fprintf(stderr, "  %-8s http  %s\n", n.Name, n.HTTP)
		}
		fmt.Fprintf(stderr, "  %-8s https %s\n", n.Name, n.HTTPS)
	}
	fmt.Fprintf(stderr, "  CA file      %s\n", l.CAFile())
	if k := l.KerberosInfo(); k.KDC != "" {
		fmt.Fprintf(stderr, "  Kerberos     realm %s, KDC %s (UDP and TCP), %s, keytab %s\n", k.Realm, k.KDC, k.Krb5Conf, k.Keytab)
	} else {
		fmt.Fprintf(stderr, "  Kerberos     realm %s, keys from %s (no KDC of the lab's)\n", k.Realm, k.Keytab)
	}
	for _, n := range l.Nodes() {
		fmt.Fprintf(stderr, "  %-8s Kerberos host %s (SPN HTTP/%s)\n", n.Name, n.Host, n.Host)
	}
	shown := l.ReadyFile()
	if *readyFile != "" {
		shown = *readyFile
	}
	fmt.Fprintf(stderr, "  username     %s (password in the ready file)\n", l.Username())
	fmt.Fprintf(stderr, "  control API  %s\n", l.ControlURL())
	fmt.Fprintf(stderr, "  ready file   %s\n", shown)

	<-ctx.Done()
	fmt.Fprintln(stderr, "mscs-lab: shutting down")
	return nil
}
