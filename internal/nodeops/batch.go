package nodeops

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// A batch is several read-only command lines run as one command line: one
// round trip instead of one per line (each command costs a Command, a
// Receive and a Signal message).
//
//	A 2>&1 & echo --- end of part --- & B 2>&1
//
// `&` runs every part whatever the one before exited with, and each part's
// output, its errors merged in order, ends at the echoed line, so the parts
// split reliably. A part that is an `if` or an `&&` chain goes in
// parentheses, which end an if's body and keep the redirection on the
// whole chain.
//
// Only the last part's exit code is the line's. The others' are read from
// their text, which is where Windows' tools put them (partExit): so each
// part comes back as the Result it would have had alone, and its caller
// checks it as it would a command of its own.

// partEnd is the line echoed after each part of a batch.
const partEnd = "--- end of part ---"

// batchLine is the command line that runs parts one after another.
func batchLine(parts []string) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteString(" & echo " + partEnd + " & ")
		}
		if strings.HasPrefix(p, "if ") || strings.Contains(p, " && ") {
			p = "(" + p + ")"
		}
		b.WriteString(p + " 2>&1")
	}
	return b.String()
}

// maxBatchLine bounds a batch's command line: cmd.exe takes 2,047
// characters on NT 4.0 and 8,191 from Windows XP and 2003 on. Parts beyond
// it go in further command lines, which run at once (the node's Runner
// bounds how many run together, winrm.Config.MaxConcurrent).
const maxBatchLine = 2000

// readBatch runs the read-only command lines parts in as few command lines
// as maxBatchLine allows and returns each part's Result: its output with
// its errors merged (Stderr empty), and its exit code. A part alone in its
// command line runs as it is and comes back as it ran. No parts send
// nothing. Under SharedReads, with a ReadCache, the parts answered already
// in this operation are not sent again (sharedBatch).
func (n *Node) readBatch(ctx context.Context, step string, parts ...string) ([]winrm.Result, error) {
	if n.Reads != nil && sharing(ctx) && len(parts) > 0 {
		return n.sharedBatch(ctx, step, parts)
	}
	if collect(ctx, parts) {
		return nil, errCollected // a prefetch's reader: nothing is sent
	}
	return n.freshBatch(ctx, step, parts...)
}

// sharedBatch is readBatch through n.Reads: the parts answered already are
// not sent, the others go in as few command lines as readBatch makes, and
// their answers are kept.
func (n *Node) sharedBatch(ctx context.Context, step string, parts []string) ([]winrm.Result, error) {
	node := n.R.Node()
	if b, ok := n.R.(beforeReader); ok {
		if err := b.BeforeRead(ctx); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", node, step, err)
		}
	}
	results, found, gen := n.Reads.lookup(node, parts)
	var missing []string
	var at []int
	for i, ok := range found {
		if !ok {
			missing = append(missing, parts[i])
			at = append(at, i)
		}
	}
	if len(missing) == 0 {
		return results, nil
	}
	if collect(ctx, missing) {
		return nil, errCollected
	}
	fresh, err := n.freshBatch(ctx, step, missing...)
	if err != nil {
		return nil, err
	}
	for j, i := range at {
		results[i] = fresh[j]
		n.Reads.keep(node, parts[i], fresh[j], gen)
	}
	return results, nil
}

// freshBatch is readBatch sent to the node, every part.
func (n *Node) freshBatch(ctx context.Context, step string, parts ...string) ([]winrm.Result, error) {
	if len(parts) == 0 {
		return nil, nil
	}
	chunks := chunkParts(parts)
	if len(chunks) == 1 {
		return n.readChunk(ctx, step, parts)
	}
	results := make([]winrm.Result, 0, len(parts))
	outs := make([][]winrm.Result, len(chunks))
	errs := make([]error, len(chunks))
	var wg sync.WaitGroup
	for i, c := range chunks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = n.readChunk(ctx, step, c)
		}()
	}
	wg.Wait()
	for i := range chunks {
		if errs[i] != nil {
			return nil, errs[i] // the first in the parts' order
		}
		results = append(results, outs[i]...)
	}
	return results, nil
}

// chunkParts groups parts, in order, into command lines of at most
// maxBatchLine characters (a part longer than that alone).
func chunkParts(parts []string) [][]string {
	var chunks [][]string
	var cur []string
	for _, p := range parts {
		if len(cur) > 0 && len(batchLine(append(cur, p))) > maxBatchLine {
			chunks, cur = append(chunks, cur), nil
		}
		cur = append(cur, p)
	}
	return append(chunks, cur)
}

// readChunk runs parts in one command line.
func (n *Node) readChunk(ctx context.Context, step string, parts []string) ([]winrm.Result, error) {
	if startsWithQuote(parts[0]) {
		return nil, fmt.Errorf("%s: %s: the command line starts with a double quote, which cmd /c strips; it was not sent", n.R.Node(), step)
	}
	if len(parts) == 1 {
		res, err := n.R.Run(ctx, parts[0], true)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", n.R.Node(), step, err)
		}
		return []winrm.Result{res}, nil
	}
	line := batchLine(parts)
	res, err := n.R.Run(ctx, line, true)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", n.R.Node(), step, err)
	}
	outs := splitAtLines(res.Stdout+res.Stderr, partEnd)
	if len(outs) != len(parts) {
		return nil, n.parseError(step, line, res.Stdout+res.Stderr, fmt.Errorf("%d parts of output for %d commands", len(outs), len(parts)))
	}
	results := make([]winrm.Result, len(parts))
	for i, out := range outs {
		results[i] = winrm.Result{Stdout: out, ExitCode: partExit(out)}
	}
	// The last part's code is the line's, except for a program cmd cannot
	// find: the line exits 1, and the part reads as the others do.
	if last := &results[len(results)-1]; last.ExitCode != exitNotRecognized {
		last.ExitCode = res.ExitCode
	}
	return results, nil
}

// checkPart is run's check for one part of a batch: an exit code codes
// does not accept is a StepError naming the part's own command line.
func (n *Node) checkPart(step, part string, res winrm.Result, codes Codes) error {
	if codes.accepts(res.ExitCode) {
		return nil
	}
	return n.stepError(step, part, res, codes)
}

// partExit is the exit code a part's text shows: the code of cluster.exe's
// and net's "System error N has occurred" and of sc's "FAILED N:", reg's 1
// for its "ERROR:" line (reg.exe's only failure code), cmd's 9009 for a
// program it cannot find, net's 2 for its "NET HELPMSG N" hint; 0 when the
// text shows no failure.
//
// Each pattern is tried only where a literal of it is in the text: the
// parts of a batch can be long (a metabase dump, a registry tree) and
// mostly succeed, and the multi-line patterns are what a read's CPU went
// to.
func partExit(out string) int {
	if strings.Contains(out, "System error ") {
		if m := systemErrorLineRe.FindStringSubmatch(out); m != nil {
			code, _ := strconv.Atoi(m[1])
			return code
		}
	}
	// The case-blind patterns' literals ("failed", "error:") hold no letter
	// whose Unicode fold (?i) would match and strings.ToLower would not make.
	lower := strings.ToLower(out)
	if strings.Contains(lower, " failed ") {
		if m := scFailedRe.FindStringSubmatch(out); m != nil {
			code, _ := strconv.Atoi(m[1])
			return code
		}
	}
	switch {
	case strings.Contains(lower, "error:") && regErrorLineRe.MatchString(out):
		return 1
	case strings.Contains(out, "' is not recognized as an internal or external command") && notRecognizedRe.MatchString(out):
		return exitNotRecognized
	case strings.Contains(out, "NET HELPMSG ") && netHelpmsgRe.MatchString(out):
		return 2 // net.exe's exit code for any failure
	}
	return 0
}

// splitAtLines cuts out at every line that is marker (cmd's echo keeps the
// blank before a following &, so the line is compared trimmed).
func splitAtLines(out, marker string) []string {
	var parts []string
	var cur strings.Builder
	for _, line := range strings.SplitAfter(out, "\n") {
		if strings.TrimSpace(line) == marker {
			parts = append(parts, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteString(line)
	}
	return append(parts, cur.String())
}
