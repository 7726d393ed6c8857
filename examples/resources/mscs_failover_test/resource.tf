# KB Q241573's last step: move the IIS groups to the rebuilt node, test the
# web sites from this machine, move them back to their preferred owners, and
# turn "Affect the group" back on.
resource "mscs_failover_test" "node2" {
  node = "NODE2"

  http_checks = [{
    url           = "http://webvs/"
    expected_body = "WEBVS"
  }]

  # Run the test again whenever an earlier phase is redone, e.g. with
  # accounts = mscs_iis_cluster_accounts.node2.id (examples/recovery does).
  triggers = {
    rebuilt = "2026-11"
  }
}

output "seen_online" {
  value = mscs_failover_test.node2.seen_online
}
