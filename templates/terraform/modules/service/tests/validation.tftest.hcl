# Input validation: each run feeds one invalid value and expects exactly that
# variable's validation to fail.

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
  name        = "orders-api"
  environment = "prod"
  tier        = 1
  description = "Orders API"
  tags = {
    service             = "orders-api"
    environment         = "prod"
    team                = "fulfilment"
    cost-center         = "cc-1234"
    tier                = "1"
    data-classification = "confidential"
    ownership-model     = "team"
    repository          = "acme/orders-api"
    managed-by          = "terraform"
  }
  owner_email                = "orders@acme.example"
  datastores                 = ["postgres", "s3", "sqs"]
  cluster_oidc_provider_arn  = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
  vpc_id                     = "vpc-0123456789abcdef0"
  subnet_ids                 = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]
  allowed_security_group_ids = ["sg-0ccccccccccccccc3"]
  ci_provider                = "github"
  repository                 = "acme/orders-api"
  ci_oidc_provider_arn       = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
}

run "valid_baseline_plans" {
  command = plan

  assert {
    condition     = aws_iam_role.workload.name == "orders-api-prod-workload"
    error_message = "The baseline inputs must be valid, otherwise the failure runs below prove nothing."
  }
}

run "rejects_uppercase_name" {
  command = plan
  variables {
    name = "Orders_API"
  }
  expect_failures = [var.name]
}

run "rejects_double_hyphen_name" {
  command = plan
  variables {
    name = "orders--api"
  }
  expect_failures = [var.name]
}

run "rejects_name_longer_than_32" {
  command = plan
  variables {
    name = "orders-api-with-a-very-long-name1"
  }
  expect_failures = [var.name]
}

run "rejects_name_with_trailing_hyphen" {
  command = plan
  variables {
    name = "orders-"
  }
  expect_failures = [var.name]
}

run "rejects_unknown_environment" {
  command = plan
  variables {
    environment = "production"
  }
  expect_failures = [var.environment]
}

run "rejects_tier_4" {
  command = plan
  variables {
    tier = 4
  }
  expect_failures = [var.tier]
}

run "rejects_tier_0" {
  command = plan
  variables {
    tier = 0
  }
  expect_failures = [var.tier]
}

run "rejects_missing_mandatory_tag" {
  command = plan
  variables {
    tags = {
      service             = "orders-api"
      environment         = "prod"
      team                = "fulfilment"
      tier                = "1"
      data-classification = "confidential"
      ownership-model     = "team"
      repository          = "acme/orders-api"
      managed-by          = "terraform"
    }
  }
  expect_failures = [var.tags]
}

run "rejects_service_tag_not_matching_name" {
  command = plan
  variables {
    tags = {
      service             = "another-service"
      environment         = "prod"
      team                = "fulfilment"
      cost-center         = "cc-1234"
      tier                = "1"
      data-classification = "confidential"
      ownership-model     = "team"
      repository          = "acme/orders-api"
      managed-by          = "terraform"
    }
  }
  expect_failures = [var.tags]
}

run "rejects_tag_value_with_forbidden_characters" {
  command = plan
  variables {
    tags = {
      service             = "orders-api"
      environment         = "prod"
      team                = "fulfilment"
      cost-center         = "cc-1234"
      tier                = "1"
      data-classification = "confidential"
      ownership-model     = "team"
      repository          = "acme/orders-api"
      managed-by          = "terraform"
      description         = "WMS <-> carrier, 'quoted'"
    }
  }
  expect_failures = [var.tags]
}

run "rejects_unknown_datastore" {
  command = plan
  variables {
    datastores = ["postgres", "redis"]
  }
  expect_failures = [var.datastores]
}

run "rejects_postgres_with_single_subnet" {
  command = plan
  variables {
    subnet_ids = ["subnet-0aaaaaaaaaaaaaaa1"]
  }
  expect_failures = [var.subnet_ids]
}

run "rejects_postgres_without_allowed_security_groups" {
  command = plan
  variables {
    allowed_security_group_ids = []
  }
  expect_failures = [var.allowed_security_group_ids]
}

run "rejects_postgres_without_vpc" {
  command = plan
  variables {
    vpc_id = null
  }
  expect_failures = [var.vpc_id]
}

run "rejects_log_retention_not_allowed_by_cloudwatch" {
  command = plan
  variables {
    environment = "dev"
    tags = {
      service             = "orders-api"
      environment         = "dev"
      team                = "fulfilment"
      cost-center         = "cc-1234"
      tier                = "1"
      data-classification = "confidential"
      ownership-model     = "team"
      repository          = "acme/orders-api"
      managed-by          = "terraform"
    }
    log_retention_days = 100
  }
  expect_failures = [var.log_retention_days]
}

run "rejects_short_log_retention_in_prod" {
  command = plan
  variables {
    log_retention_days = 90
  }
  expect_failures = [var.log_retention_days]
}

run "rejects_backup_retention_above_rds_maximum" {
  command = plan
  variables {
    backup_retention_days = 36
  }
  expect_failures = [var.backup_retention_days]
}

run "rejects_unknown_ci_provider" {
  command = plan
  variables {
    ci_provider = "bitbucket"
  }
  expect_failures = [var.ci_provider]
}

run "rejects_nested_repository_for_github" {
  command = plan
  variables {
    repository = "acme/platform/orders-api"
  }
  expect_failures = [var.repository]
}

run "rejects_invalid_oidc_provider_arn" {
  command = plan
  variables {
    cluster_oidc_provider_arn = "oidc.eks.eu-west-1.amazonaws.com/id/ABC"
  }
  expect_failures = [var.cluster_oidc_provider_arn]
}

run "rejects_description_with_newline" {
  command = plan
  variables {
    description = "line one\nline two"
  }
  expect_failures = [var.description]
}

run "rejects_invalid_owner_email" {
  command = plan
  variables {
    owner_email = "not-an-email"
  }
  expect_failures = [var.owner_email]
}

run "rejects_max_storage_below_allocated" {
  command = plan
  variables {
    postgres = {
      allocated_storage     = 200
      max_allocated_storage = 100
    }
  }
  expect_failures = [var.postgres]
}

run "rejects_unsupported_postgres_version" {
  command = plan
  variables {
    postgres = { engine_version = "12" }
  }
  expect_failures = [var.postgres]
}

run "rejects_invalid_kubernetes_namespace" {
  command = plan
  variables {
    kubernetes_namespace = "Orders_NS"
  }
  expect_failures = [var.kubernetes_namespace]
}

run "rejects_plain_http_alarm_endpoint" {
  command = plan
  variables {
    alarm_https_endpoint = "http://events.pagerduty.com/integration/0123456789abcdef0123456789abcdef/enqueue"
  }
  expect_failures = [var.alarm_https_endpoint]
}

run "rejects_alarm_endpoint_without_scheme" {
  command = plan
  variables {
    alarm_https_endpoint = "events.pagerduty.com/integration/0123456789abcdef0123456789abcdef/enqueue"
  }
  expect_failures = [var.alarm_https_endpoint]
}

run "rejects_connections_alarm_above_rds_maximum" {
  command = plan
  variables {
    postgres_connections_alarm_threshold = 5001
  }
  expect_failures = [var.postgres_connections_alarm_threshold]
}

run "rejects_fractional_connections_alarm" {
  command = plan
  variables {
    postgres_connections_alarm_threshold = 250.5
  }
  expect_failures = [var.postgres_connections_alarm_threshold]
}

run "rejects_message_age_alarm_below_a_minute" {
  command = plan
  variables {
    sqs_message_age_alarm_seconds = 30
  }
  expect_failures = [var.sqs_message_age_alarm_seconds]
}

run "rejects_message_age_alarm_above_a_day" {
  command = plan
  variables {
    sqs_message_age_alarm_seconds = 172800
  }
  expect_failures = [var.sqs_message_age_alarm_seconds]
}

run "rejects_4xx_alarm_rate_of_100_percent" {
  command = plan
  variables {
    s3_4xx_error_rate_alarm_percent = 100
  }
  expect_failures = [var.s3_4xx_error_rate_alarm_percent]
}
