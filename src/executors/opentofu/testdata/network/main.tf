# A network stand-in: terraform_data is built into tofu, so no provider is downloaded.
variable "cidr" {
  type = string
}

resource "terraform_data" "net" {
  input = var.cidr
}

output "cidr" {
  value = terraform_data.net.output
}

output "settings" {
  value = { cidr = var.cidr, zones = 2 }
}
