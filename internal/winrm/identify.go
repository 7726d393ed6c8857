package winrm

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
)

// identifyEnvelope is the WS-Management Identify request (`winrm id
// -auth:none`, Test-WSMan): WinRM 2.0 and later answer it without
// credentials when the request says so in the WSMANIDENTIFY header.
const identifyEnvelope = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" ` +
	`xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd">` +
	`<s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`

var productVersionRe = regexp.MustCompile(`<(?:\w+:)?ProductVersion>([^<]*)</`)

// identifyHint tells an operator who got a 401 whether the endpoint is a
// WinRM service at all: it sends an unauthenticated Identify (no
// credentials go out) and words what came back. A WinRM service answers,
// so the 401 was about the credentials or the auth scheme; anything that
// refuses it or answers something else is probably not the WinRM
// listener meant. "" when the probe itself fails.
func (c *Client) identifyHint(ctx context.Context) string {
	t := &laneTransport{c: c, url: c.endpoint}
	if err := t.Transport(c.ep); err != nil {
		return ""
	}
	defer t.hc.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader([]byte(identifyEnvelope)))
	if err != nil {
		return ""
	}
	req.Header.Set("Content-Type", soapContentType)
	req.Header.Set("WSMANIDENTIFY", "unauthenticated")
	resp, err := t.hc.Do(req)
	if err != nil {
		return ""
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode == http.StatusOK && bytes.Contains(body, []byte("IdentifyResponse")):
		version := ""
		if m := productVersionRe.FindSubmatch(body); m != nil {
			version = ", " + string(m[1])
		}
		return fmt.Sprintf("; the endpoint is a WinRM service (it answers WS-Management Identify%s), so it refused these credentials or this auth", version)
	case resp.StatusCode == http.StatusUnauthorized:
		return "; the endpoint also refuses WS-Management Identify without credentials, which WinRM 2.0 and later answer: if the node runs WinRM 2.0 or later, this is not its WinRM listener (check host, port and /wsman)"
	default:
		return fmt.Sprintf("; the endpoint answers WS-Management Identify with HTTP %d and no IdentifyResponse: it does not look like a WinRM listener (check host, port and /wsman)", resp.StatusCode)
	}
}
