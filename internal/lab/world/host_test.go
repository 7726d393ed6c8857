package world

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/mscs-ops/terraform-provider-mscs/internal/lab/cmdshell"
)

func TestHostEnvironmentAndProfile(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	h := w.Host("NODE2", `LAB\Administrator`, "", nil)
	for name, want := range map[string]string{
		"COMPUTERNAME": "NODE2", "username": "Administrator", "USERDOMAIN": "LAB", "windir": `C:\WINNT`,
		"SYSTEMROOT": `C:\WINNT`, "SystemDrive": "C:", "OS": "Windows_NT", "PROCESSOR_ARCHITECTURE": "x86",
		"ComSpec": `C:\WINNT\system32\cmd.exe`, "PATH": `C:\WINNT\system32;C:\WINNT;C:\WINNT\cluster`,
	} {
		if got, ok := h.Getenv(name); !ok || got != want {
			t.Errorf("%s = %q, %v; want %q", name, got, ok, want)
		}
	}
	if h.Dir() != `C:\WINNT\Profiles\Administrator` {
		t.Errorf("Dir = %s", h.Dir())
	}
	if isDir, err := h.FS().Stat(`C:\WINNT\Profiles\Administrator`); err != nil || !isDir {
		t.Errorf("profile folder: %v %v", isDir, err)
	}
	// The shell's state from earlier commands overrides the defaults.
	h = w.Host("NODE2", `LAB\Administrator`, `C:\TEMP`, map[string]string{"PATH": `C:\TEMP`, "X": "1"})
	if p, _ := h.Getenv("path"); p != `C:\TEMP` || h.Dir() != `C:\TEMP` {
		t.Errorf("overrides: %s %s", p, h.Dir())
	}
	if _, ok := h.LookupProgram("sc"); ok {
		t.Error("sc found with PATH not naming system32")
	}
	if _, ok := h.LookupProgram(`C:\WINNT\system32\sc.exe`); !ok {
		t.Error("sc not found by full path")
	}
}

func TestLookupProgram(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	h := w.Host("NODE1", "Administrator", "", nil)
	for _, name := range []string{"sc", "SC.EXE", `C:\WINNT\system32\sc.exe`, `c:/winnt/system32/sc`, "cluster", "cluster.exe", `C:\WINNT\cluster\cluster.exe`, "net", "reg", "hostname", "ver"} {
		if _, ok := h.LookupProgram(name); !ok {
			t.Errorf("%s not found", name)
		}
	}
	for _, name := range []string{"setup", `C:\WINNT\sc.exe`, `D:\sc.exe`, "sc.bat", `C:\WINNT\system32`} {
		if _, ok := h.LookupProgram(name); ok {
			t.Errorf("%s found", name)
		}
	}
	// Programs are files: delete one and it is gone.
	if err := h.FS().Remove(`C:\WINNT\system32\reg.exe`); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.LookupProgram("reg"); ok {
		t.Error("reg found after its file was deleted")
	}
	r := run(t, w, "NODE1", "reg query HKLM")
	if r.code != 1 || !strings.Contains(r.err, "'reg' is not recognized") {
		t.Errorf("deleted reg: %+v", r)
	}
}

func TestHostOfUnknownNodeRunsNothing(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	h := w.Host("NODE9", "Administrator", "", nil)
	var out bytes.Buffer
	if code := cmdshell.Run(context.Background(), h, "hostname", nil, &out, &out); code == 0 {
		t.Errorf("unknown node ran hostname: %q", out.String())
	}
	if got := w.Commands("NODE9"); len(got) != 1 || got[0].Node != "NODE9" {
		t.Errorf("log: %+v", got)
	}
}

func TestSetListsEnvironment(t *testing.T) {
	w, _ := newTestWorld(t, "healthy")
	r := run(t, w, "NODE1", "set COMPUTERNAME")
	if !strings.Contains(r.out, "COMPUTERNAME=NODE1\r\n") {
		t.Errorf("set: %+v", r)
	}
}
