package nodeops

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// Lines of the tests below: reg's answers as reg.exe prints them
// (FORMATS.md), a key that is there and one that is not.
const (
	versionLine = `reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion" /v CSDVersion`
	hotfixLine  = `reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Hotfix\Q246009" /v Installed`
)

var (
	versionAnswer = winrm.Result{Stdout: "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\r\n    CSDVersion    REG_SZ    Service Pack 6\r\n\r\n"}
	regAbsent     = winrm.Result{Stderr: "ERROR: The system was unable to find the specified registry key or value.\r\n", ExitCode: 1}
)

// cachedNodes are two nodes sharing one cache, as the provider makes them.
func cachedNodes() (*ReadCache, *Node, *fakeRunner, *Node, *fakeRunner) {
	c := NewReadCache()
	r1 := &fakeRunner{node: "NODE1", answers: map[string][]winrm.Result{
		versionLine: {versionAnswer}, hotfixLine: {regAbsent}, nodeStatusLine: {statusWith("Up")}}}
	r2 := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{
		versionLine: {versionAnswer}, "net stop W3SVC": {{}}, nodeStatusLine: {statusWith("Up")}}}
	return c, &Node{R: c.Guard(r1), Reads: c}, r1, &Node{R: c.Guard(r2), Reads: c}, r2
}

func TestReadCache_sharedReadsAskOnce(t *testing.T) {
	_, n1, r1, _, _ := cachedNodes()
	ctx := SharedReads(context.Background())
	first, err := n1.readBatch(ctx, "read", versionLine)
	if err != nil {
		t.Fatal(err)
	}
	// A batch asking for the answered line and another sends only the other.
	both, err := n1.readBatch(ctx, "read", hotfixLine, versionLine)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r1.lines, []string{versionLine, hotfixLine}) {
		t.Errorf("sent %q; want each line once", r1.lines)
	}
	if both[1] != first[0] || both[0] != regAbsent {
		t.Errorf("answers %+v; want the reg answers in the parts' order", both)
	}
	// Both answers held (a key reg says is absent is an answer): no more sent.
	if _, err := n1.readBatch(ctx, "read", versionLine, hotfixLine); err != nil || len(r1.lines) != 2 {
		t.Errorf("sent %q, %v; want nothing more", r1.lines, err)
	}
}

func TestReadCache_readsOutsideSharedAreFresh(t *testing.T) {
	_, n1, r1, _, _ := cachedNodes()
	shared := SharedReads(context.Background())
	if _, err := n1.readBatch(shared, "read", versionLine); err != nil {
		t.Fatal(err)
	}
	// Apply's reads (no SharedReads) and a wait's (FreshReads, even under
	// SharedReads) go to the node.
	for _, ctx := range []context.Context{context.Background(), FreshReads(shared)} {
		if _, err := n1.readBatch(ctx, "read", versionLine); err != nil {
			t.Fatal(err)
		}
	}
	if len(r1.lines) != 3 {
		t.Errorf("sent %q; want the line each time", r1.lines)
	}
}

func TestReadCache_anyChangeDropsEveryAnswer(t *testing.T) {
	c, n1, r1, n2, _ := cachedNodes()
	ctx := SharedReads(context.Background())
	for _, n := range []*Node{n1, n2} {
		if _, err := n.readBatch(ctx, "read", versionLine); err != nil {
			t.Fatal(err)
		}
	}
	if c.held() != 2 {
		t.Fatalf("%d answers held; want 2", c.held())
	}
	// A changing command on NODE2 drops NODE1's answers too: the cluster's
	// state is the nodes'.
	if _, err := n2.run(ctx, "stop W3SVC", "net stop W3SVC", false, win32); err != nil {
		t.Fatal(err)
	}
	if c.held() != 0 {
		t.Errorf("%d answers held after a change; want none", c.held())
	}
	if _, err := n1.readBatch(ctx, "read", versionLine); err != nil || len(r1.lines) != 2 {
		t.Errorf("NODE1 sent %q, %v; want the line again after the change", r1.lines, err)
	}
}

func TestReadCache_readAcrossAChangeNotKept(t *testing.T) {
	c, n1, r1, n2, _ := cachedNodes()
	ctx := SharedReads(context.Background())
	// The change is sent while NODE1's read is on its way.
	r1.onRun = func(line string) {
		if line == versionLine {
			_, _ = n2.run(context.Background(), "stop W3SVC", "net stop W3SVC", false, win32)
		}
	}
	if _, err := n1.readBatch(ctx, "read", versionLine); err != nil {
		t.Fatal(err)
	}
	r1.onRun = nil
	if c.held() != 0 {
		t.Errorf("%d answers held; want none: the read overlapped a change", c.held())
	}
}

func TestReadCache_failedReadsNotKept(t *testing.T) {
	c := NewReadCache()
	down := errors.New("connection refused")
	r := &fakeRunner{node: "NODE1", answers: map[string][]winrm.Result{nodeStatusLine: {rpcUnavailable}},
		errs: map[string]error{versionLine: down}}
	n := &Node{R: c.Guard(r), Reads: c}
	ctx := SharedReads(context.Background())
	for range 2 {
		if _, err := n.readBatch(ctx, "read", versionLine); !errors.Is(err, down) {
			t.Fatalf("got %v; want the transport's error", err)
		}
		// cluster.exe's failure is a result, not an answer: asked again.
		if _, err := n.ClusterNodes(ctx); err == nil {
			t.Fatal("a failed listing read as nodes")
		}
	}
	if c.held() != 0 || len(r.lines) != 4 {
		t.Errorf("%d answers held, sent %q; want none held and every read sent", c.held(), r.lines)
	}
}

// A wait under SharedReads polls the node: an answer held from before the
// wait never ends it, nor does a poll's answer serve the next poll.
func TestReadCache_waitsPollTheNode(t *testing.T) {
	c := NewReadCache()
	r := &fakeRunner{node: "NODE2", answers: map[string][]winrm.Result{
		nodeStatusLine: {statusWith("Joining"), statusWith("Joining"), statusWith("Up")}}}
	cl := &Cluster{Nodes: []*Node{{R: c.Guard(r), Reads: c}}, Poll: time.Millisecond}
	ctx := SharedReads(context.Background())
	if got, err := cl.NodeState(ctx, "NODE2", AskNodeFirst); err != nil || got != "Joining" {
		t.Fatalf("got %q, %v; want Joining", got, err)
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute) // a wait fed from the cache would never end
	defer cancel()
	got, err := cl.WaitForJoin(wctx, "NODE2")
	if err != nil || got != "Up" || len(r.lines) != 3 {
		t.Errorf("got %q, %v after %d reads; want Up, read by the wait's own polls", got, err, len(r.lines))
	}
}

// A prefetch's readers run collecting: what they ask for and the cache
// cannot answer is collected, and nothing is sent, with a cache or without.
func TestReadCache_collectingSendsNothing(t *testing.T) {
	_, n1, r1, _, _ := cachedNodes()
	shared := SharedReads(context.Background())
	if _, err := n1.readBatch(shared, "read", versionLine); err != nil {
		t.Fatal(err)
	}
	col := &collection{}
	ctx := context.WithValue(shared, collectKey{}, col)
	if _, err := n1.readBatch(ctx, "read", versionLine, hotfixLine); !errors.Is(err, errCollected) {
		t.Errorf("got %v; want errCollected", err)
	}
	bare := &fakeRunner{node: "NODE2"}
	if _, err := (&Node{R: bare}).readBatch(ctx, "read", nodeStatusLine); !errors.Is(err, errCollected) {
		t.Errorf("without a cache: %v; want errCollected", err)
	}
	if len(r1.lines) != 1 || len(bare.lines) != 0 {
		t.Errorf("sent %q and %q while collecting; want nothing", r1.lines[1:], bare.lines)
	}
	if want := [][]string{{hotfixLine}, {nodeStatusLine}}; !slices.EqualFunc(col.groups, want, slices.Equal[[]string]) {
		t.Errorf("collected %q; want %q", col.groups, want)
	}
}

// After this process's first changing command nothing is shared: an answer
// read after it may already be stale (a node still rebooting, a command whose
// answer was lost still running), so every later read asks the node.
func TestReadCache_noSharingAfterAChange(t *testing.T) {
	c, n1, r1, n2, _ := cachedNodes()
	ctx := SharedReads(context.Background())
	if _, err := n2.run(ctx, "stop W3SVC", "net stop W3SVC", false, win32); err != nil {
		t.Fatal(err)
	}
	if c.Sharing() {
		t.Error("the cache still shares after a change")
	}
	for range 2 {
		if _, err := n1.readBatch(ctx, "read", versionLine); err != nil {
			t.Fatal(err)
		}
	}
	if len(r1.lines) != 2 || c.held() != 0 {
		t.Errorf("sent %q, %d answers held; want the line each time and nothing kept", r1.lines, c.held())
	}
}

// An answer is served for answerMaxAge at most: another process may have
// changed the node since.
func TestReadCache_answersAge(t *testing.T) {
	c, n1, r1, _, _ := cachedNodes()
	now := time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	ctx := SharedReads(context.Background())
	read := func() {
		t.Helper()
		if _, err := n1.readBatch(ctx, "read", versionLine); err != nil {
			t.Fatal(err)
		}
	}
	read()
	now = now.Add(answerMaxAge)
	read() // still served
	now = now.Add(time.Second)
	read() // too old: asked again
	if len(r1.lines) != 2 {
		t.Errorf("sent %q; want the line at first and once it is too old", r1.lines)
	}
}

// checkedRunner is a node's runner with a check before every read, as the
// provider's identity check is: refused, nothing is answered, from the
// node or from the cache.
type checkedRunner struct {
	*fakeRunner
	refuse error
}

func (c checkedRunner) BeforeRead(context.Context) error { return c.refuse }

// Answers kept for a node (the identity read's, which go out before the
// check has passed) are not served while its runner's check refuses: a
// read wholly answered from the cache runs no command, so the check is
// asked for itself.
func TestReadCache_answersServedOnlyAfterTheNodesCheck(t *testing.T) {
	c := NewReadCache()
	r := &fakeRunner{node: "NODE1", answers: map[string][]winrm.Result{versionLine: {versionAnswer}}}
	ctx := SharedReads(context.Background())
	// The identity's read: unchecked, kept.
	if _, err := (&Node{R: c.Guard(r), Reads: c}).readBatch(ctx, "read the identity", versionLine); err != nil {
		t.Fatal(err)
	}
	wrong := errors.New("the machine at node NODE1's endpoint is NODE2")
	checked := &Node{R: c.Guard(checkedRunner{r, wrong}), Reads: c}
	if res, err := checked.readBatch(ctx, "read the version", versionLine); !errors.Is(err, wrong) {
		t.Errorf("got %+v, %v; want the check's refusal", res, err)
	}
	checked.R = c.Guard(checkedRunner{r, nil})
	if res, err := checked.readBatch(ctx, "read the version", versionLine); err != nil || res[0] != versionAnswer || len(r.lines) != 1 {
		t.Errorf("got %+v, %v after sending %q; want the kept answer, nothing sent", res, err, r.lines)
	}
}
