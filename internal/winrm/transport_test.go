package winrm

import (
	"bytes"
	"io"
	"net/http"
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

// On a sealed connection (plain HTTP) an answer in clear text is anyone's:
// a forged 200 is refused, never read as the command's output, and of an
// unsealed error only its status is taken (Windows' empty 400 for a shell
// it dropped while idle). Over HTTPS a sealed answer is refused.
func TestUnsealRefusesClearAnswersOnASealedConnection(t *testing.T) {
	answer := func(code int, ct, body string) *http.Response {
		return &http.Response{StatusCode: code, Header: http.Header{"Content-Type": {ct}}, Body: io.NopCloser(strings.NewReader(body))}
	}
	sealedLane := &laneTransport{c: &Client{cfg: Config{Node: "NODE1"}}, sec: ntlmContext{}}
	forged := `<s:Envelope><rsp:Stream Name="stdout">U1RBVEUgOiAxIFNUT1BQRUQ=</rsp:Stream></s:Envelope>`
	if out, err := sealedLane.unseal(answer(200, soapContentType, forged)); err == nil || out != "" || !strings.Contains(err.Error(), "not sealed") {
		t.Errorf("a clear 200 on a sealed connection: %q, %v", out, err)
	}
	if out, err := sealedLane.unseal(answer(500, soapContentType, "<s:Fault>forged</s:Fault>")); err == nil || out != "" || strings.Contains(err.Error(), "forged") {
		t.Errorf("a clear fault on a sealed connection must give its status alone: %q, %v", out, err)
	}
	if _, err := sealedLane.unseal(answer(400, "", "")); err == nil || err.Error() != "http response error: 400 - " {
		t.Errorf("the empty 400: %v", err)
	}
	other := sealedContentType(sealedKerberos)
	if _, err := sealedLane.unseal(answer(200, other, "--Encrypted Boundary--\r\n")); err == nil || !strings.Contains(err.Error(), "not sealed as "+sealedProtocol) {
		t.Errorf("an answer sealed for another protocol: %v", err)
	}
	httpsLane := &laneTransport{c: &Client{cfg: Config{Node: "NODE1", HTTPS: true}}}
	if _, err := httpsLane.unseal(answer(200, sealedContentType(sealedProtocol), "x")); err == nil {
		t.Error("a sealed answer over HTTPS was taken")
	}
	if out, err := httpsLane.unseal(answer(200, soapContentType, "<ok/>")); err != nil || out != "<ok/>" {
		t.Errorf("HTTPS: %q, %v", out, err)
	}
}
