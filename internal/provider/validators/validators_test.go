package validators

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func run(v validator.String, value types.String) string {
	req := validator.StringRequest{Path: path.Root("node"), ConfigValue: value}
	var resp validator.StringResponse
	v.ValidateString(context.Background(), req, &resp)
	var msgs []string
	for _, d := range resp.Diagnostics.Errors() {
		msgs = append(msgs, d.Summary()+": "+d.Detail())
	}
	return strings.Join(msgs, "\n")
}

func TestValidators(t *testing.T) {
	cases := []struct {
		name  string
		v     validator.String
		value types.String
		want  string // substring of the error; "" = valid
	}{
		{"safe plain name", SafeArg(), types.StringValue("ClusSvc"), ""},
		{"safe skips null", SafeArg(), types.StringNull(), ""},
		{"safe skips unknown", SafeArg(), types.StringUnknown(), ""},
		{"ampersand is quotable", SafeArg(), types.StringValue("Web Group & more"), ""},
		{"delayed expansion", SafeArg(), types.StringValue("!PATH!"), `node "!PATH!" cannot be quoted safely`},
		{"percent expansion", SafeArg(), types.StringValue("%COMSPEC%"), "cannot be quoted safely"},
		{"newline", SafeArg(), types.StringValue("a\r\nnet stop ClusSvc"), "cannot be quoted safely"},
		{"double quote", SafeArg(), types.StringValue(`a"b`), "cannot be quoted safely"},

		{"spn http", SPN(), types.StringValue("HTTP/node1.lab.example"), ""},
		{"spn short", SPN(), types.StringValue("WSMAN/node1"), ""},
		{"spn no service", SPN(), types.StringValue("node1.lab.example"), "expected a service principal name"},
		{"spn bad host", SPN(), types.StringValue("HTTP/node 1"), "the host part"},
		{"realm ok", Realm(), types.StringValue("LAB.EXAMPLE"), ""},
		{"realm ip", Realm(), types.StringValue("10.0.0.1"), "is not a realm name"},
		{"kdc host", KDCAddress(), types.StringValue("dc1.lab.example"), ""},
		{"kdc port", KDCAddress(), types.StringValue("dc1.lab.example:88"), ""},
		{"kdc ipv6", KDCAddress(), types.StringValue("[fd00::1]:88"), ""},
		{"kdc bad port", KDCAddress(), types.StringValue("dc1:http"), "is not a port number"},
		{"kdc url", KDCAddress(), types.StringValue("tcp://dc1"), "Invalid KDC address"},

		{"node ok", NodeName(), types.StringValue("NODE2"), ""},
		{"node 15 chars", NodeName(), types.StringValue("ABCDEFGHIJKLMNO"), ""},
		{"node 16 chars", NodeName(), types.StringValue("ABCDEFGHIJKLMNOP"), "is not a valid node name"},
		{"node metachar", NodeName(), types.StringValue("NODE2|dir"), "is not a valid node name"},
		{"node ampersand", NodeName(), types.StringValue("NODE2&calc"), "is not a valid node name"},
		{"node space", NodeName(), types.StringValue("NODE 2"), "is not a valid node name"},
		{"node empty", NodeName(), types.StringValue(""), "is not a valid node name"},

		{"endpoint https", Endpoint(), types.StringValue("https://node2:5986/wsman"), ""},
		{"endpoint no path", Endpoint(), types.StringValue("http://127.0.0.1:5985"), ""},
		{"endpoint ipv6", Endpoint(), types.StringValue("https://[::1]:5986/wsman"), ""},
		{"endpoint scheme", Endpoint(), types.StringValue("ftp://node2/wsman"), "scheme must be http or https"},
		{"endpoint bare host", Endpoint(), types.StringValue("node2:5986"), "scheme must be http or https"},
		{"endpoint no host", Endpoint(), types.StringValue("https:///wsman"), "no host name"},
		{"endpoint port", Endpoint(), types.StringValue("https://node2:99999/wsman"), "not between 1 and 65535"},
		{"endpoint path", Endpoint(), types.StringValue("https://node2/other"), "path must be /wsman"},
		{"endpoint credentials", Endpoint(), types.StringValue("https://u:p@node2/wsman"), "credentials"},
		{"endpoint garbage", Endpoint(), types.StringValue("https://node2:port/wsman"), "Malformed WinRM endpoint"},

		{"exe path", ExePath(), types.StringValue(`C:\NTOPTPAK\EN\X86\WINNT.SRV\setup.exe`), ""},
		{"exe path any case", ExePath(), types.StringValue(`d:\sp6a\SP6I386.EXE`), ""},
		{"exe path spaces", ExePath(), types.StringValue(`C:\Option Pack\setup.exe`), ""},
		// cmd's special characters run as named: nodeops.programLine keeps the quotes.
		{"exe path & and parentheses", ExePath(), types.StringValue(`D:\R&D\Option Pack (EN)\setup.exe`), ""},
		{"exe path @ and ^", ExePath(), types.StringValue(`C:\SP4 @^\update.exe`), ""},
		{"safe & and parentheses", SafeArg(), types.StringValue(`D:\R&D\Option Pack (EN)\setup.exe`), ""},
		{"safe @ and ^", SafeArg(), types.StringValue(`C:\SP4 @^\update.exe`), ""},
		{"exe path relative", ExePath(), types.StringValue(`SP4\update.exe`), "Invalid program path"},
		{"exe path UNC", ExePath(), types.StringValue(`\\server\share\setup.exe`), "Invalid program path"},
		{"exe path not exe", ExePath(), types.StringValue(`C:\SP4\update.bat`), "Invalid program path"},
		{"exe path folder", ExePath(), types.StringValue(`C:\SP4\`), "Invalid program path"},
		{"exe path slash", ExePath(), types.StringValue(`C:/SP4/update.exe`), "Invalid program path"},
		{"exe path drive only", ExePath(), types.StringValue(`C:update.exe`), "Invalid program path"},
		{"exe path skips unknown", ExePath(), types.StringUnknown(), ""},

		{"duration", Duration(), types.StringValue("90s"), ""},
		{"duration zero", Duration(), types.StringValue("0s"), "Invalid duration"},
		{"duration unitless", Duration(), types.StringValue("60"), "Invalid duration"},

		{"pem garbage", PEMCertificates(), types.StringValue("not a cert"), "no PEM certificate found"},
		{"pem key", PEMCertificates(), types.StringValue("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), "not a CERTIFICATE"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := run(tc.v, tc.value)
			if tc.want == "" && got != "" {
				t.Fatalf("unexpected error: %s", got)
			}
			if tc.want != "" && !strings.Contains(got, tc.want) {
				t.Fatalf("error %q does not contain %q", got, tc.want)
			}
		})
	}
}

func TestParseEndpoint(t *testing.T) {
	p, err := ParseEndpoint("HTTPS://Node2.lab.example:15986/WSMAN")
	if err != nil {
		t.Fatal(err)
	}
	if p != (ParsedEndpoint{Host: "Node2.lab.example", Port: 15986, HTTPS: true}) {
		t.Fatalf("got %+v", p)
	}
	p, err = ParseEndpoint("http://10.0.0.2/wsman")
	if err != nil || p != (ParsedEndpoint{Host: "10.0.0.2"}) {
		t.Fatalf("got %+v, %v", p, err)
	}
}

func TestCheckHost(t *testing.T) {
	for _, ok := range []string{"node2", "Node2.lab.example", "node2.lab.example.", "10.0.0.2", "::1", "fd00::2", "xn--bcher-kva.example", "node_2"} {
		if err := CheckHost(ok); err != nil {
			t.Errorf("CheckHost(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "[::1]", "node 2", "node2;calc", "-node", "a..b", "%41", strings.Repeat("a", 64), strings.Repeat("a.", 127) + "ab"} {
		if err := CheckHost(bad); err == nil {
			t.Errorf("CheckHost(%q) accepted", bad)
		}
	}
	if _, err := ParseEndpoint("https://[::1]:5986/wsman"); err != nil {
		t.Errorf("an IPv6 endpoint: %v", err)
	}
	if _, err := ParseEndpoint("https://no%20de/wsman"); err == nil {
		t.Error("an endpoint whose host holds a space passed")
	}
}
