# Both outputs wait for the versioning and the bucket policy: whatever uses the
# bucket through them (log delivery into it, replication from or to it, IAM
# policies) starts only once the bucket is versioned and locked down.

output "id" {
  description = "Name of the bucket."
  value       = aws_s3_bucket.this.id

  depends_on = [aws_s3_bucket_versioning.this, aws_s3_bucket_policy.this]
}

output "arn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.this.arn

  depends_on = [aws_s3_bucket_versioning.this, aws_s3_bucket_policy.this]
}

output "resources" {
  description = "The bucket's resources by role (bucket, ownership_controls, public_access_block, versioning, encryption, lifecycle, policy; logging, notification and replication as lists of zero or one), so the service module's tests can check each instance's settings."
  value = {
    bucket              = aws_s3_bucket.this
    ownership_controls  = aws_s3_bucket_ownership_controls.this
    public_access_block = aws_s3_bucket_public_access_block.this
    versioning          = aws_s3_bucket_versioning.this
    encryption          = aws_s3_bucket_server_side_encryption_configuration.this
    lifecycle           = aws_s3_bucket_lifecycle_configuration.this
    logging             = aws_s3_bucket_logging.this
    notification        = aws_s3_bucket_notification.this
    replication         = aws_s3_bucket_replication_configuration.this
    policy              = aws_s3_bucket_policy.this
  }
}
