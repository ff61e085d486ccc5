# Realistic values for the primary-region mock provider, so that names and ARNs
# built from them look like the ones a real plan produces.

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "123456789012"
    arn        = "arn:aws:iam::123456789012:role/terraform"
    id         = "123456789012"
    user_id    = "AROAEXAMPLEEXAMPLE:terraform"
  }
}

mock_data "aws_partition" {
  defaults = {
    id                 = "aws"
    partition          = "aws"
    dns_suffix         = "amazonaws.com"
    reverse_dns_prefix = "com.amazonaws"
  }
}

mock_data "aws_region" {
  defaults = {
    id          = "eu-west-1"
    name        = "eu-west-1"
    description = "Europe (Ireland)"
    endpoint    = "ec2.eu-west-1.amazonaws.com"
  }
}

mock_resource "aws_kms_key" {
  defaults = {
    arn    = "arn:aws:kms:eu-west-1:123456789012:key/0b1c2d3e-1111-4222-8333-444455556666"
    key_id = "0b1c2d3e-1111-4222-8333-444455556666"
  }
}

mock_resource "aws_sns_topic" {
  defaults = {
    arn = "arn:aws:sns:eu-west-1:123456789012:mock-alarms"
  }
}

mock_resource "aws_ecr_repository" {
  defaults = {
    arn            = "arn:aws:ecr:eu-west-1:123456789012:repository/mock"
    repository_url = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mock"
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::123456789012:role/mock"
  }
}

mock_resource "aws_db_instance" {
  defaults = {
    arn         = "arn:aws:rds:eu-west-1:123456789012:db:mock"
    resource_id = "db-ABCDEFGHIJKLMNOPQRSTUVWXY0"
    endpoint    = "mock.abcdefghijkl.eu-west-1.rds.amazonaws.com:5432"
    address     = "mock.abcdefghijkl.eu-west-1.rds.amazonaws.com"
  }
}

mock_resource "aws_security_group" {
  defaults = {
    id = "sg-0aaaaaaaaaaaaaaaa"
  }
}

mock_resource "aws_s3_bucket" {
  defaults = {
    arn = "arn:aws:s3:::mock-bucket"
  }
}

mock_resource "aws_sqs_queue" {
  defaults = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:mock"
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/mock"
  }
}
