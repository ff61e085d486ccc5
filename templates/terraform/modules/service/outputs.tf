################################################################################
# Identities
################################################################################

output "workload_role_arn" {
  description = "ARN of the workload IAM role; annotate the Kubernetes service account with eks.amazonaws.com/role-arn set to this value."
  value       = aws_iam_role.workload.arn
}

output "workload_role_name" {
  description = "Name of the workload IAM role."
  value       = aws_iam_role.workload.name
}

output "deploy_role_arn" {
  description = "ARN of the CI deploy role for this environment (role-to-assume in GitHub Actions, ROLE_ARN for GitLab CI)."
  value       = aws_iam_role.deploy.arn
}

output "deploy_role_name" {
  description = "Name of the CI deploy role for this environment."
  value       = aws_iam_role.deploy.name
}

output "kubernetes_service_account" {
  description = "Kubernetes service account (`<namespace>/<name>`) trusted by the workload role."
  value       = "${local.kubernetes_namespace}/${local.service_account_name}"
}

################################################################################
# Core resources
################################################################################

output "ecr_repository_url" {
  description = "URL of the service's ECR repository (docker push/pull target)."
  value       = aws_ecr_repository.this.repository_url
}

output "ecr_repository_arn" {
  description = "ARN of the service's ECR repository."
  value       = aws_ecr_repository.this.arn
}

output "kms_key_arn" {
  description = "ARN of the service's customer-managed KMS key (ECR, logs, SNS, RDS, S3, SQS)."
  value       = aws_kms_key.this.arn
}

output "kms_key_alias" {
  description = "Alias of the service's KMS key."
  value       = aws_kms_alias.this.name
}

output "log_group_name" {
  description = "Name of the service's CloudWatch log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_retention_days" {
  description = "Effective retention, in days, of the service's log groups."
  value       = local.log_retention_days
}

output "alarm_topic_arn" {
  description = "ARN of the encrypted SNS topic receiving the service's CloudWatch alarms and budget notifications; alarm_https_endpoint subscribes the on-call integration to it, other tooling can subscribe as well."
  value       = aws_sns_topic.this.arn
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms the module created, keyed by postgres_cpu, postgres_storage, postgres_connections, s3_5xx_errors, s3_4xx_errors, sqs_message_age and sqs_dlq_not_empty; only the enabled datastores' alarms are present."
  value       = { for key, alarm in local.alarms : key => alarm.alarm_name }
}

output "alarm_arns" {
  description = "ARNs of the CloudWatch alarms the module created, with the same keys as alarm_names (for dashboards, composite alarms or alarm-based deployment checks)."
  value       = { for key, alarm in local.alarms : key => alarm.arn }
}

output "alarm_https_subscription_enabled" {
  description = "Whether the alarm topic has an HTTPS subscription to the on-call integration (alarm_https_endpoint was set)."
  value       = length(aws_sns_topic_subscription.oncall) > 0
}

output "budget_name" {
  description = "Name of the monthly AWS Budget."
  value       = aws_budgets_budget.this.name
}

################################################################################
# Datastores (null when the datastore is not enabled)
################################################################################

output "postgres_endpoint" {
  description = "PostgreSQL connection endpoint (host:port); null without the postgres datastore."
  value       = try(aws_db_instance.this[0].endpoint, null)
}

output "postgres_address" {
  description = "PostgreSQL host name; null without the postgres datastore."
  value       = try(aws_db_instance.this[0].address, null)
}

output "postgres_db_name" {
  description = "Name of the service's database; null without the postgres datastore."
  value       = try(aws_db_instance.this[0].db_name, null)
}

output "postgres_db_resource_id" {
  description = "RDS resource ID (db-...), the resource part of rds-db:connect ARNs; null without the postgres datastore."
  value       = try(aws_db_instance.this[0].resource_id, null)
}

output "postgres_iam_db_user" {
  description = "Database user the workload role may log in as with IAM authentication (create it with GRANT rds_iam); null without the postgres datastore."
  value       = local.enable_postgres ? local.postgres_iam_db_user : null
}

output "postgres_master_user_secret_arn" {
  description = "ARN of the RDS-managed Secrets Manager secret holding the master credentials (break-glass and migrations only); null without the postgres datastore."
  value       = try(aws_db_instance.this[0].master_user_secret[0].secret_arn, null)
}

output "postgres_security_group_id" {
  description = "ID of the PostgreSQL security group; null without the postgres datastore."
  value       = try(aws_security_group.postgres[0].id, null)
}

output "s3_bucket_name" {
  description = "Name of the data bucket; null without the s3 datastore."
  value       = try(module.data_bucket[0].id, null)
}

output "s3_bucket_arn" {
  description = "ARN of the data bucket; null without the s3 datastore."
  value       = try(module.data_bucket[0].arn, null)
}

output "s3_log_bucket_name" {
  description = "Name of the S3 access-log bucket; null without the s3 datastore."
  value       = try(module.logs_bucket[0].id, null)
}

output "s3_replica_bucket_arn" {
  description = "ARN of the data bucket's replica in the DR region (tiers with cross_region_dr in tier_defaults); null otherwise."
  value       = try(module.dr_bucket[0].arn, null)
}

output "sqs_queue_url" {
  description = "URL of the service queue; null without the sqs datastore."
  value       = try(aws_sqs_queue.this[0].url, null)
}

output "sqs_queue_arn" {
  description = "ARN of the service queue; null without the sqs datastore."
  value       = try(aws_sqs_queue.this[0].arn, null)
}

output "sqs_dlq_url" {
  description = "URL of the dead-letter queue; null without the sqs datastore."
  value       = try(aws_sqs_queue.dlq[0].url, null)
}

output "sqs_dlq_arn" {
  description = "ARN of the dead-letter queue; null without the sqs datastore."
  value       = try(aws_sqs_queue.dlq[0].arn, null)
}
