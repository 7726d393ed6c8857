# mscs_failover_test alone, for the failover tests; the variables point the
# provider at the test's lab (testLab.variables) and name the site to check.
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

variable "site_url" { type = string }
variable "groups" {
  type    = list(string)
  default = null
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

resource "mscs_failover_test" "test" {
  triggers = var.tied ? { earlier = terraform_data.earlier[0].id } : null

  node   = "NODE2"
  groups = var.groups

  http_checks = [{
    url           = var.site_url
    expected_body = "WEBVS"
  }]
}
