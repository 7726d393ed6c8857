# The working node: what the rebuilt node's Option Pack install copies.
data "mscs_node" "node1" {
  node = "NODE1"
}

output "node1_install" {
  value = {
    service_pack = data.mscs_node.node1.service_pack   # "4"
    method       = data.mscs_node.node1.install_method # "custom"
    components   = data.mscs_node.node1.components
  }
}

# Each service's state and startup type, e.g. { ClusSvc = "running/automatic", ... }.
output "node1_services" {
  value = { for s in data.mscs_node.node1.services : s.name => s.exists ? "${s.state}/${s.startup_type}" : "absent" }
}
