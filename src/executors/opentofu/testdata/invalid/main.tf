# References a variable that is not declared: a configuration error, never worth retrying.
resource "terraform_data" "broken" {
  input = var.not_declared
}
