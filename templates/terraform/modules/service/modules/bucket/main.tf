# One hardened S3 bucket. Everything that makes a bucket safe is fixed here and
# the same for every bucket of the service: ACLs disabled, all four public
# access block flags, versioning, default encryption, a bucket policy that
# denies requests without TLS, and a lifecycle that expires old versions and
# aborts incomplete multipart uploads. The inputs only choose what
# legitimately differs between buckets (see README.md).

locals {
  log_delivery = var.log_delivery == null ? [] : [
    {
      Sid       = var.log_delivery.sid
      Effect    = "Allow"
      Principal = { Service = "logging.s3.amazonaws.com" }
      Action    = "s3:PutObject"
      Resource  = "${aws_s3_bucket.this.arn}/${var.log_delivery.prefix}*"
      Condition = {
        ArnLike      = { "aws:SourceArn" = var.log_delivery.source_bucket_arn }
        StringEquals = { "aws:SourceAccount" = var.log_delivery.source_account_id }
      }
    },
  ]

  transport_security = concat(
    [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ],
    var.minimum_tls_version == null ? [] : [
      {
        Sid       = "DenyOutdatedTls"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
        Condition = { NumericLessThan = { "s3:TlsVersion" = var.minimum_tls_version } }
      },
    ],
  )
}

resource "aws_s3_bucket" "this" {
  bucket        = var.name
  force_destroy = false

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    # ACLs disabled; access is IAM and bucket policy only (log delivery too: it
    # is authorised by the bucket policy, not by the legacy log-delivery ACL group).
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    # S3 Bucket Keys cut KMS requests (and their cost/throttling) by ~99%; they
    # do not apply to SSE-S3.
    bucket_key_enabled = var.kms_key_arn == null ? null : true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = var.expiration.rule_id
    status = "Enabled"
    filter {}
    dynamic "expiration" {
      for_each = var.expiration.days == null ? [] : [var.expiration.days]
      content {
        days = expiration.value
      }
    }
    noncurrent_version_expiration {
      noncurrent_days = var.expiration.noncurrent_days
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

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_logging" "this" {
  count = var.access_log != null ? 1 : 0

  bucket        = aws_s3_bucket.this.id
  target_bucket = var.access_log.target_bucket
  target_prefix = var.access_log.target_prefix
}

# Object events go to the account's default EventBridge bus, where the service
# (or others) can subscribe with rules; no consumer is forced on anyone.
resource "aws_s3_bucket_notification" "this" {
  count = var.eventbridge_notifications ? 1 : 0

  bucket      = aws_s3_bucket.this.id
  eventbridge = true
}

resource "aws_s3_bucket_replication_configuration" "this" {
  count = var.replication != null ? 1 : 0

  bucket = aws_s3_bucket.this.id
  role   = var.replication.role_arn

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
      bucket        = var.replication.destination_bucket_arn
      storage_class = "STANDARD"
      encryption_configuration {
        replica_kms_key_id = var.replication.destination_kms_key_arn
      }
    }
  }

  # Replication requires versioning on both sides before it can be enabled (the
  # destination's module output waits for its versioning).
  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  # Access is granted by IAM; the policy only lets S3 log delivery in (when the
  # bucket is a log target) and enforces transport security for everyone.
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat(local.log_delivery, local.transport_security)
  })

  depends_on = [aws_s3_bucket_public_access_block.this]
}
