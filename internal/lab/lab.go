// Package lab assembles the lab emulator: a world (internal/lab/world) whose
// nodes each answer WS-Management (internal/lab/wsman) on loopback, running
// command lines through the cmd.exe interpreter (internal/lab/cmdshell), plus a
// control API that lets tests inspect the world and inject faults.
//
// Start a lab in-process with Start; cmd/mscs-lab runs one as a process and
// describes it in a ready file (see ReadyInfo).
package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/wsman"
)

// AdminUser is the bare name of the scenario's domain administrator, the
// account the lab hands out to clients.
const AdminUser = "Administrator"

// Options configures a lab.
type Options struct {
	// Scenario is a built-in scenario name ("healthy", "rebuilt-node",
	// "corrupted-iis") or the path of a scenario file.
	Scenario string
	// HTTPSOnly starts no plain HTTP listener.
	HTTPSOnly bool
	// AllowUnencrypted mirrors WinRM's AllowUnencrypted: when false (the
	// Windows default) plain HTTP only accepts NTLM-sealed messages, so Basic
	// over HTTP is refused.
	AllowUnencrypted bool
	// DisableBasic turns Basic authentication off on every node, as a
	// Windows service's default (Auth/Basic=false) has it: the 401 offers
	// only Negotiate and Kerberos.
	DisableBasic bool
	// ToolLayout overrides the scenario's tool_layout: "nt4" or "2003"
	// (FORMATS.md); "" keeps the scenario's.
	ToolLayout string
	Seed       int64
	// TimeScale multiplies emulated durations (see world.Options.TimeScale);
	// 0 keeps the scenario's own scale.
	TimeScale float64
	// PortBase 0 gives every listener a random free port on 127.0.0.1;
	// otherwise node i (scenario order, from 0) listens on PortBase+2i (HTTP)
	// and PortBase+2i+1 (HTTPS), the control API on PortBase+2n for n nodes,
	// and the web sites on PortBase+2n+1 and up.
	PortBase int
	// Latency delays every WS-Management answer of every node (an emulated
	// network round trip).
	Latency time.Duration
	// ShellIdleTimeout is when a node drops a shell that saw no request
	// (Windows' IdleTimeout; 0: 15 minutes); with IdleDropEmpty400 a request
	// naming such a shell gets an empty HTTP 400, as Windows has been seen
	// to answer, instead of the shell-not-found fault.
	ShellIdleTimeout time.Duration
	IdleDropEmpty400 bool
	// MaxOperationsPerShell overrides the scenario's (see
	// world.Scenario.MaxOperationsPerShell) when not 0.
	MaxOperationsPerShell int
	// Dir receives the CA certificate (ca.pem) and the ready file (lab.json).
	// Empty means a fresh temporary folder, removed by Close.
	Dir string
}

// NodeEndpoint is where a node's WS-Management service listens.
type NodeEndpoint struct {
	Name  string `json:"name"`
	HTTP  string `json:"http,omitempty"` // e.g. http://127.0.0.1:5985/wsman; empty when HTTPS only
	HTTPS string `json:"https"`
}

// ReadyInfo is what a client needs to talk to a running lab: the content of
// the ready file that cmd/mscs-lab writes.
type ReadyInfo struct {
	Scenario   string         `json:"scenario"`
	Nodes      []NodeEndpoint `json:"nodes"`
	CAFile     string         `json:"ca_file"`
	Username   string         `json:"username"`
	Password   string         `json:"password"`
	ControlURL string         `json:"control_url"`
	// Sites maps each virtual server address to the URL its web site
	// answers on (http://127.0.0.1:port).
	Sites map[string]string `json:"sites,omitempty"`
}

// ReadReadyFile loads a ready file written by a lab.
func ReadReadyFile(path string) (ReadyInfo, error) {
	var info ReadyInfo
	data, err := os.ReadFile(path)
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal(data, &info); err != nil {
		return info, fmt.Errorf("ready file %s: %w", path, err)
	}
	return info, nil
}

// Lab is a running lab cluster.
type Lab struct {
	opts      Options
	world     *world.World
	ca        *wsman.CA
	caFile    string
	dir       string
	removeDir bool

	nodes     []NodeEndpoint
	handlers  []*wsman.Handler
	handlerOf map[string]*wsman.Handler  // by node name as the world spells it
	endpoints map[string]*wsman.Endpoint // by node name as the world spells it

	username, password string

	control *controlServer
	sites   []*siteServer

	// resync asks the syncer to re-read every node's reachability.
	resync   chan struct{}
	stopSync chan struct{}
	syncDone chan struct{}

	closing   atomic.Bool
	closeOnce sync.Once
	stopCtx   func() bool
}

// Start builds the scenario's world and starts one WS-Management endpoint per
// node and the control API, all on 127.0.0.1. Cancelling ctx closes the lab,
// as does Close.
func Start(ctx context.Context, opts Options) (_ *Lab, err error) {
	if opts.Scenario == "" {
		return nil, errors.New("lab: no scenario given")
	}
	sc, err := world.LoadScenario(opts.Scenario)
	if err != nil {
		return nil, fmt.Errorf("lab: scenario %q: %w", opts.Scenario, err)
	}
	w, err := world.New(sc, world.Options{TimeScale: opts.TimeScale, Seed: opts.Seed, ToolLayout: opts.ToolLayout})
	if err != nil {
		return nil, fmt.Errorf("lab: scenario %q: %w", opts.Scenario, err)
	}
	l := &Lab{opts: opts, world: w, endpoints: map[string]*wsman.Endpoint{}, handlerOf: map[string]*wsman.Handler{}}
	// Either the scenario or the caller can relax WinRM's default.
	l.opts.AllowUnencrypted = opts.AllowUnencrypted || sc.AllowUnencrypted
	l.opts.DisableBasic = opts.DisableBasic || sc.DisableBasic
	if l.opts.MaxOperationsPerShell == 0 {
		l.opts.MaxOperationsPerShell = sc.MaxOperationsPerShell
	}
	defer func() {
		if err != nil {
			l.Close()
		}
	}()

	if err := l.prepareDir(); err != nil {
		return nil, err
	}
	if err := l.credentials(); err != nil {
		return nil, err
	}
	if err := l.startCA(); err != nil {
		return nil, err
	}
	if err := l.startNodes(); err != nil {
		return nil, err
	}
	if l.control, err = startControl(w, l.addr(2*len(l.nodes))); err != nil {
		return nil, err
	}
	if err := l.startSites(); err != nil {
		return nil, err
	}
	if err := l.WriteReadyFile(l.ReadyFile()); err != nil {
		return nil, err
	}
	l.stopCtx = context.AfterFunc(ctx, l.Close)
	return l, nil
}

func (l *Lab) prepareDir() error {
	if l.opts.Dir == "" {
		dir, err := os.MkdirTemp("", "mscs-lab-")
		if err != nil {
			return fmt.Errorf("lab: %w", err)
		}
		l.dir, l.removeDir = dir, true
		return nil
	}
	if err := os.MkdirAll(l.opts.Dir, 0o755); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	abs, err := filepath.Abs(l.opts.Dir)
	if err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	l.dir = abs
	return nil
}

// credentials picks the domain administrator the lab hands out.
func (l *Lab) credentials() error {
	names := l.world.NodeNames()
	if len(names) == 0 {
		return errors.New("lab: the scenario has no nodes")
	}
	domain := l.world.Domain()
	password, ok := l.world.Password(names[0], AdminUser, domain)
	if !ok {
		return fmt.Errorf("lab: the scenario has no %s\\%s account", domain, AdminUser)
	}
	l.username, l.password = domain+`\`+AdminUser, password
	return nil
}

func (l *Lab) startCA() error {
	ca, err := wsman.NewCA("MSCS lab CA")
	if err != nil {
		return fmt.Errorf("lab: CA: %w", err)
	}
	l.ca = ca
	l.caFile = filepath.Join(l.dir, "ca.pem")
	if err := ca.WriteFile(l.caFile); err != nil {
		return fmt.Errorf("lab: CA: %w", err)
	}
	return nil
}

func (l *Lab) startNodes() error {
	for i, node := range l.world.NodeNames() {
		// The certificate names the node too, so a client whose hosts file
		// maps NODE1 to 127.0.0.1 can verify it by name.
		tlsConf, err := l.ca.ServerTLSConfig("127.0.0.1", "localhost", strings.ToLower(node))
		if err != nil {
			return fmt.Errorf("lab: %s: TLS: %w", node, err)
		}
		h := wsman.NewHandler(wsman.Config{
			NodeName:              node,
			Domain:                l.world.Domain(),
			Executor:              nodeExecutor{world: l.world, node: node},
			Accounts:              nodeAccounts{world: l.world, node: node},
			Faults:                nodeFaults{world: l.world, node: node},
			AllowUnencrypted:      l.opts.AllowUnencrypted,
			DisableBasic:          l.opts.DisableBasic,
			Latency:               l.opts.Latency,
			IdleTimeout:           l.opts.ShellIdleTimeout,
			IdleDropEmpty400:      l.opts.IdleDropEmpty400,
			MaxOperationsPerShell: l.opts.MaxOperationsPerShell,
		})
		l.handlers = append(l.handlers, h)
		l.handlerOf[node] = h
		httpAddr := l.addr(2 * i)
		if l.opts.HTTPSOnly {
			httpAddr = ""
		}
		ep, err := wsman.Listen(h, httpAddr, l.addr(2*i+1), tlsConf)
		if err != nil {
			return fmt.Errorf("lab: %s: %w", node, err)
		}
		l.endpoints[node] = ep
		l.nodes = append(l.nodes, NodeEndpoint{Name: node, HTTP: ep.HTTPURL(), HTTPS: ep.HTTPSURL()})
	}
	// Registered once every endpoint exists, so the callback never sees a
	// missing one.
	l.resync = make(chan struct{}, 1)
	l.stopSync = make(chan struct{})
	l.syncDone = make(chan struct{})
	l.world.OnReachability(l.reachabilityChanged)
	l.syncReachability()
	go l.reachabilitySyncer()
	return nil
}

// reachabilityChanged applies a change at once, so a fault added through the
// control API is in force when the API answers. The world calls it outside
// its lock, so two changes racing could arrive out of order: the syncer then
// re-reads the world and puts the endpoints right.
func (l *Lab) reachabilityChanged(node string, reachable bool) {
	if ep := l.endpoints[node]; ep != nil {
		l.setReachable(node, ep, reachable)
	}
	// A node going down (a reboot, not a network fault) loses its WinRM
	// service's shells, as Windows does.
	if h := l.handlerOf[node]; h != nil && !reachable && !l.world.Up(node) {
		h.DropShells()
	}
	select {
	case l.resync <- struct{}{}:
	default: // a resync is already pending
	}
}

func (l *Lab) reachabilitySyncer() {
	defer close(l.syncDone)
	for {
		select {
		case <-l.resync:
			l.syncReachability()
		case <-l.stopSync:
			return
		}
	}
}

func (l *Lab) syncReachability() {
	for node, ep := range l.endpoints {
		l.setReachable(node, ep, l.world.Reachable(node))
	}
}

func (l *Lab) setReachable(node string, ep *wsman.Endpoint, reachable bool) {
	if err := ep.SetReachable(reachable); err != nil && !l.closing.Load() {
		// The ports could not be listened on again: the node stays
		// unreachable, and whoever runs the lab should know why.
		log.Printf("lab: %s: making the endpoint reachable=%t: %v", node, reachable, err)
	}
}

// addr is the listen address of the slot'th port: a random port when
// PortBase is 0.
func (l *Lab) addr(slot int) string {
	port := 0
	if l.opts.PortBase != 0 {
		port = l.opts.PortBase + slot
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// Nodes lists the nodes' endpoints in scenario order.
func (l *Lab) Nodes() []NodeEndpoint { return append([]NodeEndpoint(nil), l.nodes...) }

// Node returns the endpoint of the named node (case-insensitive).
func (l *Lab) Node(name string) (NodeEndpoint, bool) {
	for _, n := range l.nodes {
		if strings.EqualFold(n.Name, name) {
			return n, true
		}
	}
	return NodeEndpoint{}, false
}

// CAFile is the path of the PEM file of the CA that signed every node's
// HTTPS certificate.
func (l *Lab) CAFile() string { return l.caFile }

// CAPEM is the CA certificate in PEM form.
func (l *Lab) CAPEM() []byte { return l.ca.PEM() }

// Username is the domain administrator, e.g. `LAB\Administrator`.
func (l *Lab) Username() string { return l.username }

// Password is the domain administrator's password.
func (l *Lab) Password() string { return l.password }

// ControlURL is the base URL of the control API, e.g. http://127.0.0.1:41234.
func (l *Lab) ControlURL() string { return l.control.url }

// Control is a client of this lab's control API.
func (l *Lab) Control() Control { return Control{URL: l.control.url} }

// World is the lab's world, for in-process tests that want it directly.
func (l *Lab) World() *world.World { return l.world }

// Dir is the folder holding the CA file and the ready file.
func (l *Lab) Dir() string { return l.dir }

// ReadyFile is the ready file Start wrote in Dir.
func (l *Lab) ReadyFile() string { return filepath.Join(l.dir, "lab.json") }

// Ready describes the lab as the ready file does.
func (l *Lab) Ready() ReadyInfo {
	return ReadyInfo{
		Scenario:   l.opts.Scenario,
		Nodes:      l.Nodes(),
		CAFile:     l.caFile,
		Username:   l.username,
		Password:   l.password,
		ControlURL: l.control.url,
		Sites:      l.Sites(),
	}
}

// WriteReadyFile writes Ready() as JSON to path atomically (a reader never
// sees a partial file), readable by the owner only since it holds a password.
func (l *Lab) WriteReadyFile(path string) error {
	data, err := json.MarshalIndent(l.Ready(), "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(data, '\n'), 0o600)
}

func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // a no-op once renamed
	if err := tmp.Chmod(perm); err != nil {
		_ = tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Close stops the listeners, the shells and the world's timers, and removes
// the temporary folder if Start made one. It is safe to call more than once.
func (l *Lab) Close() {
	l.closeOnce.Do(func() {
		l.closing.Store(true)
		if l.stopCtx != nil {
			l.stopCtx()
		}
		if l.control != nil {
			l.control.close()
		}
		l.closeSites()
		if l.syncDone != nil {
			// resync stays open: callbacks may still arrive from commands
			// in flight, and find it full or unread, never closed.
			close(l.stopSync)
			<-l.syncDone
		}
		for _, ep := range l.endpoints {
			_ = ep.Close()
		}
		for _, h := range l.handlers {
			h.Close()
		}
		l.world.Close()
		if l.removeDir {
			_ = os.RemoveAll(l.dir)
		} else if l.dir != "" {
			// A ready file that outlives the lab would send clients to dead ports.
			_ = os.Remove(l.ReadyFile())
		}
	})
}
