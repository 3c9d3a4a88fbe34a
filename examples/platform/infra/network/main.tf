# A stand-in for a real network module: terraform_data is built into OpenTofu, so this applies
# with no provider download and no cloud account, yet it has real state, plans and destroys.
variable "cidr" {
  type        = string
  description = "The network's address range."
}

variable "release" {
  type    = string
  default = "unversioned"
}

resource "terraform_data" "network" {
  input = {
    cidr    = var.cidr
    release = var.release
  }
}

output "network_id" {
  value = "net-${substr(terraform_data.network.id, 0, 8)}"
}

output "cidr" {
  value = terraform_data.network.output.cidr
}
