# KB Q241573: reinstall IIS 4.0 (Windows NT 4.0 Option Pack) on NODE2 exactly
# as NODE1, the working node, has it, and re-apply NODE1's service pack.
data "mscs_node" "node1" {
  node = "NODE1"
}

resource "mscs_optionpack_install" "node2" {
  node           = "NODE2"
  install_method = data.mscs_node.node1.install_method # minimal | typical | custom
  components     = data.mscs_node.node1.components
  service_pack   = data.mscs_node.node1.service_pack # e.g. "4"

  setup_path        = "C:\\NTOPTPAK\\EN\\X86\\WINNT.SRV\\setup.exe"
  service_pack_path = "C:\\SP4\\I386\\UPDATE\\update.exe"

  # The plan is refused if method or components differ from this node's.
  working_node = "NODE1"

  reboot_timeout = "20m"
  timeouts = {
    create = "2h"
  }
}

output "node2_components" {
  value = mscs_optionpack_install.node2.installed_components
}
