variable "name" {
  description = "Bucket name (globally unique; the service module appends the account ID)."
  type        = string
}

variable "tags" {
  description = "Tags of the bucket; a Name tag with the bucket name is added."
  type        = map(string)
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for default encryption (SSE-KMS with S3 Bucket Keys). null means SSE-S3 (AES-256), for the one case that cannot use KMS: a target of S3 server access logging."
  type        = string
  default     = null
}

variable "expiration" {
  description = "Lifecycle expiry, one rule named rule_id. noncurrent_days: how long overwritten and deleted object versions stay recoverable. days: when current objects expire too; null keeps them until deleted."
  type = object({
    rule_id         = optional(string, "expire-noncurrent-versions")
    noncurrent_days = number
    days            = optional(number)
  })

  validation {
    condition     = var.expiration.noncurrent_days >= 1 && coalesce(var.expiration.days, 1) >= 1
    error_message = "expiration.noncurrent_days and expiration.days (when set) must be at least 1 day."
  }
}

variable "access_log" {
  description = "Where S3 server access logs of this bucket go: target_bucket (a bucket whose policy lets logging.s3.amazonaws.com write under target_prefix) and target_prefix. null logs nothing."
  type = object({
    target_bucket = string
    target_prefix = string
  })
  default = null
}

variable "eventbridge_notifications" {
  description = "Send the bucket's object events to the account's default EventBridge bus."
  type        = bool
  default     = false
}

variable "replication" {
  description = "Replicates every object and delete marker to destination_bucket_arn (a versioned bucket, usually in another region), re-encrypted there with destination_kms_key_arn, as the IAM role role_arn. Needs kms_key_arn: only SSE-KMS objects are selected. null replicates nothing."
  type = object({
    role_arn                = string
    destination_bucket_arn  = string
    destination_kms_key_arn = string
  })
  default = null

  validation {
    condition     = var.replication == null || var.kms_key_arn != null
    error_message = "replication needs kms_key_arn: the replication rule selects SSE-KMS encrypted objects."
  }
}

variable "minimum_tls_version" {
  description = "Lowest TLS version the bucket policy accepts (\"1.2\" or \"1.3\"). null only denies requests without TLS."
  type        = string
  default     = null

  validation {
    condition     = var.minimum_tls_version == null || contains(["1.2", "1.3"], coalesce(var.minimum_tls_version, "1.2"))
    error_message = "minimum_tls_version must be null, \"1.2\" or \"1.3\"."
  }
}

variable "log_delivery" {
  description = "Makes the bucket a target of S3 server access logging: its policy lets logging.s3.amazonaws.com put objects under prefix, for source_bucket_arn in source_account_id only, in a statement named sid. null allows no log delivery."
  type = object({
    sid               = string
    source_bucket_arn = string
    source_account_id = string
    prefix            = string
  })
  default = null

  validation {
    condition     = var.log_delivery == null || var.kms_key_arn == null
    error_message = "log_delivery needs kms_key_arn = null: S3 server access logging cannot deliver to a bucket whose default encryption is SSE-KMS."
  }
}
