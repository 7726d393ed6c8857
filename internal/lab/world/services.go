package world

import (
	"strings"
	"time"
)

// Service states, numbered as SERVICE_STATUS.dwCurrentState.
const (
	svcStopped      = 1
	svcStartPending = 2
	svcStopPending  = 3
	svcRunning      = 4
)

// Start types, numbered as the registry's Start value.
const (
	startAuto     = 2
	startDemand   = 3
	startDisabled = 4
)

var stateNames = map[int]string{svcStopped: "STOPPED", svcStartPending: "START_PENDING", svcStopPending: "STOP_PENDING", svcRunning: "RUNNING"}

var startTypeWords = map[int]string{startAuto: "auto", startDemand: "demand", startDisabled: "disabled"}

// serviceTransition is how long a start or stop takes (emulated).
const serviceTransition = 2 * time.Second

// Win32 error codes the service control manager returns.
const (
	errAccessDenied             = 5
	errInvalidParameter         = 87
	errDependentServicesRunning = 1051
	errServiceRequestTimeout    = 1053
	errServiceAlreadyRunning    = 1056
	errServiceDisabled          = 1058
	errServiceDoesNotExist      = 1060
	errServiceCannotAcceptCtrl  = 1061
	errServiceNotActive         = 1062
	errProcessAborted           = 1067
	errServiceDependencyFail    = 1068
	errServiceMarkedForDelete   = 1072
	errShutdownInProgress       = 1115
)

// win32Messages are the system's texts for the codes the tools report.
var win32Messages = map[int]string{
	errAccessDenied:             "Access is denied.",
	errInvalidParameter:         "The parameter is incorrect.",
	errDependentServicesRunning: "A stop control has been sent to a service which other running services are dependent on.",
	errServiceRequestTimeout:    "The service did not respond to the start or control request in a timely fashion.",
	errServiceAlreadyRunning:    "An instance of the service is already running.",
	errServiceDisabled:          "The service cannot be started, either because it is disabled or because it has no enabled devices associated with it.",
	errServiceDoesNotExist:      "The specified service does not exist as an installed service.",
	errServiceCannotAcceptCtrl:  "The service cannot accept control messages at this time.",
	errServiceNotActive:         "The service has not been started.",
	errProcessAborted:           "The process terminated unexpectedly.",
	errServiceDependencyFail:    "The dependency service or group failed to start.",
	errServiceMarkedForDelete:   "The specified service has been marked for deletion.",
	errShutdownInProgress:       "A system shutdown is in progress.",
}

// service is one Win32 service of a node.
type service struct {
	name      string
	display   string
	state     int
	startType int
	deps      []string
	binPath   string
	startName string
	// broken: the process dies at once on every start (corrupt install).
	broken   bool
	exitCode int // WIN32_EXIT_CODE of the last stop
	// markedForDelete: its program is being removed (Remove All); it goes at
	// the next boot and can't start until then.
	markedForDelete bool
	gen             int // bumped on every transition, so a stale completion does nothing
}

// baseServices are the services of a fresh NT 4.0 cluster node.
func baseServices() []ServiceSpec {
	return []ServiceSpec{
		{Name: "EventLog", DisplayName: "EventLog", State: "running", StartType: "auto", BinaryPath: `C:\WINNT\system32\services.exe`},
		{Name: "RpcSs", DisplayName: "Remote Procedure Call (RPC) Service", State: "running", StartType: "auto", BinaryPath: `C:\WINNT\system32\RpcSs.exe`},
		{Name: "LanmanWorkstation", DisplayName: "Workstation", State: "running", StartType: "auto", BinaryPath: `C:\WINNT\system32\services.exe`},
		{Name: "LanmanServer", DisplayName: "Server", State: "running", StartType: "auto", BinaryPath: `C:\WINNT\system32\services.exe`},
		{Name: "ClusSvc", DisplayName: "Cluster Server", State: "running", StartType: "auto", Dependencies: []string{"RpcSs"}, BinaryPath: `C:\WINNT\cluster\clussvc.exe`},
		{Name: "MSDTC", DisplayName: "MSDTC", State: "stopped", StartType: "demand", Dependencies: []string{"RpcSs"}, BinaryPath: `C:\WINNT\System32\msdtc.exe`},
	}
}

// iisServices are what an Option Pack install with these components adds.
func iisServices(components []string, corrupt bool) []ServiceSpec {
	has := func(c string) bool {
		for _, x := range components {
			if strings.EqualFold(x, c) {
				return true
			}
		}
		return false
	}
	svcs := []ServiceSpec{{Name: "IISADMIN", DisplayName: "IIS Admin Service", State: "running", StartType: "auto", Dependencies: []string{"RpcSs"}, BinaryPath: `C:\WINNT\System32\inetsrv\inetinfo.exe`, Broken: corrupt}}
	if has("iis_www") {
		svcs = append(svcs, ServiceSpec{Name: "W3SVC", DisplayName: "World Wide Web Publishing Service", State: "running", StartType: "auto", Dependencies: []string{"IISADMIN"}, BinaryPath: `C:\WINNT\System32\inetsrv\inetinfo.exe`, Broken: corrupt})
	}
	if has("iis_ftp") {
		svcs = append(svcs, ServiceSpec{Name: "MSFTPSVC", DisplayName: "FTP Publishing Service", State: "running", StartType: "auto", Dependencies: []string{"IISADMIN"}, BinaryPath: `C:\WINNT\System32\inetsrv\inetinfo.exe`, Broken: corrupt})
	}
	if corrupt {
		for i := range svcs {
			svcs[i].State = "stopped"
		}
	}
	return svcs
}

func parseStartType(s string) int {
	switch s {
	case "demand":
		return startDemand
	case "disabled":
		return startDisabled
	default:
		return startAuto
	}
}

// applyServiceSpec creates or updates a service from a spec.
func (n *node) applyServiceSpec(spec ServiceSpec) {
	key := strings.ToLower(spec.Name)
	if spec.Remove {
		if _, ok := n.services[key]; ok {
			delete(n.services, key)
			for i, k := range n.svcOrder {
				if k == key {
					n.svcOrder = append(n.svcOrder[:i], n.svcOrder[i+1:]...)
					break
				}
			}
			n.reg.deleteTree(serviceKey(spec.Name))
		}
		return
	}
	s, ok := n.services[key]
	if !ok {
		s = &service{name: spec.Name, display: spec.Name, state: svcStopped, startType: startDemand, startName: "LocalSystem"}
		n.services[key] = s
		n.svcOrder = append(n.svcOrder, key)
	}
	if spec.DisplayName != "" {
		s.display = spec.DisplayName
	}
	switch spec.State {
	case "running":
		s.state = svcRunning
	case "stopped":
		s.state = svcStopped
	}
	if spec.StartType != "" {
		s.startType = parseStartType(spec.StartType)
	}
	if spec.Dependencies != nil {
		s.deps = spec.Dependencies
	}
	if spec.BinaryPath != "" {
		s.binPath = spec.BinaryPath
	}
	s.broken = spec.Broken
	if s.broken {
		s.state = svcStopped
	}
	n.syncServiceRegistry(s)
}

func serviceKey(name string) string {
	return `HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\` + name
}

// syncServiceRegistry writes the service's configuration where the SCM keeps it.
func (n *node) syncServiceRegistry(s *service) {
	k := serviceKey(s.name)
	n.reg.setDWord(k, "Type", 0x10)
	n.reg.setDWord(k, "Start", uint32(s.startType))
	n.reg.setDWord(k, "ErrorControl", 1)
	n.reg.set(k, &regValue{Name: "ImagePath", Type: regExpandSZ, Str: s.binPath})
	n.reg.setString(k, "DisplayName", s.display)
	n.reg.setString(k, "ObjectName", s.startName)
	if len(s.deps) > 0 {
		n.reg.set(k, &regValue{Name: "DependOnService", Type: regMultiSZ, Multi: append([]string(nil), s.deps...)})
	}
}

// service finds a service by name, case-insensitively.
func (n *node) service(name string) *service { return n.services[strings.ToLower(name)] }

// serviceByName finds a service by service name or display name, as net.exe does.
func (n *node) serviceByName(name string) *service {
	if s := n.service(name); s != nil {
		return s
	}
	for _, key := range n.svcOrder {
		if strings.EqualFold(n.services[key].display, name) {
			return n.services[key]
		}
	}
	return nil
}

// dependents lists the services that depend on s and are not stopped.
func (n *node) activeDependents(s *service) []*service {
	var out []*service
	for _, key := range n.svcOrder {
		d := n.services[key]
		for _, dep := range d.deps {
			if strings.EqualFold(dep, s.name) && d.state != svcStopped {
				out = append(out, d)
			}
		}
	}
	return out
}

// startServiceLocked asks the SCM to start s: its stopped dependencies start
// first (instantly, as their own start is not what the caller waits for), then
// s goes START_PENDING and completes after serviceTransition. It returns a
// Win32 error code, 0 on success.
func (w *World) startServiceLocked(n *node, s *service) int {
	if n.status != nodeUp {
		return errShutdownInProgress
	}
	switch s.state {
	case svcRunning, svcStartPending:
		return errServiceAlreadyRunning
	case svcStopPending:
		return errServiceCannotAcceptCtrl
	}
	if s.markedForDelete {
		return errServiceMarkedForDelete
	}
	if s.startType == startDisabled {
		return errServiceDisabled
	}
	for _, dep := range s.deps {
		d := n.service(dep)
		if d == nil || !w.bootService(n, d, map[string]bool{s.name: true}) {
			return errServiceDependencyFail
		}
	}
	s.gen++
	gen := s.gen
	s.state = svcStartPending
	s.exitCode = 0
	w.after(serviceTransition, func() { w.finishTransition(n, s, gen) })
	return 0
}

// stopServiceLocked asks the SCM to stop s. Dependents that run make it fail
// with 1051, as ControlService does; net.exe stops them first itself.
func (w *World) stopServiceLocked(n *node, s *service) int {
	if n.status != nodeUp {
		return errShutdownInProgress
	}
	switch s.state {
	case svcStopped:
		return errServiceNotActive
	case svcStopPending, svcStartPending:
		return errServiceCannotAcceptCtrl
	}
	if len(n.activeDependents(s)) > 0 {
		return errDependentServicesRunning
	}
	s.gen++
	gen := s.gen
	s.state = svcStopPending
	w.after(serviceTransition, func() { w.finishTransition(n, s, gen) })
	return 0
}

// finishTransition completes a pending start or stop, unless a later
// transition (or a reboot) superseded it.
func (w *World) finishTransition(n *node, s *service, gen int) {
	if s.gen != gen || n.status != nodeUp {
		return
	}
	switch s.state {
	case svcStartPending:
		if s.broken || !w.serviceCanRun(n, s) {
			s.state = svcStopped
			s.exitCode = errProcessAborted
		} else {
			s.state = svcRunning
		}
	case svcStopPending:
		s.state = svcStopped
	default:
		return
	}
	s.gen++
	w.servicesChanged(n)
}

// finishPendingLocked completes s's pending transition now: net.exe waits for
// it, and its wait is the time passing.
func (w *World) finishPendingLocked(n *node, s *service) {
	if s.state == svcStartPending || s.state == svcStopPending {
		w.finishTransition(n, s, s.gen)
	}
}

// bootService brings s and its dependencies to RUNNING at once (boot, or a
// dependency started on the way), reporting whether s runs.
func (w *World) bootService(n *node, s *service, visiting map[string]bool) bool {
	if s.state == svcRunning {
		return true
	}
	if visiting[s.name] || s.startType == startDisabled || s.markedForDelete {
		return false
	}
	visiting[s.name] = true
	for _, dep := range s.deps {
		d := n.service(dep)
		if d == nil || !w.bootService(n, d, visiting) {
			return false
		}
	}
	s.gen++
	if s.broken || !w.serviceCanRun(n, s) {
		s.state = svcStopped
		s.exitCode = errProcessAborted
		return false
	}
	s.state = svcRunning
	s.exitCode = 0
	return true
}

// serviceCanRun holds the conditions beyond the SCM's for a service to run:
// the cluster service dies on a node where Option Pack setup left older
// system files (until the service pack is re-applied).
func (w *World) serviceCanRun(n *node, s *service) bool {
	return !w.clusterServiceBlocked(n, s)
}

// servicesChanged propagates service states to the cluster: the cluster
// service's state decides membership, and resources fail when what they need
// stops.
func (w *World) servicesChanged(n *node) {
	if w.cluster == nil {
		return
	}
	member := w.clusterMember(n)
	was := w.cluster.members[n.name]
	switch {
	case member && !was:
		w.nodeJoined(n)
	case !member && was:
		w.nodeLeft(n)
	}
	w.checkResources(n)
}
