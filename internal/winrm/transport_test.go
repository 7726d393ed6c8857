package winrm

import (
	"bytes"
	"strings"
	"testing"
)

// The framing of a sealed message: what frameSealed writes parses back, the
// part headers may come without their tab (as some servers write them), and
// a body cut short or mislabelled is refused rather than misread.
func TestSealedFraming(t *testing.T) {
	sig := bytes.Repeat([]byte{1}, 16)
	sealed := []byte("sealed soap envelope")
	framed := frameSealed(sealedProtocol, sig, sealed)
	want := "--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n" +
		"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=20\r\n" +
		"--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n\x10\x00\x00\x00"
	if !strings.HasPrefix(string(framed), want) || !strings.HasSuffix(string(framed), "--Encrypted Boundary--\r\n") {
		t.Fatalf("framed: %q", framed)
	}
	for name, body := range map[string][]byte{
		"as framed":    framed,
		"without tabs": bytes.ReplaceAll(framed, []byte("\r\n\t"), []byte("\r\n")),
	} {
		gotSig, gotSealed, err := parseSealed(body, 16)
		if err != nil || !bytes.Equal(gotSig, sig) || !bytes.Equal(gotSealed, sealed) {
			t.Errorf("%s: %q %q %v", name, gotSig, gotSealed, err)
		}
	}
	for name, body := range map[string][]byte{
		"empty":             nil,
		"cut short":         framed[:len(framed)-40],
		"length too long":   bytes.Replace(framed, []byte("Length=20"), []byte("Length=99"), 1),
		"no length":         bytes.Replace(framed, []byte("Length=20"), []byte("Size=20"), 1),
		"bad signature len": bytes.Replace(framed, []byte("\x10\x00\x00\x00"), []byte("\x11\x00\x00\x00"), 1),
		"plain soap":        []byte("<s:Envelope/>"),
	} {
		if _, _, err := parseSealed(body, 16); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSplitUser(t *testing.T) {
	for in, want := range map[string][2]string{
		`LAB\Administrator`: {"Administrator", "LAB"},
		"admin@lab.example": {"admin", "lab.example"},
		"Administrator":     {"Administrator", ""},
	} {
		if u, d := splitUser(in); u != want[0] || d != want[1] {
			t.Errorf("splitUser(%q) = %q, %q", in, u, d)
		}
	}
}
