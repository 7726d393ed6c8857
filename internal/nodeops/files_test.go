package nodeops

import (
	"errors"
	"testing"
)

// readFileLine's output, read by fileText: no file, a file typed whole (with
// or without a last line break), and type's failures, which print no end
// line and are errors, never a file holding their words.
func TestFileText(t *testing.T) {
	n := &Node{R: oneAnswer{}}
	for _, c := range []struct {
		name, out, want string
		fails           bool
	}{
		{"no file", "", "", false},
		{"no file, a blank", "\r\n", "", false},
		{"typed", "step=start spec=ab12 \r\nstep=stop spec=ab12 \r\n" + fileEnd + "\r\n", "step=start spec=ab12 \r\nstep=stop spec=ab12 \r\n", false},
		{"no last line break", "owner=x" + fileEnd + "\r\n", "owner=x", false},
		{"access denied", "Access is denied.\r\n", "", true},
		{"sharing violation", "The process cannot access the file because it is being used by another process.\r\n", "", true},
	} {
		got, err := n.fileText("read the journal", "if exist j (type j && echo "+fileEnd+")", c.out)
		var se *StepError
		if c.fails != (err != nil) || (err != nil && !errors.As(err, &se)) || got != c.want {
			t.Errorf("%s: fileText = %q, %v", c.name, got, err)
		}
	}
}
