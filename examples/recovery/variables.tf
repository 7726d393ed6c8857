variable "nodes" {
  description = "WinRM endpoint of each cluster node, by NetBIOS name, e.g. { NODE1 = \"https://node1:5986/wsman\", NODE2 = \"https://node2:5986/wsman\" }."
  type        = map(string)
}

variable "username" {
  description = "Administrator account on the nodes, e.g. LAB\\Administrator. Null: MSCS_USERNAME."
  type        = string
  default     = null
}

variable "password" {
  description = "Its password. Null: MSCS_PASSWORD."
  type        = string
  default     = null
  sensitive   = true
}

variable "ca_cert_file" {
  description = "PEM file of the CA that signed the nodes' HTTPS certificates. Null: the system's roots."
  type        = string
  default     = null
}

variable "working_node" {
  description = "The surviving node, which keeps serving while the other is rebuilt."
  type        = string
  default     = "NODE1"
}

variable "rebuilt_node" {
  description = "The node being brought back into service."
  type        = string
  default     = "NODE2"
}

variable "reuse_shell" {
  description = "Keep one remote shell per node open across commands (the provider's default)."
  type        = bool
  default     = true
}
