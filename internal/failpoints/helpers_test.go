package failpoints

import "testing"

// The part of a command both clean runs share is cut back to a whole word
// or a whole "name=", so that it matches the run with the failure too.
func TestCommonText(t *testing.T) {
	for _, c := range []struct{ x, y, want string }{
		{"sc stop ClusSvc", "sc stop ClusSvc", "sc stop ClusSvc"},
		{"echo owner=vm/9975/0fba817b time=2026-12-07T02:59:17Z", "echo owner=vm/9982/5e96b187 time=2026-12-07T02:59:19Z", "echo owner="},
		{"echo a=1", "echo b=1", "echo "},
		{"hostname", "ver", ""},
	} {
		if got := commonText(c.x, c.y); got != c.want {
			t.Errorf("commonText(%q, %q) = %q, want %q", c.x, c.y, got, c.want)
		}
	}
}

// The holdings a recovery gives back differ in what changed, both ways.
func TestHoldingsDiff(t *testing.T) {
	was := holdings{"group Web Group owner=NODE1", "resource MSDTC RestartAction=2"}
	if d := was.diff(was); d != "" {
		t.Errorf("alike holdings differ: %s", d)
	}
	now := holdings{"group Web Group owner=NODE2", "resource MSDTC RestartAction=2"}
	if d, want := was.diff(now), "now group Web Group owner=NODE2, was group Web Group owner=NODE1"; d != want {
		t.Errorf("diff = %q, want %q", d, want)
	}
}
