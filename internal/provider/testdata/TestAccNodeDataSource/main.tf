# mscs_node of the working node and of the rebuilt node; the variables point
# the provider at the test's lab (testLab.variables).
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

provider "mscs" {
  nodes    = { for name, url in var.nodes : name => { endpoint = url } }
  username = var.username
  password = var.password
  ca_cert  = var.ca_cert_file == null ? null : file(var.ca_cert_file)
}

data "mscs_node" "working" {
  node = "NODE1"
}

data "mscs_node" "rebuilt" {
  node = "NODE2"
}
