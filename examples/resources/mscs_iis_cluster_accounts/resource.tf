# KB Q241573, "Configuring IIS after Installation", last item: the cluster's
# IUSR and IWAM domain accounts get their rights, groups and DCOM permissions
# on the rebuilt node. Without iusr_account / iwam_account, the working
# node's metabase names them.
resource "mscs_iis_cluster_accounts" "node2" {
  node         = "NODE2"
  working_node = "NODE1"

  iusr_account = "LAB\\IUSR_CLUSTER"
  iwam_account = "LAB\\IWAM_CLUSTER"
}

output "grants" {
  value = mscs_iis_cluster_accounts.node2.grants
}
