package provider

import (
	"testing"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/world"
)

// Every WS-Management request to either node is 50 ms late, as over a WAN
// link: a node that reboots then drops the connection before the answer to
// shutdown is out, which the reboot judges by the boot time. The whole
// recovery completes, each KB step once, with no incident and an empty
// plan after.
func TestAccRecovery_everyRequestLate(t *testing.T) {
	t.Parallel()
	l := inProcessLab(t, "rebuilt-node")
	for _, node := range l.Names() {
		// Count 0: every request, until the faults are cleared.
		if err := l.Control.AddFault(world.Fault{Node: node, Kind: "delay", DelayMS: 50}); err != nil {
			t.Fatal(err)
		}
	}
	recoverIn(t, l)
}
