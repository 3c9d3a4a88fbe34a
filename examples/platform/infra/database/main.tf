# A stand-in for a database module. The password comes from a secret reference: Tugboat resolves
# it on the worker into a variables file that exists only while tofu runs. It is only checked
# here (never stored in a resource), so it is not in the state either.
variable "network_id" {
  type = string
}

variable "engine" {
  type    = string
  default = "postgres-16"
}

variable "db_password" {
  type      = string
  sensitive = true
}

resource "terraform_data" "database" {
  input = {
    network_id = var.network_id
    engine     = var.engine
  }

  lifecycle {
    precondition {
      condition     = length(var.db_password) >= 12
      error_message = "db_password must be at least 12 characters."
    }
  }
}

output "endpoint" {
  value = "db-${substr(terraform_data.database.id, 0, 8)}.internal:5432"
}
