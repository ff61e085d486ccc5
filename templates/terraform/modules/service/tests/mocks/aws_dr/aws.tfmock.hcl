# Mock values for the disaster-recovery provider (aws.dr).

mock_data "aws_region" {
  defaults = {
    id          = "eu-central-1"
    name        = "eu-central-1"
    description = "Europe (Frankfurt)"
    endpoint    = "ec2.eu-central-1.amazonaws.com"
  }
}

mock_resource "aws_kms_key" {
  defaults = {
    arn    = "arn:aws:kms:eu-central-1:123456789012:key/9f8e7d6c-5555-4666-8777-888899990000"
    key_id = "9f8e7d6c-5555-4666-8777-888899990000"
  }
}

mock_resource "aws_s3_bucket" {
  defaults = {
    arn = "arn:aws:s3:::mock-dr-bucket"
  }
}
