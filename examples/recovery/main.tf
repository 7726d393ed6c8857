# KB Q241573 as Terraform: bring a rebuilt node of an MSCS cluster that runs IIS
# back into service without disturbing the working node.
#
# The chain so far:
#   1. read the cluster through the working node (who owns what, RestartAction);
#   2. re-enable clustering on the rebuilt node: cluster service running and
#      automatic, node Up.
#
# Later phases slot in between and after, in the KB's order:
#   - mscs_node (data source) reads the working node's Option Pack method and
#     components, and mscs_optionpack_install reinstalls them on the rebuilt
#     node (it stops the cluster service itself, as a step of its own work);
#     the cluster service below then gets
#       lifecycle { replace_triggered_by = [mscs_optionpack_install.rebuilt] }
#     so it is started again whenever the install is redone;
#   - mscs_msdtc_clustered reclusters MSDTC;
#   - mscs_iis_metabase_sync runs IISSYNC from the working node only;
#   - mscs_iis_cluster_accounts grants the IUSR/IWAM domain accounts;
#   - mscs_failover_test moves the IIS groups over and back.

terraform {
  required_providers {
    mscs = {
      source = "mscs-ops/mscs"
    }
  }
}

provider "mscs" {
  nodes       = { for name, url in var.nodes : name => { endpoint = url } }
  username    = var.username
  password    = var.password
  ca_cert     = var.ca_cert_file == null ? null : file(var.ca_cert_file)
  reuse_shell = var.reuse_shell
}

# Step 1: the cluster as the working node sees it.
data "mscs_cluster" "before" {
  node = var.working_node
}

# Step 2 ("Re-enable clustering"): start the cluster service on the rebuilt
# node and set it back to automatic; apply waits until the node is Up.
resource "mscs_cluster_node_service" "rebuilt" {
  node         = var.rebuilt_node
  service_name = "ClusSvc"
  state        = "running"
  startup_type = "automatic"
}

output "cluster_nodes" {
  description = "Each node's state in the cluster before this apply."
  value       = { for n in data.mscs_cluster.before.nodes : n.name => n.state }
}

output "group_owners" {
  description = "Which node owns each group."
  value       = { for g in data.mscs_cluster.before.groups : g.name => g.owner_node }
}

output "rebuilt_node_state" {
  description = "The rebuilt node's state in the cluster after apply: Up."
  value       = mscs_cluster_node_service.rebuilt.cluster_node_state
}
