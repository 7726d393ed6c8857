package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
	"github.com/mscs-ops/terraform-provider-mscs/internal/provider/validators"
	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// testLab is the cluster an acceptance test runs against: an in-process lab
// emulator (scenario rebuilt-node) started for the test, or a real lab named
// by the environment:
//
//	MSCS_LAB_NODES="NODE1=https://node1:5986/wsman,NODE2=https://node2:5986/wsman"
//	MSCS_LAB_USERNAME, MSCS_LAB_PASSWORD, MSCS_LAB_CA_FILE
//	MSCS_LAB_CONTROL_URL  (optional: a lab's control API, for world assertions)
type testLab struct {
	nodes    map[string]string // NetBIOS name -> HTTPS endpoint
	http     map[string]string // NetBIOS name -> plain HTTP endpoint (in-process lab only)
	username string
	password string
	caFile   string
	control  *lab.Control // nil: a real lab without control API
	caPEM    []byte
}

func newTestLab(t *testing.T) *testLab {
	t.Helper()
	return newScenarioLab(t, "rebuilt-node")
}

// newScenarioLab is newTestLab starting the in-process lab from scenario. Its
// time scale is the scenario's (0.005 for the built-ins): a reboot of 90
// emulated seconds plus the shutdown's 10 takes half a second. A real lab is
// whatever state it is in.
func newScenarioLab(t *testing.T, scenario string) *testLab {
	t.Helper()
	if spec := os.Getenv("MSCS_LAB_NODES"); spec != "" {
		return realLab(t, spec)
	}
	return inProcessLab(t, scenario)
}

// inProcessLab starts an in-process lab from scenario (a built-in name or a
// scenario file) for the test.
func inProcessLab(t *testing.T, scenario string) *testLab {
	t.Helper()
	l, err := lab.Start(context.Background(), lab.Options{Scenario: scenario})
	if err != nil {
		t.Fatalf("starting the lab: %v", err)
	}
	t.Cleanup(l.Close)
	tl := &testLab{nodes: map[string]string{}, http: map[string]string{}, username: l.Username(), password: l.Password(),
		caFile: l.CAFile(), caPEM: l.CAPEM()}
	for _, n := range l.Nodes() {
		tl.nodes[n.Name] = n.HTTPS
		tl.http[n.Name] = n.HTTP
	}
	c := l.Control()
	tl.control = &c
	return tl
}

// addFault injects a fault into the lab for the rest of the test.
func (l *testLab) addFault(t *testing.T, f world.Fault) {
	t.Helper()
	t.Cleanup(func() { _ = l.control.ClearFaults() })
	if err := l.control.AddFault(f); err != nil {
		t.Fatal(err)
	}
}

func realLab(t *testing.T, spec string) *testLab {
	tl := &testLab{nodes: map[string]string{}, username: os.Getenv("MSCS_LAB_USERNAME"),
		password: os.Getenv("MSCS_LAB_PASSWORD"), caFile: os.Getenv("MSCS_LAB_CA_FILE")}
	for _, kv := range strings.Split(spec, ",") {
		name, url, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			t.Fatalf("MSCS_LAB_NODES: %q is not NAME=URL", kv)
		}
		tl.nodes[name] = url
	}
	if tl.caFile != "" {
		pem, err := os.ReadFile(tl.caFile)
		if err != nil {
			t.Fatalf("MSCS_LAB_CA_FILE: %v", err)
		}
		tl.caPEM = pem
	}
	if u := os.Getenv("MSCS_LAB_CONTROL_URL"); u != "" {
		tl.control = &lab.Control{URL: u}
	}
	return tl
}

// useEnvCredentials hands the credentials to the provider the way an
// operator would, through MSCS_USERNAME / MSCS_PASSWORD.
func (l *testLab) useEnvCredentials(t *testing.T) {
	t.Setenv(envUsername, l.username)
	t.Setenv(envPassword, l.password)
}

func (l *testLab) names() []string {
	var names []string
	for n := range l.nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// providerConfig is a provider block for the lab, with extra lines added and
// endpoint overrides (node -> URL) replacing the lab's.
func (l *testLab) providerConfig(extra string, endpoints map[string]string) string {
	var b strings.Builder
	b.WriteString("provider \"mscs\" {\n  nodes = {\n")
	for _, n := range l.names() {
		ep := l.nodes[n]
		if o, ok := endpoints[n]; ok {
			ep = o
		}
		fmt.Fprintf(&b, "    %s = { endpoint = %q }\n", n, ep)
	}
	b.WriteString("  }\n")
	if l.caFile != "" {
		fmt.Fprintf(&b, "  ca_cert = file(%q)\n", l.caFile)
	}
	b.WriteString(extra)
	b.WriteString("}\n")
	return b.String()
}

// run runs a command line on a node out of band, as an administrator at the
// node's console would: drift the provider must notice.
func (l *testLab) run(t *testing.T, node, line string) winrm.Result {
	t.Helper()
	host, port, https := endpointParts(t, l.nodes[node])
	c, err := winrm.New(winrm.Config{Node: node, Host: host, Port: port, HTTPS: https, CACert: l.caPEM,
		Username: l.username, Password: l.password, OperationTimeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("out-of-band client for %s: %v", node, err)
	}
	defer func() { _ = c.Close(context.Background()) }()
	res, err := c.Run(context.Background(), line, false)
	if err != nil {
		t.Fatalf("out-of-band %q on %s: %v", line, node, err)
	}
	return res
}

func endpointParts(t *testing.T, url string) (string, int, bool) {
	t.Helper()
	p, err := validators.ParseEndpoint(url)
	if err != nil {
		t.Fatalf("lab endpoint %q: %v", url, err)
	}
	return p.Host, p.Port, p.HTTPS
}

// closedPortEndpoint returns an HTTPS endpoint on loopback where nothing listens.
func closedPortEndpoint(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return "https://" + addr + "/wsman"
}

// labNodeState is one node of the lab's GET /state.
type labNodeState struct {
	Name         string `json:"name"`
	Status       string `json:"status"`
	Reachable    bool   `json:"reachable"`
	ClusterState string `json:"cluster_state"`
	OSVersion    string `json:"os_version"`
	Build        string `json:"build"`
	CSDVersion   string `json:"csd_version"`
	OptionPack   struct {
		Installed  bool     `json:"installed"`
		Method     string   `json:"method"`
		Components []string `json:"components"`
		Corrupt    bool     `json:"corrupt"`
	} `json:"option_pack"`
	PendingOptionPack *struct{} `json:"pending_option_pack"`
	PendingCSDVersion string    `json:"pending_csd_version"`
	StaleSystemFiles  bool      `json:"stale_system_files"`
	IISMismatch       bool      `json:"iis_components_mismatch"`
	Services          []struct {
		Name        string `json:"name"`
		DisplayName string `json:"display_name"`
		State       string `json:"state"`
		StartType   string `json:"start_type"`
	} `json:"services"`
}

// labWorld is the part of the lab's GET /state the tests look at.
type labWorld struct {
	Nodes   []labNodeState `json:"nodes"`
	Cluster struct {
		Groups []struct {
			Name            string   `json:"name"`
			Owner           string   `json:"owner"`
			State           string   `json:"state"`
			PreferredOwners []string `json:"preferred_owners"`
		} `json:"groups"`
		Resources []struct {
			Name       string            `json:"name"`
			Type       string            `json:"type"`
			Group      string            `json:"group"`
			State      string            `json:"state"`
			Properties map[string]string `json:"properties"`
		} `json:"resources"`
	} `json:"cluster"`
}

// node is one node's state in the lab's world.
func (l *testLab) node(name string) (labNodeState, error) {
	w, err := l.world()
	if err != nil {
		return labNodeState{}, err
	}
	for _, n := range w.Nodes {
		if strings.EqualFold(n.Name, name) {
			return n, nil
		}
	}
	return labNodeState{}, fmt.Errorf("the lab has no node %s", name)
}

func (l *testLab) world() (labWorld, error) {
	var w labWorld
	state, err := l.control.State()
	if err != nil {
		return w, err
	}
	data, err := json.Marshal(state)
	if err != nil {
		return w, err
	}
	return w, json.Unmarshal(data, &w)
}

// service is a service's state and start type as the world holds them
// (sc's words: RUNNING, STOPPED; auto, demand, disabled).
func (l *testLab) service(node, name string) (state, startType string, err error) {
	w, err := l.world()
	if err != nil {
		return "", "", err
	}
	for _, n := range w.Nodes {
		if !strings.EqualFold(n.Name, node) {
			continue
		}
		for _, s := range n.Services {
			if strings.EqualFold(s.Name, name) {
				return s.State, s.StartType, nil
			}
		}
		return "", "", fmt.Errorf("the lab has no service %s on %s", name, node)
	}
	return "", "", fmt.Errorf("the lab has no node %s", node)
}

func (l *testLab) clusterState(node string) (string, error) {
	w, err := l.world()
	if err != nil {
		return "", err
	}
	for _, n := range w.Nodes {
		if strings.EqualFold(n.Name, node) {
			return n.ClusterState, nil
		}
	}
	return "", fmt.Errorf("the lab has no node %s", node)
}

// commandCount is how many commands the lab has logged on every node so far.
func (l *testLab) commandCount(t *testing.T) int {
	t.Helper()
	if l.control == nil {
		return 0
	}
	cmds, err := l.control.Commands("")
	if err != nil {
		t.Fatalf("lab command log: %v", err)
	}
	return len(cmds)
}

func (l *testLab) commandsSince(from int) ([]world.CommandRecord, error) {
	cmds, err := l.control.Commands("")
	if err != nil {
		return nil, err
	}
	if from > len(cmds) {
		from = len(cmds)
	}
	return cmds[from:], nil
}

// checkLab adapts an assertion on the lab's world to a state check, so it runs
// with the step's other ConfigStateChecks. Without a control API (a real lab
// that has none) there is no world to look at and the check passes.
func (l *testLab) checkLab(what string, f func() error) statecheck.StateCheck {
	return labCheck{lab: l, what: what, f: f}
}

type labCheck struct {
	lab  *testLab
	what string
	f    func() error
}

func (c labCheck) CheckState(_ context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	if c.lab.control == nil {
		return
	}
	if err := c.f(); err != nil {
		resp.Error = fmt.Errorf("lab: %s: %w", c.what, err)
	}
}

func (l *testLab) expectService(node, name, state, startType string) statecheck.StateCheck {
	return l.checkLab(fmt.Sprintf("%s on %s", name, node), func() error {
		s, st, err := l.service(node, name)
		if err != nil {
			return err
		}
		if s != state || st != startType {
			return fmt.Errorf("%s on %s is %s/%s, want %s/%s", name, node, s, st, state, startType)
		}
		return nil
	})
}

func (l *testLab) expectClusterState(node, want string) statecheck.StateCheck {
	return l.checkLab("cluster state of "+node, func() error {
		s, err := l.clusterState(node)
		if err != nil {
			return err
		}
		if !strings.EqualFold(s, want) {
			return fmt.Errorf("%s is %s in the cluster, want %s", node, s, want)
		}
		return nil
	})
}

// expectNoIncidents fails when the lab recorded any safety-rule violation.
func (l *testLab) expectNoIncidents() statecheck.StateCheck {
	return l.checkLab("incidents", l.noIncidents)
}

func (l *testLab) noIncidents() error {
	if l.control == nil {
		return nil
	}
	inc, err := l.control.Incidents()
	if err != nil {
		return err
	}
	if len(inc) > 0 {
		return fmt.Errorf("%d incident(s), first: node %s rule %d: %s (%s)", len(inc), inc[0].Node, inc[0].Rule, inc[0].What, inc[0].Damage)
	}
	return nil
}

// expectNoCommandsSince fails when any node ran a command after the log had
// *mark entries (for plan-time errors: nothing may reach a node).
func (l *testLab) expectNoCommandsSince(mark *int) func() error {
	return func() error {
		if l.control == nil {
			return nil
		}
		cmds, err := l.commandsSince(*mark)
		if err != nil {
			return err
		}
		if len(cmds) > 0 {
			return fmt.Errorf("%d command(s) reached a node, first on %s: %s %s", len(cmds), cmds[0].Node, cmds[0].Program, cmds[0].Args)
		}
		return nil
	}
}

// expectOnlyQueriesSince fails when a node ran anything but a read-only query
// (sc query / qc, reg query, hostname, cluster.exe listings) after the log had *mark entries.
func (l *testLab) expectOnlyQueriesSince(mark *int) func() error {
	return func() error {
		if l.control == nil {
			return nil
		}
		cmds, err := l.commandsSince(*mark)
		if err != nil {
			return err
		}
		for _, c := range cmds {
			if !isReadOnly(c) {
				return fmt.Errorf("%s ran %s %s", c.Node, c.Program, c.Args)
			}
		}
		return nil
	}
}

func isQuery(c world.CommandRecord) bool {
	args := strings.Fields(strings.ToLower(c.Args))
	switch strings.ToLower(c.Program) {
	case "sc", "sc.exe":
		return len(args) > 0 && (args[0] == "query" || args[0] == "qc")
	case "cluster", "cluster.exe":
		for _, a := range args {
			if strings.Contains(a, "=") || strings.HasPrefix(a, "/move") || strings.HasPrefix(a, "/online") ||
				strings.HasPrefix(a, "/offline") || strings.HasPrefix(a, "/set") || strings.HasPrefix(a, "/fail") ||
				strings.HasPrefix(a, "/create") || strings.HasPrefix(a, "/delete") {
				return false
			}
		}
		return true
	}
	return false
}
