package provider

// The models: each resource's and data source's state as the framework
// decodes it (tfsdk tags name the schema's attributes), all in one file as
// terraform-provider-tls keeps them, so that what every phase shares
// (phaseModel) and what each adds read side by side.

import (
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// providerModel is the provider block. Connection settings at the top level
// apply to every node unless the node's own block overrides them.
type providerModel struct {
	Nodes            types.Map    `tfsdk:"nodes"`
	ClusterName      types.String `tfsdk:"cluster_name"`
	Username         types.String `tfsdk:"username"`
	Password         types.String `tfsdk:"password"`
	Auth             types.String `tfsdk:"auth"`
	Realm            types.String `tfsdk:"realm"`
	Krb5Conf         types.String `tfsdk:"krb5_conf"`
	KDC              types.List   `tfsdk:"kdc"`
	Keytab           types.String `tfsdk:"keytab"`
	CCache           types.String `tfsdk:"ccache"`
	HTTPS            types.Bool   `tfsdk:"https"`
	Insecure         types.Bool   `tfsdk:"insecure"`
	CACert           types.String `tfsdk:"ca_cert"`
	TLSServerName    types.String `tfsdk:"tls_server_name"`
	AllowUnencrypted types.Bool   `tfsdk:"allow_unencrypted"`
	OperationTimeout types.String `tfsdk:"operation_timeout"`
	MaxShellsPerNode types.Int64  `tfsdk:"max_shells_per_node"`
	ReuseShell       types.Bool   `tfsdk:"reuse_shell"`
	PollIntervalMax  types.String `tfsdk:"poll_interval_max"`
}

// nodeModel is one entry of nodes: where the node is and what it overrides.
type nodeModel struct {
	Endpoint         types.String `tfsdk:"endpoint"`
	Host             types.String `tfsdk:"host"`
	Port             types.Int64  `tfsdk:"port"`
	HTTPS            types.Bool   `tfsdk:"https"`
	Username         types.String `tfsdk:"username"`
	Password         types.String `tfsdk:"password"`
	Auth             types.String `tfsdk:"auth"`
	Realm            types.String `tfsdk:"realm"`
	Krb5Conf         types.String `tfsdk:"krb5_conf"`
	KDC              types.List   `tfsdk:"kdc"`
	Keytab           types.String `tfsdk:"keytab"`
	CCache           types.String `tfsdk:"ccache"`
	SPN              types.String `tfsdk:"spn"`
	Insecure         types.Bool   `tfsdk:"insecure"`
	CACert           types.String `tfsdk:"ca_cert"`
	TLSServerName    types.String `tfsdk:"tls_server_name"`
	AllowUnencrypted types.Bool   `tfsdk:"allow_unencrypted"`
	OperationTimeout types.String `tfsdk:"operation_timeout"`
}

// phaseModel is embedded by every phase resource's model: the attributes
// every phase has, which the plumbing reaches through phase().
type phaseModel struct {
	ID       types.String   `tfsdk:"id"`
	Steps    types.List     `tfsdk:"steps"`
	RanSteps types.List     `tfsdk:"ran_steps"`
	Triggers types.Map      `tfsdk:"triggers"`
	Timeouts timeouts.Value `tfsdk:"timeouts"`
}

// clusterNodeServiceModel is mscs_cluster_node_service: a service on one
// node, by default the cluster service.
type clusterNodeServiceModel struct {
	phaseModel
	Node             types.String `tfsdk:"node"`
	ServiceName      types.String `tfsdk:"service_name"`
	State            types.String `tfsdk:"state"`
	StartupType      types.String `tfsdk:"startup_type"`
	ClusterNodeState types.String `tfsdk:"cluster_node_state"`
	AllowOutage      types.Bool   `tfsdk:"allow_cluster_outage"`
}

// optionpackInstallModel is mscs_optionpack_install: the Option Pack and
// the service pack on the rebuilt node.
type optionpackInstallModel struct {
	phaseModel
	Node                types.String `tfsdk:"node"`
	InstallMethod       types.String `tfsdk:"install_method"`
	Components          types.Set    `tfsdk:"components"`
	ServicePack         types.String `tfsdk:"service_pack"`
	SetupPath           types.String `tfsdk:"setup_path"`
	ServicePackPath     types.String `tfsdk:"service_pack_path"`
	WorkingNode         types.String `tfsdk:"working_node"`
	UninstallOnDestroy  types.Bool   `tfsdk:"uninstall_on_destroy"`
	AllowOutage         types.Bool   `tfsdk:"allow_cluster_outage"`
	RebootTimeout       types.String `tfsdk:"reboot_timeout"`
	InstalledComponents types.Set    `tfsdk:"installed_components"`
	CSDVersion          types.String `tfsdk:"csd_version"`
	Reinstall           types.String `tfsdk:"reinstall"`
	Adopted             types.Bool   `tfsdk:"adopted"`
}

// msdtcClusteredModel is mscs_msdtc_clustered: MSDTC reclustered.
type msdtcClusteredModel struct {
	phaseModel
	Node           types.String `tfsdk:"node"`
	WorkingNode    types.String `tfsdk:"working_node"`
	Group          types.String `tfsdk:"group"`
	NetworkName    types.String `tfsdk:"network_name"`
	LogPath        types.String `tfsdk:"log_path"`
	Method         types.String `tfsdk:"method"`
	DTCSetupPath   types.String `tfsdk:"dtcsetup_path"`
	Reinstall      types.String `tfsdk:"reinstall"`
	Reinstalled    types.Bool   `tfsdk:"reinstalled"`
	OnlineOn       types.List   `tfsdk:"online_on"`
	ResourceName   types.String `tfsdk:"resource_name"`
	ClusteredNodes types.List   `tfsdk:"clustered_nodes"`
}

// metabaseSyncModel is mscs_iis_metabase_sync: the metabase copied with IISSYNC.
type metabaseSyncModel struct {
	phaseModel
	SourceNode       types.String `tfsdk:"source_node"`
	TargetNode       types.String `tfsdk:"target_node"`
	ReplicationShare types.String `tfsdk:"replication_share"`
	RemoteServerName types.String `tfsdk:"remote_server_name"`
	AcceptLoss       types.Set    `tfsdk:"accept_loss"`
	Status           types.Int64  `tfsdk:"status"`
	Matched          types.List   `tfsdk:"matched"`
	Differences      types.List   `tfsdk:"differences"`
}

// clusterAccountsModel is mscs_iis_cluster_accounts: the IUSR and IWAM grants.
type clusterAccountsModel struct {
	phaseModel
	Node               types.String `tfsdk:"node"`
	WorkingNode        types.String `tfsdk:"working_node"`
	IUSRAccount        types.String `tfsdk:"iusr_account"`
	IWAMAccount        types.String `tfsdk:"iwam_account"`
	ImpersonatorsGroup types.String `tfsdk:"impersonators_group"`
	RevokeOnDestroy    types.Bool   `tfsdk:"revoke_on_destroy"`
	Grants             types.Map    `tfsdk:"grants"`
	Missing            types.List   `tfsdk:"missing"`
}

// failoverTestModel is mscs_failover_test: the KB's failover test.
type failoverTestModel struct {
	phaseModel
	Node                  types.String `tfsdk:"node"`
	Groups                types.List   `tfsdk:"groups"`
	FinalOwner            types.Map    `tfsdk:"final_owner"`
	HTTPChecks            types.List   `tfsdk:"http_checks"`
	RestoreAffectTheGroup types.Bool   `tfsdk:"restore_affect_the_group"`
	SeenOnline            types.Map    `tfsdk:"seen_online"`
	CheckResults          types.List   `tfsdk:"check_results"`
	Differences           types.List   `tfsdk:"differences"`
}

// httpCheckModel is one of failoverTestModel's http_checks.
type httpCheckModel struct {
	URL            types.String `tfsdk:"url"`
	ExpectedStatus types.Int64  `tfsdk:"expected_status"`
	ExpectedBody   types.String `tfsdk:"expected_body"`
}

// clusterDataSourceModel is data source mscs_cluster: the cluster as one
// node's cluster.exe lists it.
type clusterDataSourceModel struct {
	Node        types.String           `tfsdk:"node"`
	ReadThrough types.String           `tfsdk:"read_through"`
	Nodes       []clusterNodeModel     `tfsdk:"nodes"`
	Groups      []clusterGroupModel    `tfsdk:"groups"`
	Resources   []clusterResourceModel `tfsdk:"resources"`
}

// clusterNodeModel is one of clusterDataSourceModel's nodes.
type clusterNodeModel struct {
	Name  types.String `tfsdk:"name"`
	ID    types.Int64  `tfsdk:"id"`
	State types.String `tfsdk:"state"`
}

// clusterGroupModel is one of clusterDataSourceModel's groups.
type clusterGroupModel struct {
	Name            types.String `tfsdk:"name"`
	OwnerNode       types.String `tfsdk:"owner_node"`
	State           types.String `tfsdk:"state"`
	PreferredOwners types.List   `tfsdk:"preferred_owners"`
}

// clusterResourceModel is one of clusterDataSourceModel's resources.
type clusterResourceModel struct {
	Name          types.String `tfsdk:"name"`
	Group         types.String `tfsdk:"group"`
	Type          types.String `tfsdk:"type"`
	OwnerNode     types.String `tfsdk:"owner_node"`
	State         types.String `tfsdk:"state"`
	RestartAction types.Int64  `tfsdk:"restart_action"`
}

// nodeDataSourceModel is data source mscs_node: what one node has
// installed and runs.
type nodeDataSourceModel struct {
	Node                types.String       `tfsdk:"node"`
	ComputerName        types.String       `tfsdk:"computer_name"`
	OSVersion           types.String       `tfsdk:"os_version"`
	Build               types.String       `tfsdk:"build"`
	CSDVersion          types.String       `tfsdk:"csd_version"`
	ServicePack         types.String       `tfsdk:"service_pack"`
	OptionPackInstalled types.Bool         `tfsdk:"option_pack_installed"`
	InstallMethod       types.String       `tfsdk:"install_method"`
	Components          types.Set          `tfsdk:"components"`
	PendingReboot       types.Bool         `tfsdk:"pending_reboot"`
	Services            []nodeServiceModel `tfsdk:"services"`
}

// nodeServiceModel is one of nodeDataSourceModel's services.
type nodeServiceModel struct {
	Name        types.String `tfsdk:"name"`
	DisplayName types.String `tfsdk:"display_name"`
	State       types.String `tfsdk:"state"`
	StartupType types.String `tfsdk:"startup_type"`
	Exists      types.Bool   `tfsdk:"exists"`
}
