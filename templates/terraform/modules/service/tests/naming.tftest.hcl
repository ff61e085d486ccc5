# Derived names must fit AWS limits for the longest legal service name
# (32 characters) combined with the longest environment ("staging").

mock_provider "aws" {
  source          = "./tests/mocks/aws"
  override_during = plan
}

mock_provider "aws" {
  alias           = "dr"
  source          = "./tests/mocks/aws_dr"
  override_during = plan
}

variables {
  name        = "orders-api-with-a-very-long-name" # 32 characters
  environment = "staging"
  tier        = 1 # tier 1 also creates the DR-region resources
  description = "Longest possible names"
  tags = {
    service             = "orders-api-with-a-very-long-name"
    environment         = "staging"
    team                = "fulfilment"
    cost-center         = "cc-1234"
    tier                = "1"
    data-classification = "internal"
    ownership-model     = "team"
    repository          = "acme/orders-api-with-a-very-long-name"
    managed-by          = "terraform"
  }
  owner_email                = "orders@acme.example"
  datastores                 = ["postgres", "s3", "sqs"]
  cluster_oidc_provider_arn  = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
  vpc_id                     = "vpc-0123456789abcdef0"
  subnet_ids                 = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]
  allowed_security_group_ids = ["sg-0ccccccccccccccc3"]
  ci_provider                = "github"
  repository                 = "acme/orders-api-with-a-very-long-name"
  ci_oidc_provider_arn       = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
}

run "longest_name_fits_aws_limits" {
  command = plan

  assert {
    condition     = length(var.name) == 32
    error_message = "This test must use a 32-character service name."
  }

  assert {
    condition = alltrue([
      for b in [module.data_bucket[0].resources.bucket.bucket, module.logs_bucket[0].resources.bucket.bucket, module.dr_bucket[0].resources.bucket.bucket] :
      length(b) >= 3 && length(b) <= 63 && can(regex("^[a-z0-9][a-z0-9-]*[a-z0-9]$", b))
    ])
    error_message = "S3 bucket names must be 3-63 characters of lowercase letters, digits and hyphens."
  }

  assert {
    condition     = module.data_bucket[0].resources.bucket.bucket == "orders-api-with-a-very-long-name-staging-data-123456789012"
    error_message = "The data bucket must be named <name>-<environment>-data-<account_id>."
  }

  assert {
    condition = alltrue([
      for n in [aws_iam_role.workload.name, aws_iam_role.deploy.name, aws_iam_role.rds_monitoring[0].name, aws_iam_role.s3_replication[0].name] :
      length(n) <= 64 && can(regex("^[\\w+=,.@-]+$", n))
    ])
    error_message = "IAM role names must be at most 64 characters."
  }

  assert {
    condition     = length(aws_db_instance.this[0].identifier) <= 63 && can(regex("^[a-z][a-z0-9-]*[a-z0-9]$", aws_db_instance.this[0].identifier)) && !strcontains(aws_db_instance.this[0].identifier, "--")
    error_message = "The RDS identifier must be at most 63 characters, start with a letter and contain no double hyphen."
  }

  assert {
    condition     = length(aws_db_instance.this[0].final_snapshot_identifier) <= 255 && !strcontains(aws_db_instance.this[0].final_snapshot_identifier, "--")
    error_message = "The final snapshot identifier must be a valid snapshot name."
  }

  assert {
    condition     = length(aws_db_instance.this[0].db_name) <= 63 && can(regex("^[a-z][a-z0-9_]*$", aws_db_instance.this[0].db_name))
    error_message = "The database name must be a valid PostgreSQL identifier of at most 63 characters."
  }

  assert {
    condition     = length(aws_db_parameter_group.this[0].name_prefix) <= 229 && length(aws_db_subnet_group.this[0].name) <= 255
    error_message = "Parameter group prefix (255 minus the 26-character suffix) and subnet group names must fit."
  }

  assert {
    condition     = length(aws_security_group.postgres[0].name_prefix) <= 100
    error_message = "The security group name prefix must be at most 100 characters."
  }

  assert {
    condition     = length(aws_sqs_queue.this[0].name) <= 80 && length(aws_sqs_queue.dlq[0].name) <= 80
    error_message = "SQS queue names must be at most 80 characters."
  }

  assert {
    condition     = length(aws_ecr_repository.this.name) <= 256 && can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*$", aws_ecr_repository.this.name))
    error_message = "The ECR repository name must be at most 256 valid characters."
  }

  assert {
    condition     = length(aws_kms_alias.this.name) <= 256 && length(aws_kms_alias.dr[0].name) <= 256
    error_message = "KMS alias names must be at most 256 characters."
  }

  assert {
    condition     = length(aws_sns_topic.this.name) <= 256
    error_message = "The SNS topic name must be at most 256 characters."
  }

  assert {
    condition     = length(aws_cloudwatch_log_group.this.name) <= 512 && alltrue([for g in aws_cloudwatch_log_group.postgres : length(g.name) <= 512])
    error_message = "Log group names must be at most 512 characters."
  }

  assert {
    condition     = length(aws_budgets_budget.this.name) <= 100
    error_message = "The budget name must be at most 100 characters."
  }

  assert {
    condition = alltrue([
      for a in [
        aws_cloudwatch_metric_alarm.postgres_cpu[0],
        aws_cloudwatch_metric_alarm.postgres_storage[0],
        aws_cloudwatch_metric_alarm.postgres_connections[0],
        aws_cloudwatch_metric_alarm.s3_5xx_errors[0],
        aws_cloudwatch_metric_alarm.s3_4xx_errors[0],
        aws_cloudwatch_metric_alarm.sqs_message_age[0],
        aws_cloudwatch_metric_alarm.sqs_dlq_not_empty[0],
      ] :
      length(a.alarm_name) <= 255 && length(a.alarm_description) <= 1024
    ])
    error_message = "Alarm names must be at most 255 characters and descriptions at most 1024."
  }

  assert {
    condition     = length(aws_s3_bucket_metric.data[0].name) <= 64
    error_message = "The S3 metrics configuration name must be at most 64 characters."
  }

  assert {
    condition     = aws_iam_role.workload.name == "orders-api-with-a-very-long-name-staging-workload" && aws_sqs_queue.dlq[0].name == "orders-api-with-a-very-long-name-staging-dlq"
    error_message = "Every name must start with <name>-<environment>."
  }
}
