locals {
  # Bucket names are global, so the account ID makes them unique across
  # accounts. Longest case: 32-char name + "-staging" + "-data-dr-" + 12 digits
  # = 61 characters, inside S3's 63.
  s3_data_bucket_name = "${local.prefix}-data-${local.account_id}"
  s3_logs_bucket_name = "${local.prefix}-logs-${local.account_id}"
  s3_dr_bucket_name   = "${local.prefix}-data-dr-${local.account_id}"

  s3_access_log_prefix = "s3-access/${local.s3_data_bucket_name}/"

  enable_s3_replication = local.enable_s3 && local.enable_dr
}

################################################################################
# Buckets: one hardened-bucket module (modules/bucket) per bucket
################################################################################

# The data bucket: the service's objects, encrypted with the service key,
# TLS 1.2+ only, access-logged to the log bucket, object events on EventBridge.
module "data_bucket" {
  source = "./modules/bucket"
  count  = local.enable_s3 ? 1 : 0

  name                      = local.s3_data_bucket_name
  tags                      = local.tags
  kms_key_arn               = aws_kms_key.this.arn
  minimum_tls_version       = "1.2"
  eventbridge_notifications = true
  expiration = {
    noncurrent_days = local.tier_settings.noncurrent_version_days
  }
  access_log = {
    target_bucket = module.logs_bucket[0].id
    target_prefix = local.s3_access_log_prefix
  }
  # Tier 1: every object and delete marker is copied to the replica in the DR
  # region (module.dr_bucket), re-encrypted with the DR-region key.
  replication = local.enable_s3_replication ? {
    role_arn                = aws_iam_role.s3_replication[0].arn
    destination_bucket_arn  = module.dr_bucket[0].arn
    destination_kms_key_arn = aws_kms_key.dr[0].arn
  } : null
}

# The access-log bucket: target of the data bucket's server access logs.
module "logs_bucket" {
  #checkov:skip=CKV_AWS_145:S3 server access logging cannot deliver to a bucket whose default encryption is SSE-KMS; SSE-S3 (AES-256) is used instead.
  #checkov:skip=CKV_AWS_144:Access logs are operational, expire after the log retention period and are not worth a cross-region copy.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events about access-log objects being written.
  source = "./modules/bucket"
  count  = local.enable_s3 ? 1 : 0

  name = local.s3_logs_bucket_name
  tags = local.tags
  # Server access logging only supports SSE-S3 on the target bucket: the
  # logging service cannot use a customer-managed KMS key.
  kms_key_arn = null
  # Access logs live as long as the service's CloudWatch logs.
  expiration = {
    rule_id         = "expire-access-logs"
    days            = local.log_retention_days
    noncurrent_days = 30
  }
  # With ACLs disabled, log delivery is authorised by the bucket policy (for
  # the data bucket only), not by the legacy log-delivery ACL group.
  log_delivery = {
    sid               = "S3ServerAccessLogsFromDataBucket"
    source_bucket_arn = module.data_bucket[0].arn
    source_account_id = local.account_id
    prefix            = local.s3_access_log_prefix
  }
}

# Tier 1: the data bucket's replica in the DR region, encrypted with the
# DR-region key.
module "dr_bucket" {
  #checkov:skip=CKV_AWS_18:Replica written only by S3 replication; access logging would need a second log bucket in the DR region for a bucket nobody reads outside a regional failover.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events about replicated objects.
  source    = "./modules/bucket"
  count     = local.enable_s3_replication ? 1 : 0
  providers = { aws = aws.dr }

  name        = local.s3_dr_bucket_name
  tags        = local.tags
  kms_key_arn = aws_kms_key.dr[0].arn
  expiration = {
    noncurrent_days = local.tier_settings.noncurrent_version_days
  }
}

################################################################################
# Data bucket: request metrics and alarms
################################################################################

# S3 publishes request metrics (requests, 4xx/5xx errors, latency) only for
# buckets with a metrics configuration. One configuration without a filter
# covers the whole bucket; it costs the CloudWatch price of its metrics, which
# is what makes error alarms possible at all.
resource "aws_s3_bucket_metric" "data" {
  count = local.enable_s3 ? 1 : 0

  bucket = module.data_bucket[0].id
  name   = "EntireBucket"
}

# Request metrics exist only for minutes with requests. No data means no
# requests and therefore no errors: treat_missing_data = "notBreaching".
#
# 5xxErrors and 4xxErrors are 1 or 0 per request, so Sum counts errors and
# Average is the error rate.

# Server errors: SDKs retry isolated ones, so only errors in every 5-minute
# window for 15 minutes alarm. That means S3 is throttling the service
# (503 Slow Down: too many requests per prefix) or an S3 service event, and
# both reach the service's users as errors or latency.
resource "aws_cloudwatch_metric_alarm" "s3_5xx_errors" {
  count = local.enable_s3 ? 1 : 0

  alarm_name        = "${local.prefix}-s3-5xx-errors"
  alarm_description = "S3 bucket ${local.s3_data_bucket_name}: server errors (5xx) in every 5-minute window for 15 minutes. S3 is throttling the service (503 Slow Down, spread keys over more prefixes or slow down) or has a service event (AWS Health Dashboard). ${local.alarm_runbooks["s3"]}"
  namespace         = "AWS/S3"
  metric_name       = "5xxErrors"
  dimensions = {
    BucketName = module.data_bucket[0].id
    FilterId   = aws_s3_bucket_metric.data[0].name
  }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]

  tags = merge(local.tags, { Name = "${local.prefix}-s3-5xx-errors" })
}

# Client errors are a weaker signal: 404 on a missing key is a normal answer for
# code that checks whether an object exists, and 412/304 answer conditional
# requests. A high rate for 15 minutes, however, usually means a deploy broke
# access (403 from an IAM, bucket or KMS policy) or the key layout. Hence a rate
# threshold, tunable per service, rather than any error.
resource "aws_cloudwatch_metric_alarm" "s3_4xx_errors" {
  count = local.enable_s3 ? 1 : 0

  alarm_name        = "${local.prefix}-s3-4xx-errors-high"
  alarm_description = "S3 bucket ${local.s3_data_bucket_name}: more than ${var.s3_4xx_error_rate_alarm_percent}% of requests failed with a client error (4xx) in every 5-minute window for 15 minutes. Check the error codes in the S3 access logs: 403 points at the workload role, bucket or KMS key policy (often a recent deploy), 404 at wrong keys. ${local.alarm_runbooks["s3"]}"
  namespace         = "AWS/S3"
  metric_name       = "4xxErrors"
  dimensions = {
    BucketName = module.data_bucket[0].id
    FilterId   = aws_s3_bucket_metric.data[0].name
  }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.s3_4xx_error_rate_alarm_percent / 100
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]

  tags = merge(local.tags, { Name = "${local.prefix}-s3-4xx-errors-high" })
}

################################################################################
# Tier 1: replication role (the replication rule is the data bucket's
# `replication` above)
################################################################################

resource "aws_iam_role" "s3_replication" {
  count = local.enable_s3_replication ? 1 : 0

  name                 = "${local.prefix}-s3-replication"
  description          = "S3 replication of ${local.s3_data_bucket_name} to the DR region"
  permissions_boundary = var.iam_permissions_boundary_arn

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "S3Replication"
        Effect    = "Allow"
        Principal = { Service = "s3.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
          ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:s3:::${local.s3_data_bucket_name}" }
        }
      },
    ]
  })

  tags = merge(local.tags, { Name = "${local.prefix}-s3-replication" })
}

resource "aws_iam_role_policy" "s3_replication" {
  count = local.enable_s3_replication ? 1 : 0

  name = "replicate-data-bucket"
  role = aws_iam_role.s3_replication[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadReplicationConfiguration"
        Effect   = "Allow"
        Action   = ["s3:GetReplicationConfiguration", "s3:ListBucket"]
        Resource = module.data_bucket[0].arn
      },
      {
        Sid    = "ReadSourceObjectVersions"
        Effect = "Allow"
        Action = [
          "s3:GetObjectVersionForReplication",
          "s3:GetObjectVersionAcl",
          "s3:GetObjectVersionTagging",
        ]
        Resource = "${module.data_bucket[0].arn}/*"
      },
      {
        Sid      = "WriteReplicas"
        Effect   = "Allow"
        Action   = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]
        Resource = "${module.dr_bucket[0].arn}/*"
      },
      {
        Sid       = "DecryptSourceObjects"
        Effect    = "Allow"
        Action    = "kms:Decrypt"
        Resource  = aws_kms_key.this.arn
        Condition = { StringEquals = { "kms:ViaService" = "s3.${local.region}.${local.dns_suffix}" } }
      },
      {
        Sid       = "EncryptReplicas"
        Effect    = "Allow"
        Action    = ["kms:Encrypt", "kms:GenerateDataKey"]
        Resource  = aws_kms_key.dr[0].arn
        Condition = { StringEquals = { "kms:ViaService" = "s3.${local.dr_region}.${local.dns_suffix}" } }
      },
    ]
  })
}

################################################################################
# State moves: the buckets used to be written out here resource by resource
################################################################################

# Services created before the bucket module keep their buckets: on the next
# plan, Terraform moves each resource's state to its place in the module
# instead of destroying and recreating it (a bucket name cannot be reused at
# once, and the objects would be lost). Moves from resources that never
# existed (s3 off, or no DR replica) do nothing. Keep these blocks: a state
# that has not been planned since the change still needs them.

moved {
  from = aws_s3_bucket.data[0]
  to   = module.data_bucket[0].aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_ownership_controls.data[0]
  to   = module.data_bucket[0].aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.data[0]
  to   = module.data_bucket[0].aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_versioning.data[0]
  to   = module.data_bucket[0].aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.data[0]
  to   = module.data_bucket[0].aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.data[0]
  to   = module.data_bucket[0].aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_logging.data[0]
  to   = module.data_bucket[0].aws_s3_bucket_logging.this[0]
}

moved {
  from = aws_s3_bucket_notification.data[0]
  to   = module.data_bucket[0].aws_s3_bucket_notification.this[0]
}

moved {
  from = aws_s3_bucket_policy.data[0]
  to   = module.data_bucket[0].aws_s3_bucket_policy.this
}

moved {
  from = aws_s3_bucket.logs[0]
  to   = module.logs_bucket[0].aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_ownership_controls.logs[0]
  to   = module.logs_bucket[0].aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.logs[0]
  to   = module.logs_bucket[0].aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_versioning.logs[0]
  to   = module.logs_bucket[0].aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.logs[0]
  to   = module.logs_bucket[0].aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.logs[0]
  to   = module.logs_bucket[0].aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_policy.logs[0]
  to   = module.logs_bucket[0].aws_s3_bucket_policy.this
}

moved {
  from = aws_s3_bucket_replication_configuration.data[0]
  to   = module.data_bucket[0].aws_s3_bucket_replication_configuration.this[0]
}

moved {
  from = aws_s3_bucket.data_dr[0]
  to   = module.dr_bucket[0].aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_ownership_controls.data_dr[0]
  to   = module.dr_bucket[0].aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.data_dr[0]
  to   = module.dr_bucket[0].aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_versioning.data_dr[0]
  to   = module.dr_bucket[0].aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.data_dr[0]
  to   = module.dr_bucket[0].aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.data_dr[0]
  to   = module.dr_bucket[0].aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_policy.data_dr[0]
  to   = module.dr_bucket[0].aws_s3_bucket_policy.this
}
