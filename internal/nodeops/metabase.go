package nodeops

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The KB's "Configuring IIS after Installation", first two items: MTS
// replication configured (on both nodes, each naming the other), then
// IISSYNC run on the working node only, from its inetsrv folder, towards
// the rebuilt node; verified by comparing both nodes' metabase and MTS
// packages, never by IISSYNC's own line.

const (
	mtsPackagesKey = `HKLM\SOFTWARE\Microsoft\Transaction Server\Packages`
	mtsLocalKey    = `HKLM\SOFTWARE\Microsoft\Transaction Server\LocalComputer`
)

// iissyncStatus words IISSYNC's status codes (KB Q224801).
var iissyncStatus = map[uint32]string{
	3:          "the metabase on the target is inaccessible (corrupt, or in use: close the Internet Service Manager there and try again)",
	1060:       "the DCOM default protocols differ between the nodes",
	1722:       "the RPC server is unavailable: the target name is wrong, the target is not a cluster node, or it has no IIS",
	1726:       "the remote procedure call failed",
	2147500037: "MTS replication is not configured on the source: set its replication share (the target's application packages may have been deleted, Q235698)",
	2148007941: "the administrator is not logged on at the target",
	2148598792: "a communications problem, possibly an IP address conflict",
	2148598794: "the MTS replication share is invalid on the source: set it to a share of the target, e.g. C$",
	2148599041: "insufficient rights on the target",
	2148598801: "a component's CLSID is missing or corrupt (Q243342)",
	2148598808: "the CLSIDs or IIDs do not match the DLLs",
	2148598800: "invalid users in an application file",
	2148598785: "errors accessing objects",
	2148598797: "an error copying a file",
	2148598828: "the server catalog version is not supported",
}

// IISSyncMeaning words an IISSYNC status code.
func IISSyncMeaning(status uint32) string { return worded(iissyncStatus, status, "a status") }

// iissyncCodes: IISSYNC's exit code is its status (Q224801), decoded by the
// phase itself from the printed status line where there is one.
var iissyncCodes = Codes{OwnOnly: true}

// IISInstance is one W3SVC or MSFTPSVC server instance, as adsutil shows it.
type IISInstance struct {
	Path          string // W3SVC/1
	ServerComment string
	Bindings      []string
	Root          string
	AnonymousUser string // as the instance resolves it (its own, else the service's)
}

// IISConfig is a node's IIS configuration: its metabase's instances and
// users, and its MTS packages and replication settings.
type IISConfig struct {
	Installed        bool // adsutil answers
	Instances        []IISInstance
	WAMUser          string
	Packages         map[string]string // GUID -> name
	ReplicationShare string
	RemoteServerName string
}

// Instance is the config's instance at path (W3SVC/1), or nil.
func (c IISConfig) Instance(path string) *IISInstance {
	for i := range c.Instances {
		if strings.EqualFold(c.Instances[i].Path, path) {
			return &c.Instances[i]
		}
	}
	return nil
}

// ReadIISConfig reads the node's metabase (adsutil.vbs through cscript) and
// MTS catalog (the registry). It only reads.
//
// The metabase is read with ENUM, one path at a time: IIS 4.0's adsutil.vbs
// (1997) has no ENUM_ALL (its history adds it on 5/8/98; before, it prints
// `ENUM_ALL Command not yet supported` and exits 0). ENUM prints a path's
// properties and its children as `[/W3SVC/1]` lines; the reads go level by
// level, each level in one batch: W3SVC and MSFTPSVC, then each instance
// and its ROOT (the paths read here: the instances' comment, bindings,
// anonymous user and root folder, the services' anonymous and WAM users).
func (n *Node) ReadIISConfig(ctx context.Context) (IISConfig, error) {
	cfg := IISConfig{Packages: map[string]string{}}
	services := []string{"W3SVC", "MSFTPSVC"}
	tops, err := n.adsEnum(ctx, services)
	if err != nil {
		return cfg, err
	}
	var paths []string // the instances and their roots
	for i, svc := range services {
		top := tops[i]
		if top.absent {
			// No adsutil (no IIS or no WSH), or no such service: nothing to read.
			continue
		}
		cfg.Installed = true
		if svc == "W3SVC" {
			cfg.WAMUser = first(top.props["WAMUserName"])
		}
		for _, c := range top.children {
			if m := instancePathRe.FindStringSubmatch(c); m != nil && strings.EqualFold(m[1], svc) {
				paths = append(paths, strings.ToUpper(m[1])+"/"+m[2], strings.ToUpper(m[1])+"/"+m[2]+"/ROOT")
			}
		}
	}
	nodes, err := n.adsEnum(ctx, paths)
	if err != nil {
		return cfg, err
	}
	for i := 0; i < len(paths); i += 2 {
		in, root := nodes[i], nodes[i+1]
		if in.absent || root.absent {
			// Listed by its service a moment ago: gone since is not "absent".
			return cfg, &StepError{Node: n.R.Node(), Step: "read the metabase (" + paths[i] + ")", Meaning: "the path its service listed could not be found"}
		}
		svc, _, _ := strings.Cut(paths[i], "/")
		item := IISInstance{Path: paths[i], ServerComment: first(in.props["ServerComment"]),
			Bindings: in.props["ServerBindings"], Root: first(root.props["Path"]), AnonymousUser: first(in.props["AnonymousUserName"])}
		if item.AnonymousUser == "" {
			item.AnonymousUser = first(tops[slices.Index(services, svc)].props["AnonymousUserName"])
		}
		cfg.Instances = append(cfg.Instances, item)
	}
	sort.Slice(cfg.Instances, func(i, j int) bool { return cfg.Instances[i].Path < cfg.Instances[j].Path })
	if err := n.readMTS(ctx, &cfg); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// adsNode is one metabase path as adsutil.vbs's ENUM prints it.
type adsNode struct {
	absent   bool // adsutil (1: no script, no such path) or cscript (9009) missing
	props    map[string][]string
	children []string // lower-case paths, e.g. /w3svc/1
}

// adsEnum runs `adsutil.vbs ENUM path` for each path, in one batch, and
// reads each: exit 1 (no script or no such path) and 9009 (no cscript: no
// WSH) are absent; any other output that is not ENUM's is an error whose
// excerpt leaves out password lines (the old script prints
// AnonymousUserPass and WAMUserPass in clear).
func (n *Node) adsEnum(ctx context.Context, paths []string) ([]adsNode, error) {
	var lines []string
	for _, p := range paths {
		lines = append(lines, `cscript //nologo "`+adsutilScript+`" ENUM `+p)
	}
	results, err := n.readBatch(ctx, "read the metabase", lines...)
	if err != nil {
		return nil, err
	}
	out := make([]adsNode, len(paths))
	for i, res := range results {
		step := "read the metabase (" + paths[i] + ")"
		// What an error quotes is scrubbed first.
		shown := res
		shown.Stdout, shown.Stderr = withoutPasswords(res.Stdout), withoutPasswords(res.Stderr)
		if err := n.checkPart(step, lines[i], shown, okCodes(1, 9009)); err != nil {
			return nil, err
		}
		if res.ExitCode != 0 {
			out[i].absent = true
			continue
		}
		nodes, err := ParseAdsutilEnum(res.Stdout)
		if err != nil {
			return nil, n.parseError(step, lines[i], shown.Stdout, err)
		}
		self := strings.ToLower("/" + paths[i])
		out[i].props = nodes[self]
		if p, ok := nodes[""]; ok {
			out[i].props = p
		}
		for path := range nodes {
			if path != "" && path != self {
				out[i].children = append(out[i].children, path)
			}
		}
		sort.Strings(out[i].children)
	}
	return out, nil
}

var instancePathRe = regexp.MustCompile(`(?i)^/(w3svc|msftpsvc)/(\d+)$`)

// mtsLines are readMTS's reads: the packages, the LocalComputer settings.
func mtsLines() (packages, local string, err error) {
	local, err = regQ{mtsLocalKey, ""}.line()
	return "reg query " + quoteKey(mtsPackagesKey) + " /s", local, err
}

// readMTS reads the MTS packages and the LocalComputer settings, in one
// command line (a batch, see readBatch).
func (n *Node) readMTS(ctx context.Context, cfg *IISConfig) error {
	const step = "read the MTS packages and replication settings"
	local := regQ{mtsLocalKey, ""}
	packagesLine, localLine, err := mtsLines()
	if err != nil {
		return err
	}
	results, err := n.readBatch(ctx, step, packagesLine, localLine)
	if err != nil {
		return err
	}
	// No packages key (reg's 1) is no packages.
	if err := n.checkPart(step, packagesLine, results[0], okCodes(1)); err != nil {
		return err
	}
	// The packages decide what IISSYNC deletes on the target (SyncLosses):
	// output that does not read is an error, never "no packages".
	keys, err := ParseRegQuery(results[0].Stdout + results[0].Stderr)
	switch {
	case errors.Is(err, errRegNotFound):
	case err != nil:
		return n.parseError(step, packagesLine, results[0].Stdout, err)
	case len(keys) == 0:
		// reg prints the key it lists: an output without one is not reg's.
		return n.parseError(step, packagesLine, results[0].Stdout, errors.New("no key in the output"))
	default:
		cfg.Packages = mtsPackages(keys)
	}
	a, err := n.regAnswer(step, localLine, local, results[1])
	if err != nil || !a.found {
		return err
	}
	cfg.ReplicationShare, cfg.RemoteServerName = a.key.Value("ReplicationShare"), a.key.Value("RemoteServerName")
	return nil
}

// mtsPackages are the packages among reg query /s's keys under the
// Packages key: its direct subkeys (Packages\{GUID}, value Name), by GUID.
// A package's own subkeys (its components, also named by GUID) are not
// packages.
func mtsPackages(keys []RegKey) map[string]string {
	out := map[string]string{}
	for _, k := range keys {
		parent, sub, ok := cutLast(k.Path, `\`)
		if !ok || !strings.HasPrefix(sub, "{") || !strings.EqualFold(lastSegments(parent, 3), `Microsoft\Transaction Server\Packages`) {
			continue
		}
		out[strings.ToUpper(sub)] = k.Value("Name")
	}
	return out
}

// cutLast cuts s around the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// lastSegments is the last n backslash-separated segments of a key path.
func lastSegments(key string, n int) string {
	parts := strings.Split(key, `\`)
	if len(parts) > n {
		parts = parts[len(parts)-n:]
	}
	return strings.Join(parts, `\`)
}

func quoteKey(key string) string { return `"` + key + `"` }

// ParseAdsutilEnum reads adsutil.vbs's ENUM / ENUM_ALL output: each node's
// properties by node path (lower-case, e.g. /w3svc/1/root), each property's
// values (one for a STRING, the items of a LIST). The lines before the first
// `[path]` belong to the node enumerated, whose path is taken from the first
// child's parent. Besides blank lines and cscript's banner, a line that is
// none of these (`ENUM_ALL Command not yet supported`, an error, a layout
// not known here) is an error, and so is an output without a single
// property: never a metabase with nothing in it. Errors name a line by its
// number only, as a property line may hold a password; and a property whose
// name names a password (AnonymousUserPass, WAMUserPass: the old script
// prints them in clear) is read over, never kept.
func ParseAdsutilEnum(out string) (map[string]map[string][]string, error) {
	nodes := map[string]map[string][]string{}
	cur := map[string][]string{}
	top := cur
	curPath := ""
	var listName string
	seen := false
	for i, raw := range splitLines(out) {
		l := strings.TrimRight(raw, " ")
		t := strings.TrimSpace(l)
		switch {
		case t == "" || wshBannerRe.MatchString(t):
			listName = ""
		case strings.HasPrefix(t, "[/") && strings.HasSuffix(t, "]"):
			if curPath == "" {
				// The enumerated node is the first child's parent.
				p := strings.ToLower(t[1 : len(t)-1])
				nodes[p[:strings.LastIndex(p, "/")]] = top
			}
			curPath = strings.ToLower(t[1 : len(t)-1])
			cur = map[string][]string{}
			nodes[curPath] = cur
			listName = ""
		case listName != "" && strings.HasPrefix(t, `"`) && strings.HasSuffix(t, `"`) && len(t) >= 2:
			if !namesPassword(listName) {
				cur[listName] = append(cur[listName], t[1:len(t)-1])
			}
		default:
			name, rest, ok := strings.Cut(l, ":")
			name = strings.TrimSpace(name)
			rest = strings.TrimSpace(rest)
			if !ok || name == "" || strings.ContainsAny(name, " \t") || !strings.HasPrefix(rest, "(") {
				return nil, fmt.Errorf("line %d is not a property, a list item or a [path] of adsutil's", i+1)
			}
			seen = true
			switch {
			case strings.HasPrefix(rest, "(LIST)"):
				listName = name
				cur[name] = []string{}
			case strings.HasPrefix(rest, "(STRING)") || strings.HasPrefix(rest, "(EXPANDSZ)"):
				v := strings.TrimSpace(rest[strings.Index(rest, ")")+1:])
				cur[name] = []string{strings.Trim(v, `"`)}
				listName = ""
			case strings.HasPrefix(rest, "("):
				cur[name] = []string{strings.TrimSpace(rest[strings.Index(rest, ")")+1:])}
				listName = ""
			}
			if namesPassword(name) {
				delete(cur, name)
			}
		}
	}
	if !seen {
		return nil, errors.New("no property line")
	}
	if curPath == "" && len(top) > 0 {
		nodes[""] = top
	}
	return nodes, nil
}

// wshBannerRe is cscript's banner (without //nologo).
var wshBannerRe = regexp.MustCompile(`^(Microsoft \(R\) Windows Script|Copyright \(C\) Microsoft Corporation)`)

// MetabaseDiff lists how target's IIS configuration differs from source's
// in what IISSYNC copies: the instances (comment, bindings, root, anonymous
// user), the WAM user and the MTS packages. Empty: in sync.
func MetabaseDiff(source, target IISConfig) []string {
	var diffs []string
	for _, s := range source.Instances {
		t := target.Instance(s.Path)
		switch {
		case t == nil:
			diffs = append(diffs, s.Path+": missing")
		case !strings.EqualFold(t.Root, s.Root):
			diffs = append(diffs, fmt.Sprintf("%s: root %s, want %s", s.Path, t.Root, s.Root))
		case strings.Join(t.Bindings, ",") != strings.Join(s.Bindings, ","):
			diffs = append(diffs, fmt.Sprintf("%s: bindings %s, want %s", s.Path, strings.Join(t.Bindings, ","), strings.Join(s.Bindings, ",")))
		case t.ServerComment != s.ServerComment:
			diffs = append(diffs, fmt.Sprintf("%s: ServerComment %q, want %q", s.Path, t.ServerComment, s.ServerComment))
		case !strings.EqualFold(t.AnonymousUser, s.AnonymousUser):
			diffs = append(diffs, fmt.Sprintf("%s: anonymous user %s, want %s", s.Path, t.AnonymousUser, s.AnonymousUser))
		}
	}
	for _, t := range target.Instances {
		if source.Instance(t.Path) == nil {
			diffs = append(diffs, t.Path+": not on the source")
		}
	}
	if !strings.EqualFold(source.WAMUser, target.WAMUser) {
		diffs = append(diffs, fmt.Sprintf("WAMUserName %s, want %s", target.WAMUser, source.WAMUser))
	}
	for guid, name := range source.Packages {
		if _, ok := target.Packages[guid]; !ok {
			diffs = append(diffs, fmt.Sprintf("MTS package %s %s: missing", name, guid))
		}
	}
	for guid, name := range target.Packages {
		if _, ok := source.Packages[guid]; !ok {
			diffs = append(diffs, fmt.Sprintf("MTS package %s %s: not on the source", name, guid))
		}
	}
	sort.Strings(diffs)
	return diffs
}

// SyncLoss is what IISSYNC deletes on the target because the source lacks
// it: IISSYNC replaces the target's metabase and its whole MTS catalog with
// the source's, so a server instance (by path) or an MTS package (by GUID)
// only the target has is gone afterwards.
type SyncLoss struct {
	Instance      string // a server instance's path (W3SVC/2), else ""
	Comment       string // the instance's ServerComment
	Package, GUID string // an MTS package's name and GUID
}

// Name is the loss as accept_loss names it: the instance's path, the
// package's name (its GUID when it has none).
func (l SyncLoss) Name() string {
	switch {
	case l.Instance != "":
		return l.Instance
	case l.Package != "":
		return l.Package
	}
	return l.GUID
}

func (l SyncLoss) String() string {
	if l.Instance != "" {
		return fmt.Sprintf("server instance %s (%q)", l.Instance, l.Comment)
	}
	return fmt.Sprintf("MTS package %q %s", l.Package, l.GUID)
}

// AcceptedBy reports whether one of names accepts the loss: an instance by
// its path, a package by its name or its GUID (with or without braces),
// without case, as Windows compares them.
func (l SyncLoss) AcceptedBy(names []string) bool {
	for _, n := range names {
		n = strings.TrimSpace(n)
		switch {
		case l.Instance != "":
			if strings.EqualFold(n, l.Instance) {
				return true
			}
		case strings.EqualFold(n, l.Package) && l.Package != "",
			strings.EqualFold(strings.Trim(n, "{}"), strings.Trim(l.GUID, "{}")):
			return true
		}
	}
	return false
}

// SyncLosses are the server instances and MTS packages target has and
// source lacks, which IISSYNC from source deletes on target: instances by
// path, then packages by name, each in order.
func SyncLosses(source, target IISConfig) []SyncLoss {
	var out []SyncLoss
	for _, t := range target.Instances {
		if source.Instance(t.Path) == nil {
			out = append(out, SyncLoss{Instance: t.Path, Comment: t.ServerComment})
		}
	}
	var pk []SyncLoss
	for guid, name := range target.Packages {
		if _, ok := source.Packages[guid]; !ok {
			pk = append(pk, SyncLoss{Package: name, GUID: guid})
		}
	}
	sort.Slice(pk, func(i, j int) bool {
		if !strings.EqualFold(pk[i].Package, pk[j].Package) {
			return strings.ToLower(pk[i].Package) < strings.ToLower(pk[j].Package)
		}
		return pk[i].GUID < pk[j].GUID
	})
	return append(out, pk...)
}

// Unaccepted are the losses none of accept names.
func Unaccepted(losses []SyncLoss, accept []string) []SyncLoss {
	var out []SyncLoss
	for _, l := range losses {
		if !l.AcceptedBy(accept) {
			out = append(out, l)
		}
	}
	return out
}

// lossWords lists losses in words, separated by "; ".
func lossWords(losses []SyncLoss) string {
	w := make([]string, len(losses))
	for i, l := range losses {
		w[i] = l.String()
	}
	return strings.Join(w, "; ")
}

// acceptLossHCL is the accept_loss setting that accepts every one of
// losses, as the configuration would say it.
func acceptLossHCL(losses []SyncLoss) string {
	var names []string
	for _, l := range losses {
		if q := strconv.Quote(l.Name()); !slices.Contains(names, q) {
			names = append(names, q)
		}
	}
	return "accept_loss = [" + strings.Join(names, ", ") + "]"
}

// MetabaseSyncSpec is mscs_iis_metabase_sync's configuration.
type MetabaseSyncSpec struct {
	Source, Target   string // the working node, the rebuilt node
	ReplicationShare string // default C$
	// AcceptLoss names the instances and packages only the target has that
	// the operator lets IISSYNC delete (SyncLoss.AcceptedBy); any other
	// loss is refused before anything runs.
	AcceptLoss []string
	// RemoteServerNames is each node's Remote Server Name (default: the
	// other node's name, as Q191138 has it).
	RemoteServerNames map[string]string
	LockMaxAge        time.Duration
}

// SyncFacts are what the phase reads, read-only, before anything.
type SyncFacts struct {
	Source, Target IISConfig
	// Needed are the instances the cluster's IIS Server Instance resources
	// run (W3SVC/1), which the source must have.
	Needed []string
	// Losses are what IISSYNC deletes on the target, every one accepted by
	// the spec's AcceptLoss (ReadSyncFacts refuses the others).
	Losses []SyncLoss
}

// ReadSyncFacts reads both nodes' IIS configuration and the instances the
// cluster needs, and refuses (a *SpecError) what would break safety rule 2:
// a source without IIS or without the cluster's sites, in particular one
// whose sites only the target has (IISSYNC the wrong way round); and any
// loss (SyncLosses) the spec's AcceptLoss does not name. The plan and the
// phase's own check before its first change both call it.
func (c *Cluster) ReadSyncFacts(ctx context.Context, spec MetabaseSyncSpec) (SyncFacts, error) {
	var f SyncFacts
	src, tgt := c.Node(spec.Source), c.Node(spec.Target)
	if src == nil || tgt == nil {
		return f, fmt.Errorf("the metabase sync needs %s and %s configured", spec.Source, spec.Target)
	}
	if err := src.CheckTools(ctx, SyncTools...); err != nil {
		return f, err
	}
	var err error
	if f.Source, err = src.ReadIISConfig(ctx); err != nil {
		return f, err
	}
	if f.Target, err = tgt.ReadIISConfig(ctx); err != nil {
		return f, err
	}
	v, err := c.Read(ctx, "")
	if err != nil {
		return f, err
	}
	via := c.Node(v.Via)
	var shared []string // the cluster disks' drives, from their names ("Disk S:")
	for _, r := range v.Resources {
		if m := diskDriveRe.FindStringSubmatch(r.Name); r.Type == "Physical Disk" && m != nil {
			shared = append(shared, strings.ToUpper(m[1])+":")
		}
	}
	var iisNames []string
	for _, r := range v.Resources {
		if r.Type == iisResourceType {
			iisNames = append(iisNames, r.Name)
		}
	}
	privs, err := via.resourceTables(ctx, iisNames, "/priv", "read the private properties of the IIS resources")
	if err != nil {
		return f, err
	}
	for _, priv := range privs {
		svc := strings.ToUpper(priv["ServiceName"].Value)
		if svc == "" {
			svc = "W3SVC"
		}
		id := priv["InstanceId"].Value
		if _, err := strconv.Atoi(id); err != nil {
			id = "1"
		}
		f.Needed = appendFold(f.Needed, svc+"/"+id)
	}
	sort.Strings(f.Needed)
	switch {
	case !f.Source.Installed:
		return f, &SpecError{"source_node", fmt.Sprintf("%s has no IIS metabase adsutil.vbs can read: IISSYNC runs on the working node, which has IIS installed and working.", spec.Source)}
	}
	// A site the cluster runs is an instance rooted on a shared disk: a fresh
	// install's Default Web Site (W3SVC/1 on C:) is not one.
	serves := func(c IISConfig, p string) bool {
		in := c.Instance(p)
		if in == nil || len(in.Root) < 2 {
			return false
		}
		for _, d := range shared {
			if strings.EqualFold(in.Root[:2], d) {
				return true
			}
		}
		return false
	}
	var lacks, targetHas []string
	for _, p := range f.Needed {
		if !serves(f.Source, p) {
			lacks = append(lacks, p)
			if serves(f.Target, p) {
				targetHas = append(targetHas, p)
			}
		}
	}
	if len(targetHas) > 0 {
		return f, &SpecError{"source_node", fmt.Sprintf("%s lacks %s, which %s has: this would copy %s's metabase over %s's (safety rule 2: "+
			"IISSYNC runs on the working node only). Swap source_node and target_node.", spec.Source, strings.Join(targetHas, ", "),
			spec.Target, spec.Source, spec.Target)}
	}
	if len(lacks) > 0 {
		return f, &SpecError{"source_node", fmt.Sprintf("%s's metabase lacks %s rooted on a shared disk, which the cluster's IIS Server Instance resources run: it cannot be the template.", spec.Source, strings.Join(lacks, ", "))}
	}
	f.Losses = SyncLosses(f.Source, f.Target)
	if un := Unaccepted(f.Losses, spec.AcceptLoss); len(un) > 0 {
		return f, &SpecError{"accept_loss", fmt.Sprintf("IISSYNC replaces %s's metabase and MTS packages with %s's, so %s would lose what "+
			"only it has: %s. To keep it, create it on %s first (a site with the Internet Service Manager; a package "+
			"exported with MTS Explorer and installed there). To let it go, say so in the configuration: %s.",
			spec.Target, spec.Source, spec.Target, lossWords(un), spec.Source, acceptLossHCL(f.Losses))}
	}
	return f, nil
}

// PlanSync is the phase's steps in words, each naming its node.
func PlanSync(f SyncFacts, spec MetabaseSyncSpec) []string {
	share := spec.ReplicationShare
	lost := ""
	if len(f.Losses) > 0 {
		lost = fmt.Sprintf("; deletes there, as accept_loss accepts: %s", lossWords(f.Losses))
	}
	steps := []string{
		fmt.Sprintf("%s: set MTS ReplicationShare %s and RemoteServerName %s", spec.Source, share, spec.RemoteServerNames[spec.Source]),
		fmt.Sprintf("%s: set MTS ReplicationShare %s and RemoteServerName %s", spec.Target, share, spec.RemoteServerNames[spec.Target]),
		fmt.Sprintf("%s: iissync %s from %%windir%%\\system32\\inetsrv (copies %s and %d MTS package(s) to %s%s)",
			spec.Source, spec.Target, strings.Join(instancePaths(f.Source), ", "), len(f.Source.Packages), spec.Target, lost),
		fmt.Sprintf("%s: compare %s's metabase and MTS packages with %s's", spec.Source, spec.Target, spec.Source),
	}
	return steps
}

func instancePaths(c IISConfig) []string {
	var out []string
	for _, in := range c.Instances {
		out = append(out, in.Path)
	}
	return out
}

// SyncResult is what the phase did.
type SyncResult struct {
	Status  uint32   // IISSYNC's status code
	Matched []string // the instances and packages that match after the sync
	// Steps is the plan of the facts the sync acted on (PlanSync), for a
	// caller whose plan could not list them.
	Steps []string
}

// SyncError is an IISSYNC that ended with a nonzero status.
type SyncError struct {
	Node, Target string
	Status       uint32
}

func (e *SyncError) Error() string {
	return fmt.Sprintf("%s: iissync %s ended with status %d (0x%08X): %s", e.Node, e.Target, e.Status, e.Status, IISSyncMeaning(e.Status))
}

var statusLineRe = regexp.MustCompile(`(?i)status(?: code)?\s*[:=]?\s*(\d+)`)

// SyncMetabase runs the phase under the source's lock and journal: the MTS
// replication settings on both nodes (read back), IISSYNC on the source,
// and the comparison of the target with the source.
func (c *Cluster) SyncMetabase(ctx context.Context, spec MetabaseSyncSpec, progress Progress) (SyncResult, error) {
	var res SyncResult
	src, tgt := c.Node(spec.Source), c.Node(spec.Target)
	if src == nil || tgt == nil {
		return res, fmt.Errorf("the metabase sync needs %s and %s configured", spec.Source, spec.Target)
	}
	p := Phase{Name: "iissync", Words: "IISSYNC", Spec: strings.ToUpper(spec.Source + ">" + spec.Target), Progress: progress,
		LockMaxAge: spec.LockMaxAge,
		Check: func(ctx context.Context, _ bool) (bool, error) {
			f, err := c.ReadSyncFacts(ctx, spec)
			if err == nil && !f.Target.Installed {
				// A plan may be made before the install; the sync needs it done.
				err = &SpecError{"target_node", fmt.Sprintf("%s has no IIS metabase adsutil.vbs can read: install the Option Pack there first (mscs_optionpack_install).", spec.Target)}
			}
			if err == nil {
				res.Steps = PlanSync(f, spec)
			}
			return false, err
		}}
	p.Steps = []Step{
		{Name: "replication", Words: "configure MTS replication", Run: func(ctx context.Context) (Next, error) {
			for _, n := range []*Node{src, tgt} {
				if err := n.SetMTSReplication(ctx, spec.ReplicationShare, spec.RemoteServerNames[n.R.Node()]); err != nil {
					return Continue, err
				}
			}
			return Continue, nil
		}},
		{Name: "sync", Words: "iissync", Run: func(ctx context.Context) (Next, error) {
			q, err := Quote(spec.Target)
			if err != nil {
				return Continue, err
			}
			if progress != nil {
				progress("iissync " + spec.Target + " on " + spec.Source)
			}
			line := `cd /d %windir%\system32\inetsrv && iissync ` + q
			out, err := src.run(ctx, "iissync", line, false, iissyncCodes)
			var se *StepError
			if err != nil && !errors.As(err, &se) {
				return Continue, err // the transport failed: nothing to decode
			}
			res.Status = uint32(out.ExitCode)
			if m := statusLineRe.FindAllStringSubmatch(out.Stdout, -1); len(m) > 0 {
				if v, perr := strconv.ParseUint(m[len(m)-1][1], 10, 32); perr == nil {
					res.Status = uint32(v)
				}
			}
			if res.Status != 0 {
				// The status, not the exit code, words it (Q224801's
				// codes are DWORDs, which an int exit code shows negative).
				return Continue, &StepError{Node: spec.Source, Step: "iissync " + spec.Target, Command: line,
					Meaning: fmt.Sprintf("IISSYNC ended with status %d (0x%08X): %s", res.Status, res.Status, IISSyncMeaning(res.Status)),
					Output:  strings.TrimSpace(out.Stdout + "\n" + out.Stderr),
					Err:     &SyncError{Node: spec.Source, Target: spec.Target, Status: res.Status}}
			}
			return Continue, nil
		}},
		{Name: stepDone, Words: "compare the metabases", Run: func(ctx context.Context) (Next, error) {
			s, err := src.ReadIISConfig(ctx)
			if err != nil {
				return Continue, err
			}
			t, err := tgt.ReadIISConfig(ctx)
			if err != nil {
				return Continue, err
			}
			if d := MetabaseDiff(s, t); len(d) > 0 {
				return Continue, &StepError{Node: spec.Target, Step: "compare the metabases", Meaning: "after IISSYNC " + spec.Target +
					" still differs from " + spec.Source + ": " + strings.Join(d, "; ")}
			}
			res.Matched = Matched(s)
			return Continue, nil
		}},
	}
	err := src.RunPhase(ctx, p)
	return res, err
}

// Matched names what a synced pair agrees on: the instances and packages.
func Matched(c IISConfig) []string {
	out := instancePaths(c)
	var pk []string
	for guid, name := range c.Packages {
		pk = append(pk, "MTS "+name+" "+guid)
	}
	sort.Strings(pk)
	return append(out, pk...)
}

// SetMTSReplication sets the node's MTS replication share and remote server
// name (reg add, forced) and reads them back.
func (n *Node) SetMTSReplication(ctx context.Context, share, remote string) error {
	for name, v := range map[string]string{"ReplicationShare": share, "RemoteServerName": remote} {
		q, err := Quote(v)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		line := "reg add " + quoteKey(mtsLocalKey) + " /v " + name + " /t REG_SZ /d " + q + " /f"
		if _, err := n.run(ctx, "set MTS "+name, line, false, win32); err != nil {
			return err
		}
	}
	k, _, err := n.regQuery(ctx, "read the MTS replication settings back", mtsLocalKey, "")
	if err != nil {
		return err
	}
	if got := k.Value("ReplicationShare"); !strings.EqualFold(got, share) || !strings.EqualFold(k.Value("RemoteServerName"), remote) {
		return &StepError{Node: n.R.Node(), Step: "configure MTS replication", Meaning: fmt.Sprintf(
			"the registry shows ReplicationShare %q, RemoteServerName %q after setting %q, %q", got, k.Value("RemoteServerName"), share, remote)}
	}
	return nil
}
