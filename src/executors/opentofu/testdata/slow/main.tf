# A resource that takes five minutes to create, and says where its sleep process is.
variable "pidfile" {
  type = string
}

resource "terraform_data" "slow" {
  provisioner "local-exec" {
    command = "echo $$ > ${var.pidfile}; exec sleep 300"
  }
}
