# mscs_msdtc_clustered alone, for the MSDTC tests; the variables point the
# provider at the test's lab (testLab.variables) and set the phase.
variable "nodes" { type = map(string) }
variable "username" { type = string }
variable "password" {
  type      = string
  sensitive = true
}
variable "ca_cert_file" {
  type    = string
  default = null
}

variable "node" {
  type    = string
  default = "NODE2"
}
variable "working_node" {
  type    = string
  default = null
}
variable "group" {
  type    = string
  default = null
}
variable "network_name" {
  type    = string
  default = null
}
variable "log_path" {
  type    = string
  default = null
}
variable "method" {
  type    = string
  default = "manual"
}
variable "dtcsetup_path" {
  type    = string
  default = null
}
variable "reinstall" {
  type    = string
  default = "when_needed"
}

provider "mscs" {
  nodes    = { for name, url in var.nodes : name => { endpoint = url } }
  username = var.username
  password = var.password
  ca_cert  = var.ca_cert_file == null ? null : file(var.ca_cert_file)
}

resource "mscs_msdtc_clustered" "test" {
  node          = var.node
  working_node  = var.working_node
  group         = var.group
  network_name  = var.network_name
  log_path      = var.log_path
  method        = var.method
  dtcsetup_path = var.dtcsetup_path
  reinstall     = var.reinstall
}
