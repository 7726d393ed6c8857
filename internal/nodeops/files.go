package nodeops

import (
	"context"
	"fmt"
	"strings"
)

// Files on a node, over a cmd shell: read with `type`, written with `echo`.
// The journals, records and locks of the phases live in %SystemRoot%.

// FileExists reports whether path names a file or folder on the node. It only reads.
func (n *Node) FileExists(ctx context.Context, path string) (bool, error) {
	found, err := n.FilesExist(ctx, path)
	if err != nil {
		return false, err
	}
	return found[0], nil
}

// FilesExist is FileExists of each of paths, in one command line (a batch,
// see readBatch). It only reads.
func (n *Node) FilesExist(ctx context.Context, paths ...string) ([]bool, error) {
	lines := make([]string, len(paths))
	for i, p := range paths {
		q, err := Quote(p)
		if err != nil {
			return nil, err
		}
		lines[i] = "if exist " + q + " echo found"
	}
	results, err := n.readBatch(ctx, "look for "+strings.Join(paths, ", "), lines...)
	if err != nil {
		return nil, err
	}
	found := make([]bool, len(paths))
	for i, res := range results {
		if err := n.checkPart("look for "+paths[i], lines[i], res, win32); err != nil {
			return nil, err
		}
		found[i] = strings.TrimSpace(res.Stdout) == "found"
	}
	return found, nil
}

// readFile is the text of the file at path, "" when there is none. It only
// reads (a read readBatch may share, see facts_cache.go).
func (n *Node) readFile(ctx context.Context, step, path string) (string, error) {
	line, err := readFileLine(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", step, err)
	}
	results, err := n.readBatch(ctx, step, line)
	if err != nil {
		return "", err
	}
	if err := n.checkPart(step, line, results[0], win32); err != nil {
		return "", err
	}
	return n.fileText(step, line, results[0].Stdout)
}

// fileEnd is echoed after a file that type printed whole (readFileLine).
const fileEnd = "--- end of file ---"

// readFileLine is the command line that prints the file at path followed
// by fileEnd, and nothing when there is none. The end line makes the
// output say by itself that type succeeded: in a batch a part's exit code
// is read from its text, and type's failures ("Access is denied.", a
// sharing violation) have no line to read it from, so without it a file
// that could not be read would pass for one holding those words.
func readFileLine(path string) (string, error) {
	q, err := Quote(path)
	if err != nil {
		return "", err
	}
	return "if exist " + q + " (type " + q + " && echo " + fileEnd + ")", nil
}

// fileText is the file's text in readFileLine's output out: "" when there
// is no file. Output without the end line is type's failure, an error that
// names the command.
func (n *Node) fileText(step, line, out string) (string, error) {
	trimmed := strings.TrimRight(out, " \r\n")
	if trimmed == "" {
		return "", nil
	}
	text, ok := strings.CutSuffix(trimmed, fileEnd)
	if !ok {
		return "", &StepError{Node: n.R.Node(), Step: step, Command: line, Output: out,
			Meaning: "the file is there but type did not print it whole; nothing was changed"}
	}
	return text, nil
}

// writeFile writes lines into file with echo (creating dir if missing), the
// only way to write a file over a cmd shell, in one command line. The lines are fixed text, names
// checked against known sets, or cluster names Quote accepts, never free
// input; a blank before each redirection keeps a trailing digit from being
// read as a handle number (`ON1>`). step words the write in errors.
func (n *Node) writeFile(ctx context.Context, step, dir, file string, lines []string) error {
	q, err := quoteAll("folder", dir, "file", file)
	if err != nil {
		return err
	}
	for _, l := range lines {
		if strings.ContainsAny(l, "%!&|<>^\r\n") {
			return fmt.Errorf("%s: %s: line %q cannot be written with echo", n.R.Node(), step, l)
		}
	}
	// The folder first, in the same command line: the parentheses end the
	// if's body, and a folder that can't be made fails the write after it.
	var b strings.Builder
	b.WriteString("(if not exist " + q[0] + " mkdir " + q[0] + ") & ")
	for i, l := range lines {
		redir := " >> "
		if i == 0 {
			redir = " > "
		} else {
			b.WriteString(" && ")
		}
		b.WriteString("echo " + l + redir + q[1])
	}
	_, err = n.run(ctx, step+": write "+file, b.String(), false, win32)
	return err
}

// deleteFile deletes the file at path; a file that is not there is no error.
func (n *Node) deleteFile(ctx context.Context, step, path string) error {
	q, err := Quote(path)
	if err != nil {
		return fmt.Errorf("%s: %w", step, err)
	}
	_, err = n.run(ctx, step, "if exist "+q+" del /q "+q, false, win32)
	return err
}
