// Package provider is the Terraform glue of the MSCS provider: the provider
// configuration (provider.go, config.go), one file per resource and data
// source, their models together in models.go, and what they share in
// common.go (values.go converts lists and sets). The work on a node is
// done by internal/nodeops over internal/winrm.
//
// How to add a phase (the six mscs_* resources follow it):
//
//  1. models.go: the model, embedding phaseModel (id, steps, ran_steps,
//     timeouts).
//  2. resource_<phase>.go: the resource, embedding phaseResource (type
//     name, node attribute, default timeouts, destroyWarning); its schema
//     from attributes.go; its plan rules that need no node as rulesOf(...).
//  3. ModifyPlan: planStart with planNodes (the nodes it checks), then
//     planRepair with the phase's phaseDrift (the drift list its Read
//     fills, the settings whose change runs it again), then the phase's
//     facts read through one nodeops call and its steps planned from them
//     (a read that fails: planReadFailed; triggers pending: deferChecks).
//  4. Create and Update: phaseApply{run, drift, keep}: run is begin, one
//     nodeops call and its result in the model (the facts and steps it
//     acted on come back with it: nothing is read again); drift, the same
//     phaseDrift; keep, for a phase whose changed settings alone touch no
//     node, copies what the last apply found.
//  5. Read: readPhase (the end state gone leaves the state; a node that
//     cannot tell is an error). Delete: forget, or the phase's undo.
//     ImportState: importAs.
//  6. provider.go's Resources; acceptance tests with internal/labtest and
//     their configurations in testdata/<TestName>/; make docs.
//
// Drift is what Read finds: a setting read back (Terraform's own diff
// plans the update or the replacement), or a list of differences that
// planRepair turns into a run in place. The exception is
// mscs_msdtc_clustered's clustered_nodes, which plans a replacement
// (planDrift): the KB's test and its reinstall run only as a create.
// Errors from nodeops become diagnostics through cluster.phaseDiags or
// stepDiag, which hide passwords.
package provider

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mscs-ops/terraform-provider-mscs/internal/provider/validators"
)

var (
	_ provider.Provider                   = (*mscsProvider)(nil)
	_ provider.ProviderWithValidateConfig = (*mscsProvider)(nil)
)

// New returns a constructor of the provider, as providerserver.Serve wants it.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &mscsProvider{version: version, getenv: os.Getenv} }
}

type mscsProvider struct {
	version string
	getenv  func(string) string // os.Getenv; tests inject their own
	// retryBackoff is the transport's first wait before a failed read goes
	// again (winrm.Config.RetryBackoff; 0: its default). Tests shorten it:
	// where a node is unreachable they would otherwise wait out 3.5 s of
	// retries per read.
	retryBackoff time.Duration
	// onConfigure, when set, sees every cluster Configure builds: the
	// benchmark reads the transport counters through it.
	onConfigure func(*cluster)
}

func (p *mscsProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "mscs"
	resp.Version = p.version
}

var authValues = []string{"ntlm", "basic", "kerberos"}

// connectionAttributes are the settings a node may override; the top-level
// ones are the defaults. Written once so the two levels describe them alike.
func connectionAttributes(level string, perNode bool) map[string]schema.Attribute {
	userDefault := "Falls back to the `MSCS_USERNAME` environment variable."
	passDefault := "Falls back to the `MSCS_PASSWORD` environment variable."
	if perNode {
		userDefault = "Default: the provider's `username`."
		passDefault = "Default: the provider's `password`."
	}
	return map[string]schema.Attribute{
		"username": schema.StringAttribute{
			MarkdownDescription: "Account the provider logs on to " + level + " with, e.g. `LAB\\Administrator`. " +
				"Commands run on the node as this account, which must be a local administrator. " + userDefault,
			Optional:   true,
			Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
		},
		"password": schema.StringAttribute{
			MarkdownDescription: "Password of `username` for " + level + ". Never logged nor shown in diagnostics; " +
				"must not be empty. " + passDefault,
			Optional:  true,
			Sensitive: true,
		},
		"auth": schema.StringAttribute{
			MarkdownDescription: "How the provider authenticates to the WinRM service of " + level + ": " +
				"`ntlm` (default; the password never crosses the wire), `kerberos` (a ticket from the domain's KDC, " +
				"see `realm`, `keytab` and `ccache`; what domains that restrict NTLM need) or `basic` (the password is " +
				"sent with every request, so over plain HTTP it needs `allow_unencrypted`). Over plain HTTP, `ntlm` and " +
				"`kerberos` encrypt every message; over HTTPS both bind to the server's certificate (channel binding).",
			Optional:   true,
			Validators: []validator.String{stringvalidator.OneOf(authValues...)},
		},
		"realm": schema.StringAttribute{
			MarkdownDescription: "Kerberos realm of `username` for " + level + " (the domain's DNS name in capitals, " +
				"e.g. `LAB.EXAMPLE`), with `auth = \"kerberos\"`. Default: the realm of a `user@REALM` username, " +
				"else the credential cache's, else `krb5_conf`'s `default_realm`.",
			Optional:   true,
			Validators: []validator.String{validators.Realm()},
		},
		"krb5_conf": schema.StringAttribute{
			MarkdownDescription: "Path of a krb5.conf for " + level + " (realms, KDCs, encryption types), with " +
				"`auth = \"kerberos\"`. Default: `KRB5_CONFIG` or `/etc/krb5.conf`, unless `kdc` is set.",
			Optional:   true,
			Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
		},
		"kdc": schema.ListAttribute{
			MarkdownDescription: "Addresses of the realm's KDCs (domain controllers), `host` or `host:port`, for " + level +
				", with `auth = \"kerberos\"`; tried in order, before those of `krb5_conf`.",
			Optional:    true,
			ElementType: types.StringType,
			Validators:  []validator.List{listvalidator.SizeAtLeast(1), listvalidator.ValueStringsAre(validators.KDCAddress())},
		},
		"keytab": schema.StringAttribute{
			MarkdownDescription: "Path of a keytab holding the keys of `username`, the Kerberos credential for " + level +
				" instead of `password` (`ktutil`, or `ktpass` on a domain controller).",
			Optional:   true,
			Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
		},
		"ccache": schema.StringAttribute{
			MarkdownDescription: "Path of a Kerberos credential cache (a file, as `kinit -c FILE:/path` writes it), " +
				"the credential for " + level + " instead of `password` or `keytab`; `username` may then be left out. " +
				"Default, when neither `password` nor `keytab` is set: the cache `KRB5CCNAME` names.",
			Optional:   true,
			Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
		},
		"insecure": schema.BoolAttribute{
			MarkdownDescription: "Skip verification of the HTTPS certificate of " + level + ". Default `false`; " +
				"prefer `ca_cert`.",
			Optional: true,
		},
		"ca_cert": schema.StringAttribute{
			MarkdownDescription: "PEM certificate(s) of the CA that signed the HTTPS certificate of " + level +
				", e.g. `file(\"ca.pem\")`. Default: the system's roots.",
			Optional:   true,
			Validators: []validator.String{validators.PEMCertificates()},
		},
		"tls_server_name": schema.StringAttribute{
			MarkdownDescription: "Name to verify the HTTPS certificate of " + level + " against, when it differs " +
				"from the host the provider connects to.",
			Optional: true,
		},
		"allow_unencrypted": schema.BoolAttribute{
			MarkdownDescription: "Allow `basic` authentication over plain HTTP to " + level + ", which sends the " +
				"password readable on the network. Default `false`: such a configuration is a plan-time error.",
			Optional: true,
		},
		"operation_timeout": schema.StringAttribute{
			MarkdownDescription: "How long one WS-Management request to " + level + " may wait for a command's " +
				"output before the node answers that it is still running, e.g. `60s` (default).",
			Optional:   true,
			Validators: []validator.String{validators.Duration()},
		},
	}
}

func (p *mscsProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	nodeAttrs := connectionAttributes("this node", true)
	nodeAttrs["endpoint"] = schema.StringAttribute{
		MarkdownDescription: "WinRM endpoint URL of the node, e.g. `https://node2.lab.example:5986/wsman`. " +
			"The scheme chooses HTTPS or HTTP; the port defaults to 5986 (HTTPS) or 5985 (HTTP); the path is `/wsman`. " +
			"Give either `endpoint` or `host`.",
		Optional:   true,
		Validators: []validator.String{validators.Endpoint()},
	}
	nodeAttrs["host"] = schema.StringAttribute{
		MarkdownDescription: "Host name or IP address of the node's WinRM service, instead of `endpoint` " +
			"(an IPv6 address without brackets, e.g. `fd00::2`).",
		Optional:   true,
		Validators: []validator.String{validators.Host()},
	}
	nodeAttrs["port"] = schema.Int64Attribute{
		MarkdownDescription: "Port of the node's WinRM service, with `host`. Default 5986 with HTTPS, 5985 without (WinRM 2.0 and later). WinRM 1.1, as Windows Server 2003 R2 ships it, listens on 443 and 80 unless configured otherwise: set the port, or use `endpoint`.",
		Optional:            true,
		Validators:          []validator.Int64{int64validator.Between(1, 65535)},
	}
	nodeAttrs["spn"] = schema.StringAttribute{
		MarkdownDescription: "Kerberos service principal of this node's WinRM service, with `auth = \"kerberos\"`. " +
			"Default `HTTP/<host>` (the host of `endpoint` or `host`); a Windows computer account also answers " +
			"`host/<name>` and, once WinRM is configured, `WSMAN/<name>`. The host must be a name, not an IP address.",
		Optional:   true,
		Validators: []validator.String{validators.SPN()},
	}
	nodeAttrs["https"] = schema.BoolAttribute{
		MarkdownDescription: "Use HTTPS to reach this node, with `host`. Default: the provider's `https`.",
		Optional:            true,
	}

	attrs := connectionAttributes("every node", false)
	attrs["nodes"] = schema.MapNestedAttribute{
		MarkdownDescription: "The cluster's nodes the provider may talk to, keyed by NetBIOS name (e.g. `NODE1`, " +
			"`NODE2`), each with its WinRM endpoint and any connection setting that differs from the provider's. " +
			"A resource or data source naming a node that is not here is a plan-time error.",
		Required: true,
		Validators: []validator.Map{
			mapvalidator.SizeAtLeast(1),
			mapvalidator.KeysAre(validators.NodeName(), validators.SafeArg()),
		},
		NestedObject: schema.NestedAttributeObject{Attributes: nodeAttrs},
	}
	attrs["cluster_name"] = schema.StringAttribute{
		MarkdownDescription: "The cluster's name (NetBIOS). Before its first command to a node, the provider " +
			"reads the machine's computer name and the cluster it belongs to from its registry (read-only) and " +
			"refuses to go on when the machine is not the node its key in `nodes` names, or belongs to another " +
			"cluster: swapped endpoints or another cluster's node never get a command that changes anything. " +
			"With `cluster_name` set every node must belong to that cluster; without it the nodes must agree " +
			"with each other (set it when the provider knows only one node).",
		Optional:   true,
		Validators: []validator.String{validators.NodeName()},
	}
	attrs["https"] = schema.BoolAttribute{
		MarkdownDescription: "Use HTTPS for nodes given by `host`. Default `true`.",
		Optional:            true,
	}
	attrs["max_shells_per_node"] = schema.Int64Attribute{
		MarkdownDescription: "How many commands the provider runs at once on one node, each in its own remote " +
			"shell. Default 2; keep it below the nodes' WinRM MaxShellsPerUser.",
		Optional:   true,
		Validators: []validator.Int64{int64validator.Between(1, 30)},
	}
	attrs["reuse_shell"] = schema.BoolAttribute{
		MarkdownDescription: "Keep a node's remote shell open and run every command in it, instead of opening and " +
			"deleting a shell per command. Default `true`: it saves two of a command's five WS-Management messages " +
			"(the shell's Create and Delete; `make bench` measures the difference).",
		Optional: true,
	}
	attrs["poll_interval_max"] = schema.StringAttribute{
		MarkdownDescription: "The longest pause between two checks of a wait (a service reaching its state, a " +
			"node back from a reboot or joining the cluster, a group coming online). A wait checks at once, then " +
			"after 50ms, doubling the pause up to this ceiling, so it ends soon after what it awaits; each check is " +
			"one command. Default `2s`; raise it on a slow link to send fewer commands during long waits.",
		Optional:   true,
		Validators: []validator.String{validators.Duration()},
	}

	resp.Schema = schema.Schema{
		MarkdownDescription: "Brings a failed node of a Microsoft Cluster Server (MSCS) cluster back into service " +
			"over WinRM, following Microsoft KB Q241573. `terraform plan` shows what the recovery will do to which " +
			"node before anything is touched; `terraform apply` converges the node step by step.",
		Attributes: attrs,
	}
}

func (p *mscsProvider) ValidateConfig(ctx context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	_, diags := resolveNodes(ctx, m, nil)
	resp.Diagnostics.Append(diags...)
}

func (p *mscsProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	configs, diags := resolveNodes(ctx, m, p.getenv)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	for i := range configs {
		configs[i].RetryBackoff = p.retryBackoff
	}
	c, err := newCluster(configs, strings.ToUpper(m.ClusterName.ValueString()))
	if err != nil {
		resp.Diagnostics.AddError("Cannot set up the WinRM clients", err.Error())
		return
	}
	if d, err := time.ParseDuration(m.PollIntervalMax.ValueString()); err == nil && d > 0 {
		c.poll = d
	}
	ctx = c.mask(ctx)
	tflog.Debug(ctx, "configured MSCS provider", map[string]any{"nodes": c.Names()})
	if p.onConfigure != nil {
		p.onConfigure(c)
	}
	resp.ResourceData = c
	resp.DataSourceData = c
}

func (p *mscsProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{NewClusterNodeServiceResource, NewOptionpackInstallResource, NewMSDTCClusteredResource,
		NewMetabaseSyncResource, NewClusterAccountsResource, NewFailoverTestResource}
}

func (p *mscsProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{NewClusterDataSource, NewNodeDataSource}
}
