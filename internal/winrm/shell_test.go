package winrm

import (
	"encoding/base64"
	"strings"
	"testing"
)

// Answers in the shape Windows writes them: the captures of Windows' answers
// kept as masterzen/winrm's test fixtures (fixture_test.go) and the examples
// of [MS-WSMV] 4.1 (Create with and without rsp:Shell, Command, Receive
// Running and Done). The ids, addresses and output here are ours.

const envelope = `<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"><s:Header><a:Action>%ACTION%</a:Action><a:MessageID>uuid:5C2E1C4F-37A8-4B7B-8C3A-1D0F0E2B9A11</a:MessageID><a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To><a:RelatesTo>uuid:0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0</a:RelatesTo></s:Header><s:Body>%BODY%</s:Body></s:Envelope>`

func wsmanAnswer(action, body string) string {
	return strings.NewReplacer("%ACTION%", action, "%BODY%", body).Replace(envelope)
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

const resourceCreated = `
    <x:ResourceCreated>
        <a:Address>http://10.0.0.12:5985/wsman</a:Address>
        <a:ReferenceParameters>
            <w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI>
            <w:SelectorSet>
                <w:Selector Name="ShellId">3D5C9A41-7E0B-4F52-9C61-2B8E4A7D0C13</w:Selector>
            </w:SelectorSet>
        </a:ReferenceParameters>
    </x:ResourceCreated>`

func TestReadAnswerCreate(t *testing.T) {
	// WinRM 2.0 and later: the reference and an rsp:Shell.
	withShell := wsmanAnswer(actionCreated, resourceCreated+`
    <rsp:Shell xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell">
        <rsp:ShellId>3D5C9A41-7E0B-4F52-9C61-2B8E4A7D0C13</rsp:ShellId>
        <rsp:ResourceUri>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</rsp:ResourceUri>
        <rsp:Owner>LAB\Administrator</rsp:Owner>
        <rsp:ClientIP>10.0.0.5</rsp:ClientIP>
        <rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut>
        <rsp:InputStreams>stdin</rsp:InputStreams>
        <rsp:OutputStreams>stdout
stderr</rsp:OutputStreams>
    </rsp:Shell>`)
	// WinRM 1.1 (Windows Server 2003 R2): the reference alone.
	referenceOnly := wsmanAnswer(actionCreated, resourceCreated)
	for name, body := range map[string]string{"rsp:Shell": withShell, "reference only": referenceOnly} {
		a, err := readAnswer("Create", body, actionCreated)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if a.shellID != "3D5C9A41-7E0B-4F52-9C61-2B8E4A7D0C13" {
			t.Errorf("%s: shell id %q", name, a.shellID)
		}
	}
}

func TestReadAnswerCommand(t *testing.T) {
	body := wsmanAnswer(actionCommand, `<rsp:CommandResponse><rsp:CommandId>8E3F51B2-0C4D-4A6E-B7F8-91A2C3D4E5F6</rsp:CommandId></rsp:CommandResponse>`)
	a, err := readAnswer("Command", body, actionCommand)
	if err != nil {
		t.Fatal(err)
	}
	if a.commandID != "8E3F51B2-0C4D-4A6E-B7F8-91A2C3D4E5F6" {
		t.Errorf("command id %q", a.commandID)
	}
}

func TestReadAnswerReceive(t *testing.T) {
	const id = `CommandId="8E3F51B2-0C4D-4A6E-B7F8-91A2C3D4E5F6"`
	running := wsmanAnswer(actionReceive, `<rsp:ReceiveResponse>`+
		`<rsp:Stream Name="stdout" `+id+`>`+b64("SERVICE_NAME: ClusSvc\r\n")+`</rsp:Stream>`+
		`<rsp:Stream Name="stderr" `+id+`>`+b64("warning\r\n")+`</rsp:Stream>`+
		`<rsp:Stream Name="stdout" `+id+`>`+b64("        STATE              : 4  RUNNING\r\n")+`</rsp:Stream>`+
		`<rsp:CommandState `+id+` State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running"></rsp:CommandState>`+
		`</rsp:ReceiveResponse>`)
	a, err := readAnswer("Receive", running, actionReceive)
	if err != nil {
		t.Fatal(err)
	}
	if a.done || string(a.stdout) != "SERVICE_NAME: ClusSvc\r\n        STATE              : 4  RUNNING\r\n" || string(a.stderr) != "warning\r\n" {
		t.Errorf("running: done %v, stdout %q, stderr %q", a.done, a.stdout, a.stderr)
	}

	for code, want := range map[string]int{"0": 0, "123": 123, "4294967295": 4294967295} {
		done := wsmanAnswer(actionReceive, `<rsp:ReceiveResponse>`+
			`<rsp:Stream Name="stdout" `+id+` End="true"></rsp:Stream>`+
			`<rsp:Stream Name="stderr" `+id+` End="true"></rsp:Stream>`+
			`<rsp:CommandState `+id+` State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"><rsp:ExitCode>`+code+`</rsp:ExitCode></rsp:CommandState>`+
			`</rsp:ReceiveResponse>`)
		a, err := readAnswer("Receive", done, actionReceive)
		if err != nil {
			t.Fatal(err)
		}
		if !a.done || a.exitCode != want || len(a.stdout) != 0 || len(a.stderr) != 0 {
			t.Errorf("done %s: done %v, exit code %d, stdout %q, stderr %q", code, a.done, a.exitCode, a.stdout, a.stderr)
		}
	}

	// Prefixes are the writer's choice: a default namespace reads the same.
	unprefixed := `<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Header><Action xmlns="http://schemas.xmlsoap.org/ws/2004/08/addressing">` + actionReceive +
		`</Action></Header><Body><ReceiveResponse xmlns="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><Stream Name="stdout">` + b64("ok") +
		`</Stream><CommandState State="` + commandDone + `"><ExitCode>3</ExitCode></CommandState></ReceiveResponse></Body></Envelope>`
	a, err = readAnswer("Receive", unprefixed, actionReceive)
	if err != nil || !a.done || a.exitCode != 3 || string(a.stdout) != "ok" {
		t.Errorf("unprefixed: %+v, %v", a, err)
	}
}

// An answer the client cannot read is an error that names the operation and
// quotes the answer.
func TestReadAnswerRefusesWhatItCannotRead(t *testing.T) {
	const id = `CommandId="8E3F51B2-0C4D-4A6E-B7F8-91A2C3D4E5F6"`
	for name, c := range map[string]struct{ op, body, action, want string }{
		"another action": {"Receive", wsmanAnswer(actionCommand, `<rsp:CommandResponse><rsp:CommandId>X</rsp:CommandId></rsp:CommandResponse>`), actionReceive,
			`unreadable Receive answer: action "` + actionCommand + `"`},
		"not XML":      {"Command", "HTTP/1.1 200 OK but not XML <", actionCommand, "unreadable Command answer"},
		"empty":        {"Create", "", actionCreated, `unreadable Create answer: action ""`},
		"bad base64":   {"Receive", wsmanAnswer(actionReceive, `<rsp:ReceiveResponse><rsp:Stream Name="stdout" `+id+`>not base64!</rsp:Stream></rsp:ReceiveResponse>`), actionReceive, "unreadable Receive answer: stream stdout"},
		"odd exitcode": {"Receive", wsmanAnswer(actionReceive, `<rsp:ReceiveResponse><rsp:CommandState `+id+` State="`+commandDone+`"><rsp:ExitCode>zero</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>`), actionReceive, `unreadable Receive answer: exit code "zero"`},
	} {
		_, err := readAnswer(c.op, c.body, c.action)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", name, err, c.want)
		}
	}
}

// BenchmarkReadAnswerReceive measures the read of a Receive answer of a
// batched read (a few KiB of output), which every command ends with.
//
//	go test -run '^$' -bench ReadAnswer ./internal/winrm/
func BenchmarkReadAnswerReceive(b *testing.B) {
	out := strings.Repeat("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSDTC\r\n    AllowOnlySecureRpcCalls    REG_DWORD    0x1\r\n", 40)
	body := wsmanAnswer(actionReceive, `<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="C">`+b64(out)+
		`</rsp:Stream><rsp:Stream Name="stdout" CommandId="C" End="true"></rsp:Stream><rsp:Stream Name="stderr" CommandId="C" End="true"></rsp:Stream>`+
		`<rsp:CommandState CommandId="C" State="`+commandDone+`"><rsp:ExitCode>0</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>`)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := readAnswer("Receive", body, actionReceive); err != nil {
			b.Fatal(err)
		}
	}
}
