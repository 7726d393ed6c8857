# Import by the rebuilt node's name; the groups and their final owners are
# read from the cluster (the checks and triggers are configuration only).
terraform import mscs_failover_test.node2 NODE2
