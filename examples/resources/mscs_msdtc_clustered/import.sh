# Import by the rebuilt node's name; the group, virtual server and log folder
# are read from the cluster.
terraform import mscs_msdtc_clustered.node2 NODE2
