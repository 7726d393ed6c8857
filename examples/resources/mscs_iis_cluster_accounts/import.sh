# Import by the rebuilt node's name; the accounts are read from the working
# node's metabase.
terraform import mscs_iis_cluster_accounts.node2 NODE2
