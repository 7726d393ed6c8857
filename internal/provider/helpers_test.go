package provider

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
)

// Helpers every acceptance test file uses; the lab's own helpers are in
// internal/labtest, the provider block for it in lab_test.go.

// waitFor polls cond until it holds or a generous deadline passes (a wait for
// the lab's emulated reboot, not a timing assertion).
func waitFor(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ok, err := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitUp waits until node answers again after a reboot, settled.
func (l *testLab) waitUp(t *testing.T, node string) {
	t.Helper()
	waitFor(t, node+" to answer again", func() (bool, error) {
		n, err := l.Node(node)
		return err == nil && n.Reachable && n.Status == "up" && n.PendingOptionPack == nil, err
	})
}

// stringSet checks a set of strings, exactly.
func stringSet(values []string) knownvalue.Check {
	checks := make([]knownvalue.Check, len(values))
	for i, v := range values {
		checks[i] = knownvalue.StringExact(v)
	}
	return knownvalue.SetExact(checks)
}

// quotedList is values as the items of an HCL list.
func quotedList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}
