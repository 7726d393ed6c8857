# KB Q241573, "Reclustering IIS 4.0": after NODE2 rejoined the cluster, test
# MSDTC there and, if it does not come online, reinstall it clustered on both
# nodes. NODE1 kept serving; the group holding MSDTC, its virtual server and
# the log folder on its shared disk are read from the cluster.
resource "mscs_msdtc_clustered" "node2" {
  node         = "NODE2"
  working_node = "NODE1"

  # Optional: the dtcsetup.exe method (SP4 and later), with the file copied
  # to the same folder on both nodes.
  # method        = "dtcsetup"
  # dtcsetup_path = "C:\\TEMP\\DTC\\dtcsetup.exe"

  timeouts = {
    create = "30m"
  }
}

output "msdtc_reinstalled" {
  value = mscs_msdtc_clustered.node2.reinstalled
}
