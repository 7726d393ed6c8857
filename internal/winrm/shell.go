package winrm

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
)

// The remote shell's operations (Create, Command, Receive, Signal, Delete)
// are sent here over a lane's transport; masterzen/winrm builds the
// messages. Its own command loop is not used: it parses every answer into
// a tree and queries it with XPath expressions compiled each time, which
// was an eighth of the CPU of a test run that talks to the lab, while one
// pass over the answer's tokens reads what the client needs.

// shell is an open remote cmd shell, tied to the transport that opened it
// (a lane gets a fresh transport after a failure; the old shell is deleted
// over its own).
type shell struct {
	id string
	lt *laneTransport
}

// The Action of each answer the client reads ([MS-WSMV] 3.1.4).
const (
	actionCreated  = "http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse"
	actionCommand  = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandResponse"
	actionReceive  = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse"
	commandDone    = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"
	shellIDName    = "ShellId"
	receiveStreams = "stdout stderr"
)

// post sends m over lt and frees it.
func post(lt *laneTransport, m *soap.SoapMessage) (string, error) {
	defer m.Free()
	return lt.Post(nil, m)
}

// openShell creates a cmd shell over lt.
func (c *Client) openShell(lt *laneTransport) (*shell, error) {
	resp, err := post(lt, winrm.NewOpenShellRequest(c.endpoint, c.params))
	if err != nil {
		return nil, err
	}
	a, err := readAnswer("Create", resp, actionCreated)
	if err != nil {
		return nil, err
	}
	if a.shellID == "" {
		return nil, fmt.Errorf("the Create answer names no shell: %s", clip(resp))
	}
	return &shell{id: a.shellID, lt: lt}, nil
}

// startCommand sends line to the shell and returns the command's id.
func (c *Client) startCommand(sh *shell, line string) (string, error) {
	resp, err := post(sh.lt, winrm.NewExecuteCommandRequest(c.endpoint, sh.id, line, nil, c.params))
	if err != nil {
		return "", err
	}
	a, err := readAnswer("Command", resp, actionCommand)
	if err != nil {
		return "", err
	}
	if a.commandID == "" {
		return "", fmt.Errorf("the Command answer names no command: %s", clip(resp))
	}
	return a.commandID, nil
}

// receiveAll receives the command's output until it is done, and returns its
// exit code. A Receive the node answers with its OperationTimeout fault (no
// output for that long) or that times out on the wire is sent again, as
// masterzen/winrm does; any other failure ends the command.
func (c *Client) receiveAll(sh *shell, id string, stdout, stderr io.Writer) (int, error) {
	for {
		resp, err := post(sh.lt, winrm.NewGetOutputRequest(c.endpoint, sh.id, id, receiveStreams, c.params))
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) && ue.Timeout() || strings.Contains(err.Error(), "OperationTimeout") {
				continue
			}
			return 0, err
		}
		a, err := readAnswer("Receive", resp, actionReceive)
		if err != nil {
			return 0, err
		}
		if _, err := stdout.Write(a.stdout); err != nil {
			return 0, err
		}
		if _, err := stderr.Write(a.stderr); err != nil {
			return 0, err
		}
		if a.done {
			return a.exitCode, nil
		}
	}
}

// signal terminates the command: Windows keeps a finished command's
// resources until then.
func (c *Client) signal(sh *shell, id string) error {
	_, err := post(sh.lt, winrm.NewSignalRequest(c.endpoint, sh.id, id, c.params))
	return err
}

// answer is what the client reads of a WS-Management answer.
type answer struct {
	action         string
	shellID        string
	commandID      string
	stdout, stderr []byte
	done           bool
	exitCode       int
}

// readAnswer reads an answer to op in one pass over its tokens, by local
// name (Windows writes the prefixes s:, a:, w:, rsp:; others may differ),
// and checks its Action. Base64 a stream cannot hold, an exit code that is
// not a number, or another Action is an error naming op. Faults never get
// here: the transport turns them into errors.
func readAnswer(op, body, wantAction string) (answer, error) {
	var a answer
	fail := func(format string, args ...any) (answer, error) {
		return answer{}, fmt.Errorf("unreadable %s answer: %s: %s", op, fmt.Sprintf(format, args...), clip(body))
	}
	d := xml.NewDecoder(strings.NewReader(body))
	var (
		text     bytes.Buffer
		stream   string // the Name of the rsp:Stream being read
		selector string // the Name of the w:Selector being read
		inState  bool   // inside rsp:CommandState
		// WinRM 2.0 and later answer Create with an rsp:Shell holding
		// rsp:ShellId; WinRM 1.1 (Windows Server 2003 R2) only with the
		// ResourceCreated reference, whose ShellId selector names the shell.
		shellSelector string
	)
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail("%v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			text.Reset()
			switch t.Name.Local {
			case "Stream":
				stream = attr(t, "Name")
			case "Selector":
				selector = attr(t, "Name")
			case "CommandState":
				inState = true
				if attr(t, "State") == commandDone {
					a.done = true
				}
			}
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			v := strings.TrimSpace(text.String())
			switch t.Name.Local {
			case "Action":
				a.action = v
			case "ShellId":
				a.shellID = v
			case "Selector":
				if selector == shellIDName {
					shellSelector = v
				}
			case "CommandId":
				a.commandID = v
			case "Stream":
				data, err := base64.StdEncoding.DecodeString(v)
				if err != nil {
					return fail("stream %s: %v", stream, err)
				}
				switch stream {
				case "stdout":
					a.stdout = append(a.stdout, data...)
				case "stderr":
					a.stderr = append(a.stderr, data...)
				}
				stream = ""
			case "ExitCode":
				if !inState {
					break
				}
				n, err := strconv.Atoi(v)
				if err != nil {
					return fail("exit code %q", v)
				}
				a.exitCode = n
			case "CommandState":
				inState = false
			}
			text.Reset()
		}
	}
	if a.action != wantAction {
		return fail("action %q, want %q", a.action, wantAction)
	}
	if a.shellID == "" {
		a.shellID = shellSelector
	}
	return a, nil
}

// attr is the value of start's attribute named local, or "".
func attr(start xml.StartElement, local string) string {
	for _, at := range start.Attr {
		if at.Name.Local == local {
			return at.Value
		}
	}
	return ""
}

// clip is body cut to a length an error message can carry.
func clip(body string) string {
	const most = 600
	if len(body) > most {
		return body[:most] + "…"
	}
	return body
}
