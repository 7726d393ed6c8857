// Package validators holds the provider's attribute validators: values that go
// into a node's command line, node names, WinRM endpoints, PEM certificates and
// durations are checked at plan time, before any command can reach a node.
package validators

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/mscs-ops/terraform-provider-mscs/internal/nodeops"
)

// stringCheck is every validator here: its description, and check, which
// says what is wrong with a known value as the error's detail (naming the
// attribute's path), or "" when nothing is. Null and unknown values pass:
// they are checked again once known.
type stringCheck struct {
	desc, summary string
	check         func(p path.Path, s, desc string) string
}

func (c stringCheck) Description(context.Context) string         { return c.desc }
func (c stringCheck) MarkdownDescription(context.Context) string { return c.desc }

func (c stringCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if detail := c.check(req.Path, req.ConfigValue.ValueString(), c.desc); detail != "" {
		resp.Diagnostics.AddAttributeError(req.Path, c.summary, detail)
	}
}

// SafeArg rejects a value that nodeops.Quote could not put into a cmd.exe
// command line safely (safety rule 7: bad input never reaches a node).
func SafeArg() validator.String {
	return stringCheck{"value must be safe to quote on a cmd.exe command line", "Value cannot be passed to a node safely",
		func(p path.Path, s, _ string) string {
			if err := nodeops.ValidateArg(s); err != nil {
				return fmt.Sprintf("%s %q cannot be quoted safely for cmd.exe on the node, so the provider will not send it: %s.", p, s, err)
			}
			return ""
		}}
}

// netbiosName is what NT 4.0 accepts as a computer name and what cluster.exe
// prints in its Node column: at most 15 characters, no spaces or cmd.exe
// metacharacters (those NetBIOS would allow are refused here on purpose).
var netbiosName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$`)

// IsNodeName reports whether s is a NetBIOS name NodeName accepts.
func IsNodeName(s string) bool { return netbiosName.MatchString(s) }

// NodeName checks a cluster node's NetBIOS name.
func NodeName() validator.String {
	return stringCheck{"a NetBIOS computer name: 1 to 15 letters, digits, '-', '_' or '.', starting with a letter or digit",
		"Invalid node name", func(p path.Path, s, desc string) string {
			if !netbiosName.MatchString(s) {
				return fmt.Sprintf("%s %q is not a valid node name: expected %s.", p, s, desc)
			}
			return ""
		}}
}

// Endpoint checks a WinRM endpoint URL: http or https, a host, an optional
// port, and the path /wsman (the only one a WinRM listener serves).
func Endpoint() validator.String {
	return stringCheck{"a WinRM endpoint URL such as https://node2.example.com:5986/wsman", "Malformed WinRM endpoint",
		func(p path.Path, s, _ string) string {
			if _, err := ParseEndpoint(s); err != nil {
				return fmt.Sprintf("%s %q: %s.", p, s, err)
			}
			return ""
		}}
}

// Host checks the host of a node's WinRM service: a DNS host name or an IP
// address literal, as the transport will dial it.
func Host() validator.String {
	return stringCheck{"a host name (letters, digits, '-' and '_' in dot-separated labels) or an IPv4 or IPv6 address, " +
		"without brackets or port", "Invalid host", func(p path.Path, s, desc string) string {
		if err := CheckHost(s); err != nil {
			return fmt.Sprintf("%s %q: %s; expected %s.", p, s, err, desc)
		}
		return ""
	}}
}

var hostLabel = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$`)

// CheckHost says what is wrong with a host name or IP literal, or nil.
func CheckHost(h string) error {
	switch {
	case h == "":
		return fmt.Errorf("empty")
	case strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]"):
		return fmt.Errorf("an IPv6 address is given without brackets here (%s)", strings.Trim(h, "[]"))
	case net.ParseIP(h) != nil:
		return nil
	case len(h) > 253:
		return fmt.Errorf("longer than 253 characters")
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if !hostLabel.MatchString(label) {
			return fmt.Errorf("%q is not a host name label", label)
		}
	}
	return nil
}

// ParsedEndpoint is an endpoint URL split into what the transport needs.
type ParsedEndpoint struct {
	Host  string
	Port  int // 0 when the URL names none
	HTTPS bool
}

// ParseEndpoint splits a WinRM endpoint URL, or says what is wrong with it.
func ParseEndpoint(s string) (ParsedEndpoint, error) {
	u, err := url.Parse(s)
	if err != nil {
		return ParsedEndpoint{}, fmt.Errorf("not a URL (%v)", err)
	}
	var p ParsedEndpoint
	switch strings.ToLower(u.Scheme) {
	case "https":
		p.HTTPS = true
	case "http":
	default:
		return p, fmt.Errorf("the scheme must be http or https, not %q", u.Scheme)
	}
	if u.Hostname() == "" {
		return p, fmt.Errorf("no host name")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return p, fmt.Errorf("credentials, queries and fragments do not belong in an endpoint")
	}
	if u.Path != "" && u.Path != "/" && !strings.EqualFold(u.Path, "/wsman") {
		return p, fmt.Errorf("the path must be /wsman, not %q", u.Path)
	}
	p.Host = u.Hostname()
	if err := CheckHost(p.Host); err != nil {
		return p, fmt.Errorf("host: %v", err)
	}
	if ps := u.Port(); ps != "" {
		port, err := strconv.Atoi(ps)
		if err != nil || port < 1 || port > 65535 {
			return p, fmt.Errorf("port %q is not between 1 and 65535", ps)
		}
		p.Port = port
	}
	return p, nil
}

// PEMCertificates checks that a value holds at least one PEM certificate and
// nothing that fails to parse as one.
func PEMCertificates() validator.String {
	return stringCheck{"one or more PEM-encoded X.509 certificates", "Invalid CA certificate",
		func(p path.Path, s, _ string) string {
			if err := CheckPEM([]byte(s)); err != nil {
				return fmt.Sprintf("%s: %s.", p, err)
			}
			return ""
		}}
}

// CheckPEM reports whether b holds at least one PEM certificate and only those.
func CheckPEM(b []byte) error {
	n := 0
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return fmt.Errorf("PEM block %d is a %q, not a CERTIFICATE", n+1, block.Type)
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Errorf("PEM block %d does not parse as a certificate: %v", n+1, err)
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("no PEM certificate found (expected -----BEGIN CERTIFICATE-----)")
	}
	return nil
}

// Duration checks a positive Go duration such as "60s" or "2m".
func Duration() validator.String {
	return stringCheck{`a positive duration such as "60s" or "2m"`, "Invalid duration", func(p path.Path, s, desc string) string {
		if d, err := time.ParseDuration(s); err != nil || d <= 0 {
			return fmt.Sprintf("%s %q: expected %s.", p, s, desc)
		}
		return ""
	}}
}

// exePath is a program's absolute path on a local drive of the node, e.g.
// C:\NTOPTPAK\EN\X86\WINNT.SRV\setup.exe. A relative path would depend on the
// remote shell's working folder, and a UNC path on the account's network
// credentials, which a WinRM logon does not have.
var exePath = regexp.MustCompile(`(?i)^[a-z]:\\([^\\/:*?"<>|]+\\)*[^\\/:*?"<>|]+\.exe$`)

// ExePath checks a program's absolute path on a local drive of the node.
func ExePath() validator.String {
	return stringCheck{`an absolute path of a .exe on a local drive of the node, e.g. C:\SP4\I386\UPDATE\update.exe`,
		"Invalid program path", func(p path.Path, s, desc string) string {
			if !exePath.MatchString(s) {
				return fmt.Sprintf("%s %q is not %s.", p, s, desc)
			}
			return ""
		}}
}

// SPN checks a Kerberos service principal name: service/host (the host a
// DNS name or short name), as a node's computer account holds them
// (HTTP/node1.lab.example, WSMAN/node1, host/node1.lab.example).
func SPN() validator.String {
	return stringCheck{"a service principal name service/host, e.g. HTTP/node1.lab.example", "Invalid service principal name",
		func(p path.Path, s, desc string) string {
			svc, host, ok := strings.Cut(s, "/")
			if !ok || svc == "" || strings.ContainsAny(svc, "@ ") {
				return fmt.Sprintf("%s %q: expected %s.", p, s, desc)
			}
			host, _, _ = strings.Cut(host, "@")
			if err := CheckHost(host); err != nil {
				return fmt.Sprintf("%s %q: the host part %s; expected %s.", p, s, err, desc)
			}
			return ""
		}}
}

// Realm checks a Kerberos realm: a DNS-style name, usually in capitals.
func Realm() validator.String {
	return stringCheck{"a Kerberos realm, e.g. LAB.EXAMPLE", "Invalid realm",
		func(p path.Path, s, desc string) string {
			if err := CheckHost(s); err != nil || net.ParseIP(s) != nil {
				return fmt.Sprintf("%s %q is not a realm name; expected %s.", p, s, desc)
			}
			return ""
		}}
}

// KDCAddress checks a KDC's address: host or host:port.
func KDCAddress() validator.String {
	return stringCheck{"a KDC address, host or host:port, e.g. dc1.lab.example:88", "Invalid KDC address",
		func(p path.Path, s, desc string) string {
			host := s
			if h, port, err := net.SplitHostPort(s); err == nil {
				if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
					return fmt.Sprintf("%s %q: port %q is not a port number; expected %s.", p, s, port, desc)
				}
				host = h
			}
			if err := CheckHost(host); err != nil {
				return fmt.Sprintf("%s %q: %s; expected %s.", p, s, err, desc)
			}
			return ""
		}}
}
