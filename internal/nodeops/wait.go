package nodeops

import (
	"context"
	"time"
)

// The waits (a service reaching a state, a node back from a reboot, a node
// joining, a group online) check at once (a service just sent a start or
// stop: after firstPoll, see waitForState), then every firstPoll during their
// first quickPhase (most awaited changes end within it: a service start, a
// move, a reboot in the lab), then at intervals growing by half up to their
// ceiling (Node.Poll, Cluster.Poll; defaultPoll when zero). A wait ends
// within one interval of the awaited state and stays bounded in commands:
// a real reboot of two minutes with the default 2 s ceiling is about 20 +
// 10 + 60 checks.
const (
	firstPoll   = 50 * time.Millisecond
	quickPhase  = time.Second
	defaultPoll = 2 * time.Second
)

// backoff is the intervals of one wait.
type backoff struct {
	next, ceiling time.Duration
	quick         time.Duration // what is left of the quick phase
}

func newBackoff(ceiling time.Duration) *backoff {
	if ceiling <= 0 {
		ceiling = defaultPoll
	}
	return &backoff{next: min(firstPoll, ceiling), ceiling: ceiling, quick: quickPhase}
}

// wait sleeps the next interval, or less when ctx ends first.
func (b *backoff) wait(ctx context.Context) error { return sleepCtx(ctx, b.step()) }

// step is the next interval.
func (b *backoff) step() time.Duration {
	d := b.next
	if b.quick > 0 {
		b.quick -= d
	} else {
		b.next = min(d*3/2, b.ceiling)
	}
	return d
}

// sleepCtx waits d, or less when ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
