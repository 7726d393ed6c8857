package labtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// Lab is the cluster a test runs against: an in-process lab emulator
// started for the test, or a real lab named by the environment:
//
//	MSCS_LAB_NODES="NODE1=https://node1:5986/wsman,NODE2=https://node2:5986/wsman"
//	MSCS_LAB_USERNAME, MSCS_LAB_PASSWORD, MSCS_LAB_CA_FILE
//	MSCS_LAB_CONTROL_URL  (optional: a lab's control API, for world assertions)
type Lab struct {
	Nodes    map[string]string // NetBIOS name -> HTTPS endpoint
	HTTP     map[string]string // NetBIOS name -> plain HTTP endpoint (in-process lab only)
	Username string
	Password string
	CAFile   string
	CAPEM    []byte
	Control  *lab.Control // nil: a real lab without control API
	// Sites maps each virtual server address to its web site's URL
	// (in-process lab only).
	Sites map[string]string
}

// Start is the lab of a test: the real lab MSCS_LAB_NODES names, or an
// in-process lab of scenario (a built-in name or a scenario file). The
// built-ins' time scale (0.005) makes a reboot of 90 emulated seconds plus
// the shutdown's 10 take half a second. A real lab is whatever state it is in.
func Start(t testing.TB, scenario string) *Lab {
	t.Helper()
	if spec := os.Getenv("MSCS_LAB_NODES"); spec != "" {
		return fromEnv(t, spec)
	}
	return InProcess(t, scenario)
}

// InProcess starts an in-process lab of scenario for the test, closed when
// the test ends.
func InProcess(t testing.TB, scenario string) *Lab {
	t.Helper()
	l, err := lab.Start(context.Background(), lab.Options{Scenario: scenario})
	if err != nil {
		t.Fatalf("starting the lab: %v", err)
	}
	t.Cleanup(l.Close)
	return Of(l)
}

// Of is an in-process lab the caller started (with options of its own).
func Of(l *lab.Lab) *Lab {
	tl := &Lab{Nodes: map[string]string{}, HTTP: map[string]string{}, Username: l.Username(), Password: l.Password(),
		CAFile: l.CAFile(), CAPEM: l.CAPEM()}
	for _, n := range l.Nodes() {
		tl.Nodes[n.Name] = n.HTTPS
		tl.HTTP[n.Name] = n.HTTP
	}
	c := l.Control()
	tl.Control = &c
	tl.Sites = l.Sites()
	return tl
}

func fromEnv(t testing.TB, spec string) *Lab {
	t.Helper()
	tl := &Lab{Nodes: map[string]string{}, Username: os.Getenv("MSCS_LAB_USERNAME"),
		Password: os.Getenv("MSCS_LAB_PASSWORD"), CAFile: os.Getenv("MSCS_LAB_CA_FILE")}
	for _, kv := range strings.Split(spec, ",") {
		name, u, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			t.Fatalf("MSCS_LAB_NODES: %q is not NAME=URL", kv)
		}
		tl.Nodes[name] = u
	}
	if tl.CAFile != "" {
		pem, err := os.ReadFile(tl.CAFile)
		if err != nil {
			t.Fatalf("MSCS_LAB_CA_FILE: %v", err)
		}
		tl.CAPEM = pem
	}
	if u := os.Getenv("MSCS_LAB_CONTROL_URL"); u != "" {
		tl.Control = &lab.Control{URL: u}
	}
	return tl
}

// Names are the lab's nodes, sorted.
func (l *Lab) Names() []string {
	var names []string
	for n := range l.Nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ClientConfig is the WinRM configuration for node: its HTTPS endpoint,
// NTLM with the lab's credentials, the lab's CA verified, a reused shell.
func (l *Lab) ClientConfig(t testing.TB, node string) winrm.Config {
	t.Helper()
	ep, ok := l.Nodes[node]
	if !ok {
		t.Fatalf("the lab has no node %s", node)
	}
	u, err := url.Parse(ep)
	if err != nil {
		t.Fatalf("lab endpoint %q: %v", ep, err)
	}
	port, _ := strconv.Atoi(u.Port())
	return winrm.Config{Node: node, Host: u.Hostname(), Port: port, HTTPS: u.Scheme == "https",
		CACert: l.CAPEM, Auth: "ntlm", Username: l.Username, Password: l.Password, ReuseShell: true,
		OperationTimeout: 30 * time.Second, MaxConcurrent: 2}
}

// Client is a ready WinRM client for node (ClientConfig), closed when the
// test ends.
func (l *Lab) Client(t testing.TB, node string) *winrm.Client {
	t.Helper()
	c, err := winrm.New(l.ClientConfig(t, node))
	if err != nil {
		t.Fatalf("WinRM client for %s: %v", node, err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// Run runs a command line on node out of band, as an administrator at the
// node's console would: drift the provider must notice.
func (l *Lab) Run(t testing.TB, node, line string) winrm.Result {
	t.Helper()
	res, err := l.Client(t, node).Run(context.Background(), line, false)
	if err != nil {
		t.Fatalf("out-of-band %q on %s: %v", line, node, err)
	}
	return res
}

// AddFault injects a fault into the lab for the rest of the test.
func (l *Lab) AddFault(t testing.TB, f world.Fault) {
	t.Helper()
	t.Cleanup(func() { _ = l.Control.ClearFaults() })
	if err := l.Control.AddFault(f); err != nil {
		t.Fatal(err)
	}
}

// Snapshot is the lab's world now.
func (l *Lab) Snapshot() (world.Snapshot, error) {
	return l.Control.State()
}

// Node is one node of the world now.
func (l *Lab) Node(name string) (world.NodeSnapshot, error) {
	s, err := l.Snapshot()
	if err != nil {
		return world.NodeSnapshot{}, err
	}
	n := s.Node(name)
	if n == nil {
		return world.NodeSnapshot{}, fmt.Errorf("the lab has no node %s", name)
	}
	return *n, nil
}

// CommandCount is how many commands the lab has logged on every node so
// far (0 without a control API).
func (l *Lab) CommandCount(t testing.TB) int {
	t.Helper()
	if l.Control == nil {
		return 0
	}
	n, err := l.Control.CommandCount()
	if err != nil {
		t.Fatalf("lab command log: %v", err)
	}
	return n
}

// CommandsSince is the command log after its first from entries.
func (l *Lab) CommandsSince(from int) ([]world.CommandRecord, error) {
	return l.Control.CommandsFrom("", from)
}

// Mark records the length of the command log into *at when called: a
// step's PreConfig, so that a check can look at what that step ran.
func (l *Lab) Mark(t testing.TB, at *int) func() {
	return func() { *at = l.CommandCount(t) }
}

// Service is a service's state and start type as the world holds them, in
// sc's words (RUNNING, STOPPED; auto, demand, disabled).
func (l *Lab) Service(node, name string) (state, startType string, err error) {
	n, err := l.Node(node)
	if err != nil {
		return "", "", err
	}
	s := n.Service(name)
	if s == nil {
		return "", "", fmt.Errorf("the lab has no service %s on %s", name, node)
	}
	return s.State, s.StartType, nil
}

// ClusterState is node's state in the cluster as the world holds it.
func (l *Lab) ClusterState(node string) (string, error) {
	n, err := l.Node(node)
	return n.ClusterState, err
}
