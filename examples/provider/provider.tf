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
