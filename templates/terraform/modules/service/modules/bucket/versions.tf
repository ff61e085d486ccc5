terraform {
  required_providers {
    # Only the source: the version constraint and the minimum Terraform version
    # are the service module's (../../versions.tf), the only caller.
    aws = {
      source = "hashicorp/aws"
    }
  }
}
