package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mscs-ops/terraform-provider-mscs/internal/provider/validators"
)

var _ datasource.DataSourceWithConfigure = (*clusterDataSource)(nil)

// NewClusterDataSource reads the cluster as cluster.exe lists it: nodes,
// groups and resources with their owners and states.
func NewClusterDataSource() datasource.DataSource { return &clusterDataSource{} }

type clusterDataSource struct{ cluster *cluster }

type clusterDataSourceModel struct {
	Node        types.String           `tfsdk:"node"`
	ReadThrough types.String           `tfsdk:"read_through"`
	Nodes       []clusterNodeModel     `tfsdk:"nodes"`
	Groups      []clusterGroupModel    `tfsdk:"groups"`
	Resources   []clusterResourceModel `tfsdk:"resources"`
}

type clusterNodeModel struct {
	Name  types.String `tfsdk:"name"`
	ID    types.Int64  `tfsdk:"id"`
	State types.String `tfsdk:"state"`
}

type clusterGroupModel struct {
	Name            types.String `tfsdk:"name"`
	OwnerNode       types.String `tfsdk:"owner_node"`
	State           types.String `tfsdk:"state"`
	PreferredOwners types.List   `tfsdk:"preferred_owners"`
}

type clusterResourceModel struct {
	Name          types.String `tfsdk:"name"`
	Group         types.String `tfsdk:"group"`
	Type          types.String `tfsdk:"type"`
	OwnerNode     types.String `tfsdk:"owner_node"`
	State         types.String `tfsdk:"state"`
	RestartAction types.Int64  `tfsdk:"restart_action"`
}

func (d *clusterDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_cluster"
}

func (d *clusterDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Computed: true}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The cluster as `cluster.exe` lists it: nodes, groups and resources with their owners " +
			"and states. Read-only: it runs `cluster node /status`, `cluster group /status`, " +
			"`cluster group /listowners`, `cluster resource /status` and `cluster resource /prop` on one node " +
			"whose cluster service is up, trying the configured nodes in turn unless `node` names one.",
		Attributes: map[string]schema.Attribute{
			"node": schema.StringAttribute{
				MarkdownDescription: "Read through this node only (a key of the provider's `nodes`). Default: the " +
					"first configured node, in name order, that answers and is Up.",
				Optional:   true,
				Validators: []validator.String{validators.NodeName(), validators.SafeArg()},
			},
			"read_through": str("The node the cluster was read through."),
			"nodes": schema.ListNestedAttribute{
				MarkdownDescription: "The cluster's nodes.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":  str("NetBIOS name of the node."),
					"id":    schema.Int64Attribute{MarkdownDescription: "Node ID as the cluster numbers it.", Computed: true},
					"state": str("`Up`, `Down`, `Paused` or `Joining`."),
				}},
			},
			"groups": schema.ListNestedAttribute{
				MarkdownDescription: "The cluster's resource groups.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":       str("Group name, e.g. `Cluster Group`."),
					"owner_node": str("Node that owns the group now."),
					"state":      str("`Online`, `Offline`, `Partially Online`, `Failed` or `Pending`."),
					"preferred_owners": schema.ListAttribute{
						MarkdownDescription: "Preferred owners in order, as `cluster group /listowners` prints them.",
						Computed:            true,
						ElementType:         types.StringType,
					},
				}},
			},
			"resources": schema.ListNestedAttribute{
				MarkdownDescription: "The cluster's resources.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":       str("Resource name, e.g. `MSDTC`."),
					"group":      str("Group the resource belongs to."),
					"type":       str("Resource type, e.g. `IIS Server Instance`, `Physical Disk`."),
					"owner_node": str("Node the resource is on now."),
					"state":      str("`Online`, `Offline`, `Failed`, `Online Pending` or `Offline Pending`."),
					"restart_action": schema.Int64Attribute{
						MarkdownDescription: "The `RestartAction` property (Cluster Administrator's \"Affect the " +
							"group\"): `0` don't restart, `1` restart without failing the group over (box " +
							"unchecked), `2` restart and fail the group over (box checked, the default).",
						Computed: true,
					},
				}},
			},
		},
	}
}

func (d *clusterDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.cluster = configuredCluster(req.ProviderData, "Data Source", &resp.Diagnostics)
}

func (d *clusterDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m clusterDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if d.cluster == nil {
		resp.Diagnostics.AddError(notConfigured, notConfiguredDetail)
		return
	}
	ctx = d.cluster.mask(ctx)
	candidates := d.cluster.Names()
	if !m.Node.IsNull() {
		if !d.cluster.Has(m.Node.ValueString()) {
			resp.Diagnostics.AddAttributeError(path.Root("node"), "Unknown node", d.cluster.unknownNode(m.Node.ValueString()))
			return
		}
		candidates = []string{m.Node.ValueString()}
	}

	var failures []string
	for _, via := range candidates {
		vctx := tflog.SetField(ctx, "node", via)
		n, _ := d.cluster.Node(via)
		nodes, err := n.ClusterNodes(vctx)
		if err != nil {
			failures = append(failures, fmt.Sprintf("- %s: %s", via, d.cluster.stepDiag("", via, err).Detail()))
			continue
		}
		if !listedUp(nodes, via) {
			failures = append(failures, fmt.Sprintf("- %s: answered, but is not Up in the cluster", via))
			continue
		}
		groups, err := n.ClusterGroups(vctx)
		if err != nil {
			resp.Diagnostics.Append(d.cluster.stepDiag("Cannot list the cluster's groups", via, err))
			return
		}
		resources, err := n.ClusterResources(vctx)
		if err != nil {
			resp.Diagnostics.Append(d.cluster.stepDiag("Cannot list the cluster's resources", via, err))
			return
		}
		m.ReadThrough = types.StringValue(via)
		m.Nodes, m.Groups, m.Resources = clusterModels(nodes, groups, resources)
		tflog.Debug(vctx, "read the cluster", map[string]any{"nodes": len(m.Nodes), "groups": len(m.Groups), "resources": len(m.Resources)})
		resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
		return
	}
	resp.Diagnostics.AddError("Cannot read the cluster",
		"No configured node that is Up in the cluster answered:\n"+strings.Join(failures, "\n"))
}
