package nodeops

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// Reads shared within one Terraform operation (issue 27). A plan refreshes
// every resource and data source, and their checks read the same facts of
// the same nodes (the cluster's listings, a node's services and install,
// its metabase): over a WAN link each read is round trips. A ReadCache
// lets those reads be answered once per provider process.
//
// Sharing is explicit at both ends:
//   - a caller says that the reads of an operation may be shared
//     (SharedReads: the provider's plan-time reads, Read and ModifyPlan of a
//     resource, Read of a data source); any other read is fresh, apply's
//     checks before their first change included;
//   - a wait (a service reaching a state, a node back from a reboot, a group
//     online after a move) reads under FreshReads, whatever its caller
//     allowed: a poll served from the cache would never see the change.
//
// What is shared is a read-only line's answer, by node and exact command
// line (a batch's parts each on its own, so a later batch that asks for
// some of them reads only the rest). The rules:
//   - any changing command, on any node, drops every answer (the cluster's
//     state is shared by the nodes, so a change on one may change what the
//     other reads); answers of reads in flight across a change are not kept;
//   - a read that fails is never kept: a transport error keeps nothing, and
//     a line's answer is kept only when it is one (exit code 0, reg's
//     "unable to find", which says the key is absent, net's 1376 for a
//     local group the node lacks), never a tool's failure, which the next
//     read may not repeat.

//   - once this process has sent a changing command, it shares no more
//     reads: a node goes on changing after the command that changed it (a
//     reboot, a service starting, a join), and an answer lost on the wire
//     may hide a command still running, so no answer read after it is
//     known to stay true. Sharing is for plans, which change nothing; an
//     apply's plans read afresh once its first change is sent;
//   - an answer is served for answerMaxAge at most: another process (a
//     second provider configuration, an administrator) may change a node
//     without this process knowing.

// answerMaxAge is how long a kept answer is served.
const answerMaxAge = 30 * time.Second

// ReadCache holds the answers of read-only command lines of every node of
// one cluster, for the life of one provider process. Its zero value is not
// usable: NewReadCache.
type ReadCache struct {
	mu sync.Mutex
	// gen counts the drops: an answer read across one is not kept.
	gen     uint64
	answers map[readKey]keptAnswer
	// changed: a changing command was sent; nothing is shared any more.
	changed bool
	now     func() time.Time // tests move the clock
}

type readKey struct{ node, line string }

type keptAnswer struct {
	res winrm.Result
	at  time.Time
}

// NewReadCache is an empty cache.
func NewReadCache() *ReadCache { return &ReadCache{answers: map[readKey]keptAnswer{}, now: time.Now} }

// Drop forgets every answer: something changed on a node.
func (c *ReadCache) Drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.answers)
}

// stopSharing forgets every answer and keeps none from now on: this
// process sent a changing command.
func (c *ReadCache) stopSharing() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.changed = true
	clear(c.answers)
}

// Sharing tells whether c still shares reads (no changing command sent).
func (c *ReadCache) Sharing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.changed
}

// held is how many answers c holds.
func (c *ReadCache) held() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.answers)
}

// Guard is r with every changing command (readOnly false) dropping c's
// answers, before it is sent and again when it has ended, so that no read
// that overlapped it is kept. Every Node sharing c must run through it.
// A nil cache guards nothing.
func (c *ReadCache) Guard(r winrm.Runner) winrm.Runner {
	if c == nil {
		return r
	}
	return guardedReads{Runner: r, c: c}
}

type guardedReads struct {
	winrm.Runner
	c *ReadCache
}

// BeforeRead is the guarded runner's own BeforeRead, if it has one.
func (g guardedReads) BeforeRead(ctx context.Context) error {
	if b, ok := g.Runner.(beforeReader); ok {
		return b.BeforeRead(ctx)
	}
	return nil
}

// A beforeReader is a Runner with a check that must pass before any read
// of its node is answered, even from the ReadCache, where no command runs:
// the provider's check that the machine at the endpoint is the node meant.
type beforeReader interface {
	BeforeRead(ctx context.Context) error
}

func (g guardedReads) Run(ctx context.Context, line string, readOnly bool) (winrm.Result, error) {
	if readOnly {
		return g.Runner.Run(ctx, line, true)
	}
	g.c.stopSharing()
	defer g.c.Drop()
	return g.Runner.Run(ctx, line, false)
}

// lookup is node's answers to lines, found[i] false where there is none,
// and the generation they belong to.
func (c *ReadCache) lookup(node string, lines []string) (results []winrm.Result, found []bool, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	results = make([]winrm.Result, len(lines))
	found = make([]bool, len(lines))
	for i, l := range lines {
		a, ok := c.answers[readKey{strings.ToUpper(node), l}]
		if ok && c.now().Sub(a.at) <= answerMaxAge {
			results[i], found[i] = a.res, true
		}
	}
	return results, found, c.gen
}

// keep holds node's answer to line, read in generation gen: unless a drop
// came since, and unless it is not an answer (isAnswer).
func (c *ReadCache) keep(node, line string, res winrm.Result, gen uint64) {
	if !isAnswer(line, res) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.changed {
		return
	}
	c.answers[readKey{strings.ToUpper(node), line}] = keptAnswer{res, c.now()}
}

// isAnswer tells a line's result that says what the node holds from a
// failure: exit code 0, reg's "unable to find" (the key or value is not
// there, which reg.exe exits 1 for, as for any failure), or net's System
// error 1376 for `net localgroup G` (no such group; net exits 2 for any
// failure).
func isAnswer(line string, res winrm.Result) bool {
	out := res.Stdout + res.Stderr
	switch l := strings.ToLower(line); {
	case res.ExitCode == 0:
		return true
	case strings.HasPrefix(l, "reg query "):
		return res.ExitCode == 1 && strings.Contains(out, "unable to find the specified registry key or value")
	case strings.HasPrefix(l, "net localgroup "):
		// net's 1376: no such local group, which ReadHeld reads as such.
		m := systemErrorLineRe.FindStringSubmatch(out)
		return m != nil && m[1] == "1376"
	}
	return false
}

type readsKey struct{}

// SharedReads is ctx whose reads may be answered from the node's ReadCache
// (and whose answers are kept there), unless a wait under it asks afresh.
func SharedReads(ctx context.Context) context.Context {
	return context.WithValue(ctx, readsKey{}, true)
}

// FreshReads is ctx whose reads all go to the node, whatever its caller
// allowed: every wait's polls read under it.
func FreshReads(ctx context.Context) context.Context {
	return context.WithValue(ctx, readsKey{}, false)
}

// sharing tells whether reads under ctx may be shared.
func sharing(ctx context.Context) bool {
	v, _ := ctx.Value(readsKey{}).(bool)
	return v
}

// A collection is the parts that readers under a collecting context (a
// round of Prefetch, facts_prefetch.go) asked for and the ReadCache could
// not answer, each reader's batch a group. Under it nothing is sent:
// readBatch adds the parts and fails with errCollected (the readers'
// results are not used).
type collection struct {
	mu     sync.Mutex
	groups [][]string
}

type collectKey struct{}

var errCollected = errors.New("the reads were collected for a prefetch, not sent")

// collect adds parts to the collection under ctx; false when ctx is not
// collecting.
func collect(ctx context.Context, parts []string) bool {
	col, ok := ctx.Value(collectKey{}).(*collection)
	if !ok {
		return false
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	col.groups = append(col.groups, parts)
	return true
}
