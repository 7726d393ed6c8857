# mscs_iis_cluster_accounts alone, for the accounts tests; the variables point
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

variable "iusr_account" {
  type    = string
  default = null
}
variable "iwam_account" {
  type    = string
  default = null
}
variable "impersonators_group" {
  type    = string
  default = null
}
variable "revoke_on_destroy" {
  type    = bool
  default = false
}

provider "mscs" {
  nodes    = { for name, url in var.nodes : name => { endpoint = url } }
  username = var.username
  password = var.password
  ca_cert  = var.ca_cert_file == null ? null : file(var.ca_cert_file)
}

resource "mscs_iis_cluster_accounts" "test" {
  node                = "NODE2"
  iusr_account        = var.iusr_account
  iwam_account        = var.iwam_account
  impersonators_group = var.impersonators_group
  revoke_on_destroy   = var.revoke_on_destroy
}
