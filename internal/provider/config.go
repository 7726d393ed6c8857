package provider

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mscs-ops/terraform-provider-mscs/internal/provider/validators"
	"github.com/mscs-ops/terraform-provider-mscs/internal/winrm"
)

const (
	envUsername             = "MSCS_USERNAME"
	envPassword             = "MSCS_PASSWORD"
	defaultOperationTimeout = 60 * time.Second
	defaultMaxShells        = 2
)

// resolveNodes turns the provider block into one winrm.Config per node, node
// settings over provider settings over environment variables over defaults.
//
// With getenv nil it validates only (ValidateConfig): unknown values and
// values that may still come from the environment are not errors yet. With
// getenv set (Configure) every setting must end up known and present.
func resolveNodes(ctx context.Context, m providerModel, getenv func(string) string) ([]winrm.Config, diag.Diagnostics) {
	var diags diag.Diagnostics
	final := getenv != nil
	if m.Nodes.IsUnknown() || m.Nodes.IsNull() {
		if final {
			diags.AddAttributeError(path.Root("nodes"), "Unknown nodes",
				"The provider's nodes are not known until apply; they must be known at plan time so that "+
					"plan can check every resource against them.")
		}
		return nil, diags
	}
	nodes := map[string]nodeModel{}
	diags.Append(m.Nodes.ElementsAs(ctx, &nodes, false)...)
	if diags.HasError() {
		return nil, diags
	}
	names := slices.Sorted(maps.Keys(nodes))
	// Windows compares NetBIOS names without case, and so does every lookup
	// of a node: NODE2 and node2 would be one node with two endpoints.
	seen := map[string]string{}
	for _, name := range names {
		if first, dup := seen[strings.ToUpper(name)]; dup {
			diags.AddAttributeError(path.Root("nodes").AtMapKey(name), "Node configured twice",
				fmt.Sprintf("The nodes %q and %q differ only in case, and Windows does not tell NetBIOS names apart "+
					"by case: they name the same node. Keep one key per node.", first, name))
		}
		seen[strings.ToUpper(name)] = name
	}
	if final && m.ClusterName.IsUnknown() {
		diags.AddAttributeError(path.Root("cluster_name"), "Unknown provider setting",
			"cluster_name is not known until apply; the provider needs it at plan time.")
	}
	if diags.HasError() {
		return nil, diags
	}

	var configs []winrm.Config
	for _, name := range names {
		n := nodes[name]
		np := path.Root("nodes").AtMapKey(name)
		r := resolver{final: final, diags: &diags}
		c := winrm.Config{Node: name, ReuseShell: true, MaxConcurrent: defaultMaxShells}

		// Where the node is.
		https := r.boolean(np.AtName("https"), n.HTTPS, path.Root("https"), m.HTTPS, true)
		switch {
		case !n.Endpoint.IsNull() && !n.Host.IsNull():
			diags.AddAttributeError(np.AtName("endpoint"), "Conflicting node address",
				fmt.Sprintf("Node %s has both endpoint and host; give one of them.", name))
			continue
		case n.Endpoint.IsUnknown() || n.Host.IsUnknown() || n.Port.IsUnknown():
			r.unknown(np.AtName("endpoint"))
			continue
		case !n.Endpoint.IsNull():
			ep, err := validators.ParseEndpoint(n.Endpoint.ValueString())
			if err != nil {
				continue // the attribute's validator reports it
			}
			if !n.HTTPS.IsNull() && !n.HTTPS.IsUnknown() && n.HTTPS.ValueBool() != ep.HTTPS {
				diags.AddAttributeError(np.AtName("https"), "Conflicting node address",
					fmt.Sprintf("Node %s: https = %t contradicts the scheme of its endpoint %q.", name, n.HTTPS.ValueBool(), n.Endpoint.ValueString()))
				continue
			}
			if !n.Port.IsNull() {
				diags.AddAttributeError(np.AtName("port"), "Conflicting node address",
					fmt.Sprintf("Node %s: give the port inside endpoint, not as port.", name))
				continue
			}
			c.Host, c.Port, https = ep.Host, ep.Port, ep.HTTPS
		case !n.Host.IsNull():
			c.Host = n.Host.ValueString()
			c.Port = int(n.Port.ValueInt64())
		default:
			diags.AddAttributeError(np, "Missing node address",
				fmt.Sprintf("Node %s needs an endpoint (e.g. \"https://%s:5986/wsman\") or a host.", name, name))
			continue
		}
		c.HTTPS = https
		if c.Port == 0 {
			c.Port = 5985
			if https {
				c.Port = 5986
			}
		}

		// How to log on.
		c.Auth = r.str(np.AtName("auth"), n.Auth, path.Root("auth"), m.Auth, "ntlm")
		c.Username = r.str(np.AtName("username"), n.Username, path.Root("username"), m.Username, r.env(getenv, envUsername))
		switch {
		case c.Auth == "kerberos":
			resolveKerberos(ctx, name, np, n, m, &c, &r, getenv)
		case refuseKerberosOnly(name, np, n, m, &diags):
			continue
		default:
			c.Password = r.str(np.AtName("password"), n.Password, path.Root("password"), m.Password, r.env(getenv, envPassword))
			if p, v := pick(np.AtName("password"), n.Password, path.Root("password"), m.Password); !v.IsNull() && !v.IsUnknown() && v.ValueString() == "" {
				diags.AddAttributeError(p, "Empty password",
					fmt.Sprintf("The password for node %s is empty. Set it, or leave it unset and export %s.", name, envPassword))
			} else if final && c.Username == "" {
				diags.AddAttributeError(path.Root("username"), "Missing username",
					fmt.Sprintf("No username for node %s: set username in the provider block or export %s.", name, envUsername))
			} else if final && c.Password == "" {
				diags.AddAttributeError(path.Root("password"), "Missing password",
					fmt.Sprintf("No password for node %s: set password in the provider block or export %s (it must not be empty).", name, envPassword))
			}
		}

		resolveTransport(np, n, m, &c, &r)

		if c.Auth == "basic" && !c.HTTPS && !c.AllowUnencrypted && !r.sawUnknown {
			p, _ := pick(np.AtName("auth"), n.Auth, path.Root("auth"), m.Auth)
			diags.AddAttributeError(p, "Basic authentication over plain HTTP",
				fmt.Sprintf("Node %s would receive the password in clear text: auth is \"basic\" and its endpoint is "+
					"plain HTTP. Use HTTPS or NTLM, or set allow_unencrypted = true if the network is trusted "+
					"(the node's WinRM service must allow it too).", name))
		}
		configs = append(configs, c)
	}
	return configs, diags
}

// resolveTransport reads a node's TLS and transport settings.
func resolveTransport(np path.Path, n nodeModel, m providerModel, c *winrm.Config, r *resolver) {
	c.Insecure = r.boolean(np.AtName("insecure"), n.Insecure, path.Root("insecure"), m.Insecure, false)
	c.CACert = []byte(r.str(np.AtName("ca_cert"), n.CACert, path.Root("ca_cert"), m.CACert, ""))
	if len(c.CACert) == 0 {
		c.CACert = nil
	}
	c.TLSServerName = r.str(np.AtName("tls_server_name"), n.TLSServerName, path.Root("tls_server_name"), m.TLSServerName, "")
	c.AllowUnencrypted = r.boolean(np.AtName("allow_unencrypted"), n.AllowUnencrypted, path.Root("allow_unencrypted"), m.AllowUnencrypted, false)
	c.OperationTimeout = defaultOperationTimeout
	if s := r.str(np.AtName("operation_timeout"), n.OperationTimeout, path.Root("operation_timeout"), m.OperationTimeout, ""); s != "" {
		if d, err := time.ParseDuration(s); err == nil && d > 0 {
			c.OperationTimeout = d
		}
	}
	if !m.MaxShellsPerNode.IsNull() && !m.MaxShellsPerNode.IsUnknown() {
		c.MaxConcurrent = int(m.MaxShellsPerNode.ValueInt64())
	}
	if !m.ReuseShell.IsNull() && !m.ReuseShell.IsUnknown() {
		c.ReuseShell = m.ReuseShell.ValueBool()
	}
}

// resolver reads one node's setting from the node block, then the provider
// block, then a fallback, remembering whether it met an unknown value.
type resolver struct {
	final      bool
	diags      *diag.Diagnostics
	sawUnknown bool
}

func (r *resolver) unknown(p path.Path) {
	r.sawUnknown = true
	if r.final {
		r.diags.AddAttributeError(p, "Unknown provider setting",
			fmt.Sprintf("%s is not known until apply; the provider needs it at plan time.", p))
	}
}

func (r *resolver) env(getenv func(string) string, name string) string {
	if getenv == nil {
		return ""
	}
	return getenv(name)
}

// pick returns the node's value if set, else the provider's, with its path.
func pick[T interface {
	attr.Value
}](nodePath path.Path, nodeVal T, topPath path.Path, topVal T) (path.Path, T) {
	if !nodeVal.IsNull() {
		return nodePath, nodeVal
	}
	return topPath, topVal
}

func (r *resolver) str(np path.Path, nv types.String, tp path.Path, tv types.String, fallback string) string {
	p, v := pick(np, nv, tp, tv)
	switch {
	case v.IsUnknown():
		r.unknown(p)
		return ""
	case v.IsNull():
		return fallback
	}
	return v.ValueString()
}

func (r *resolver) boolean(np path.Path, nv types.Bool, tp path.Path, tv types.Bool, fallback bool) bool {
	p, v := pick(np, nv, tp, tv)
	switch {
	case v.IsUnknown():
		r.unknown(p)
		return fallback
	case v.IsNull():
		return fallback
	}
	return v.ValueBool()
}
