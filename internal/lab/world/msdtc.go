package world

import (
	"strings"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/winfs"
)

// MSDTC as MTS 2.0 keeps it (see FORMATS.md, "MSDTC"): per node absent (not
// registered: never installed, or `msdtc -remove`d), standalone (what
// Option Pack setup installs with the cluster service stopped) or clustered
// (`msdtc -install` on the node owning the group, `msdtc -join` on the
// other); per cluster the log folder on the shared disk and the virtual
// server `-install` named. The MSDTC resource comes online only on a
// clustered node whose group holds the disk the log folder is on, with the
// folder there.

// A node's MSDTC modes.
const (
	dtcAbsent     = "absent"
	dtcStandalone = "standalone"
	dtcClustered  = "clustered"
)

const (
	msdtcExe = `C:\WINNT\System32\msdtc.exe`
	// ntopDTCVersion is msdtc.exe's file version as the Option Pack installs it.
	ntopDTCVersion   = "1997.11.532.0"
	msdtcKey         = `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\MSDTC`
	msdtcClusterKey  = msdtcKey + `\Cluster`
	standaloneDTCLog = `C:\WINNT\System32\DTCLog`
)

// msdtcState is one node's MSDTC.
type msdtcState struct {
	mode    string
	version string // msdtc.exe's file version
}

// clusterDTC is the cluster's side of a clustered MSDTC.
type clusterDTC struct {
	log           string // the log folder on the shared disk, e.g. S:\MSDTCLog
	virtualServer string // the Network Name -install named
	installedOn   string // the node that ran -install
	// damaged says why MSDTC can't run anywhere (a safety rule 5 incident).
	damaged string
}

// MSDTCSnapshot is a node's MSDTC in the world's snapshot.
type MSDTCSnapshot struct {
	MSDTC        string `json:"msdtc"` // absent, standalone or clustered
	MSDTCVersion string `json:"msdtc_version,omitempty"`
	// MSDTCLog is where this node's MSDTC logs: the cluster's log folder
	// when clustered, the local DTCLog when standalone.
	MSDTCLog string `json:"msdtc_log,omitempty"`
}

// seedMSDTC sets a node's MSDTC from its scenario spec (standalone by default).
func (w *World) seedMSDTC(n *node, spec NodeSpec) {
	mode := orDefault(spec.MSDTC, dtcStandalone)
	n.dtc = msdtcState{mode: mode, version: ntopDTCVersion}
	if mode != dtcAbsent {
		_ = writeFileMkdir(n.fs, msdtcExe, "MZ emulated msdtc.exe version="+ntopDTCVersion)
	}
}

// seedClusterDTC sets the cluster's MSDTC log folder: the scenario's, or
// MSDTCLog on the disk of the MSDTC resource's group.
func (c *cluster) seedClusterDTC(spec ClusterSpec) {
	c.dtc.log = spec.MSDTCLog
	for _, r := range c.resources {
		if r.typ != typeMSDTC {
			continue
		}
		for _, d := range r.group.resources {
			if d.disk != nil && c.dtc.log == "" {
				c.dtc.log = d.disk.drive + `\MSDTCLog`
			}
			if d.typ == typeNetworkName && c.dtc.virtualServer == "" {
				c.dtc.virtualServer = d.privateValue("Name")
			}
		}
	}
}

func (n *node) msdtcSnapshot(c *cluster) MSDTCSnapshot {
	s := MSDTCSnapshot{MSDTC: n.dtc.mode}
	if n.dtc.mode != dtcAbsent {
		s.MSDTCVersion = n.dtc.version
		s.MSDTCLog = n.dtcLogPath(c)
	}
	return s
}

func (n *node) dtcLogPath(c *cluster) string {
	if n.dtc.mode == dtcClustered {
		return c.dtc.log
	}
	return standaloneDTCLog
}

// setMSDTC registers (or, absent, unregisters) MSDTC on n: its service and
// its registry key, as MTS setup and msdtc.exe leave them.
func (w *World) setMSDTC(n *node, mode string) {
	n.dtc.mode = mode
	n.reg.deleteTree(msdtcKey)
	if mode == dtcAbsent {
		if s := n.service("MSDTC"); s != nil && s.state != svcStopped {
			s.state = svcStopped
		}
		n.applyServiceSpec(ServiceSpec{Name: "MSDTC", Remove: true})
		return
	}
	if n.service("MSDTC") == nil {
		for _, s := range baseServices() {
			if s.Name == "MSDTC" {
				n.applyServiceSpec(s)
			}
		}
	}
	n.reg.setString(msdtcKey, "LogPath", n.dtcLogPath(w.cluster))
	if mode == dtcClustered {
		n.reg.setString(msdtcClusterKey, "VirtualServerName", w.cluster.dtc.virtualServer)
		n.reg.setString(msdtcClusterKey, "LogPath", w.cluster.dtc.log)
	}
}

// dtcCanRun reports whether the MSDTC resource r can come online on n: n's
// MSDTC is clustered, nothing damaged it, and the log folder is on a disk of
// r's group and exists there.
func (w *World) dtcCanRun(r *resource, n *node) bool {
	if n.dtc.mode != dtcClustered || w.cluster.dtc.damaged != "" {
		return false
	}
	return w.logFolderOnGroupDisk(r.group, w.cluster.dtc.log)
}

// logFolderOnGroupDisk reports whether folder exists on the volume of one of
// g's Physical Disk resources.
func (w *World) logFolderOnGroupDisk(g *group, folder string) bool {
	d := groupDisk(g, folder)
	if d == nil {
		return false
	}
	fs := winfs.New()
	fs.Mount(d.drive, d.vol)
	isDir, err := fs.Stat(folder)
	return err == nil && isDir
}

// groupDisk is the shared disk of g that path lies on, or nil.
func groupDisk(g *group, path string) *sharedDisk {
	if r := diskResource(g, path); r != nil {
		return r.disk
	}
	return nil
}

// privateValue is a private property's value ("" when unset).
func (r *resource) privateValue(name string) string {
	for _, p := range r.private {
		if strings.EqualFold(p.name, name) {
			return p.str
		}
	}
	return ""
}

// networkNameGroup is the group whose Network Name resource has the name
// (private property Name) vs, and that resource; nil when none has.
func (c *cluster) networkNameGroup(vs string) (*group, *resource) {
	for _, r := range c.resources {
		if r.typ == typeNetworkName && strings.EqualFold(r.privateValue("Name"), vs) {
			return r.group, r
		}
	}
	return nil, nil
}

// dtcResource is the cluster's MSDTC resource, or nil.
func (c *cluster) dtcResource() *resource {
	for _, r := range c.resources {
		if r.typ == typeMSDTC {
			return r
		}
	}
	return nil
}

// damageDTC records a safety rule 5 incident: MSDTC was set up so that it
// fails on both nodes.
func (w *World) damageDTC(n *node, what string) {
	w.cluster.dtc.damaged = what
	w.incidentLocked(n.name, 5, what, "MSDTC fails on both nodes: the MSDTC resource cannot come online anywhere")
	if r := w.cluster.dtcResource(); r != nil && r.state == resOnline {
		w.resourceFailed(r)
	}
}
