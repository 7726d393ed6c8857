# Read the cluster through whichever configured node is Up.
data "mscs_cluster" "this" {}

# Where every group is now, e.g. { "Cluster Group" = "NODE1", "Web Group" = "NODE1" }.
output "group_owners" {
  value = { for g in data.mscs_cluster.this.groups : g.name => g.owner_node }
}

# Resources whose "Affect the group" box is checked (RestartAction 2).
output "affect_the_group" {
  value = [for r in data.mscs_cluster.this.resources : r.name if r.restart_action == 2]
}
