terraform {
  required_providers {
    mscs = {
      source = "mscs-ops/mscs"
    }
  }
}

# The two nodes of the cluster, reached over WinRM on HTTPS with NTLM.
# Credentials come from MSCS_USERNAME / MSCS_PASSWORD when not set here.
provider "mscs" {
  nodes = {
    NODE1 = { endpoint = "https://node1.lab.example:5986/wsman" }
    NODE2 = { endpoint = "https://node2.lab.example:5986/wsman" }
  }
  username = "LAB\\Administrator"
  ca_cert  = file("${path.module}/lab-ca.pem")
}

# A node behind a different port, with its own account and Basic auth over HTTPS.
provider "mscs" {
  alias = "mixed"
  nodes = {
    NODE1 = { host = "10.0.0.11" }
    NODE2 = {
      host     = "10.0.0.12"
      port     = 15986
      auth     = "basic"
      username = "NODE2\\Administrator"
    }
  }
  https             = true
  operation_timeout = "90s"
}

# A domain that restricts NTLM: Kerberos, with a ticket from the domain's KDCs.
# The credential is the password of username (MSCS_PASSWORD), a keytab, or the
# credential cache of `kinit Administrator@LAB.EXAMPLE` (KRB5CCNAME, or ccache).
# The nodes are named by their DNS names: the service principal is HTTP/<host>.
provider "mscs" {
  alias = "kerberos"
  nodes = {
    NODE1 = { endpoint = "https://node1.lab.example:5986/wsman" }
    NODE2 = { endpoint = "http://node2.lab.example:5985/wsman" } # sealed with Kerberos
  }
  auth     = "kerberos"
  username = "Administrator"
  realm    = "LAB.EXAMPLE"
  kdc      = ["dc1.lab.example:88"]
  keytab   = "${path.module}/administrator.keytab"
  ca_cert  = file("${path.module}/lab-ca.pem")
}
