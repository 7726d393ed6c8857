package world

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// IIS 4.0's metabase and MTS catalog per node (FORMATS.md, "Metabase and
// MTS"): the W3SVC and MSFTPSVC instances (ServerComment, ServerBindings, the
// root's Path, AnonymousUserName) and the service-level AnonymousUserName and
// WAMUserName, read and set with adsutil.vbs; the MTS catalog's packages and
// LocalComputer settings live in the registry. A fresh Option Pack install
// has the default metabase and the system packages; a node that has served
// the cluster has the cluster's sites (roots on the shared disk) and its
// application packages. An IIS Server Instance resource runs on a node only
// when that node's metabase has its instance with a root on the group's disk.

const (
	adsutilPath     = `C:\WINNT\System32\inetsrv\adminsamples\adsutil.vbs`
	cscriptPath     = `C:\WINNT\System32\cscript.exe`
	iissyncPath     = `C:\WINNT\System32\inetsrv\iissync.exe`
	mtsKey          = `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Transaction Server`
	mtsPackagesKey  = mtsKey + `\Packages`
	mtsLocalKey     = mtsKey + `\LocalComputer`
	webAppsPackage  = "{6B3A2C10-5D1E-11D3-A1B2-00C04F8EDA11}"
	inProcAppsGUID  = "{3D14228C-FBE1-11d0-995D-00C04FD919C1}"
	metabaseCluster = "cluster"
	metabaseDefault = "default"
)

// systemPackages are the MTS packages setup installs; IISSYNC without MTS
// replication configured deletes every other package on the target
// (KB Q235698: all but the IIS utilities, utilities and System packages).
var systemPackages = []struct{ guid, name string }{
	{"{3A5D2F10-0B3A-11D1-9C05-00C04FB9921C}", "System"},
	{"{3A5D2F11-0B3A-11D1-9C05-00C04FB9921C}", "Utilities"},
	{"{3A5D2F12-0B3A-11D1-9C05-00C04FB9921C}", "IIS Utilities"},
}

// mbInstance is one W3SVC or MSFTPSVC server instance.
type mbInstance struct {
	service  string // W3SVC or MSFTPSVC
	id       int
	comment  string
	bindings []string
	root     string // the ROOT virtual directory's Path
	anonUser string // "" inherits the service's
}

// metabase is one node's IIS configuration.
type metabase struct {
	installed bool
	// Service-level (/W3SVC, /MSFTPSVC) values the instances inherit.
	w3AnonUser, wamUser, ftpAnonUser string
	instances                        []*mbInstance
}

func (m metabase) clone() metabase {
	c := m
	c.instances = nil
	for _, in := range m.instances {
		cp := *in
		cp.bindings = append([]string(nil), in.bindings...)
		c.instances = append(c.instances, &cp)
	}
	return c
}

func (m metabase) instance(service string, id int) *mbInstance {
	for _, in := range m.instances {
		if strings.EqualFold(in.service, service) && in.id == id {
			return in
		}
	}
	return nil
}

// defaultMetabase is what a fresh Option Pack install writes on node.
func defaultMetabase(node string) metabase {
	return metabase{installed: true, w3AnonUser: "IUSR_" + node, wamUser: "IWAM_" + node, ftpAnonUser: "IUSR_" + node,
		instances: []*mbInstance{
			{service: "W3SVC", id: 1, comment: "Default Web Site", bindings: []string{":80:"}, root: `C:\InetPub\wwwroot`},
			{service: "MSFTPSVC", id: 1, comment: "Default FTP Site", bindings: []string{":21:"}, root: `C:\InetPub\ftproot`},
		}}
}

// clusterMetabase is the metabase of a node that served the cluster: one
// instance per IIS Server Instance resource (its ServiceName and
// InstanceId), rooted on its group's disk, bound to the group's address, run
// as the cluster's domain accounts.
func (w *World) clusterMetabase() metabase {
	iusr, iwam := w.clusterIISAccounts()
	m := metabase{installed: true, w3AnonUser: iusr, wamUser: iwam, ftpAnonUser: iusr}
	for _, r := range w.cluster.resources {
		if r.typ != typeIIS {
			continue
		}
		svc := strings.ToUpper(orDefault(r.privateValue("ServiceName"), "W3SVC"))
		id, err := strconv.Atoi(orDefault(r.privateValue("InstanceId"), "1"))
		if err != nil || m.instance(svc, id) != nil {
			continue
		}
		drive, addr := "C:", ""
		for _, gr := range r.group.resources {
			if gr.disk != nil {
				drive = gr.disk.drive
			}
			if gr.typ == "IP Address" {
				addr = gr.privateValue("Address")
			}
		}
		in := &mbInstance{service: svc, id: id, comment: r.name, root: drive + `\InetPub\wwwroot`, bindings: []string{addr + ":80:"}}
		if svc == "MSFTPSVC" {
			in.root, in.bindings = drive+`\InetPub\ftproot`, []string{addr + ":21:"}
		}
		m.instances = append(m.instances, in)
	}
	return m
}

// seedMetabase gives the nodes with the Option Pack their metabase and MTS
// packages: the scenario's choice, "cluster" by default.
func (w *World) seedMetabase(n *node, seed string) {
	if !n.optionPack.Installed {
		return
	}
	w.installIISFiles(n)
	n.installIISAccounts()
	if orDefault(seed, metabaseCluster) == metabaseCluster && w.cluster.name != "" {
		n.mb = w.clusterMetabase()
		n.reg.setString(mtsPackagesKey+`\`+webAppsPackage, "Name", "Web Applications")
		w.grantClusterAccounts(n)
		return
	}
	n.mb = defaultMetabase(n.name)
}

// installIISFiles writes what an Option Pack install leaves for the tools
// the phases run (iissync.exe, adsutil.vbs, and cscript.exe with WSH) and
// the MTS catalog's system packages, per the installed components.
func (w *World) installIISFiles(n *node) {
	comps := n.optionPack.Components
	if hasComponent(comps, "iis_www") || hasComponent(comps, "iis_ftp") {
		_ = writeFileMkdir(n.fs, iissyncPath, "MZ emulated iissync.exe")
		_ = writeFileMkdir(n.fs, adsutilPath, "' emulated ADSUTIL.VBS")
	}
	if hasComponent(comps, "wsh_core") {
		_ = writeFileMkdir(n.fs, cscriptPath, "MZ emulated cscript.exe")
	}
	if hasComponent(comps, "mts_core") {
		w.installMTSCatalog(n)
	}
}

// installMTSCatalog writes the system packages, as MTS setup does.
func (w *World) installMTSCatalog(n *node) {
	for _, p := range systemPackages {
		n.reg.setString(mtsPackagesKey+`\`+p.guid, "Name", p.name)
	}
	n.reg.setString(mtsPackagesKey+`\`+inProcAppsGUID, "Name", "IIS In-Process Applications")
	n.reg.ensureKey(mtsLocalKey)
}

// packages are n's MTS packages by GUID.
func (n *node) packages() map[string]string {
	out := map[string]string{}
	for _, sub := range n.reg.subkeys(mtsPackagesKey) {
		name := ""
		if k, ok := n.reg.key(sub); ok {
			if v, ok := k.value("Name"); ok {
				name = v.Str
			}
		}
		out[sub[strings.LastIndex(sub, `\`)+1:]] = name
	}
	return out
}

func isSystemPackage(guid string) bool {
	for _, p := range systemPackages {
		if strings.EqualFold(p.guid, guid) {
			return true
		}
	}
	return false
}

// mtsSetting is a LocalComputer setting (ReplicationShare, RemoteServerName).
func (n *node) mtsSetting(name string) string {
	k, ok := n.reg.key(mtsLocalKey)
	if !ok {
		return ""
	}
	if v, ok := k.value(name); ok {
		return v.Str
	}
	return ""
}

// iisInstanceServes reports whether n's metabase has the instance the IIS
// Server Instance resource r runs, rooted on a disk of r's group.
func (w *World) iisInstanceServes(r *resource, n *node) bool {
	svc := strings.ToUpper(orDefault(r.privateValue("ServiceName"), "W3SVC"))
	id, err := strconv.Atoi(orDefault(r.privateValue("InstanceId"), "1"))
	if err != nil {
		return false
	}
	in := n.mb.instance(svc, id)
	return in != nil && groupDisk(r.group, in.root) != nil
}

// MetabaseSnapshot is a node's IIS configuration in the world's snapshot.
type MetabaseSnapshot struct {
	Instances []InstanceSnapshot `json:"instances,omitempty"`
	// Packages are the MTS packages by GUID, with their names.
	Packages         map[string]string `json:"packages,omitempty"`
	ReplicationShare string            `json:"replication_share,omitempty"`
	RemoteServerName string            `json:"remote_server_name,omitempty"`
}

// InstanceSnapshot is one server instance.
type InstanceSnapshot struct {
	Path              string   `json:"path"` // W3SVC/1
	ServerComment     string   `json:"server_comment"`
	ServerBindings    []string `json:"server_bindings"`
	Root              string   `json:"root"`
	AnonymousUserName string   `json:"anonymous_user_name"` // as the instance resolves it
}

func (n *node) metabaseSnapshot() MetabaseSnapshot {
	s := MetabaseSnapshot{ReplicationShare: n.mtsSetting("ReplicationShare"), RemoteServerName: n.mtsSetting("RemoteServerName")}
	if p := n.packages(); len(p) > 0 {
		s.Packages = p
	}
	for _, in := range n.mb.instances {
		anon := in.anonUser
		if anon == "" {
			anon = n.mb.w3AnonUser
			if in.service == "MSFTPSVC" {
				anon = n.mb.ftpAnonUser
			}
		}
		s.Instances = append(s.Instances, InstanceSnapshot{Path: fmt.Sprintf("%s/%d", in.service, in.id),
			ServerComment: in.comment, ServerBindings: append([]string(nil), in.bindings...), Root: in.root, AnonymousUserName: anon})
	}
	sort.Slice(s.Instances, func(i, j int) bool { return s.Instances[i].Path < s.Instances[j].Path })
	return s
}
