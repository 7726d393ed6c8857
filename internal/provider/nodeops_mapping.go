package provider

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mscs-ops/terraform-provider-mscs/internal/nodeops"
)

// Translations between the schema's words and nodeops' types.

func startTypeFor(s string) nodeops.StartType {
	switch s {
	case "automatic":
		return nodeops.StartAutomatic
	case "disabled":
		return nodeops.StartDisabled
	}
	return nodeops.StartManual
}

func startTypeName(t nodeops.StartType) string {
	switch t {
	case nodeops.StartAutomatic:
		return "automatic"
	case nodeops.StartManual:
		return "manual"
	case nodeops.StartDisabled:
		return "disabled"
	}
	return strings.ToLower(string(t))
}

func serviceStateFor(s string) nodeops.ServiceState {
	if s == "running" {
		return nodeops.StateRunning
	}
	return nodeops.StateStopped
}

// stateName maps a service state to the schema's words; a pending state
// counts as the state it is heading for, so a service that is starting is
// not drift from "running".
func stateName(s nodeops.ServiceState) string {
	return strings.ToLower(string(nodeops.Settled(s)))
}

func asStepError(err error, target **nodeops.StepError) bool { return errors.As(err, target) }

// clusterModels maps the listings to the data source's lists, sorted by name
// so that a plan does not change with the order cluster.exe prints in.
func clusterModels(nodes []nodeops.ClusterNode, groups []nodeops.ClusterGroup, resources []nodeops.ClusterResource) ([]clusterNodeModel, []clusterGroupModel, []clusterResourceModel) {
	nm := make([]clusterNodeModel, 0, len(nodes))
	for _, n := range nodes {
		nm = append(nm, clusterNodeModel{Name: types.StringValue(n.Name), ID: types.Int64Value(int64(n.ID)), State: types.StringValue(n.State)})
	}
	slices.SortFunc(nm, func(a, b clusterNodeModel) int { return cmp.Compare(a.Name.ValueString(), b.Name.ValueString()) })

	gm := make([]clusterGroupModel, 0, len(groups))
	for _, g := range groups {
		owners := make([]attr.Value, 0, len(g.PreferredOwners))
		for _, o := range g.PreferredOwners {
			owners = append(owners, types.StringValue(o))
		}
		gm = append(gm, clusterGroupModel{
			Name: types.StringValue(g.Name), OwnerNode: types.StringValue(g.OwnerNode), State: types.StringValue(g.State),
			PreferredOwners: types.ListValueMust(types.StringType, owners),
		})
	}
	slices.SortFunc(gm, func(a, b clusterGroupModel) int { return cmp.Compare(a.Name.ValueString(), b.Name.ValueString()) })

	rm := make([]clusterResourceModel, 0, len(resources))
	for _, r := range resources {
		rm = append(rm, clusterResourceModel{
			Name: types.StringValue(r.Name), Group: types.StringValue(r.Group), Type: types.StringValue(r.Type),
			OwnerNode: types.StringValue(r.OwnerNode), State: types.StringValue(r.State),
			RestartAction: types.Int64Value(int64(r.RestartAction)),
		})
	}
	slices.SortFunc(rm, func(a, b clusterResourceModel) int { return cmp.Compare(a.Name.ValueString(), b.Name.ValueString()) })
	return nm, gm, rm
}

// nodeInfoModel maps what nodeops read about a node to the mscs_node data
// source. Components are never null, so `components` can be copied into a
// resource whether or not the Option Pack is there.
func nodeInfoModel(ctx context.Context, m *nodeDataSourceModel, info nodeops.NodeInfo) diag.Diagnostics {
	components := info.OptionPack.Components
	if components == nil {
		components = []string{}
	}
	set, diags := types.SetValueFrom(ctx, types.StringType, components)
	m.ComputerName = types.StringValue(info.Name)
	m.OSVersion = types.StringValue(info.OSVersion)
	m.Build = types.StringValue(info.Build)
	m.CSDVersion = types.StringValue(info.CSDVersion)
	m.ServicePack = types.StringValue(info.ServicePack)
	m.OptionPackInstalled = types.BoolValue(info.OptionPack.Installed)
	m.InstallMethod = types.StringValue(info.OptionPack.Method)
	m.Components = set
	m.PendingReboot = types.BoolValue(info.OptionPack.PendingReboot)
	m.Services = make([]nodeServiceModel, 0, len(info.Services))
	for _, s := range info.Services {
		sm := nodeServiceModel{Name: types.StringValue(s.Name), Exists: types.BoolValue(s.Exists),
			DisplayName: types.StringValue(""), State: types.StringValue(""), StartupType: types.StringValue("")}
		if s.Exists {
			sm.DisplayName = types.StringValue(s.DisplayName)
			sm.State = types.StringValue(stateName(s.State))
			sm.StartupType = types.StringValue(startTypeName(s.StartType))
		}
		m.Services = append(m.Services, sm)
	}
	return diags
}
