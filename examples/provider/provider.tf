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
# The service principal is HTTP/<host>: a node reached by its DNS name needs
# nothing more; one reached by an address (or an alias) names its principal
# with spn. Over HTTPS the ticket is bound to the node's certificate (hosts with
# CbtHardeningLevel=Strict require it); over plain HTTP every message is
# sealed with the Kerberos session key (AllowUnencrypted=false hosts).
provider "mscs" {
  alias = "kerberos"
  nodes = {
    NODE1 = { endpoint = "https://node1.lab.example:5986/wsman" }
    NODE2 = { endpoint = "http://10.0.0.12:5985/wsman", spn = "HTTP/node2.lab.example" }
  }
  auth     = "kerberos"
  username = "Administrator"
  realm    = "LAB.EXAMPLE"
  kdc      = ["dc1.lab.example:88"]
  keytab   = "${path.module}/administrator.keytab"
  ca_cert  = file("${path.module}/lab-ca.pem")
}
