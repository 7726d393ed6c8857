package nodeops

import (
	"testing"
	"time"
)

// The intervals of a wait: 50 ms through the first second, then growing by
// half to the ceiling, never above it; a two-minute wait stays bounded.
func TestBackoffIntervals(t *testing.T) {
	b := newBackoff(0)
	var got []time.Duration
	var total time.Duration
	checks := 0
	for total < 2*time.Minute {
		d := b.step()
		if len(got) < 24 {
			got = append(got, d)
		}
		if d > defaultPoll {
			t.Fatalf("interval %v above the ceiling", d)
		}
		total += d
		checks++
	}
	for i := range 20 {
		if got[i] != firstPoll {
			t.Fatalf("interval %d is %v, want %v: %v", i, got[i], firstPoll, got)
		}
	}
	if got[20] != firstPoll || got[21] != 75*time.Millisecond || got[22] != 112500*time.Microsecond {
		t.Errorf("after the quick phase: %v", got[19:])
	}
	if checks > 100 {
		t.Errorf("%d checks in a two-minute wait", checks)
	}
	if b := newBackoff(10 * time.Millisecond); b.next != 10*time.Millisecond {
		t.Errorf("a ceiling below the first interval: %v", b.next)
	}
}
