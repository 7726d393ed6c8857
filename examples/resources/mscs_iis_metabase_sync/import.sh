# Import by SOURCE/TARGET: the working node, then the rebuilt node.
terraform import mscs_iis_metabase_sync.node2 NODE1/NODE2
