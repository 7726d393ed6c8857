# KB Q241573, "re-enable clustering": once NODE2 is rebuilt, start its cluster
# service and set it back to automatic so the node rejoins the cluster.
resource "mscs_cluster_node_service" "node2" {
  node         = "NODE2"
  service_name = "ClusSvc"
  state        = "running"
  startup_type = "automatic"

  timeouts = {
    create = "15m"
  }
}

output "node2_cluster_state" {
  value = mscs_cluster_node_service.node2.cluster_node_state # "Up"
}
