package wsman

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/masterzen/winrm"
)

// FuzzHandler feeds arbitrary bodies to the authenticated SOAP handler: it
// must answer every one (200 or a fault) and never panic.
func FuzzHandler(f *testing.F) {
	to := "http://127.0.0.1/wsman"
	// The fuzzer varies the parts of a request a client chooses (action,
	// shell, timeout, options, body) inside a well-formed envelope, plus a
	// raw tail appended to it. Whole envelopes as inputs were 1.5 KB each:
	// the fuzzer spent its time minimizing every new find (a dozen execs,
	// then none for the rest of the run) and mostly broke the XML.
	f.Add(actionCreate, "", "PT1S", "", `<rsp:Shell/>`, "")
	f.Add(actionCommand, "X", "PT1S", "", `<rsp:CommandLine><rsp:Command>echo</rsp:Command><rsp:Arguments>a</rsp:Arguments></rsp:CommandLine>`, "")
	f.Add(actionReceive, "X", "PT0.01S", "", `<rsp:Receive><rsp:DesiredStream CommandId="Y">stdout</rsp:DesiredStream></rsp:Receive>`, "")
	f.Add(actionSend, "X", "PT1S", "", `<rsp:Send><rsp:Stream Name="stdin" CommandId="Y" End="true">!!</rsp:Stream></rsp:Send>`, "")
	f.Add(actionSignal, "X", "P1D", "", `<rsp:Signal CommandId="Y"><rsp:Code>bogus</rsp:Code></rsp:Signal>`, "")
	f.Add(actionCreate, "", "PT1S", `<w:OptionSet><w:Option Name="WINRS_NOPROFILE">TRUE</w:Option></w:OptionSet>`, `<rsp:Shell/>`, "\x00\xff<")
	f.Fuzz(func(t *testing.T, action, shellID, timeout, options, body, tail string) {
		// A handler per input, so that what an input covers does not
		// depend on the inputs before it (shells, quotas).
		h := NewHandler(Config{NodeName: "NODE1", Domain: "LAB", Executor: fakeExecutor{}, Accounts: testAccounts{}, AllowUnencrypted: true, MaxShellsPerUser: 5})
		defer h.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		envelope := pywinrmEnvelope(to, action, shellID, timeout, options, body) + tail
		req := httptest.NewRequest(http.MethodPost, "/wsman", strings.NewReader(envelope)).WithContext(ctx)
		req.SetBasicAuth(testUser, testPassword)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && rec.Code != http.StatusInternalServerError {
			t.Fatalf("status %d", rec.Code)
		}
		parseNode(t, rec.Body.String())
	})
}

// FuzzUnwrapEncrypted feeds arbitrary multipart/encrypted bodies to the
// unsealing code.
func FuzzUnwrapEncrypted(f *testing.F) {
	client, _ := newServerSeal(0xe28a8233, bytes.Repeat([]byte{1}, 16))
	f.Add(client.wrapEncrypted([]byte("<s:Envelope/>")))
	f.Add([]byte(encryptedBoundary + "\r\n\tContent-Type: x\r\n\tOriginalContent: type=a;Length=99999999999\r\n" + encryptedBoundary + "\r\n" + octetStreamHeader + "\x10\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, body []byte) {
		s, _ := newServerSeal(0xe28a8233, bytes.Repeat([]byte{1}, 16))
		_, _ = s.unwrapEncrypted(body)
	})
}

// BenchmarkCommandRoundTrip measures commands per second through
// masterzen/winrm over HTTPS with Basic auth and a trivial executor.
func BenchmarkCommandRoundTrip(b *testing.B) {
	l := newLab(b, func(c *Config) { c.Executor = trivialExecutor{} })
	c := l.client(b, true, basicAuth, testUser, testPassword, nil)
	ctx := context.Background()
	b.Run("reused-shell", func(b *testing.B) {
		shell, err := c.CreateShell()
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = shell.Close() }()
		b.ResetTimer()
		for b.Loop() {
			runInShell(b, ctx, shell)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cmds/s")
	})
	b.Run("fresh-shell", func(b *testing.B) {
		for b.Loop() {
			shell, err := c.CreateShell()
			if err != nil {
				b.Fatal(err)
			}
			runInShell(b, ctx, shell)
			if err := shell.Close(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cmds/s")
	})
}

func runInShell(b *testing.B, ctx context.Context, shell *winrm.Shell) {
	cmd, err := shell.ExecuteWithContext(ctx, "ver")
	if err != nil {
		b.Fatal(err)
	}
	out, _ := io.ReadAll(cmd.Stdout)
	cmd.Wait()
	_ = cmd.Close()
	if len(out) == 0 || cmd.ExitCode() != 0 {
		b.Fatalf("%q %d", out, cmd.ExitCode())
	}
}

type trivialExecutor struct{}

func (trivialExecutor) Run(_ context.Context, cmd Command) int {
	_, _ = io.WriteString(cmd.Stdout, "\r\nMicrosoft(R) Windows NT(TM)\r\n")
	return 0
}
