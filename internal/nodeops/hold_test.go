package nodeops

import (
	"reflect"
	"strings"
	"testing"
)

// The record as `type` prints it after cmd's echo wrote it: CRLF, and the
// blank before each redirection kept at the end of every line.
const msdtcRecordSample = "[mscs hold] \r\n" +
	"phase=msdtc \r\n" +
	"group=NODE1 online Web Group \r\n" +
	"restart=1 FTP Server \r\n" +
	"restart=2 MSDTC \r\n" +
	"restart=2 Web Server \r\n" +
	"dtc.group=Web Group \r\n" +
	"dtc.resource=MSDTC \r\n" +
	"dtc.depends=WEBVS \r\n" +
	"dtc.depends=Disk S: \r\n" +
	"dtc.network=WEBVS WEBVS \r\n" +
	"dtc.disk=Disk S: \r\n" +
	"dtc.log=S:\\MSDTCLog \r\n" +
	"end \r\n"

func TestParseHold(t *testing.T) {
	want := Hold{Phase: "msdtc", Groups: []HeldGroup{{Name: "Web Group", Owner: "NODE1", Online: true}},
		Restart: map[string]int{"FTP Server": 1, "MSDTC": 2, "Web Server": 2},
		DTC: &HeldDTC{Group: "Web Group", Resource: "MSDTC", Depends: []string{"WEBVS", "Disk S:"}, NetworkName: "WEBVS",
			NetworkNameResource: "WEBVS", Disk: "Disk S:", LogPath: `S:\MSDTCLog`}}
	got, complete, err := ParseHold(msdtcRecordSample)
	if err != nil || !complete || !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseHold = %+v (dtc %+v), %v, %v", got, got.DTC, complete, err)
	}
	// What lines() writes is what ParseHold reads.
	again, complete, err := ParseHold(strings.Join(want.lines(), " \r\n") + " \r\n")
	if err != nil || !complete || !reflect.DeepEqual(again, want) {
		t.Errorf("round trip: %+v, %v, %v", again, complete, err)
	}

	failover := "[mscs hold]\r\nphase=failover\r\ngroup=NODE2 offline Web Group 2\r\ngroup=NODE1 online Web Group\r\nrestart=0 Web Server\r\nend\r\n"
	got, complete, err = ParseHold(failover)
	wantF := Hold{Phase: "failover", Groups: []HeldGroup{{Name: "Web Group 2", Owner: "NODE2"}, {Name: "Web Group", Owner: "NODE1", Online: true}},
		Restart: map[string]int{"Web Server": 0}}
	if err != nil || !complete || !reflect.DeepEqual(got, wantF) {
		t.Errorf("failover record: %+v, %v, %v", got, complete, err)
	}

	// No record, or one cut short while it was written (before any
	// change): not complete, no error.
	for name, text := range map[string]string{
		"none":      "",
		"blank":     "\r\n",
		"cut short": strings.Join(strings.Split(msdtcRecordSample, "\r\n")[:5], "\r\n"),
		"header":    "[mscs hold]\r\n",
	} {
		if _, complete, err := ParseHold(text); err != nil || complete {
			t.Errorf("%s: complete %v, %v", name, complete, err)
		}
	}

	// Anything else is an error: a record is never guessed at.
	for name, text := range map[string]string{
		"not a record":   "owner=NODE1\r\nrestart=2 MSDTC\r\n",
		"unknown key":    "[mscs hold]\r\nphase=msdtc\r\nowner=NODE1\r\nend\r\n",
		"no value":       "[mscs hold]\r\nphase=msdtc\r\nrestart\r\nend\r\n",
		"bad value":      "[mscs hold]\r\nphase=msdtc\r\nrestart=two MSDTC\r\nend\r\n",
		"out of range":   "[mscs hold]\r\nphase=msdtc\r\nrestart=3 MSDTC\r\nend\r\n",
		"no resource":    "[mscs hold]\r\nphase=msdtc\r\nrestart=2\r\nend\r\n",
		"bad group":      "[mscs hold]\r\nphase=failover\r\ngroup=NODE1 Web Group\r\nend\r\n",
		"after the end":  "[mscs hold]\r\nphase=failover\r\nend\r\nrestart=2 MSDTC\r\n",
		"no phase":       "[mscs hold]\r\nrestart=2 MSDTC\r\nend\r\n",
		"dtc sans group": "[mscs hold]\r\nphase=msdtc\r\ndtc.resource=MSDTC\r\nend\r\n",
	} {
		if h, complete, err := ParseHold(text); err == nil {
			t.Errorf("%s: %+v, complete %v; want an error", name, h, complete)
		}
	}
}

// What a restore left, in words: every resource still off, every resource
// gone, every group elsewhere, where the record is, and each failure once.
func TestLeftErrorWords(t *testing.T) {
	e := &LeftError{Words: "the failover test", Node: "NODE1", Path: `C:\WINNT\mscs-failover.hold`,
		Off: []string{"FTP Server (RestartAction 1)"}, Wrong: []string{"Web Server (2, to be 1)"}, Missing: []string{"MSDTC"},
		Groups: []string{"group Web Group is Online on NODE2 (to be Online on NODE1)"}}
	want := `the failover test did not restore what it held: "Affect the group" is still off on FTP Server (RestartAction 1); ` +
		`RestartAction is not restored on Web Server (2, to be 1); ` +
		`resource MSDTC does not exist now; group Web Group is Online on NODE2 (to be Online on NODE1); the values before are kept in ` +
		`C:\WINNT\mscs-failover.hold on NODE1, and the next apply restores them from it`
	if got := e.Error(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	e = &LeftError{Words: "the MSDTC phase", Node: "NODE1", Path: `C:\WINNT\mscs-msdtc.hold`, Unread: true,
		Rec: Hold{Restart: map[string]int{"MSDTC": 2, "FTP Server": 1}, Groups: []HeldGroup{{Name: "Web Group", Owner: "NODE1"}}},
		Err: &joined{"NODE1: list the cluster groups: failed\nNODE1: list the cluster groups: failed"}}
	want = `the MSDTC phase did not restore what it held: what is left could not be read back; the record holds RestartAction ` +
		`FTP Server 1, MSDTC 2; group Web Group on NODE1; the values before are kept in C:\WINNT\mscs-msdtc.hold on NODE1, and ` +
		`the next apply restores them from it (NODE1: list the cluster groups: failed)`
	if got := e.Error(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

type joined struct{ s string }

func (j *joined) Error() string { return j.s }

// Names echo can't write as they are (cmd.exe's operators, a quote, the
// escape itself) are recorded escaped and read back as they were.
func TestHoldRecordNames(t *testing.T) {
	tricky := []string{`R&D Web`, `A|B`, `<Web>`, `Caret^Group`, `~Tilde`, `Say "hi"`, `100% & 50!`}
	h := Hold{Phase: "failover", Restart: map[string]int{}}
	for i, name := range tricky {
		h.Groups = append(h.Groups, HeldGroup{Name: name, Owner: "NODE1", Online: i%2 == 0})
		h.Restart[name+" IIS"] = i % 3
	}
	h.DTC = &HeldDTC{Group: tricky[0], Resource: "MSDTC & co", Depends: tricky[1:3], NetworkName: "WEBVS", NetworkNameResource: "Web>Name",
		Disk: "Disk S:", LogPath: `S:\MSDTC^Log`}
	for _, l := range h.lines() {
		if strings.ContainsAny(l, `%!&|<>^"`) {
			t.Errorf("line %q cannot be written with echo", l)
		}
	}
	got, complete, err := ParseHold(strings.Join(h.lines(), " \r\n") + " \r\n")
	if err != nil || !complete || !reflect.DeepEqual(got, h) {
		t.Fatalf("round trip: %+v (dtc %+v), %v, %v", got, got.DTC, complete, err)
	}
	for _, bad := range []string{"restart=1 Web~4", "restart=1 Web~ZZ Server", "group=NODE1 online R~2"} {
		if _, _, err := ParseHold("[mscs hold]\r\nnames=~XX\r\nphase=failover\r\n" + bad + "\r\nend\r\n"); err == nil {
			t.Errorf("ParseHold accepted %q", bad)
		}
	}
	// A record written before names were escaped (no names line) reads as
	// it did, a ~ in it included (an 8.3 path).
	old, _, err := ParseHold("[mscs hold]\r\nphase=msdtc\r\nrestart=1 Web~12\r\ndtc.group=Web Group\r\ndtc.log=S:\\MSDTC~1\r\nend\r\n")
	if err != nil || old.Restart["Web~12"] != 1 || old.DTC == nil || old.DTC.LogPath != `S:\MSDTC~1` {
		t.Errorf("old record: %+v, %v", old, err)
	}
}
