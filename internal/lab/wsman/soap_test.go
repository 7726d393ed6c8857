package wsman

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// pywinrmEnvelope writes a request the way pywinrm's winrm/protocol.py does
// (its test fixtures in winrm/tests/conftest.py show the shape): prefix env
// for SOAP, every namespace declared on the root, mustUnderstand attributes,
// ReplyTo, Locale/DataLocale, OptionSet after SelectorSet.
func pywinrmEnvelope(to, action, shellID, timeout, options, body string) string {
	var sel string
	if shellID != "" {
		sel = `<w:SelectorSet><w:Selector Name="ShellId">` + shellID + `</w:Selector></w:SelectorSet>`
	}
	return `<?xml version="1.0" encoding="utf-8"?>
<env:Envelope xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:cfg="http://schemas.microsoft.com/wbem/wsman/1/config" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:b="http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing">
  <env:Header>
    <a:To>` + to + `</a:To>
    <a:ReplyTo>
      <a:Address mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address>
    </a:ReplyTo>
    <w:MaxEnvelopeSize mustUnderstand="true">153600</w:MaxEnvelopeSize>
    <a:MessageID>uuid:` + strings.ToLower(newID()) + `</a:MessageID>
    <w:Locale mustUnderstand="false" xml:lang="en-US" />
    <p:DataLocale mustUnderstand="false" xml:lang="en-US" />
    <w:OperationTimeout>` + timeout + `</w:OperationTimeout>
    <w:ResourceURI mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI>
    <a:Action mustUnderstand="true">` + action + `</a:Action>
    ` + sel + options + `
  </env:Header>
  <env:Body>
    ` + body + `
  </env:Body>
</env:Envelope>`
}

// node is a generic XML tree, searched the way pywinrm searches answers
// with ElementTree (root.find('.//*[@Name="ShellId"]') and the like).
type node struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []node     `xml:",any"`
}

func parseNode(t testing.TB, s string) node {
	t.Helper()
	var n node
	if err := xml.Unmarshal([]byte(s), &n); err != nil {
		t.Fatalf("answer is not XML: %v\n%s", err, s)
	}
	return n
}

func (n node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// findAll returns descendants matching namespace+local name ("" matches any).
func (n node) findAll(space, local string) []node {
	var out []node
	for _, c := range n.Children {
		if (space == "" || c.XMLName.Space == space) && (local == "" || c.XMLName.Local == local) {
			out = append(out, c)
		}
		out = append(out, c.findAll(space, local)...)
	}
	return out
}

func (n node) find(t testing.TB, space, local string) node {
	t.Helper()
	all := n.findAll(space, local)
	if len(all) == 0 {
		t.Fatalf("no {%s}%s in answer", space, local)
	}
	return all[0]
}

func TestPywinrmEnvelopes(t *testing.T) {
	l := newLab(t, nil)
	to := l.ep.HTTPSURL()
	status, answer := l.post(t, pywinrmEnvelope(to, actionCreate, "", "PT20S",
		`<w:OptionSet><w:Option Name="WINRS_NOPROFILE">FALSE</w:Option><w:Option Name="WINRS_CODEPAGE">437</w:Option></w:OptionSet>`,
		`<rsp:Shell><rsp:WorkingDirectory>C:\Temp</rsp:WorkingDirectory><rsp:Environment><rsp:Variable Name="LAB_VAR">from env</rsp:Variable></rsp:Environment><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>`))
	if status != http.StatusOK {
		t.Fatalf("create: %d %s", status, answer)
	}
	root := parseNode(t, answer)
	var shellID string
	for _, n := range root.findAll("", "") {
		if n.attr("Name") == "ShellId" {
			shellID = n.Text
		}
	}
	if shellID == "" || root.find(t, nsShell, "ShellId").Text != shellID {
		t.Fatalf("no ShellId selector in %s", answer)
	}
	if got := root.find(t, nsAddressing, "Action").Text; got != actionCreate+"Response" {
		t.Fatalf("action %q", got)
	}

	status, answer = l.post(t, pywinrmEnvelope(to, actionCommand, shellID, "PT20S",
		`<w:OptionSet><w:Option Name="WINRS_CONSOLEMODE_STDIN">TRUE</w:Option><w:Option Name="WINRS_SKIP_CMD_SHELL">FALSE</w:Option></w:OptionSet>`,
		`<rsp:CommandLine><rsp:Command>whoami</rsp:Command><rsp:Arguments>/all</rsp:Arguments></rsp:CommandLine>`))
	if status != http.StatusOK {
		t.Fatalf("command: %d %s", status, answer)
	}
	commandID := parseNode(t, answer).find(t, nsShell, "CommandId").Text

	// pywinrm's get_command_output loop: Receive until CommandState Done.
	var stdout strings.Builder
	exitCode := ""
	for i := 0; exitCode == "" && i < 20; i++ {
		status, answer = l.post(t, pywinrmEnvelope(to, actionReceive, shellID, "PT20S", "",
			`<rsp:Receive><rsp:DesiredStream CommandId="`+commandID+`">stdout stderr</rsp:DesiredStream></rsp:Receive>`))
		if status != http.StatusOK {
			t.Fatalf("receive: %d %s", status, answer)
		}
		root := parseNode(t, answer)
		for _, s := range root.findAll(nsShell, "Stream") {
			data, err := base64.StdEncoding.DecodeString(s.Text)
			if err != nil {
				t.Fatal(err)
			}
			if s.attr("Name") == "stdout" {
				stdout.Write(data)
			}
		}
		for _, st := range root.findAll(nsShell, "CommandState") {
			if strings.HasSuffix(st.attr("State"), "CommandState/Done") {
				exitCode = st.find(t, nsShell, "ExitCode").Text
			}
		}
	}
	if want := "Administrator|C:\\Temp|from env\r\n"; stdout.String() != want || exitCode != "0" {
		t.Fatalf("stdout %q exit %q, want %q 0", stdout.String(), exitCode, want)
	}

	status, answer = l.post(t, pywinrmEnvelope(to, actionSignal, shellID, "PT20S", "",
		`<rsp:Signal CommandId="`+commandID+`"><rsp:Code>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate</rsp:Code></rsp:Signal>`))
	if status != http.StatusOK || len(parseNode(t, answer).findAll(nsShell, "SignalResponse")) != 1 {
		t.Fatalf("signal: %d %s", status, answer)
	}
	status, answer = l.post(t, pywinrmEnvelope(to, actionDelete, shellID, "PT20S", "", ""))
	if status != http.StatusOK || parseNode(t, answer).find(t, nsAddressing, "Action").Text != actionDelete+"Response" {
		t.Fatalf("delete: %d %s", status, answer)
	}
}

// wsmanFault checks an answer is a SOAP fault with the given WSManFault code
// and subcode, read as pywinrm reads it (WSManFault/@Code).
// faultDetail checks the fault's w:FaultDetail, which comes before the
// WSManFault as in Windows' answers.
func faultDetail(t *testing.T, answer, name string) {
	t.Helper()
	want := "<w:FaultDetail>http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/" + name + "</w:FaultDetail><f:WSManFault"
	if !strings.Contains(answer, want) {
		t.Fatalf("want %s in %s", want, answer)
	}
}

func wsmanFault(t *testing.T, status int, answer, code, subcode string) {
	t.Helper()
	if status != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500: %s", status, answer)
	}
	root := parseNode(t, answer)
	if got := root.find(t, nsFault, "WSManFault").attr("Code"); got != code {
		t.Fatalf("WSManFault Code %q, want %s: %s", got, code, answer)
	}
	if got := root.find(t, nsSOAP, "Subcode").find(t, nsSOAP, "Value").Text; got != subcode {
		t.Fatalf("subcode %q, want %s", got, subcode)
	}
	if got := root.find(t, nsAddressing, "Action").Text; got != actionFault {
		t.Fatalf("fault action %q", got)
	}
}

func (l *lab) createShell(t *testing.T) string {
	t.Helper()
	status, answer := l.post(t, pywinrmEnvelope(l.ep.HTTPSURL(), actionCreate, "", "PT20S", "", `<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams></rsp:Shell>`))
	if status != http.StatusOK {
		t.Fatalf("create: %d %s", status, answer)
	}
	return parseNode(t, answer).find(t, nsShell, "ShellId").Text
}

func (l *lab) command(t *testing.T, shellID, line string) string {
	t.Helper()
	status, answer := l.post(t, pywinrmEnvelope(l.ep.HTTPSURL(), actionCommand, shellID, "PT20S", "",
		`<rsp:CommandLine><rsp:Command>`+line+`</rsp:Command></rsp:CommandLine>`))
	if status != http.StatusOK {
		t.Fatalf("command: %d %s", status, answer)
	}
	return parseNode(t, answer).find(t, nsShell, "CommandId").Text
}

func (l *lab) receive(t *testing.T, shellID, commandID, timeout string) (int, string) {
	return l.post(t, pywinrmEnvelope(l.ep.HTTPSURL(), actionReceive, shellID, timeout, "",
		`<rsp:Receive><rsp:DesiredStream CommandId="`+commandID+`">stdout stderr</rsp:DesiredStream></rsp:Receive>`))
}

func TestReceiveTimedOutFault(t *testing.T) {
	l := newLab(t, nil)
	shellID := l.createShell(t)
	commandID := l.command(t, shellID, "wait")
	status, answer := l.receive(t, shellID, commandID, "PT0.05S")
	wsmanFault(t, status, answer, "2150858793", "w:TimedOut")
	if !strings.Contains(answer, "OperationTimeout") {
		t.Fatal("masterzen/winrm recognises the fault by the word OperationTimeout")
	}

	// ctrl_c cancels the command; the next Receive reports it Done.
	status, answer = l.post(t, pywinrmEnvelope(l.ep.HTTPSURL(), actionSignal, shellID, "PT20S", "",
		`<rsp:Signal CommandId="`+commandID+`"><rsp:Code>`+signalCtrlC+`</rsp:Code></rsp:Signal>`))
	if status != http.StatusOK {
		t.Fatalf("signal: %d %s", status, answer)
	}
	status, answer = l.receive(t, shellID, commandID, "PT20S")
	root := parseNode(t, answer)
	if status != http.StatusOK || root.find(t, nsShell, "CommandState").attr("State") != stateDone || root.find(t, nsShell, "ExitCode").Text != "130" {
		t.Fatalf("after ctrl_c: %d %s", status, answer)
	}
}

// Stdin in two parts, the last one ending the stream; pypsrp writes the
// xs:boolean End="True", which Windows takes as pywinrm's End="true".
func TestSendStdin(t *testing.T) {
	for _, end := range []string{` End="true"`, ` End="True"`} {
		t.Run(end, func(t *testing.T) { sendStdin(t, end) })
	}
}

func sendStdin(t *testing.T, end string) {
	l := newLab(t, nil)
	shellID := l.createShell(t)
	commandID := l.command(t, shellID, "cat")
	for _, part := range []struct{ data, end string }{{"one ", ""}, {"two", end}} {
		status, answer := l.post(t, pywinrmEnvelope(l.ep.HTTPSURL(), actionSend, shellID, "PT20S", "",
			`<rsp:Send><rsp:Stream Name="stdin" CommandId="`+commandID+`"`+part.end+`>`+base64.StdEncoding.EncodeToString([]byte(part.data))+`</rsp:Stream></rsp:Send>`))
		if status != http.StatusOK {
			t.Fatalf("send: %d %s", status, answer)
		}
	}
	var out strings.Builder
	for done := false; !done; {
		status, answer := l.receive(t, shellID, commandID, "PT20S")
		if status != http.StatusOK {
			t.Fatalf("receive: %d %s", status, answer)
		}
		root := parseNode(t, answer)
		for _, s := range root.findAll(nsShell, "Stream") {
			b, _ := base64.StdEncoding.DecodeString(s.Text)
			out.Write(b)
		}
		done = root.find(t, nsShell, "CommandState").attr("State") == stateDone
	}
	if out.String() != "one two" {
		t.Fatalf("stdin echoed %q", out.String())
	}
}

// Signal terminate with pypsrp's spelling of the code ends the command and
// forgets it, as pywinrm's does.
func TestSignalCodeCase(t *testing.T) {
	l := newLab(t, nil)
	shellID := l.createShell(t)
	commandID := l.command(t, shellID, "wait")
	status, answer := l.post(t, pywinrmEnvelope(l.ep.HTTPSURL(), actionSignal, shellID, "PT20S", "",
		`<rsp:Signal CommandId="`+commandID+`"><rsp:Code>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/Terminate</rsp:Code></rsp:Signal>`))
	if status != http.StatusOK {
		t.Fatalf("signal: %d %s", status, answer)
	}
	// Terminated and forgotten: the command is no longer known.
	status, answer = l.receive(t, shellID, commandID, "PT1S")
	wsmanFault(t, status, answer, "2150858843", "w:InvalidSelectors")
}

// The IdleTimeOut a client asks for is kept and echoed as Windows writes
// it (PT60S comes back PT60.000S); one that is not a duration is refused.
func TestCreateIdleTimeOut(t *testing.T) {
	l := newLab(t, nil)
	create := func(idle string) (int, string) {
		return l.post(t, pywinrmEnvelope(l.ep.HTTPSURL(), actionCreate, "", "PT20S", "",
			`<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:IdleTimeOut>`+idle+`</rsp:IdleTimeOut></rsp:Shell>`))
	}
	status, answer := create("PT60S")
	if status != http.StatusOK || parseNode(t, answer).find(t, nsShell, "IdleTimeOut").Text != "PT60.000S" {
		t.Fatalf("create with PT60S: %d %s", status, answer)
	}
	if strings.Contains(answer, "WorkingDirectory") {
		t.Fatalf("WorkingDirectory echoed though not asked for: %s", answer)
	}
	status, answer = create("sixty")
	wsmanFault(t, status, answer, "2150858817", "w:SchemaValidationError")

	// The WorkingDirectory asked for comes back (pywinrm sends one).
	status, answer = l.post(t, pywinrmEnvelope(l.ep.HTTPSURL(), actionCreate, "", "PT20S", "",
		`<rsp:Shell><rsp:WorkingDirectory>C:\WINNT\system32</rsp:WorkingDirectory><rsp:InputStreams>stdin</rsp:InputStreams></rsp:Shell>`))
	if status != http.StatusOK || parseNode(t, answer).find(t, nsShell, "WorkingDirectory").Text != `C:\WINNT\system32` {
		t.Fatalf("create with a WorkingDirectory: %d %s", status, answer)
	}
}

// Identify, as `winrm id` and Test-WSMan send it: with credentials the
// product version names the OS; without (WSMANIDENTIFY: unauthenticated)
// it is zeros, and only Identify goes without credentials.
func TestIdentify(t *testing.T) {
	l := newLab(t, nil)
	const identify = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="` + nsIdentity + `"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`
	status, answer := l.post(t, identify)
	if status != http.StatusOK || parseNode(t, answer).find(t, nsIdentity, "ProductVersion").Text != "OS: 5.2.3790 SP: 2.0 Stack: 2.0" ||
		parseNode(t, answer).find(t, nsIdentity, "ProtocolVersion").Text != nsWSMan {
		t.Fatalf("authenticated Identify: %d %s", status, answer)
	}
	anonymous := func(body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, l.ep.HTTPSURL(), strings.NewReader(body))
		req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
		req.Header.Set("WSMANIDENTIFY", "unauthenticated")
		resp, err := l.httpsClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, answer = anonymous(identify)
	if status != http.StatusOK || parseNode(t, answer).find(t, nsIdentity, "ProductVersion").Text != "OS: 0.0.0 SP: 0.0 Stack: 2.0" {
		t.Fatalf("unauthenticated Identify: %d %s", status, answer)
	}
	if status, _ := anonymous(pywinrmEnvelope(l.ep.HTTPSURL(), actionCreate, "", "PT20S", "", `<rsp:Shell/>`)); status != http.StatusUnauthorized {
		t.Errorf("a Create without credentials: %d", status)
	}
}

func TestSOAPFaults(t *testing.T) {
	l := newLab(t, func(c *Config) { c.MaxShellsPerUser = 2; c.MaxEnvelopeSize = 16384 })
	to := l.ep.HTTPSURL()
	shellID := l.createShell(t)

	status, answer := l.post(t, pywinrmEnvelope(to, actionCommand, "0000-NOPE", "PT20S", "", `<rsp:CommandLine><rsp:Command>echo</rsp:Command></rsp:CommandLine>`))
	wsmanFault(t, status, answer, "2150858843", "w:InvalidSelectors")
	faultDetail(t, answer, "UnexpectedSelectors")
	if !strings.Contains(answer, "ShellId 0000-NOPE failed because the shell was not found") {
		t.Fatalf("shell not found text: %s", answer)
	}
	status, answer = l.receive(t, shellID, "NO-SUCH-COMMAND", "PT1S")
	wsmanFault(t, status, answer, "2150858843", "w:InvalidSelectors")

	status, answer = l.post(t, pywinrmEnvelope(to, "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get", shellID, "PT20S", "", ""))
	wsmanFault(t, status, answer, "2150858771", "a:ActionNotSupported")

	other := strings.Replace(pywinrmEnvelope(to, actionCreate, "", "PT20S", "", ""), "/windows/shell/cmd<", "/windows/shell/powershell<", 1)
	status, answer = l.post(t, other)
	wsmanFault(t, status, answer, "2150858811", "w:DestinationUnreachable")
	faultDetail(t, answer, "InvalidResourceURI")

	status, answer = l.post(t, "<env:Envelope xmlns:env='"+nsSOAP+"'><env:Body>")
	wsmanFault(t, status, answer, "2150858791", "w:InvalidBody")
	status, answer = l.post(t, "not xml at all")
	wsmanFault(t, status, answer, "2150858791", "w:InvalidBody")

	big := pywinrmEnvelope(to, actionCommand, shellID, "PT20S", "", `<rsp:CommandLine><rsp:Command>echo `+strings.Repeat("A", 17000)+`</rsp:Command></rsp:CommandLine>`)
	status, answer = l.post(t, big)
	wsmanFault(t, status, answer, "2150859025", "w:EncodingLimit")
	faultDetail(t, answer, "ServiceEnvelopeLimit")
	small := strings.Replace(pywinrmEnvelope(to, actionCreate, "", "PT20S", "", ""), ">153600<", ">4096<", 1)
	status, answer = l.post(t, small)
	wsmanFault(t, status, answer, "2150859025", "w:EncodingLimit")

	// Quota: 2 shells per user, the third is refused until one is deleted.
	l.createShell(t)
	status, answer = l.post(t, pywinrmEnvelope(to, actionCreate, "", "PT20S", "", ""))
	wsmanFault(t, status, answer, "2150859173", "w:QuotaLimit")
	if !strings.Contains(answer, "maximum number of 2 concurrent shells") {
		t.Fatalf("quota text: %s", answer)
	}
	if status, answer := l.post(t, pywinrmEnvelope(to, actionDelete, shellID, "PT20S", "", "")); status != http.StatusOK {
		t.Fatalf("delete: %d %s", status, answer)
	}
	l.createShell(t)
}

// A Receive answer never exceeds the MaxEnvelopeSize the client asked for.
func TestReceiveHonoursMaxEnvelopeSize(t *testing.T) {
	l := newLab(t, nil)
	shellID := l.createShell(t)
	commandID := l.command(t, shellID, "big 100000")
	total := 0
	for done := false; !done; {
		req := strings.Replace(pywinrmEnvelope(l.ep.HTTPSURL(), actionReceive, shellID, "PT20S", "",
			`<rsp:Receive><rsp:DesiredStream CommandId="`+commandID+`">stdout stderr</rsp:DesiredStream></rsp:Receive>`), ">153600<", ">10000<", 1)
		status, answer := l.post(t, req)
		if status != http.StatusOK || len(answer) > 10000 {
			t.Fatalf("receive: %d, %d bytes", status, len(answer))
		}
		root := parseNode(t, answer)
		for _, s := range root.findAll(nsShell, "Stream") {
			b, _ := base64.StdEncoding.DecodeString(s.Text)
			total += len(b)
		}
		done = root.find(t, nsShell, "CommandState").attr("State") == stateDone
	}
	if total != 100000 {
		t.Fatalf("received %d bytes", total)
	}
}

// waitShellsExpired waits until the janitor has expired every shell: it polls
// rather than assuming a time.
func (l *lab) waitShellsExpired(t *testing.T) {
	t.Helper()
	for i := 0; ; i++ {
		l.h.shells.mu.Lock()
		n := len(l.h.shells.m)
		l.h.shells.mu.Unlock()
		if n == 0 {
			break
		}
		if i > 500 {
			t.Fatal("idle shell never expired")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestIdleShellsExpire(t *testing.T) {
	// Long enough for the command to arrive first under the race detector.
	l := newLab(t, func(c *Config) { c.IdleTimeout = 300 * time.Millisecond })
	shellID := l.createShell(t)
	commandID := l.command(t, shellID, "wait")
	// The janitor expires the shell and cancels its command.
	l.waitShellsExpired(t)
	status, answer := l.receive(t, shellID, commandID, "PT1S")
	wsmanFault(t, status, answer, "2150858843", "w:InvalidSelectors")
}

// A restart of the WinRM service (the node rebooted) drops every shell and
// cancels its commands: a later request naming one gets the shell-not-found
// fault, as on Windows.
func TestDropShells(t *testing.T) {
	l := newLab(t, nil)
	shellID := l.createShell(t)
	commandID := l.command(t, shellID, "wait")
	l.h.DropShells()
	status, answer := l.receive(t, shellID, commandID, "PT1S")
	wsmanFault(t, status, answer, "2150858843", "w:InvalidSelectors")
	if got := l.createShell(t); got == shellID {
		t.Error("a new shell reused the dropped ID")
	}
}

// With IdleDropEmpty400, a request naming a shell dropped while idle gets an
// empty HTTP 400, as Windows has been seen to answer (pywinrm#377); an
// unknown shell still gets the fault.
func TestIdleDropEmpty400(t *testing.T) {
	l := newLab(t, func(c *Config) { c.IdleTimeout = 300 * time.Millisecond; c.IdleDropEmpty400 = true })
	shellID := l.createShell(t)
	l.waitShellsExpired(t)
	status, answer := l.post(t, pywinrmEnvelope(l.ep.HTTPSURL(), actionCommand, shellID, "PT20S", "",
		`<rsp:CommandLine><rsp:Command>echo x</rsp:Command></rsp:CommandLine>`))
	if status != http.StatusBadRequest || answer != "" {
		t.Fatalf("command on an idle-dropped shell: %d %q", status, answer)
	}
	status, answer = l.receive(t, "1A2B3C4D-0000-0000-0000-000000000000", "X", "PT1S")
	wsmanFault(t, status, answer, "2150858843", "w:InvalidSelectors")
}

func TestCloseCancelsCommands(t *testing.T) {
	l := newLab(t, nil)
	shellID := l.createShell(t)
	l.command(t, shellID, "wait")
	l.h.shells.mu.Lock()
	var c *shellCommand
	for _, cmd := range l.h.shells.m[shellID].commands {
		c = cmd
	}
	l.h.shells.mu.Unlock()
	l.h.Close()
	for {
		c.mu.Lock()
		done, code := c.done, c.exitCode
		changed := c.changed
		c.mu.Unlock()
		if done {
			if code != 130 {
				t.Fatalf("exit code %d", code)
			}
			return
		}
		<-changed
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"PT60S": time.Minute, "PT60.000S": time.Minute, "PT0.5S": 500 * time.Millisecond,
		"P0DT0H1M30S": 90 * time.Second, "PT2H": 2 * time.Hour, "P1D": 24 * time.Hour,
	} {
		if got, ok := parseDuration(in); !ok || got != want {
			t.Errorf("%s: %v %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "60", "PT", "PTS", "P1S", "PT1D", "PT-1S", "PT1X"} {
		if _, ok := parseDuration(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	_ = fmt.Sprint()
}

// A shell runs at most MaxOperationsPerShell commands: the next is refused
// with Windows' quota fault and never starts; a new shell runs it.
func TestOperationsQuota(t *testing.T) {
	l := newLab(t, func(c *Config) { c.MaxOperationsPerShell = 2 })
	shellID := l.createShell(t)
	for range 2 {
		l.command(t, shellID, "echo x")
	}
	status, answer := l.post(t, pywinrmEnvelope(l.ep.HTTPSURL(), actionCommand, shellID, "PT20S", "",
		`<rsp:CommandLine><rsp:Command>echo x</rsp:Command></rsp:CommandLine>`))
	wsmanFault(t, status, answer, "2150859174", "w:QuotaLimit")
	l.command(t, l.createShell(t), "echo x")
}
