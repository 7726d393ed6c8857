# KB Q241573 as Terraform: bring a rebuilt node of an MSCS cluster that runs IIS
# back into service without disturbing the working node.
#
# The chain, in the KB's order:
#   1. read the cluster through the working node (who owns what, RestartAction)
#      and the working node itself (service pack, Option Pack method and
#      components);
#   2. reinstall the Option Pack on the rebuilt node exactly as the working
#      node has it: cluster service stopped and manual, Remove All first if an
#      installation is there (corrupted IIS), setup, reboot, service pack,
#      reboot;
#   3. re-enable clustering on the rebuilt node: cluster service running and
#      automatic, node Up; redone whenever the install is redone;
#   4. recluster MSDTC: the KB's test on the rebuilt node (the group moved
#      there with "Affect the group" off, and back), and when MSDTC does not
#      come online there, its reinstall clustered on both nodes;
#   5. sync the IIS metabase and the MTS packages: MTS replication set on
#      both nodes, IISSYNC run on the working node only;
#   6. the IUSR and IWAM domain accounts' grants on the rebuilt node;
#   7. the failover test: the IIS groups moved to the rebuilt node, the web
#      sites checked there, the groups moved back, "Affect the group" on.

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

# The working node's installation: the template for the rebuilt node.
data "mscs_node" "working" {
  node = var.working_node
}

# Step 2 ("Steps to Reinstall IIS 4.0 onto a Single Node of a Cluster"): the
# same install method and components as the working node, its service pack
# re-applied. The install stops the rebuilt node's cluster service itself and
# leaves it stopped and manual; step 3 starts it again.
resource "mscs_optionpack_install" "rebuilt" {
  node              = var.rebuilt_node
  working_node      = var.working_node
  install_method    = data.mscs_node.working.install_method
  components        = data.mscs_node.working.components
  service_pack      = data.mscs_node.working.service_pack
  setup_path        = var.setup_path
  service_pack_path = var.service_pack_path
  reboot_timeout    = var.reboot_timeout

  timeouts = {
    create = var.install_timeout
  }
}

# Each phase after the install names the ids of the phases before it in
# `triggers`. Two things follow from that:
#   - a phase runs again whenever an earlier one is redone: a node rebuilt
#     again plans the install as a create (the Option Pack is gone from it),
#     and a phase that is created or replaced has an id unknown in the plan,
#     so every later phase's triggers change and it is replaced too;
#   - a phase whose triggers are unknown in the plan knows that an earlier
#     phase of the same apply runs first (the install stops the rebuilt
#     node's cluster service, step 3 starts it again): it does not judge the
#     nodes as they are now, but makes those checks at apply, before its
#     first change, and its `steps` begin with them. So after a failure at
#     any step, `terraform apply`, unchanged, finishes the recovery.
# A setting of a phase changed in place (a timeout, a path) keeps its id
# and redoes nothing.

# Step 3 ("Re-enable clustering"): start the cluster service on the rebuilt
# node and set it back to automatic; apply waits until the node is Up.
resource "mscs_cluster_node_service" "rebuilt" {
  node         = var.rebuilt_node
  service_name = "ClusSvc"
  state        = "running"
  startup_type = "automatic"

  triggers = {
    install = mscs_optionpack_install.rebuilt.id
  }
}

# Step 4 ("Reclustering IIS 4.0"): both nodes must be Up, which step 3 makes
# true; the plan checks it at apply when step 3 runs in the same apply.
resource "mscs_msdtc_clustered" "rebuilt" {
  node         = var.rebuilt_node
  working_node = var.working_node

  triggers = {
    install = mscs_optionpack_install.rebuilt.id
    service = mscs_cluster_node_service.rebuilt.id
  }
}

# Step 5 ("Configuring IIS after Installation", first two items): IISSYNC from
# the working node to the rebuilt node, never the other way round.
resource "mscs_iis_metabase_sync" "rebuilt" {
  source_node = var.working_node
  target_node = var.rebuilt_node

  triggers = {
    install = mscs_optionpack_install.rebuilt.id
    service = mscs_cluster_node_service.rebuilt.id
    msdtc   = mscs_msdtc_clustered.rebuilt.id
  }
}

# Step 6 ("Configuring IIS after Installation", last item): the accounts the
# working node's metabase names (IUSR_CLUSTER, IWAM_CLUSTER) get their rights,
# groups and DCOM permissions on the rebuilt node; only what is missing.
resource "mscs_iis_cluster_accounts" "rebuilt" {
  node         = var.rebuilt_node
  working_node = var.working_node

  triggers = {
    install  = mscs_optionpack_install.rebuilt.id
    service  = mscs_cluster_node_service.rebuilt.id
    msdtc    = mscs_msdtc_clustered.rebuilt.id
    metabase = mscs_iis_metabase_sync.rebuilt.id
  }
}

# Step 7 (the KB's end): move the IIS groups to the rebuilt node, test the web
# sites, move them to their preferred owners, "Affect the group" back on.
# Before anything moves it checks that the rebuilt node has the Option Pack as
# the working node has it, with its IIS services healthy.
resource "mscs_failover_test" "rebuilt" {
  node        = var.rebuilt_node
  http_checks = [for u in var.web_urls : { url = u }]

  triggers = {
    install  = mscs_optionpack_install.rebuilt.id
    service  = mscs_cluster_node_service.rebuilt.id
    msdtc    = mscs_msdtc_clustered.rebuilt.id
    metabase = mscs_iis_metabase_sync.rebuilt.id
    accounts = mscs_iis_cluster_accounts.rebuilt.id
  }
}

# Every output comes from what the recovery recorded in state, never from the
# cluster as a data source reads it at each plan: the recovery moves groups
# and brings the rebuilt node Up, so such an output would differ after every
# recovery and the plan after it would not be empty (`terraform plan
# -detailed-exitcode` exiting 2). The data sources feed the phases only.

output "group_owners" {
  description = "Where the failover test left each IIS group: its preferred owner, unless final_owner says otherwise."
  value       = mscs_failover_test.rebuilt.final_owner
}

output "working_node_install" {
  description = "The installation copied from the working node."
  value = {
    method       = data.mscs_node.working.install_method
    components   = data.mscs_node.working.components
    service_pack = data.mscs_node.working.service_pack
  }
}

output "rebuilt_node_components" {
  description = "The Option Pack components installed on the rebuilt node after apply."
  value       = mscs_optionpack_install.rebuilt.installed_components
}

output "msdtc" {
  description = "Whether MSDTC was reinstalled, and the nodes it was seen online on."
  value = {
    reinstalled = mscs_msdtc_clustered.rebuilt.reinstalled
    online_on   = mscs_msdtc_clustered.rebuilt.online_on
  }
}

output "metabase_synced" {
  description = "The server instances and MTS packages both nodes agree on after IISSYNC."
  value       = mscs_iis_metabase_sync.rebuilt.matched
}

output "account_grants" {
  description = "The grants of the IUSR and IWAM accounts on the rebuilt node."
  value       = mscs_iis_cluster_accounts.rebuilt.grants
}

output "failover_test" {
  description = "Where each IIS group was seen online, and each web check's result."
  value = {
    seen_online = mscs_failover_test.rebuilt.seen_online
    web_checks  = mscs_failover_test.rebuilt.check_results
  }
}

output "rebuilt_node_state" {
  description = "The rebuilt node's state in the cluster after apply: Up."
  value       = mscs_cluster_node_service.rebuilt.cluster_node_state
}
