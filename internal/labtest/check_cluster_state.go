package labtest

import (
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-testing/statecheck"
)

// ExpectClusterState checks node's state in the cluster (Up, Down, ...).
func (l *Lab) ExpectClusterState(node, want string) statecheck.StateCheck {
	return l.Check("cluster state of "+node, func() error {
		s, err := l.ClusterState(node)
		if err != nil {
			return err
		}
		if !strings.EqualFold(s, want) {
			return fmt.Errorf("%s is %s in the cluster, want %s", node, s, want)
		}
		return nil
	})
}
