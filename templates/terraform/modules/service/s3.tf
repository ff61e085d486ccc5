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
# Data bucket
################################################################################

resource "aws_s3_bucket" "data" {
  count = local.enable_s3 ? 1 : 0

  bucket        = local.s3_data_bucket_name
  force_destroy = false

  tags = merge(local.tags, { Name = local.s3_data_bucket_name })
}

resource "aws_s3_bucket_ownership_controls" "data" {
  count = local.enable_s3 ? 1 : 0

  bucket = aws_s3_bucket.data[0].id
  rule {
    object_ownership = "BucketOwnerEnforced" # ACLs disabled; access is IAM/bucket policy only
  }
}

resource "aws_s3_bucket_public_access_block" "data" {
  count = local.enable_s3 ? 1 : 0

  bucket                  = aws_s3_bucket.data[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "data" {
  count = local.enable_s3 ? 1 : 0

  bucket = aws_s3_bucket.data[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  count = local.enable_s3 ? 1 : 0

  bucket = aws_s3_bucket.data[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    # S3 Bucket Keys cut KMS requests (and their cost/throttling) by ~99%.
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "data" {
  count = local.enable_s3 ? 1 : 0

  bucket = aws_s3_bucket.data[0].id

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = local.tier_settings.noncurrent_version_days
    }
  }

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.data]
}

resource "aws_s3_bucket_logging" "data" {
  count = local.enable_s3 ? 1 : 0

  bucket        = aws_s3_bucket.data[0].id
  target_bucket = aws_s3_bucket.logs[0].id
  target_prefix = local.s3_access_log_prefix

  depends_on = [aws_s3_bucket_policy.logs]
}

# Object events go to the account's default EventBridge bus, where the service
# (or others) can subscribe with rules; no consumer is forced on anyone.
resource "aws_s3_bucket_notification" "data" {
  count = local.enable_s3 ? 1 : 0

  bucket      = aws_s3_bucket.data[0].id
  eventbridge = true
}

resource "aws_s3_bucket_policy" "data" {
  count = local.enable_s3 ? 1 : 0

  bucket = aws_s3_bucket.data[0].id
  # Access is granted by IAM (the workload role) only; the bucket policy just
  # enforces transport security for everyone.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.data[0].arn, "${aws_s3_bucket.data[0].arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        Sid       = "DenyOutdatedTls"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.data[0].arn, "${aws_s3_bucket.data[0].arn}/*"]
        Condition = { NumericLessThan = { "s3:TlsVersion" = "1.2" } }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.data]
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

  bucket = aws_s3_bucket.data[0].id
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
    BucketName = aws_s3_bucket.data[0].id
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
    BucketName = aws_s3_bucket.data[0].id
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
# Access-log bucket
################################################################################

resource "aws_s3_bucket" "logs" {
  #checkov:skip=CKV_AWS_145:S3 server access logging cannot deliver to a bucket whose default encryption is SSE-KMS; SSE-S3 (AES-256) is used instead.
  #checkov:skip=CKV_AWS_144:Access logs are operational, expire after the log retention period and are not worth a cross-region copy.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events about access-log objects being written.
  count = local.enable_s3 ? 1 : 0

  bucket        = local.s3_logs_bucket_name
  force_destroy = false

  tags = merge(local.tags, { Name = local.s3_logs_bucket_name })
}

resource "aws_s3_bucket_ownership_controls" "logs" {
  count = local.enable_s3 ? 1 : 0

  bucket = aws_s3_bucket.logs[0].id
  rule {
    # With ACLs disabled, log delivery is authorised by the bucket policy below
    # (logging.s3.amazonaws.com), not by the legacy log-delivery ACL group.
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "logs" {
  count = local.enable_s3 ? 1 : 0

  bucket                  = aws_s3_bucket.logs[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "logs" {
  count = local.enable_s3 ? 1 : 0

  bucket = aws_s3_bucket.logs[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

# Server access logging only supports SSE-S3 on the target bucket: the logging
# service cannot use a customer-managed KMS key.
resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  count = local.enable_s3 ? 1 : 0

  bucket = aws_s3_bucket.logs[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  count = local.enable_s3 ? 1 : 0

  bucket = aws_s3_bucket.logs[0].id

  # Access logs live as long as the service's CloudWatch logs.
  rule {
    id     = "expire-access-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = local.log_retention_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
  }

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.logs]
}

resource "aws_s3_bucket_policy" "logs" {
  count = local.enable_s3 ? 1 : 0

  bucket = aws_s3_bucket.logs[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "S3ServerAccessLogsFromDataBucket"
        Effect    = "Allow"
        Principal = { Service = "logging.s3.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.logs[0].arn}/${local.s3_access_log_prefix}*"
        Condition = {
          ArnLike      = { "aws:SourceArn" = aws_s3_bucket.data[0].arn }
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.logs[0].arn, "${aws_s3_bucket.logs[0].arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.logs]
}

################################################################################
# Tier 1: replica bucket in the DR region
################################################################################

resource "aws_s3_bucket" "data_dr" {
  #checkov:skip=CKV_AWS_18:Replica written only by S3 replication; access logging would need a second log bucket in the DR region for a bucket nobody reads outside a regional failover.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events about replicated objects.
  count    = local.enable_s3_replication ? 1 : 0
  provider = aws.dr

  bucket        = local.s3_dr_bucket_name
  force_destroy = false

  tags = merge(local.tags, { Name = local.s3_dr_bucket_name })
}

resource "aws_s3_bucket_ownership_controls" "data_dr" {
  count    = local.enable_s3_replication ? 1 : 0
  provider = aws.dr

  bucket = aws_s3_bucket.data_dr[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "data_dr" {
  count    = local.enable_s3_replication ? 1 : 0
  provider = aws.dr

  bucket                  = aws_s3_bucket.data_dr[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "data_dr" {
  count    = local.enable_s3_replication ? 1 : 0
  provider = aws.dr

  bucket = aws_s3_bucket.data_dr[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data_dr" {
  count    = local.enable_s3_replication ? 1 : 0
  provider = aws.dr

  bucket = aws_s3_bucket.data_dr[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.dr[0].arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "data_dr" {
  count    = local.enable_s3_replication ? 1 : 0
  provider = aws.dr

  bucket = aws_s3_bucket.data_dr[0].id

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = local.tier_settings.noncurrent_version_days
    }
  }

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.data_dr]
}

resource "aws_s3_bucket_policy" "data_dr" {
  count    = local.enable_s3_replication ? 1 : 0
  provider = aws.dr

  bucket = aws_s3_bucket.data_dr[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.data_dr[0].arn, "${aws_s3_bucket.data_dr[0].arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.data_dr]
}

################################################################################
# Tier 1: replication
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
        Resource = aws_s3_bucket.data[0].arn
      },
      {
        Sid    = "ReadSourceObjectVersions"
        Effect = "Allow"
        Action = [
          "s3:GetObjectVersionForReplication",
          "s3:GetObjectVersionAcl",
          "s3:GetObjectVersionTagging",
        ]
        Resource = "${aws_s3_bucket.data[0].arn}/*"
      },
      {
        Sid      = "WriteReplicas"
        Effect   = "Allow"
        Action   = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]
        Resource = "${aws_s3_bucket.data_dr[0].arn}/*"
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

resource "aws_s3_bucket_replication_configuration" "data" {
  count = local.enable_s3_replication ? 1 : 0

  bucket = aws_s3_bucket.data[0].id
  role   = aws_iam_role.s3_replication[0].arn

  rule {
    id     = "disaster-recovery"
    status = "Enabled"
    filter {}

    delete_marker_replication {
      status = "Enabled"
    }

    source_selection_criteria {
      sse_kms_encrypted_objects {
        status = "Enabled"
      }
    }

    destination {
      bucket        = aws_s3_bucket.data_dr[0].arn
      storage_class = "STANDARD"
      encryption_configuration {
        replica_kms_key_id = aws_kms_key.dr[0].arn
      }
    }
  }

  # Replication requires versioning on both sides before it can be enabled.
  depends_on = [
    aws_s3_bucket_versioning.data,
    aws_s3_bucket_versioning.data_dr,
  ]
}
