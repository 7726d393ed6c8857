# mscs_iis_metabase_sync alone, for the metabase tests; the variables point
# the provider at the test's lab (testLab.variables) and set the phase.
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

variable "source_node" {
  type    = string
  default = "NODE1"
}
variable "target_node" {
  type    = string
  default = "NODE2"
}
variable "replication_share" {
  type    = string
  default = "C$"
}
variable "remote_server_name" {
  type    = string
  default = null
}
variable "accept_loss" {
  type    = set(string)
  default = null
}

provider "mscs" {
  nodes    = { for name, url in var.nodes : name => { endpoint = url } }
  username = var.username
  password = var.password
  ca_cert  = var.ca_cert_file == null ? null : file(var.ca_cert_file)
}

resource "mscs_iis_metabase_sync" "test" {
  source_node        = var.source_node
  target_node        = var.target_node
  replication_share  = var.replication_share
  remote_server_name = var.remote_server_name
  accept_loss        = var.accept_loss
}
