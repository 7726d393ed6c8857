package cmdshell

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/winfs"
)

// clockHost is a SimpleHost with a fixed time for `dir`'s dates.
type clockHost struct {
	*SimpleHost
	now time.Time
}

func (h clockHost) Now() time.Time { return h.now }

func TestRunDir(t *testing.T) {
	h := clockHost{NewSimpleHost(nil, testPrograms()), time.Date(2026, 11, 30, 18, 5, 0, 0, time.UTC)}
	shared := winfs.NewVolume("CLUSTER_S")
	h.WinFS().Mount("S", shared)
	for _, d := range []string{`C:\data\sub`, `S:\InetPub\wwwroot`} {
		if err := h.WinFS().Mkdir(d); err != nil {
			t.Fatal(err)
		}
	}
	for p, data := range map[string]string{`C:\data\f.txt`: "F\r\n", `C:\data\Big.LOG`: strings.Repeat("x", 1234567), `S:\InetPub\wwwroot\default.htm`: "<html/>"} {
		if err := h.WinFS().WriteFile(p, []byte(data), false); err != nil {
			t.Fatal(err)
		}
	}
	run := func(line string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), h, line, nil, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	header := " Volume in drive C has no label.\r\n Volume Serial Number is "
	code, out, _ := run(`dir C:\DATA`)
	want := "\r\n\r\n Directory of C:\\data\r\n\r\n" +
		"11/30/2026  06:05 PM    <DIR>          .\r\n" +
		"11/30/2026  06:05 PM    <DIR>          ..\r\n" +
		"11/30/2026  06:05 PM         1,234,567 Big.LOG\r\n" +
		"11/30/2026  06:05 PM                 3 f.txt\r\n" +
		"11/30/2026  06:05 PM    <DIR>          sub\r\n" +
		"               2 File(s)      1,234,570 bytes\r\n" +
		"               3 Dir(s)   2,147,483,648 bytes free\r\n"
	if code != 0 || !strings.HasPrefix(out, header) || !strings.HasSuffix(out, want) || len(out) != len(header)+9+len(want) {
		t.Fatalf("dir C:\\DATA: %d\n%q\nwant the header and\n%q", code, out, want)
	}
	if code, out, _ := run(`dir /b S:\InetPub\wwwroot`); code != 0 || out != "default.htm\r\n" {
		t.Fatalf("dir /b: %d %q", code, out)
	}
	if code, out, _ := run(`dir S:\InetPub\wwwroot\*.htm`); code != 0 || !strings.HasPrefix(out, " Volume in drive S is CLUSTER_S\r\n") || strings.Contains(out, "<DIR>") || !strings.Contains(out, "1 File(s)") {
		t.Fatalf("dir with a wildcard: %d %q", code, out)
	}
	if code, _, errOut := run(`dir /b C:\data\*.doc`); code != 1 || errOut != "File Not Found\r\n" {
		t.Fatalf("dir /b no match: %d %q", code, errOut)
	}
	if code, _, errOut := run(`dir C:\nope\deeper`); code != 1 || errOut != "The system cannot find the path specified.\r\n" {
		t.Fatalf("dir of a missing folder: %d %q", code, errOut)
	}
	// The same volume gives the same serial number every time.
	_, a, _ := run(`dir /-p C:\`)
	_, b, _ := run(`dir C:\data`)
	if a[:len(header)+9] != b[:len(header)+9] {
		t.Fatalf("serial number changed: %q vs %q", a[:len(header)+9], b[:len(header)+9])
	}
}
