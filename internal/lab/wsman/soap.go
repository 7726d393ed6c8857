package wsman

import (
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Namespaces of the WS-Management messages, with the prefixes Windows uses.
const (
	nsSOAP       = "http://www.w3.org/2003/05/soap-envelope"
	nsAddressing = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsTransfer   = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
	nsWSMan      = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	nsWSManMS    = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
	nsShell      = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
	nsFault      = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"

	resourceCmd = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
	anonymous   = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"

	actionCreate  = nsTransfer + "/Create"
	actionDelete  = nsTransfer + "/Delete"
	actionCommand = nsShell + "/Command"
	actionReceive = nsShell + "/Receive"
	actionSend    = nsShell + "/Send"
	actionSignal  = nsShell + "/Signal"
	actionFault   = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"

	stateRunning = nsShell + "/CommandState/Running"
	stateDone    = nsShell + "/CommandState/Done"

	signalTerminate = nsShell + "/signal/terminate"
	signalCtrlC     = nsShell + "/signal/ctrl_c"
	signalCtrlBreak = nsShell + "/signal/ctrl_break"
)

// request is the part of a WS-Management request envelope the shell reads.
type request struct {
	XMLName xml.Name `xml:"http://www.w3.org/2003/05/soap-envelope Envelope"`
	Header  struct {
		To               string     `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing To"`
		Action           string     `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing Action"`
		MessageID        string     `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing MessageID"`
		ResourceURI      string     `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd ResourceURI"`
		MaxEnvelopeSize  string     `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd MaxEnvelopeSize"`
		OperationTimeout string     `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd OperationTimeout"`
		Selectors        []nameText `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd SelectorSet>Selector"`
	} `xml:"http://www.w3.org/2003/05/soap-envelope Header"`
	Body struct {
		Identify *struct{} `xml:"http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd Identify"`
		Shell    *struct {
			WorkingDirectory string     `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell WorkingDirectory"`
			IdleTimeOut      string     `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell IdleTimeOut"`
			Variables        []nameText `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Environment>Variable"`
		} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Shell"`
		CommandLine *struct {
			Command   string   `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Command"`
			Arguments []string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Arguments"`
		} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell CommandLine"`
		Receive *struct {
			DesiredStream struct {
				CommandID string `xml:"CommandId,attr"`
				Streams   string `xml:",chardata"`
			} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell DesiredStream"`
		} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Receive"`
		Send *struct {
			Streams []struct {
				Name      string `xml:"Name,attr"`
				CommandID string `xml:"CommandId,attr"`
				End       string `xml:"End,attr"`
				Data      string `xml:",chardata"`
			} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Stream"`
		} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Send"`
		Signal *struct {
			CommandID string `xml:"CommandId,attr"`
			Code      string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Code"`
		} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Signal"`
	} `xml:"http://www.w3.org/2003/05/soap-envelope Body"`
}

type nameText struct {
	Name  string `xml:"Name,attr"`
	Value string `xml:",chardata"`
}

func (r *request) selector(name string) string {
	for _, s := range r.Header.Selectors {
		if strings.EqualFold(s.Name, name) {
			return strings.TrimSpace(s.Value)
		}
	}
	return ""
}

// parseDuration reads an xs:duration such as PT60S, PT60.000S or P0DT0H1M0S.
func parseDuration(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "P") || len(s) < 3 {
		return 0, false
	}
	var d time.Duration
	inTime := false
	num := ""
	for _, c := range s[1:] {
		switch {
		case c == 'T':
			inTime = true
		case c >= '0' && c <= '9' || c == '.':
			num += string(c)
		default:
			v, err := strconv.ParseFloat(num, 64)
			if err != nil || v < 0 || v > 1e9 {
				return 0, false
			}
			num = ""
			unit := map[rune]time.Duration{'D': 24 * time.Hour, 'H': time.Hour, 'M': time.Minute, 'S': time.Second}[c]
			if c == 'M' && !inTime || unit == 0 || (c == 'D') == inTime {
				return 0, false
			}
			d += time.Duration(v * float64(unit))
		}
	}
	return d, num == ""
}

// newID returns an upper-case GUID as Windows writes ShellId and CommandId.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return strings.ToUpper(fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]))
}

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// envelope builds a response as the Windows WinRM service writes it.
const nsIdentity = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"

// identifyResponse answers WS-Management's Identify (`winrm id`,
// Test-WSMan) as WinRM 2.0 on Windows Server 2003 R2 SP2 does, the oldest
// Windows that speaks WinRM to an NT 4.0 cluster's operators: the product
// version with the OS only to an authenticated client, zeros otherwise
// (FORMATS.md, WS-Management).
func identifyResponse(authenticated bool) []byte {
	version := "OS: 0.0.0 SP: 0.0 Stack: 2.0"
	if authenticated {
		version = "OS: 5.2.3790 SP: 2.0 Stack: 2.0"
	}
	return []byte(`<s:Envelope xml:lang="en-US" xmlns:s="` + nsSOAP + `"><s:Header/><s:Body>` +
		`<wsmid:IdentifyResponse xmlns:wsmid="` + nsIdentity + `">` +
		`<wsmid:ProtocolVersion>` + nsWSMan + `</wsmid:ProtocolVersion>` +
		`<wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor>` +
		`<wsmid:ProductVersion>` + version + `</wsmid:ProductVersion>` +
		`</wsmid:IdentifyResponse></s:Body></s:Envelope>`)
}

// isIdentify reports whether body is an Identify request.
func isIdentify(body []byte) bool {
	var req request
	return xml.Unmarshal(body, &req) == nil && req.Body.Identify != nil
}

func envelope(action, relatesTo, body string) []byte {
	var b strings.Builder
	b.WriteString(`<s:Envelope xml:lang="en-US" xmlns:s="` + nsSOAP + `" xmlns:a="` + nsAddressing +
		`" xmlns:x="` + nsTransfer + `" xmlns:w="` + nsWSMan + `" xmlns:rsp="` + nsShell +
		`" xmlns:p="` + nsWSManMS + `">`)
	b.WriteString(`<s:Header><a:Action>` + escape(action) + `</a:Action><a:MessageID>uuid:` + newID() +
		`</a:MessageID><a:To>` + anonymous + `</a:To>`)
	if relatesTo != "" {
		b.WriteString(`<a:RelatesTo>` + escape(relatesTo) + `</a:RelatesTo>`)
	}
	b.WriteString(`</s:Header><s:Body>` + body + `</s:Body></s:Envelope>`)
	return []byte(b.String())
}
