package world

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/cmdshell"
)

// IISSYNC status codes (KB Q224801) the lab produces.
const (
	syncOK              = 0
	syncMetabaseInUse   = 3
	syncRPCUnavailable  = 1722
	syncNotConfigured   = 2147500037 // 0x80004005: MTS replication not configured
	syncBadShare        = 2148598794 // 0x8011040A: invalid MTS replication share
	iissyncUsage        = "Usage: iissync <target computer name>\r\n"
	defaultReplicaShare = "C$"
)

// validShares are the shares a node has (the administrative ones): the MTS
// replication share must name one of them.
var validShares = []string{"C$", "ADMIN$", "IPC$"}

// runIISSync is IIS 4.0's iissync.exe, run on the source: `iissync TARGET`
// copies the source's metabase and its whole MTS catalog (through the MTS
// replication share) to TARGET, and ends with its status code, printed and
// as the exit code (FORMATS.md: the text is unconfirmed). Run the wrong way
// round, to itself, to a node without IIS, or without MTS replication
// configured, it is a safety rule 2 incident, with the damage the KB warns
// of.
func runIISSync(_ context.Context, h *host, p *cmdshell.Proc) int {
	if len(p.Args) != 1 || strings.HasPrefix(p.Args[0], "/") || strings.HasPrefix(p.Args[0], "-") {
		io.WriteString(p.Stderr, iissyncUsage)
		return 1
	}
	w, src := h.w, h.n
	w.lock()
	defer w.unlock()
	targetName := p.Args[0]
	fmt.Fprintf(p.Stdout, "Replicating to target %s...\r\n", strings.ToUpper(targetName))
	status := w.iissync(src, targetName)
	fmt.Fprintf(p.Stdout, "Status: %d\r\n", status)
	return int(int32(status)) // the DWORD, as the exit code carries it
}

// iissync copies src's IIS configuration to the node named target and
// returns the status code.
func (w *World) iissync(src *node, target string) uint32 {
	t := w.node(target)
	switch {
	case t == nil || !w.reachableLocked(t) || !w.cluster.members[t.name]:
		return syncRPCUnavailable
	case t == src:
		w.incidentLocked(src.name, 2, "IISSYNC run on "+src.name+" towards itself", "nothing was copied; the rebuilt node's metabase is still not synced")
		return syncOK
	case !t.optionPack.Installed || !t.mb.installed:
		w.incidentLocked(src.name, 2, "IISSYNC to "+t.name+", which has no IIS", "nothing was copied")
		return syncRPCUnavailable
	case w.hasFault(t.name, "metabase_in_use"):
		return syncMetabaseInUse
	}
	share := src.mtsSetting("ReplicationShare")
	if share == "" {
		// KB Q235698: the target keeps only the system packages.
		deleted := 0
		for guid := range t.packages() {
			if !isSystemPackage(guid) {
				t.reg.deleteTree(mtsPackagesKey + `\` + guid)
				deleted++
			}
		}
		w.incidentLocked(src.name, 2, "IISSYNC from "+src.name+" without MTS replication configured",
			fmt.Sprintf("%d MTS package(s) deleted on %s (all but the system packages)", deleted, t.name))
		return syncNotConfigured
	}
	if !isValidShare(share) || w.hasFault(src.name, "bad_replication_share") {
		return syncBadShare
	}
	if lost := w.clusterSitesLost(t.mb, src.mb); len(lost) > 0 {
		// The target served the cluster's sites the source lacks: IISSYNC
		// ran on the rebuilt node, the wrong way round.
		w.incidentLocked(src.name, 2, fmt.Sprintf("IISSYNC run on %s towards %s, whose metabase had the cluster's sites (%s)",
			src.name, t.name, strings.Join(lost, ", ")),
			t.name+"'s metabase replaced by "+src.name+"'s: its IIS Server Instances fail")
	}
	t.mb = src.mb.clone()
	t.reg.deleteTree(mtsPackagesKey)
	for guid, name := range src.packages() {
		t.reg.setString(mtsPackagesKey+`\`+guid, "Name", name)
	}
	w.checkResources(t)
	return syncOK
}

// clusterSitesLost are the instances of had rooted on a shared disk that
// got lacks (same service, id and root), as W3SVC/1.
func (w *World) clusterSitesLost(had, got metabase) []string {
	var out []string
	for _, in := range had.instances {
		if !w.onSharedDisk(in.root) {
			continue
		}
		if g := got.instance(in.service, in.id); g == nil || !strings.EqualFold(g.root, in.root) {
			out = append(out, fmt.Sprintf("%s/%d", in.service, in.id))
		}
	}
	return out
}

// onSharedDisk reports whether path is on a cluster Physical Disk.
func (w *World) onSharedDisk(path string) bool {
	for _, r := range w.cluster.resources {
		if r.disk != nil && len(path) >= 2 && strings.EqualFold(path[:2], r.disk.drive) {
			return true
		}
	}
	return false
}

func isValidShare(share string) bool {
	for _, s := range validShares {
		if strings.EqualFold(s, share) {
			return true
		}
	}
	return false
}

// hasFault reports whether a state fault of kind is active on node.
func (w *World) hasFault(node, kind string) bool {
	for _, f := range w.faults {
		if f.Kind == kind && strings.EqualFold(f.Node, node) {
			return true
		}
	}
	return false
}
