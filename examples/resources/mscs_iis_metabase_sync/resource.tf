# KB Q241573, "Configuring IIS after Installation": MTS replication on both
# nodes, then IISSYNC NODE2 on NODE1 (the working node), never the other way
# round.
resource "mscs_iis_metabase_sync" "node2" {
  source_node = "NODE1"
  target_node = "NODE2"

  replication_share = "C$"

  # IISSYNC deletes on the target every site and MTS package the source
  # lacks; the plan names each and refuses it unless listed here, e.g.
  # accept_loss = ["Payroll"]
}

output "synced" {
  value = mscs_iis_metabase_sync.node2.matched
}
