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

# tied: the phase names an earlier resource of the same apply in triggers,
# whose id is unknown in the first plan (as examples/recovery ties each
# phase to the ones before it).
variable "tied" {
  type    = bool
  default = false
}

resource "terraform_data" "earlier" {
  count = var.tied ? 1 : 0
  input = "an earlier phase"
}

provider "mscs" {
  nodes    = { for name, url in var.nodes : name => { endpoint = url } }
  username = var.username
  password = var.password
  ca_cert  = var.ca_cert_file == null ? null : file(var.ca_cert_file)
}

resource "mscs_msdtc_clustered" "test" {
  triggers = var.tied ? { earlier = terraform_data.earlier[0].id } : null

  node          = var.node
  working_node  = var.working_node
  group         = var.group
  network_name  = var.network_name
  log_path      = var.log_path
  method        = var.method
  dtcsetup_path = var.dtcsetup_path
  reinstall     = var.reinstall
}
