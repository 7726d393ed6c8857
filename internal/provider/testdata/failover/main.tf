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

provider "mscs" {
  nodes    = { for name, url in var.nodes : name => { endpoint = url } }
  username = var.username
  password = var.password
  ca_cert  = var.ca_cert_file == null ? null : file(var.ca_cert_file)
}

resource "mscs_failover_test" "test" {
  node   = "NODE2"
  groups = var.groups

  http_checks = [{
    url           = var.site_url
    expected_body = "WEBVS"
  }]
}
