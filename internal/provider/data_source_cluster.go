package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mscs-ops/terraform-provider-mscs/internal/nodeops"
)

var _ datasource.DataSourceWithConfigure = (*clusterDataSource)(nil)

// NewClusterDataSource reads the cluster as cluster.exe lists it: nodes,
// groups and resources with their owners and states.
func NewClusterDataSource() datasource.DataSource {
	return &clusterDataSource{phaseDataSource{typeName: "_cluster"}}
}

type clusterDataSource struct{ phaseDataSource }

func (d *clusterDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	str := computedString
	resp.Schema = schema.Schema{
		MarkdownDescription: "The cluster as `cluster.exe` lists it: nodes, groups and resources with their owners " +
			"and states. Read-only: it runs `cluster node /status`, `cluster group /status`, " +
			"`cluster group /listowners`, `cluster resource /status` and `cluster resource /prop` (in two command lines: " +
			"the listings, then the owners of every group) on one node " +
			"whose cluster service is up, trying the configured nodes in turn unless `node` names one.",
		Attributes: map[string]schema.Attribute{
			"node": schema.StringAttribute{
				MarkdownDescription: "Read through this node only (a key of the provider's `nodes`). Default: the " +
					"first configured node, in name order, that answers and is Up.",
				Optional:   true,
				Validators: nodeValidators(),
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

func (d *clusterDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m clusterDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	via := m.Node.ValueString()
	ctx = d.cluster.logContext(ctx, "node", via)
	if d.cluster == nil || !m.Node.IsNull() {
		// Not configured, or the node named unknown: nothing is asked.
		if _, diags := d.cluster.lookup(path.Root("node"), via); diags.HasError() {
			resp.Diagnostics.Append(diags...)
			return
		}
	}
	v, err := d.cluster.ops().Read(d.cluster.sharedReads(ctx), via) // readcache.go
	var none *nodeops.NoNodeAnswered
	if errors.As(err, &none) {
		failures := make([]string, len(none.Failures))
		for i, f := range none.Failures {
			why := f.Error()
			if !errors.Is(f, nodeops.ErrNotUp) {
				why = d.cluster.stepDiag("", none.Asked[i], f).Detail()
			}
			failures[i] = fmt.Sprintf("- %s: %s", none.Asked[i], why)
		}
		resp.Diagnostics.AddError("Cannot read the cluster",
			"No configured node that is Up in the cluster answered:\n"+strings.Join(failures, "\n"))
		return
	}
	if err != nil {
		resp.Diagnostics.Append(d.cluster.stepDiag("Cannot read the cluster", v.Via, err))
		return
	}
	m.ReadThrough = types.StringValue(v.Via)
	m.Nodes, m.Groups, m.Resources = clusterModels(v.Nodes, v.Groups, v.Resources)
	tflog.Debug(ctx, "read the cluster", map[string]any{"via": v.Via, "nodes": len(m.Nodes), "groups": len(m.Groups), "resources": len(m.Resources)})
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
