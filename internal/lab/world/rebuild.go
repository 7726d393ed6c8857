package world

import (
	"fmt"
	"strings"
)

// RebuildNode reinstalls node from scratch, as after a disk failure: Windows
// NT 4.0 at the scenario's service pack, no Option Pack (so no metabase, and
// MSDTC standalone, as the base image has it), the scenario's media copied
// back to C:, the local accounts and rights of a fresh install, and
// rejoined to the cluster (cluster service running and automatic). Its
// journals, records and locks are gone with the old disk. The node must own
// no group: move its groups to the other node first.
func (w *World) RebuildNode(name string) error {
	w.lock()
	defer w.unlock()
	old := w.node(name)
	if old == nil {
		return fmt.Errorf("no node %q", name)
	}
	for _, g := range w.cluster.groups {
		if g.owner == old {
			return fmt.Errorf("node %s owns group %s: move it to another node before rebuilding", old.name, g.name)
		}
	}
	var spec NodeSpec
	for _, s := range w.sc.Nodes {
		if strings.EqualFold(s.Name, old.name) {
			spec = s
		}
	}
	spec.OptionPack, spec.MSDTC, spec.Metabase, spec.Status = OptionPackSpec{}, dtcStandalone, "", nodeUp
	fresh, err := w.newNode(old.id, spec)
	if err != nil {
		return err
	}
	fresh.bootTime = w.emulatedAt(w.eventNow())
	for i, n := range w.nodes {
		if n == old {
			w.nodes[i] = fresh
		}
	}
	// Everything that pointed at the old machine points at the new one.
	swap := func(list []*node) {
		for i, n := range list {
			if n == old {
				list[i] = fresh
			}
		}
	}
	for _, g := range w.cluster.groups {
		swap(g.preferred)
	}
	for _, r := range w.cluster.resources {
		swap(r.possible)
	}
	w.setMSDTC(fresh, dtcStandalone)
	w.cluster.members[fresh.name] = false
	w.servicesChanged(fresh)
	return nil
}
