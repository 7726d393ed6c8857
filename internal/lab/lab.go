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

	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/krb"
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
	// CBTHardening overrides the scenario's cbt_hardening: every node's
	// WinRM CbtHardeningLevel for HTTPS, "none", "relaxed" or "strict",
	// checked for NTLM and Kerberos; "" keeps the scenario's (none unless
	// it says otherwise).
	CBTHardening string
	// Krb5Keytab and Krb5Realm, given together, make the nodes accept
	// Kerberos tickets of an outside KDC: each node verifies with the keys
	// of its own SPNs (host/, HTTP/ and WSMAN/ on <node>.<realm in lower
	// case> and on <node>) from that keytab and no other, and the lab
	// starts no KDC of its own. Without them the lab runs a KDC for the
	// realm krb.Realm(domain) (LAB -> LAB.TEST) and writes krb5.conf and
	// the nodes' keytab (krb5.keytab) into Dir.
	Krb5Keytab string
	Krb5Realm  string
	// Dir receives the CA certificate (ca.pem), the ready file (lab.json),
	// krb5.conf and krb5.keytab. Empty means a fresh temporary folder,
	// removed by Close.
	Dir string
}

// NodeEndpoint is where a node's WS-Management service listens.
type NodeEndpoint struct {
	Name string `json:"name"`
	// Host is the node's DNS name in the Kerberos realm, e.g.
	// node1.lab.test: the host part of its SPNs (HTTP/node1.lab.test).
	// Clients reach the node on 127.0.0.1 and name it so for Kerberos.
	Host  string `json:"host"`
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
	// CBTHardening is the nodes' CbtHardeningLevel: none, relaxed or strict.
	CBTHardening string        `json:"cbt_hardening"`
	Kerberos     *KerberosInfo `json:"kerberos,omitempty"`
}

// KerberosInfo is what a Kerberos client needs of the lab.
type KerberosInfo struct {
	// Realm is e.g. LAB.TEST; the administrator is Administrator@LAB.TEST.
	Realm string `json:"realm"`
	// Keytab holds the nodes' service keys: the lab's own (written into
	// Dir), or the outside keytab it was given.
	Keytab string `json:"keytab"`
	// Krb5Conf is a krb5.conf naming the lab's KDC (over TCP); empty with
	// an outside keytab.
	Krb5Conf string `json:"krb5_conf,omitempty"`
	// KDC is the lab's KDC, host:port for UDP and TCP; empty with an
	// outside keytab.
	KDC string `json:"kdc,omitempty"`
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

	realm      string
	keytab     *keytab.Keytab // every node's service keys
	keytabFile string
	krb5Conf   string // "" with an outside keytab
	kdc        *krb.KDC

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
	if !world.ValidCBTHardening(opts.CBTHardening) {
		return nil, fmt.Errorf("lab: CBT hardening %q: want none, relaxed or strict", opts.CBTHardening)
	}
	if l.opts.CBTHardening == "" {
		l.opts.CBTHardening = sc.CBTHardening
	}
	if l.opts.CBTHardening == "" {
		l.opts.CBTHardening = wsman.CBTNone
	}
	if (opts.Krb5Keytab == "") != (opts.Krb5Realm == "") {
		return nil, errors.New("lab: an outside keytab needs its realm, and a realm its keytab")
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
	if err := l.startKerberos(); err != nil {
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

// startKerberos loads the outside keytab, or makes every node's keys and
// starts the lab's KDC, and writes krb5.conf and krb5.keytab into Dir.
func (l *Lab) startKerberos() error {
	names := l.world.NodeNames()
	if l.opts.Krb5Keytab != "" {
		kt, err := keytab.Load(l.opts.Krb5Keytab)
		if err != nil {
			return fmt.Errorf("lab: keytab %s: %w", l.opts.Krb5Keytab, err)
		}
		l.realm, l.keytab, l.keytabFile = l.opts.Krb5Realm, kt, l.opts.Krb5Keytab
		for _, node := range names {
			if len(krb.NodeKeytab(kt, node, l.realm).Entries) == 0 {
				return fmt.Errorf("lab: keytab %s has no key of %s in %s (any of %s)", l.opts.Krb5Keytab, node, l.realm, strings.Join(krb.SPNs(node, l.realm), ", "))
			}
		}
		return nil
	}
	l.realm = krb.Realm(l.world.Domain())
	l.keytab = keytab.New()
	for _, node := range names {
		// Each node's computer account has its own random password.
		if err := krb.AddNodeKeys(l.keytab, node, l.realm, krb.RandomPassword()); err != nil {
			return fmt.Errorf("lab: %s: keys: %w", node, err)
		}
	}
	var err error
	l.kdc, err = krb.Start(krb.Config{
		Realm:    l.realm,
		Services: l.keytab,
		Password: func(user string) (string, string, bool) {
			name, password, ok := l.world.DomainAccount(user)
			return password, name, ok
		},
	}, "127.0.0.1")
	if err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	data, err := l.keytab.Marshal()
	if err != nil {
		return fmt.Errorf("lab: keytab: %w", err)
	}
	l.keytabFile = filepath.Join(l.dir, "krb5.keytab")
	if err := writeFileAtomic(l.keytabFile, data, 0o600); err != nil {
		return fmt.Errorf("lab: keytab: %w", err)
	}
	l.krb5Conf = filepath.Join(l.dir, "krb5.conf")
	if err := writeFileAtomic(l.krb5Conf, []byte(krb.Krb5Conf(l.realm, l.kdc.Addr())), 0o644); err != nil {
		return fmt.Errorf("lab: krb5.conf: %w", err)
	}
	return nil
}

func (l *Lab) startNodes() error {
	for i, node := range l.world.NodeNames() {
		// The certificate names the node too, so a client whose hosts file
		// maps NODE1 to 127.0.0.1 can verify it by name.
		tlsConf, err := l.ca.ServerTLSConfig("127.0.0.1", "localhost", strings.ToLower(node), krb.HostName(node, l.realm))
		if err != nil {
			return fmt.Errorf("lab: %s: TLS: %w", node, err)
		}
		h := wsman.NewHandler(wsman.Config{
			Kerberos:              &wsman.Kerberos{Realm: l.realm, Keytab: krb.NodeKeytab(l.keytab, node, l.realm)},
			CBTHardening:          l.opts.CBTHardening,
			TLSCertificate:        tlsConf.Certificates[0].Certificate[0],
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
		l.nodes = append(l.nodes, NodeEndpoint{Name: node, Host: krb.HostName(node, l.realm), HTTP: ep.HTTPURL(), HTTPS: ep.HTTPSURL()})
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

		CBTHardening: l.opts.CBTHardening,
		Kerberos:     l.KerberosInfo(),
	}
}

// KerberosInfo describes the lab's Kerberos as the ready file does.
func (l *Lab) KerberosInfo() *KerberosInfo {
	info := &KerberosInfo{Realm: l.realm, Keytab: l.keytabFile, Krb5Conf: l.krb5Conf}
	if l.kdc != nil {
		info.KDC = l.kdc.Addr()
	}
	return info
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
		if l.kdc != nil {
			l.kdc.Close()
		}
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
