# The password is sensitive and never stored: the state holds only its hash.
variable "password" {
  type      = string
  sensitive = true
}

# When set, a provisioner prints the password and fails: the value reaches tofu's output and stderr.
variable "leak_and_fail" {
  type    = bool
  default = false
}

resource "terraform_data" "db" {
  input            = "db"
  triggers_replace = sha256(var.password)
}

resource "terraform_data" "leak" {
  count = var.leak_and_fail ? 1 : 0
  provisioner "local-exec" {
    command = "echo 'password is ${nonsensitive(var.password)}'; echo 'bad password ${nonsensitive(var.password)}' >&2; exit 3"
  }
}

output "password_hash" {
  value     = sha256(var.password)
  sensitive = true
}

output "user" {
  value = "admin"
}
