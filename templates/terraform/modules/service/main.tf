################################################################################
# Context
################################################################################

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

# `id` is the region name on every supported provider version (`name` is
# deprecated in 6.x and `region` does not exist in 5.x).
data "aws_region" "current" {}

data "aws_region" "dr" {
  provider = aws.dr
}

locals {
  prefix = "${var.name}-${var.environment}"

  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  dns_suffix = data.aws_partition.current.dns_suffix
  region     = data.aws_region.current.id
  dr_region  = data.aws_region.dr.id

  # Every resource carries the full mandatory tag set itself, so the module is
  # correct even in a root that forgets provider default_tags.
  tags = var.tags

  # Tier-driven defaults: local.tier_defaults (tiers.tf, the platform's policy).
  tier_settings = local.tier_defaults[tostring(var.tier)]

  backup_retention_days         = coalesce(var.backup_retention_days, local.tier_settings.backup_retention_days)
  budget_limit_usd              = coalesce(var.budget_limit_usd, local.tier_settings.budget_limit_usd)
  sqs_message_age_alarm_seconds = coalesce(var.sqs_message_age_alarm_seconds, local.tier_settings.sqs_message_age_alarm_seconds)
  # prod keeps a year of logs for incident forensics and audits; shorter-lived
  # environments keep 90 days, which covers any debugging session at lower cost.
  log_retention_days = coalesce(var.log_retention_days, var.environment == "prod" ? 365 : 90)

  enable_postgres = contains(var.datastores, "postgres")
  enable_s3       = contains(var.datastores, "s3")
  enable_sqs      = contains(var.datastores, "sqs")
  enable_dr       = local.tier_settings.cross_region_dr
  # The DR-region key only exists when something is actually copied there.
  create_dr_key = local.enable_dr && (local.enable_postgres || local.enable_s3)

  log_group_name = "/services/${local.prefix}"
  log_group_arn  = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}"

  # Log groups RDS exports to (created up front in postgres.tf so they get a
  # retention and the service key instead of "never expire" and no encryption).
  postgres_log_exports    = ["postgresql", "upgrade"]
  postgres_log_group_arns = [for e in local.postgres_log_exports : "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/rds/instance/${local.prefix}/${e}"]

  # Every alarm description ends with where the responder goes next: the runbook
  # of the alarm's datastore, generated into the service's own repository next to
  # this module (docs/runbooks/datastore-<datastore>.md).
  alarm_runbooks = {
    for datastore in ["postgres", "s3", "sqs"] :
    datastore => "Runbook: docs/runbooks/datastore-${datastore}.md in ${var.repository}."
  }

  # Every alarm the module may create, keyed by a stable short name; alarms of
  # datastores that are off are left out.
  alarms = {
    for key, alarm in {
      postgres_cpu         = aws_cloudwatch_metric_alarm.postgres_cpu
      postgres_storage     = aws_cloudwatch_metric_alarm.postgres_storage
      postgres_connections = aws_cloudwatch_metric_alarm.postgres_connections
      s3_5xx_errors        = aws_cloudwatch_metric_alarm.s3_5xx_errors
      s3_4xx_errors        = aws_cloudwatch_metric_alarm.s3_4xx_errors
      sqs_message_age      = aws_cloudwatch_metric_alarm.sqs_message_age
      sqs_dlq_not_empty    = aws_cloudwatch_metric_alarm.sqs_dlq_not_empty
    } : key => alarm[0] if length(alarm) > 0
  }
}

################################################################################
# KMS: one customer-managed key per service and environment
################################################################################

resource "aws_kms_key" "this" {
  description             = "${local.prefix}: ${var.description}"
  enable_key_rotation     = true
  deletion_window_in_days = 30 # the maximum: a scheduled deletion can be cancelled for a month
  is_enabled              = true

  # RDS, Performance Insights, Secrets Manager (RDS-managed master password),
  # S3, SQS and ECR use the key on behalf of the calling IAM principal (grants /
  # kms:ViaService), so they are authorised by the account statement plus IAM
  # policies. Only services that call KMS as their own service principal are
  # listed explicitly.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Without this statement IAM policies cannot grant use of the key and
        # the key becomes unmanageable.
        Sid       = "AccountAdministration"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogsForServiceLogGroups"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.${local.dns_suffix}" }
        Action = [
          "kms:Encrypt*",
          "kms:Decrypt*",
          "kms:ReEncrypt*",
          "kms:GenerateDataKey*",
          "kms:Describe*",
        ]
        Resource = "*"
        Condition = {
          ArnEquals = {
            "kms:EncryptionContext:aws:logs:arn" = concat([local.log_group_arn], local.enable_postgres ? local.postgres_log_group_arns : [])
          }
        }
      },
      {
        # CloudWatch alarms and AWS Budgets publish to the encrypted alarm topic;
        # SNS asks KMS for a data key as the publishing service. The topic policy
        # restricts those publishers to this account.
        Sid       = "AlarmAndBudgetPublishingToEncryptedTopic"
        Effect    = "Allow"
        Principal = { Service = ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"] }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
      },
    ]
  })

  tags = merge(local.tags, { Name = local.prefix })
}

resource "aws_kms_alias" "this" {
  name          = "alias/${local.prefix}"
  target_key_id = aws_kms_key.this.key_id
}

# Disaster-recovery copies (RDS automated backups, S3 replicas) must be
# encrypted with a key that lives in the DR region.
resource "aws_kms_key" "dr" {
  count    = local.create_dr_key ? 1 : 0
  provider = aws.dr

  description             = "${local.prefix} disaster recovery copies: ${var.description}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  is_enabled              = true

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministration"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
    ]
  })

  tags = merge(local.tags, { Name = "${local.prefix}-dr" })
}

resource "aws_kms_alias" "dr" {
  count    = local.create_dr_key ? 1 : 0
  provider = aws.dr

  name          = "alias/${local.prefix}-dr"
  target_key_id = aws_kms_key.dr[0].key_id
}

################################################################################
# ECR
################################################################################

resource "aws_ecr_repository" "this" {
  name = local.prefix
  # Immutable tags: a deployed tag always means the same image digest, which
  # keeps rollbacks and audits honest.
  image_tag_mutability = "IMMUTABLE"
  force_delete         = false

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.this.arn
  }

  tags = merge(local.tags, { Name = local.prefix })
}

resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name

  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Expire untagged images after ${var.ecr_untagged_expiry_days} days"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = var.ecr_untagged_expiry_days
        }
        action = { type = "expire" }
      },
      {
        # Generous enough to roll back many releases; bounded so storage and
        # scan findings do not grow forever.
        rulePriority = 2
        description  = "Keep only the last ${var.ecr_keep_image_count} images"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = var.ecr_keep_image_count
        }
        action = { type = "expire" }
      },
    ]
  })
}

################################################################################
# Logs
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention defaults to 365 days in prod and variable validation rejects less there; dev and staging keep 90 days on purpose, their logs only serve debugging.
  name              = local.log_group_name
  retention_in_days = local.log_retention_days
  kms_key_id        = aws_kms_key.this.arn

  tags = merge(local.tags, { Name = local.log_group_name })
}

################################################################################
# Alarm topic
################################################################################

resource "aws_sns_topic" "this" {
  name              = "${local.prefix}-alarms"
  kms_master_key_id = aws_kms_key.this.arn

  tags = merge(local.tags, { Name = "${local.prefix}-alarms" })
}

resource "aws_sns_topic_policy" "this" {
  arn = aws_sns_topic.this.arn

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Same rights the default topic policy gives the owning account, so
        # IAM policies in this account keep working.
        Sid       = "AccountOwnerAccess"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action = [
          "sns:GetTopicAttributes",
          "sns:SetTopicAttributes",
          "sns:AddPermission",
          "sns:RemovePermission",
          "sns:DeleteTopic",
          "sns:Subscribe",
          "sns:ListSubscriptionsByTopic",
          "sns:Publish",
        ]
        Resource = aws_sns_topic.this.arn
      },
      {
        Sid       = "CloudWatchAlarmsFromThisAccount"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.this.arn
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
          ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:*" }
        }
      },
      {
        Sid       = "BudgetsFromThisAccount"
        Effect    = "Allow"
        Principal = { Service = "budgets.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.this.arn
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
          ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:budgets::${local.account_id}:*" }
        }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.this.arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}

# The on-call tool's CloudWatch integration (PagerDuty, Opsgenie) receives every
# alarm and budget notification, including the OK transitions that resolve its
# incidents. The URL embeds the integration key, so it only ever arrives as a
# sensitive input; it is stored in the (encrypted) state like any other secret
# attribute.
resource "aws_sns_topic_subscription" "oncall" {
  count = var.alarm_https_endpoint != null ? 1 : 0

  topic_arn = aws_sns_topic.this.arn
  protocol  = "https"
  endpoint  = var.alarm_https_endpoint
  # PagerDuty's and Opsgenie's CloudWatch integrations confirm the subscription
  # themselves; Terraform waits for that instead of leaving it pending.
  endpoint_auto_confirms = true
  # The integrations parse the SNS envelope (alarm name, state, reason), so the
  # message must not be unwrapped.
  raw_message_delivery = false

  # SNS retries HTTPS deliveries only three times within a minute by default, so
  # a short outage of the on-call tool would drop the page. These retries span
  # about half an hour (the hard limit is one hour): 3 at 20 s, 7 backing off
  # exponentially to 120 s, then 10 at 120 s.
  delivery_policy = jsonencode({
    healthyRetryPolicy = {
      minDelayTarget     = 20
      maxDelayTarget     = 120
      numRetries         = 20
      numNoDelayRetries  = 0
      numMinDelayRetries = 3
      numMaxDelayRetries = 10
      backoffFunction    = "exponential"
    }
  })
}

################################################################################
# Budget
################################################################################

resource "aws_budgets_budget" "this" {
  name         = "${local.prefix}-monthly"
  budget_type  = "COST"
  limit_amount = tostring(local.budget_limit_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  # Costs are attributed through the "service" cost allocation tag, which must
  # be activated once per payer account (Billing > Cost allocation tags).
  cost_filter {
    name   = "TagKeyValue"
    values = [format("user:service$%s", var.name)]
  }

  # 80% of actual spend: time to look before the month is over.
  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = 80
    threshold_type             = "PERCENTAGE"
    notification_type          = "ACTUAL"
    subscriber_email_addresses = [var.owner_email]
    subscriber_sns_topic_arns  = [aws_sns_topic.this.arn]
  }

  # Forecast above 100%: the trend, not a spike, says the budget will be blown.
  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = 100
    threshold_type             = "PERCENTAGE"
    notification_type          = "FORECASTED"
    subscriber_email_addresses = [var.owner_email]
    subscriber_sns_topic_arns  = [aws_sns_topic.this.arn]
  }

  tags = merge(local.tags, { Name = "${local.prefix}-monthly" })

  # Budgets verifies it may publish to the topic when the notification is saved.
  depends_on = [aws_sns_topic_policy.this]
}
