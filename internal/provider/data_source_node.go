package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mscs-ops/terraform-provider-mscs/internal/nodeops"
)

var _ datasource.DataSourceWithConfigure = (*nodeDataSource)(nil)

// NewNodeDataSource reads one node: Windows version and service pack, the
// Option Pack's method and components, and the services the KB touches, so a
// configuration can copy the working node's installation instead of
// retyping it.
func NewNodeDataSource() datasource.DataSource {
	return &nodeDataSource{phaseDataSource{typeName: "_node"}}
}

type nodeDataSource struct{ phaseDataSource }

func (d *nodeDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	str := computedString
	resp.Schema = schema.Schema{
		MarkdownDescription: "One cluster node as its registry and service manager show it: Windows NT version and " +
			"service pack, whether the Option Pack (IIS 4.0) is installed, with which method and components, " +
			"whether a reboot is pending, and the services KB Q241573 works with. Read-only: it runs `hostname`, " +
			"`reg query` and `sc query` / `sc qc`, all in one command line. Read the working node with it and copy `install_method`, " +
			"`components` and `service_pack` into `mscs_optionpack_install` for the rebuilt node.",
		Attributes: map[string]schema.Attribute{
			"node": schema.StringAttribute{
				MarkdownDescription: "NetBIOS name of the node to read; a key of the provider's `nodes`.",
				Required:            true,
				Validators:          nodeValidators(),
			},
			"computer_name": str("The name the node itself reports (`hostname`)."),
			"os_version":    str("Windows version, e.g. `4.0` (CurrentVersion)."),
			"build":         str("Build number, e.g. `1381` (CurrentBuildNumber)."),
			"csd_version":   str("CSDVersion, e.g. `Service Pack 4`; empty without a service pack."),
			"service_pack": str("Service pack level from CSDVersion: `3`, `4`, `5`, `6`, or `6a` (SP6 with the " +
				"Q246009 hotfix key); empty without one."),
			"option_pack_installed": schema.BoolAttribute{
				MarkdownDescription: "Whether the Option Pack is installed (InetStp MajorVersion exists).",
				Computed:            true,
			},
			"install_method": str("The install method, derived from the installed components since no node records " +
				"it: exactly the minimal set reads as `minimal`, exactly the typical set as `typical`, anything else " +
				"as `custom`; empty without the Option Pack."),
			"components": schema.SetAttribute{
				MarkdownDescription: "The installed Option Pack components (OC Manager Subcomponents set to 1), as " +
					"setup's `[Components]` names them; empty without the Option Pack.",
				Computed:    true,
				ElementType: types.StringType,
			},
			"pending_reboot": schema.BoolAttribute{
				MarkdownDescription: "Whether setup or a service pack waits for a restart (PendingFileRenameOperations).",
				Computed:            true,
			},
			"services": schema.ListNestedAttribute{
				MarkdownDescription: "The services the KB works with, in this order: " + backticked(nodeops.InfoServices) + ".",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":         str("Service name as `sc` knows it."),
					"display_name": str("Display name; empty when the service does not exist."),
					"state": str("`running` or `stopped` (a pending state counts as the state it heads for); empty " +
						"when the service does not exist."),
					"startup_type": str("`automatic`, `manual` or `disabled`; empty when the service does not exist."),
					"exists": schema.BoolAttribute{
						MarkdownDescription: "Whether the service is installed on the node.",
						Computed:            true,
					},
				}},
			},
		},
	}
}

func (d *nodeDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m nodeDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := m.Node.ValueString()
	ctx = d.cluster.logContext(ctx, "node", name)
	n, diags := d.cluster.lookup(path.Root("node"), name)
	if resp.Diagnostics.Append(diags...); resp.Diagnostics.HasError() {
		return
	}
	info, err := n.Info(d.cluster.sharedReads(ctx)) // readcache.go
	if err != nil {
		resp.Diagnostics.Append(d.cluster.stepDiag("Cannot read node "+name, name, err))
		return
	}
	resp.Diagnostics.Append(nodeInfoModel(ctx, &m, info)...)
	tflog.Debug(ctx, "read the node", map[string]any{"service_pack": info.ServicePack, "option_pack": info.OptionPack.Installed})
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
