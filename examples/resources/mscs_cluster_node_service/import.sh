# Import a node's service by NODE/service.
terraform import mscs_cluster_node_service.node2 NODE2/ClusSvc
