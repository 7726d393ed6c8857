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

variable "setup_path" {
  description = "Option Pack server setup on the rebuilt node (the CD's NTOPTPAK\\EN\\X86\\WINNT.SRV folder copied to a local drive)."
  type        = string
  default     = "C:\\NTOPTPAK\\EN\\X86\\WINNT.SRV\\setup.exe"
}

variable "service_pack_path" {
  description = "The working node's service pack installer on the rebuilt node (an extracted update.exe or spNi386.exe)."
  type        = string
  default     = "C:\\SP4\\I386\\UPDATE\\update.exe"
}

variable "reboot_timeout" {
  description = "How long one reboot of the rebuilt node may take."
  type        = string
  default     = "20m"
}

variable "install_timeout" {
  description = "How long the whole Option Pack install may take (two to four reboots)."
  type        = string
  default     = "90m"
}

variable "web_urls" {
  description = "URLs of the cluster's web sites, checked from this machine while the IIS groups run on the rebuilt node (the failover test), e.g. [\"http://webvs/\"]. Empty: the groups are moved and seen online, without HTTP checks."
  type        = list(string)
  default     = []
}
