package nodeops

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

// fakeNT is a Runner that keeps just enough state of an NT 4.0 node to
// answer the command lines the Option Pack sequence sends, in the formats
// of TOOLS.md and FORMATS.md. It records what happened so the decision
// logic can be checked without the lab.
type fakeNT struct {
	clusState, clusStart string // "1  STOPPED"/"4  RUNNING"; "2   AUTO_START"/"3   DEMAND_START"
	stopHangs            bool   // sc stop leaves the service STOP_PENDING for ever
	installed            bool
	corrupt              bool
	components           []string
	pending              bool
	pendingOP            *[]string // components at the next boot; empty = removed
	csd, pendingCSD      string
	journal              string
	unattend             string
	boots                int
	noMedia              bool   // setup.exe and update.exe are not on the node
	removed              bool   // the Option Pack was installed once and removed (Subcomponents all 0)
	record               string // the command line that wrote the install record
	aloneUp              bool   // NODE1 is Down: NODE2 is the only node Up
	lock                 string // owner.txt of the node's lock; "" = no lock folder
	locked               bool
	lockMark             string // the holder's <nonce>.run in the lock folder
	aside                string // owner.txt of a stale lock set aside; "" = none

	steps      []string // KB steps run: stop, RemoveAll, setup, reboot, SP
	violations []string // setup run with the cluster service not stopped
}

func (f *fakeNT) Node() string { return "NODE2" }

func (f *fakeNT) Run(ctx context.Context, line string, readOnly bool) (winrm.Result, error) {
	if i := strings.Index(line, ") & "); strings.HasPrefix(line, "(if not exist ") && i > 0 {
		line = line[i+len(") & "):] // writeFile's folder, which the fake always has
	}
	if isCompound(line) && (readOnly || strings.HasPrefix(line, "mkdir ") || strings.HasPrefix(line, "sc config ")) {
		// a batch of reads, sc query && sc qc, the lock, sc config && sc stop
		return compoundLine(line, func(part string) (winrm.Result, error) { return f.Run(ctx, part, readOnly) })
	}
	ok := func(out string) (winrm.Result, error) { return winrm.Result{Stdout: out}, nil }
	notFound := winrm.Result{Stderr: "ERROR: The system was unable to find the specified registry key or value.\r\n", ExitCode: 1}
	const journal = `C:\WINNT\mscs-optionpack.log`
	switch {
	case line == "hostname":
		return ok("NODE2\r\n")
	case line == `reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion"`:
		out := "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\r\n" +
			"    CurrentVersion    REG_SZ    4.0\r\n    CurrentBuildNumber    REG_SZ    1381\r\n"
		if f.csd != "" {
			out += "    CSDVersion    REG_SZ    " + f.csd + "\r\n"
		}
		return ok(out + "    SystemRoot    REG_SZ    C:\\WINNT\r\n\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix\r\n")
	case strings.HasPrefix(line, `reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Hotfix\`):
		return notFound, nil // no SP6a hotfix on an SP4 node
	case line == `reg query HKLM\SOFTWARE\Microsoft\InetStp /v MajorVersion`:
		if !f.installed {
			return notFound, nil
		}
		return ok("\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\InetStp\r\n    MajorVersion    REG_DWORD    0x4\r\n\r\n")
	case line == `reg query "HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Setup\OC Manager\Subcomponents"`:
		if !f.installed && !f.removed {
			return notFound, nil
		}
		out := "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Setup\\OC Manager\\Subcomponents\r\n"
		for _, c := range KnownComponents {
			v := "0x0"
			if slices.Contains(f.components, c) {
				v = "0x1"
			}
			out += "    " + c + "    REG_DWORD    " + v + "\r\n"
		}
		return ok(out + "\r\n")
	case line == `reg query "HKLM\SYSTEM\CurrentControlSet\Control\Session Manager" /v PendingFileRenameOperations`:
		if !f.pending {
			return notFound, nil
		}
		return ok("\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\r\n    PendingFileRenameOperations    REG_MULTI_SZ    \\??\\C:\\WINNT\\system32\\SET1.tmp\\0!\\??\\C:\\WINNT\\system32\\ole32.dll\r\n\r\n")
	case line == "sc query ClusSvc":
		return ok(strings.Replace(kbSCQueryRunning, "4  RUNNING", f.clusState, 1))
	case line == "sc qc ClusSvc":
		return ok(strings.Replace(scQCClusSvc, "2   AUTO_START", f.clusStart, 1))
	case line == "sc config ClusSvc start= demand":
		f.clusStart = "3   DEMAND_START"
		return ok("[SC] ChangeServiceConfig SUCCESS\r\n")
	case line == "sc stop ClusSvc":
		f.steps = append(f.steps, "stop")
		f.clusState = "1  STOPPED"
		if f.stopHangs {
			f.clusState = "3  STOP_PENDING"
		}
		return ok(strings.Replace(kbSCQueryRunning, "4  RUNNING", f.clusState, 1))
	case line == "if exist "+journal+" (type "+journal+" && echo "+fileEnd+")":
		return ok(typed(f.journal))
	// The phase's tools (MissingTools), all on the node.
	case line == "set SystemRoot":
		return ok("SystemRoot=C:\\WINNT\r\n")
	case line == "set PATH":
		return ok("Path=C:\\WINNT\\system32;C:\\WINNT\r\nPATHEXT=.COM;.EXE;.BAT;.CMD\r\n")
	case strings.HasPrefix(line, `if exist "%SystemRoot%\system32\`) && strings.HasSuffix(line, `.exe" echo found`):
		return ok("found\r\n")
	case line == `if exist C:\NTOPTPAK\EN\X86\WINNT.SRV\setup.exe echo found`, line == `if exist C:\SP4\I386\UPDATE\update.exe echo found`:
		if f.noMedia {
			return ok("")
		}
		return ok("found\r\n")
	case line == `mkdir C:\WINNT\mscs-optionpack.lock`:
		if f.locked {
			return winrm.Result{Stderr: "A subdirectory or file C:\\WINNT\\mscs-optionpack.lock already exists.\r\n", ExitCode: 1}, nil
		}
		f.locked = true
		return ok("")
	case line == `if exist C:\WINNT\mscs-optionpack.lock\owner.txt (type C:\WINNT\mscs-optionpack.lock\owner.txt && echo `+fileEnd+`)`:
		return ok(typed(f.lock))
	case strings.HasPrefix(line, "echo owner=") && strings.HasSuffix(line, ` > C:\WINNT\mscs-optionpack.lock\owner.txt`):
		f.lock = strings.TrimSuffix(strings.TrimPrefix(line, "echo "), ` > C:\WINNT\mscs-optionpack.lock\owner.txt`) + " \r\n"
		return ok("")
	case strings.HasPrefix(line, "echo owner=") && strings.HasSuffix(line, `.run`):
		_, f.lockMark, _ = strings.Cut(line, ` > C:\WINNT\mscs-optionpack.lock\`)
		return ok("")
	case strings.HasPrefix(line, `if exist C:\WINNT\mscs-optionpack.lock\`) && strings.HasSuffix(line, `.run rmdir /s /q C:\WINNT\mscs-optionpack.lock`):
		if f.locked && strings.Contains(line, `\`+f.lockMark+" ") {
			f.locked, f.lock, f.lockMark = false, "", ""
		}
		return ok("")
	case strings.Contains(line, `ren C:\WINNT\mscs-optionpack.lock mscs-optionpack.lock.`):
		// The takeover's REN, run while the folder holds the stale run's
		// mark (named first) or no mark at all.
		mark, hasMark := "", strings.HasPrefix(line, `if exist C:\WINNT\mscs-optionpack.lock\`) && !strings.HasPrefix(line, `if exist C:\WINNT\mscs-optionpack.lock\*.run`)
		if hasMark {
			mark, _, _ = strings.Cut(strings.TrimPrefix(line, `if exist C:\WINNT\mscs-optionpack.lock\`), " ")
		}
		if f.locked && (f.lockMark == "" || f.lockMark == mark) {
			if f.aside != "" {
				return winrm.Result{Stderr: "A duplicate file name exists, or the file cannot be found.\r\n", ExitCode: 1}, nil
			}
			f.aside, f.locked, f.lock, f.lockMark = f.lock, false, "", ""
		}
		return ok("")
	case strings.HasPrefix(line, `if exist C:\WINNT\mscs-optionpack.lock.`) && strings.Contains(line, ` rmdir /s /q C:\WINNT\mscs-optionpack.lock.`):
		f.aside = ""
		return ok("")
	case line == "cluster node /status":
		if f.clusState != "4  RUNNING" {
			return winrm.Result{Stderr: "System error 1722 has occurred (0x000006ba).\r\nThe RPC server is unavailable.\r\n", ExitCode: 1722}, nil
		}
		node1 := "Up"
		if f.aloneUp {
			node1 = "Down"
		}
		return ok(strings.Replace(kbNodeStatus, "NODE1                1 Up", "NODE1                1 "+node1+"\r\n  NODE2                2 Up", 1))
	case line == "cluster group /status":
		owner := "NODE1"
		if f.aloneUp {
			owner = "NODE2"
		}
		return ok(strings.Replace(kbGroupStatus, "NODE1", owner, 1))
	case line == "sc query IISADMIN", line == "sc query W3SVC", line == "sc query MSFTPSVC":
		name := strings.TrimPrefix(line, "sc query ")
		out := strings.Replace(kbSCQueryRunning, "ClusSvc", name, 1)
		if f.corrupt {
			out = strings.Replace(strings.Replace(out, "4  RUNNING", "1  STOPPED", 1), "WIN32_EXIT_CODE    : 0  (0x0)", "WIN32_EXIT_CODE    : 1067  (0x42b)", 1)
		}
		return ok(out)
	case line == "sc qc IISADMIN", line == "sc qc W3SVC", line == "sc qc MSFTPSVC":
		return ok(strings.ReplaceAll(scQCClusSvc, "ClusSvc", strings.TrimPrefix(line, "sc qc ")))
	case strings.HasPrefix(line, "echo step="):
		text, fresh := strings.CutSuffix(line, " > "+journal)
		if !fresh {
			text, _ = strings.CutSuffix(line, " >> "+journal)
		} else {
			f.journal = ""
		}
		f.journal += strings.TrimPrefix(text, "echo ") + " \r\n"
		return ok("")
	case strings.HasPrefix(line, "echo [Install] > C:\\WINNT\\mscs-optionpack.ini"):
		f.record = line
		return ok("")
	case strings.HasPrefix(line, "echo [Version] > "):
		f.unattend = line
		return ok("")
	case strings.HasSuffix(line, `setup.exe /u:C:\WINNT\TEMP\mscs-removeall.txt /R:N`), strings.HasSuffix(line, `setup.exe /u:C:\WINNT\TEMP\mscs-install.txt /R:N`):
		if f.clusState != "1  STOPPED" {
			f.violations = append(f.violations, line)
		}
		if f.pending && f.pendingOP != nil {
			return winrm.Result{Stderr: "Windows NT 4.0 Option Pack Setup: A previous Setup is waiting for the computer to restart.\r\n", ExitCode: 1}, nil
		}
		comps := []string{}
		if strings.Contains(f.unattend, "MaintanenceMode = RemoveAll") {
			f.steps = append(f.steps, "RemoveAll")
		} else {
			f.steps = append(f.steps, "setup")
			for _, c := range KnownComponents {
				if strings.Contains(f.unattend, "echo "+c+" = ON ") {
					comps = append(comps, c)
				}
			}
		}
		f.pendingOP, f.pending = &comps, true
		if f.corrupt && strings.Contains(f.unattend, "RemoveAll") {
			return winrm.Result{Stderr: "Windows NT 4.0 Option Pack Setup: Setup encountered errors while removing components:\r\n"}, nil
		}
		return ok("")
	case strings.HasSuffix(line, `update.exe -u -z -n -q`):
		f.steps = append(f.steps, "SP")
		f.pendingCSD, f.pending = "Service Pack 4", true
		return ok("")
	case line == "shutdown /r /t 0":
		f.steps = append(f.steps, "reboot")
		f.boots++
		if f.pendingOP != nil {
			f.components = *f.pendingOP
			f.installed, f.corrupt = len(f.components) > 0, false
			f.removed = !f.installed
		}
		if f.pendingCSD != "" {
			f.csd = f.pendingCSD
		}
		f.pendingOP, f.pendingCSD, f.pending = nil, "", false
		return ok("")
	case line == "net statistics workstation":
		return ok(fmt.Sprintf("Workstation Statistics for \\\\NODE2\r\n\r\n\r\nStatistics since 10/1/1999 9:%02d:00 AM\r\n\r\n\r\n", f.boots))
	}
	return winrm.Result{Stderr: "'" + line + "' is not recognized as an internal or external command,\r\n", ExitCode: 1}, nil
}

var node1Components = []string{"fp_extensions", "iis_common", "iis_doc_common", "iis_ftp", "iis_inetmgr", "iis_www", "mts_core", "mts_mmc", "wsh_core"}

func testSpec() InstallSpec {
	return InstallSpec{Method: "custom", Components: node1Components, ServicePack: "4",
		SetupPath: `C:\NTOPTPAK\EN\X86\WINNT.SRV\setup.exe`, ServicePackPath: `C:\SP4\I386\UPDATE\update.exe`,
		RebootTimeout: time.Second}
}

func freshNT() *fakeNT {
	return &fakeNT{clusState: "4  RUNNING", clusStart: "2   AUTO_START", csd: "Service Pack 4"}
}

func TestInstallOptionPack_Decisions(t *testing.T) {
	spec := testSpec()
	hash := specHash(spec.phaseSpec("install"))
	for _, c := range []struct {
		name  string
		setup func(f *fakeNT)
		want  []string
	}{
		{"fresh node", func(f *fakeNT) {}, []string{"stop", "setup", "reboot", "SP", "reboot"}},
		{"corrupt install", func(f *fakeNT) {
			f.installed, f.corrupt, f.components = true, true, node1Components
		}, []string{"stop", "RemoveAll", "reboot", "SP", "reboot", "setup", "reboot", "SP", "reboot"}},
		{"install of another spec present", func(f *fakeNT) {
			f.installed, f.components = true, minimalComponents
			f.journal = "step=done spec=0123456789ab \r\n"
		}, []string{"stop", "RemoveAll", "reboot", "SP", "reboot", "setup", "reboot", "SP", "reboot"}},
		{"removed out of band, maybe without the SP: it goes first", func(f *fakeNT) {
			f.removed = true
		}, []string{"stop", "SP", "reboot", "setup", "reboot", "SP", "reboot"}},
		{"pending reboot", func(f *fakeNT) {
			f.pending = true
		}, []string{"stop", "reboot", "setup", "reboot", "SP", "reboot"}},
		{"journal: setup and its reboot done", func(f *fakeNT) {
			// This run's own install, present but without the SP re-applied:
			// not removed, the SP goes on.
			f.installed, f.components = true, node1Components
			f.journal = "step=start spec=" + hash + " \r\nstep=setup spec=" + hash + " \r\nstep=setup-reboot spec=" + hash + " \r\n"
		}, []string{"stop", "SP", "reboot"}},
		{"journal: SP applied, reboot timed out but happened", func(f *fakeNT) {
			f.installed, f.components = true, node1Components
			f.clusState, f.clusStart = "1  STOPPED", "3   DEMAND_START"
			f.journal = "step=setup spec=" + hash + " \r\nstep=setup-reboot spec=" + hash + " \r\nstep=sp spec=" + hash + " \r\n"
		}, nil},
		// Installed as declared and healthy: adopted, nothing runs (not even
		// the cluster service's stop); reinstall = always reinstalls it.
		{"journal: the same spec finished, installed and healthy: adopted", func(f *fakeNT) {
			f.installed, f.components = true, node1Components
			f.journal = "step=start spec=" + hash + " \r\nstep=sp-reboot spec=" + hash + " \r\nstep=done spec=" + hash + " \r\n"
		}, nil},
		{"installed and healthy, reinstall always: reinstalled", func(f *fakeNT) {
			f.installed, f.components = true, node1Components
		}, []string{"stop", "RemoveAll", "reboot", "SP", "reboot", "setup", "reboot", "SP", "reboot"}},
		{"journal: started, Remove All ran but was not recorded: the SP still follows it", func(f *fakeNT) {
			f.clusState, f.clusStart = "1  STOPPED", "3   DEMAND_START"
			f.installed, f.components = true, node1Components
			f.pending, f.pendingOP = true, &[]string{}
			f.journal = "step=start spec=" + hash + " \r\n"
		}, []string{"reboot", "SP", "reboot", "setup", "reboot", "SP", "reboot"}},
		// Killed right after setup.exe, before its journal line: its
		// install is pending. After the reboot it is present where setup
		// is due: removed first, as any install not the run's own.
		{"journal: setup ran but was not recorded, its reboot pending", func(f *fakeNT) {
			f.clusState, f.clusStart = "1  STOPPED", "3   DEMAND_START"
			cs := append([]string(nil), node1Components...)
			f.pending, f.pendingOP = true, &cs
			f.journal = "step=start spec=" + hash + " \r\nstep=removeall-sp-reboot spec=" + hash + " \r\n"
		}, []string{"reboot", "RemoveAll", "reboot", "SP", "reboot", "setup", "reboot", "SP", "reboot"}},
		{"journal: the steps before setup done, an install present", func(f *fakeNT) {
			f.clusState, f.clusStart = "1  STOPPED", "3   DEMAND_START"
			f.installed, f.components = true, node1Components
			f.journal = "step=start spec=" + hash + " \r\nstep=removeall-sp-reboot spec=" + hash + " \r\n"
		}, []string{"RemoveAll", "reboot", "SP", "reboot", "setup", "reboot", "SP", "reboot"}},
		{"journal: Remove All done, its reboot pending", func(f *fakeNT) {
			f.installed, f.corrupt, f.components = true, true, node1Components
			f.pending, f.pendingOP = true, &[]string{}
			f.journal = "step=start spec=" + hash + " \r\nstep=removeall spec=" + hash + " \r\n"
		}, []string{"stop", "reboot", "SP", "reboot", "setup", "reboot", "SP", "reboot"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := freshNT()
			c.setup(f)
			n := &Node{R: f, Poll: time.Millisecond}
			spec := spec
			if strings.Contains(c.name, "reinstall always") {
				spec.Reinstall = ReinstallAlways
			}
			facts, err := n.ReadInstallFacts(context.Background(), spec)
			if err != nil {
				t.Fatal(err)
			}
			plan := PlanInstall(facts, spec)
			kinds := PlanInstallSteps(facts, spec)
			spec.Adopt = AdoptInstall(facts, spec) // as the provider's plan decides
			if _, err := n.InstallOptionPack(context.Background(), spec, nil); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(f.steps, c.want) {
				t.Errorf("steps %v\nwant  %v", f.steps, c.want)
			}
			// The steps' kinds say what they do: the stop of the cluster
			// service where one runs, a reboot for each unconditional one.
			stops, conditional := 0, false
			for i, k := range kinds {
				if k.Words != plan[i] {
					t.Errorf("step %d: %q, PlanInstall says %q", i, k.Words, plan[i])
				}
				if k.Kind == StepStopClusterService {
					stops++
				}
				if k.Conditional != conditionalRe.MatchString(k.Words) {
					t.Errorf("step %d %q: Conditional %t, its words say otherwise", i, k.Words, k.Conditional)
				}
				conditional = conditional || k.Conditional
			}
			if want := countLines(f.steps, "stop"); stops != want {
				t.Errorf("%d steps of kind StepStopClusterService, %d stops ran", stops, want)
			}
			sure, most := Reboots(kinds)
			if want := countLines(f.steps, "reboot"); want < sure || want > most || (!conditional && sure != most) {
				t.Errorf("Reboots %d to %d, %d reboots ran", sure, most, want)
			}
			// What the plan listed is what ran.
			if !planRan(plan, f.steps) {
				t.Errorf("the plan listed\n%q\nthe install ran %v", plan, f.steps)
			}
			if len(f.violations) > 0 {
				t.Errorf("setup ran with the cluster service up: %v", f.violations)
			}
			if !f.installed || !SameComponents(f.components, node1Components) || f.pending || f.csd != "Service Pack 4" {
				t.Errorf("end state %+v", f)
			}
			if spec.Adopt {
				if f.clusStart != "2   AUTO_START" || f.clusState != "4  RUNNING" || len(plan) != 1 || !strings.HasPrefix(plan[0], "adopted: ") {
					t.Errorf("adopted: cluster service %s %s, plan %q: nothing may change", f.clusState, f.clusStart, plan)
				}
			} else if f.clusStart != "3   DEMAND_START" || f.clusState != "1  STOPPED" {
				t.Errorf("cluster service %s %s: must stay stopped and manual", f.clusState, f.clusStart)
			}
			if h, step := ParseJournal(f.journal); h != hash || step != stepDone {
				t.Errorf("journal %q", f.journal)
			}
		})
	}
}

// planRan reports whether ran (KB steps) is what plan listed: with its
// conditional step (what only the node after a reboot tells) taken, or not.
func planRan(plan []string, ran []string) bool {
	for _, taken := range []bool{false, true} {
		if got := planKBSteps(plan, taken); reflect.DeepEqual(got, ran) || len(got) == 0 && len(ran) == 0 {
			return true
		}
	}
	return false
}

// planKBSteps reduces PlanInstall's steps to the fake's (and the lab's) KB
// steps: stop, RemoveAll, setup, reboot, SP. A conditional step ("if ...,
// then: a, b, c") counts as its steps when taken, as nothing otherwise.
func planKBSteps(plan []string, taken bool) []string {
	var steps []string
	for _, p := range plan {
		if strings.HasPrefix(p, "if ") {
			_, then, _ := strings.Cut(p, thenWords)
			if taken {
				then = strings.ReplaceAll(then, " and ", ", ")
				steps = append(steps, planKBSteps(strings.Split(then, ", "), false)...)
			}
			continue
		}
		switch {
		case strings.HasPrefix(p, "stop the cluster service"):
			steps = append(steps, "stop")
		case strings.HasPrefix(p, "Remove All"):
			steps = append(steps, "RemoveAll")
		case strings.HasPrefix(p, "reboot"):
			steps = append(steps, "reboot")
		case strings.HasPrefix(p, "re-apply service pack"):
			steps = append(steps, "SP")
		case strings.HasPrefix(p, "Option Pack setup"):
			steps = append(steps, "setup")
		}
	}
	return steps
}

// A fresh run that finds nothing to remove records the skipped removal, so
// that a run resuming it does not take "no Option Pack" for a Remove All.
func TestInstallOptionPack_RecordsSkippedRemoval(t *testing.T) {
	f := freshNT()
	if _, err := (&Node{R: f, Poll: time.Millisecond}).InstallOptionPack(context.Background(), testSpec(), nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.journal, "step=start spec=") || !strings.Contains(f.journal, "step=removeall-sp-reboot spec=") {
		t.Errorf("journal %q", f.journal)
	}
	if f.locked {
		t.Error("the run left the node locked")
	}
}

// Checks that refuse a run before its first change: the installation media
// missing, the node the only one Up, another run holding the lock. The
// cluster service stays running and automatic.
func TestInstallOptionPack_RefusedBeforeAnyChange(t *testing.T) {
	recent := "owner=opsbox/4242/0a1b2c3d time=" + time.Now().UTC().Format(time.RFC3339) + " \r\n"
	for _, c := range []struct {
		name  string
		setup func(f *fakeNT, s *InstallSpec)
		err   error
		text  string
	}{
		{"media missing", func(f *fakeNT, _ *InstallSpec) { f.noMedia = true }, ErrMediaMissing,
			`setup_path C:\NTOPTPAK\EN\X86\WINNT.SRV\setup.exe does not exist on the node`},
		{"only node up", func(f *fakeNT, _ *InstallSpec) { f.aloneUp = true }, ErrLastNodeUp,
			"it is the only node Up in the cluster: stopping its cluster service would take Cluster Group offline"},
		{"locked by another run", func(f *fakeNT, _ *InstallSpec) { f.locked, f.lock = true, recent }, ErrLocked,
			"opsbox/4242/0a1b2c3d holds its lock since"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, spec := freshNT(), testSpec()
			c.setup(f, &spec)
			_, err := (&Node{R: f, Poll: time.Millisecond}).InstallOptionPack(context.Background(), spec, nil)
			if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("got %v, want %v with %q", err, c.err, c.text)
			}
			if len(f.steps) > 0 || f.clusState != "4  RUNNING" || f.clusStart != "2   AUTO_START" || f.journal != "" {
				t.Errorf("changed the node: steps %v, ClusSvc %s %s, journal %q", f.steps, f.clusState, f.clusStart, f.journal)
			}
			if c.err != ErrLocked && f.locked {
				t.Error("a refused run left the node locked")
			}
		})
	}
}

// What the refusals let through: the outage when the operator accepts it, a
// stale lock.
func TestInstallOptionPack_AcceptedOutageAndStaleLock(t *testing.T) {
	f, spec := freshNT(), testSpec()
	f.aloneUp, spec.AllowOutage = true, true
	f.locked, f.lock = true, "owner=opsbox/4242/0a1b2c3d time=2026-01-01T00:00:00Z \r\n"
	if _, err := (&Node{R: f, Poll: time.Millisecond}).InstallOptionPack(context.Background(), spec, nil); err != nil {
		t.Fatal(err)
	}
	if want := []string{"stop", "setup", "reboot", "SP", "reboot"}; !reflect.DeepEqual(f.steps, want) {
		t.Errorf("steps %v, want %v", f.steps, want)
	}
	// The stale lock was set aside and went with the run's own.
	if f.locked || f.aside != "" {
		t.Errorf("left the lock (%t) or the stale one set aside (%q)", f.locked, f.aside)
	}
}

func TestLockHolderStale(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	myHost, _, _ := strings.Cut(lockProcess, "/")
	running := newLockOwner()
	heldLocks.Store(running, &heldLock{ctx: context.Background(), released: make(chan struct{})})
	defer heldLocks.Delete(running)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	ending := newLockOwner()
	endingRun := &heldLock{ctx: cancelled, released: make(chan struct{})}
	heldLocks.Store(ending, endingRun)
	defer heldLocks.Delete(ending)
	dead := func(int) bool { return false }
	alive := func(int) bool { return true }
	// The process 999999 now: started at tick 500, its parent 77.
	identity := func(int) string { return "77.500" }
	for _, c := range []struct {
		owner, proc string
		age         time.Duration
		alive       func(int) bool
		stale       bool
		ending      bool
	}{
		{"otherhost/42/x", "", time.Minute, dead, false, false},                            // another machine's process: can't tell
		{"otherhost/42/x", "77.500", 3 * time.Hour, alive, true, false},                    // older than any run
		{myHost + "/999999/x", "77.500", time.Minute, dead, true, false},                   // this machine, process gone
		{myHost + "/999999/x", "77.500", time.Minute, alive, false, false},                 // this machine, the same process, still running
		{myHost + "/999999/x", "", time.Minute, alive, false, false},                       // a lock that did not say: the pid decides
		{myHost + "/999999/x", "77.123", time.Minute, alive, true, false},                  // the pid reused by a later process
		{myHost + "/999999/x", "66.500", time.Minute, alive, true, false},                  // orphaned: the terraform that ran it is gone
		{fmt.Sprintf("%s/%d/x", myHost, os.Getpid()), "", time.Minute, alive, true, false}, // this process, a run that ended without releasing it
		{running, "", time.Minute, alive, false, false},                                    // this process, a run still going
		{ending, "", time.Minute, alive, false, true},                                      // this process, a run whose context ended: waited for
	} {
		h := LockHolder{Owner: c.owner, Since: now.Add(-c.age), Proc: c.proc}
		stale, end := h.stale(lockProbe{now: now, alive: c.alive, identity: identity}, 2*time.Hour)
		if stale != c.stale || (end != nil) != c.ending {
			t.Errorf("%+v stale = %t, ending %t; want %t, %t", h, stale, end != nil, c.stale, c.ending)
		}
	}
	if h, ok := ParseLockHolder("owner=a/1/b time=2026-11-30T12:00:00Z \r\n"); !ok || h.Owner != "a/1/b" || !h.Since.Equal(now) || h.Proc != "" {
		t.Errorf("ParseLockHolder = %+v, %t", h, ok)
	}
	if h, ok := ParseLockHolder("owner=a/1/b time=2026-11-30T12:00:00Z proc=1.2345 \r\n"); !ok || h.Owner != "a/1/b" || h.Proc != "1.2345" {
		t.Errorf("ParseLockHolder with proc = %+v, %t", h, ok)
	}
	if _, ok := ParseLockHolder(""); ok {
		t.Error("an empty owner.txt names an owner")
	}
	// This process as /proc tells it: its parent, and a start time.
	if id := processIdentity(os.Getpid()); runtime.GOOS == "linux" && !strings.HasPrefix(id, strconv.Itoa(os.Getppid())+".") {
		t.Errorf("processIdentity(self) = %q, want the parent %d first", id, os.Getppid())
	}
}

// A finished install records the caller's settings for import.
func TestInstallOptionPack_WritesRecord(t *testing.T) {
	f, spec := freshNT(), testSpec()
	spec.Record = InstallRecord{"setup_path": spec.SetupPath, "working_node": "NODE1", "timeouts.create": "2h",
		"bad key": "x", "unsafe": "a&b", "empty": ""}
	if _, err := (&Node{R: f, Poll: time.Millisecond}).InstallOptionPack(context.Background(), spec, nil); err != nil {
		t.Fatal(err)
	}
	want := `echo [Install] > C:\WINNT\mscs-optionpack.ini && echo setup_path=C:\NTOPTPAK\EN\X86\WINNT.SRV\setup.exe >> C:\WINNT\mscs-optionpack.ini` +
		` && echo timeouts.create=2h >> C:\WINNT\mscs-optionpack.ini && echo working_node=NODE1 >> C:\WINNT\mscs-optionpack.ini`
	if f.record != want {
		t.Errorf("record written as\n%s\nwant\n%s", f.record, want)
	}
	rec := ParseInstallRecord("[Install] \r\nsetup_path=C:\\OP\\setup.exe \r\nservice_pack_path=C:\\SP\\update.exe \r\n")
	if !reflect.DeepEqual(rec, InstallRecord{"setup_path": `C:\OP\setup.exe`, "service_pack_path": `C:\SP\update.exe`}) {
		t.Errorf("ParseInstallRecord = %+v", rec)
	}
	if rec := ParseInstallRecord(""); rec != nil {
		t.Error("no file is a record")
	}
}

func TestInstallOptionPack_ClusSvcWontStop(t *testing.T) {
	f := freshNT()
	f.installed, f.corrupt, f.components = true, true, node1Components
	f.stopHangs = true
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := (&Node{R: f, Poll: time.Millisecond}).InstallOptionPack(ctx, testSpec(), nil)
	if err == nil || !strings.Contains(err.Error(), "NODE2: stop the cluster service and set it to manual: NODE2: the cluster service did not become Stopped (last seen StopPending)") ||
		!strings.Contains(err.Error(), "Option Pack setup was not run") {
		t.Fatalf("got %v", err)
	}
	if !reflect.DeepEqual(f.steps, []string{"stop"}) {
		t.Errorf("steps %v: nothing may follow a stop that is not confirmed", f.steps)
	}
}

func TestInstallOptionPack_VerifyFails(t *testing.T) {
	// Setup installs what the unattend file says, plus a component the
	// declaration lacks (a dependency setup adds on its own).
	f := freshNT()
	spec := testSpec()
	spec.Components = []string{"iis_common", "iis_www"}
	n := &Node{R: &addsMTS{f}, Poll: time.Millisecond}
	_, err := n.InstallOptionPack(context.Background(), spec, nil)
	want := "NODE2: verify the Option Pack install: the installed components differ from the declared ones (+mts_core)"
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
}

// addsMTS makes setup also install mts_core, as OC Manager adds what a
// selected component needs.
type addsMTS struct{ *fakeNT }

func (a *addsMTS) Run(ctx context.Context, line string, readOnly bool) (winrm.Result, error) {
	res, err := a.fakeNT.Run(ctx, line, readOnly)
	if a.pendingOP != nil && len(*a.pendingOP) > 0 && !slices.Contains(*a.pendingOP, "mts_core") {
		comps := append(*a.pendingOP, "mts_core")
		sort.Strings(comps)
		a.pendingOP = &comps
	}
	return res, err
}

func TestInstallSpecValidate(t *testing.T) {
	ok := testSpec()
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	typical := InstallSpec{Method: "typical", SetupPath: `C:\x\setup.exe`, ServicePack: "3"}
	if err := typical.Validate(); err != nil {
		t.Errorf("typical at SP3 (no re-apply, no SP path needed): %v", err)
	}
	for _, c := range []struct {
		mutate func(*InstallSpec)
		want   string
	}{
		{func(s *InstallSpec) { s.Method = "full" }, `install method "full" is not one of minimal, typical, custom`},
		{func(s *InstallSpec) { s.Components = nil }, "install method custom needs at least one component"},
		{func(s *InstallSpec) { s.Components = []string{"iis_www", "iis_gopher"} }, `component "iis_gopher" is not one Option Pack setup knows`},
		{func(s *InstallSpec) { s.Components = []string{"iis_www = ON & del x"} }, `component "iis_www = ON & del x" is not one`},
		{func(s *InstallSpec) { s.Method = "minimal" }, "components are only given with install method custom"},
		{func(s *InstallSpec) { s.ServicePack = "7" }, `service pack "7" is not one of 3, 4, 5, 6, 6a`},
		{func(s *InstallSpec) { s.ServicePackPath = "" }, "service pack 4 is re-applied after setup: service_pack_path is empty"},
		{func(s *InstallSpec) { s.SetupPath = `C:\%TEMP%\setup.exe` }, "setup_path: character '%'"},
	} {
		s := testSpec()
		c.mutate(&s)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}

func TestSpecHash(t *testing.T) {
	a, b := testSpec(), testSpec()
	b.Components = []string{"WSH_CORE", "mts_mmc", "mts_core", "iis_www", "iis_inetmgr", "iis_ftp", "iis_doc_common", "iis_common", "fp_extensions"}
	b.RebootTimeout, b.SetupPath = time.Hour, `D:\setup.exe`
	if specHash(a.phaseSpec("install")) != specHash(b.phaseSpec("install")) {
		t.Error("order, case, paths or timeouts changed the hash")
	}
	b.ServicePack = "5"
	if specHash(a.phaseSpec("install")) == specHash(b.phaseSpec("install")) || specHash(a.phaseSpec("install")) == specHash(a.phaseSpec("remove")) {
		t.Error("service pack or goal did not change the hash")
	}
}

func TestParseJournal(t *testing.T) {
	h, s := ParseJournal("step=start spec=abc \r\nstep=setup spec=abc \r\n\r\n")
	if h != "abc" || s != "setup" {
		t.Errorf("got %q %q", h, s)
	}
	if h, s := ParseJournal(""); h != "" || s != "" {
		t.Errorf("empty journal: %q %q", h, s)
	}
}

// typed is what readFileLine prints of a file holding text: nothing when
// there is no file (""), else the text and the end line.
func typed(text string) string {
	if text == "" {
		return ""
	}
	return text + fileEnd + "\r\n"
}

// PlanInstall is PlanInstallSteps' words alone, for the tests that compare them.
func PlanInstall(f InstallFacts, spec InstallSpec) []string {
	steps := PlanInstallSteps(f, spec)
	words := make([]string, len(steps))
	for i, s := range steps {
		words[i] = s.Words
	}
	return words
}
