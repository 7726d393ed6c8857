package provider

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// ownProcessEnv names, in a test binary run by ownProcess, the one test it
// runs.
const ownProcessEnv = "MSCS_TEST_OWN_PROCESS"

// ownProcess runs the calling test alone in a process of its own: this
// test binary again, asked to run only it. In the test's own process it
// reports true once the child has run, having failed the test when the
// child did not pass it; the caller then returns. In the child it reports
// false, and the test runs there.
//
// It is for the tests that set the process's environment (t.Setenv): the
// served provider reads TF_LOG and TF_LOG_PATH on every request (its
// logging sink, tf6server) and MSCS_USERNAME / MSCS_PASSWORD when it is
// configured, so a test that sets them cannot share its process with
// parallel tests, and Go runs every parallel test only after the
// sequential ones have ended. Alone in its own process, it runs beside
// the others instead of before them.
//
// Call it first: nothing before it runs in the parent. What the child
// alone reads (files, the environment) is not in the parent's test log, so
// go test's cache does not see it (make test runs with -count=1), and a
// coverage profile leaves these tests out.
func ownProcess(t *testing.T) bool {
	t.Helper()
	if os.Getenv(ownProcessEnv) == t.Name() {
		return false
	}
	t.Parallel()
	// The child ends first, with its goroutines' dump, when it hangs.
	timeout := "0" // none
	if d, ok := t.Deadline(); ok {
		timeout = max(time.Until(d)-30*time.Second, time.Second).Round(time.Second).String()
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0],
		"-test.run", "^"+regexp.QuoteMeta(t.Name())+"$", "-test.count", "1", "-test.v", "-test.timeout", timeout)
	cmd.Env = append(os.Environ(), ownProcessEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	// Its PASS (or SKIP) line, not only its exit code: a -test.run that
	// matched nothing exits 0 too.
	ended := func(how string) bool {
		return regexp.MustCompile(`(?m)^--- ` + how + `: ` + regexp.QuoteMeta(t.Name()) + ` `).Match(out)
	}
	switch {
	case err == nil && ended("SKIP"):
		t.Skipf("skipped in its own process:\n%s", out)
	case err != nil || !ended("PASS"):
		t.Errorf("%s, run in its own process (%s), did not pass%s:\n%s", t.Name(), ownProcessEnv, errSuffix(err), out)
	case testing.Verbose():
		t.Log(strings.TrimSpace(string(out)))
	}
	return true
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return fmt.Sprintf(" (%v)", err)
}

// setProcessEnv is t.Setenv for the tests that ownProcess runs alone,
// pairs of name and value; elsewhere it fails the test, which would
// otherwise hold back every parallel test while it runs.
func setProcessEnv(t *testing.T, nameValues ...string) {
	t.Helper()
	if os.Getenv(ownProcessEnv) != t.Name() {
		t.Fatalf("%s sets the process's environment: its first line must be `if ownProcess(t) { return }`", t.Name())
	}
	for i := 0; i+1 < len(nameValues); i += 2 {
		t.Setenv(nameValues[i], nameValues[i+1])
	}
}
