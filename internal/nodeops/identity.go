package nodeops

import (
	"context"
	"fmt"
	"strings"
)

// Where a machine keeps who it is (FORMATS.md, "identity"): its NetBIOS name
// and the name of the cluster it was joined to. The cluster service's own
// Parameters key holds the cluster name whether or not the service runs (a
// rebuilt node's cluster service is stopped for most of the recovery); the
// cluster hive's copy (HKLM\Cluster) is loaded only while it runs, and is
// where later Windows versions keep it.
const (
	computerNameKey      = `HKLM\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName`
	clusSvcParametersKey = `HKLM\SYSTEM\CurrentControlSet\Services\ClusSvc\Parameters`
	clusterHiveKey       = `HKLM\Cluster`
)

// Identity is who answers at a node's endpoint.
type Identity struct {
	// ComputerName is the machine's NetBIOS name.
	ComputerName string
	// ClusterName is the cluster the machine was joined to; "" when it has
	// none (not a cluster node, or cluster software not configured).
	ClusterName string
	// SystemRoot is the machine's Windows folder, read along ("" when the
	// registry did not say): where the phases keep journals, locks, records.
	SystemRoot string
}

// UseIdentity keeps what an identity read of this node's machine says that
// later operations need (its SystemRoot), so they do not read it again.
func (n *Node) UseIdentity(id Identity) { n.learnSystemRoot(id.SystemRoot) }

// Identity reads the machine's computer name and cluster name from its
// registry. It only reads, and works whether or not the cluster service runs.
func (n *Node) Identity(ctx context.Context) (Identity, error) {
	var id Identity
	// Both places of the cluster name at once: the cluster service's
	// parameters first, the cluster hive where they lack it. SystemRoot
	// comes along for the phases' journals, locks and records, and the
	// tools' look-up: the CurrentVersion key whole, the very line the
	// version's read sends (osVersionQueries), so that with a ReadCache
	// the plan's reads find it answered.
	a, err := n.regQueries(ctx, "read the computer name and the cluster name", regQ{computerNameKey, "ComputerName"},
		regQ{clusSvcParametersKey, "ClusterName"}, regQ{clusterHiveKey, "ClusterName"}, osVersionQueries[0])
	if err != nil {
		return id, err
	}
	if a[3].found {
		id.SystemRoot = strings.TrimSpace(a[3].key.Value("SystemRoot"))
		n.UseIdentity(id)
	}
	if !a[0].found || strings.TrimSpace(a[0].key.Value("ComputerName")) == "" {
		return id, fmt.Errorf("%s: read the computer name: %s has no ComputerName value", n.R.Node(), computerNameKey)
	}
	id.ComputerName = strings.TrimSpace(a[0].key.Value("ComputerName"))
	for _, c := range a[1:3] {
		if c.found {
			id.ClusterName = strings.TrimSpace(c.key.Value("ClusterName"))
			break
		}
	}
	return id, nil
}

// String words an identity for error messages: `NODE2, member of cluster CLUSTER1`.
func (id Identity) String() string {
	if id.ClusterName == "" {
		return id.ComputerName + ", which belongs to no cluster"
	}
	return id.ComputerName + ", member of cluster " + id.ClusterName
}
