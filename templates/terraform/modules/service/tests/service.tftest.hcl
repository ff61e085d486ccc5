# Behavioural tests of the service module against mocked AWS providers.
# Every run is a plan; nothing is created and no credentials are needed.

mock_provider "aws" {
  source          = "./tests/mocks/aws"
  override_during = plan
}

mock_provider "aws" {
  alias           = "dr"
  source          = "./tests/mocks/aws_dr"
  override_during = plan
}

# Distinct ARNs for the queue and its DLQ, so the redrive assertions prove the
# wiring instead of comparing two identical mock values.
override_resource {
  target          = aws_sqs_queue.this
  override_during = plan
  values = {
    arn  = "arn:aws:sqs:eu-west-1:123456789012:orders-api-prod"
    id   = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders-api-prod"
    url  = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders-api-prod"
    name = "orders-api-prod"
  }
}

override_resource {
  target          = aws_sqs_queue.dlq
  override_during = plan
  values = {
    arn  = "arn:aws:sqs:eu-west-1:123456789012:orders-api-prod-dlq"
    id   = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders-api-prod-dlq"
    url  = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders-api-prod-dlq"
    name = "orders-api-prod-dlq"
  }
}

override_resource {
  target          = module.data_bucket[0].aws_s3_bucket.this
  override_during = plan
  values = {
    arn = "arn:aws:s3:::orders-api-prod-data-123456789012"
    id  = "orders-api-prod-data-123456789012"
  }
}

override_resource {
  target          = module.logs_bucket[0].aws_s3_bucket.this
  override_during = plan
  values = {
    arn = "arn:aws:s3:::orders-api-prod-logs-123456789012"
    id  = "orders-api-prod-logs-123456789012"
  }
}

override_resource {
  target          = module.dr_bucket[0].aws_s3_bucket.this
  override_during = plan
  values = {
    arn = "arn:aws:s3:::orders-api-prod-data-dr-123456789012"
    id  = "orders-api-prod-data-dr-123456789012"
  }
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

################################################################################
# Tier 1, prod, every datastore
################################################################################

run "tier1_prod_tags_on_every_taggable_resource" {
  command = plan

  assert {
    condition = alltrue([
      for t in [
        aws_kms_key.this.tags,
        aws_kms_key.dr[0].tags,
        aws_ecr_repository.this.tags,
        aws_cloudwatch_log_group.this.tags,
        aws_cloudwatch_log_group.postgres["postgresql"].tags,
        aws_cloudwatch_log_group.postgres["upgrade"].tags,
        aws_sns_topic.this.tags,
        aws_budgets_budget.this.tags,
        aws_iam_role.workload.tags,
        aws_iam_role.deploy.tags,
        aws_iam_role.rds_monitoring[0].tags,
        aws_iam_role.s3_replication[0].tags,
        aws_db_subnet_group.this[0].tags,
        aws_security_group.postgres[0].tags,
        aws_vpc_security_group_ingress_rule.postgres["sg-0ccccccccccccccc3"].tags,
        aws_db_parameter_group.this[0].tags,
        aws_db_instance.this[0].tags,
        aws_cloudwatch_metric_alarm.postgres_cpu[0].tags,
        aws_cloudwatch_metric_alarm.postgres_storage[0].tags,
        aws_cloudwatch_metric_alarm.postgres_connections[0].tags,
        aws_cloudwatch_metric_alarm.s3_5xx_errors[0].tags,
        aws_cloudwatch_metric_alarm.s3_4xx_errors[0].tags,
        aws_cloudwatch_metric_alarm.sqs_message_age[0].tags,
        aws_cloudwatch_metric_alarm.sqs_dlq_not_empty[0].tags,
        module.data_bucket[0].resources.bucket.tags,
        module.logs_bucket[0].resources.bucket.tags,
        module.dr_bucket[0].resources.bucket.tags,
        aws_sqs_queue.this[0].tags,
        aws_sqs_queue.dlq[0].tags,
      ] :
      length(setsubtract(["service", "environment", "team", "cost-center", "tier", "data-classification", "ownership-model", "repository", "managed-by"], keys(t))) == 0
    ])
    error_message = "Every taggable resource must carry all mandatory tags (service, environment, team, cost-center, tier, data-classification, ownership-model, repository, managed-by)."
  }

  assert {
    condition     = aws_db_instance.this[0].tags["service"] == "orders-api" && module.data_bucket[0].resources.bucket.tags["environment"] == "prod"
    error_message = "Tag values must be passed through unchanged from var.tags."
  }
}

run "tier1_prod_encryption_everywhere" {
  command = plan

  assert {
    condition     = aws_kms_key.this.enable_key_rotation && aws_kms_key.this.deletion_window_in_days == 30
    error_message = "The service KMS key must rotate and have a 30-day deletion window."
  }

  assert {
    condition     = aws_ecr_repository.this.encryption_configuration[0].encryption_type == "KMS" && aws_ecr_repository.this.encryption_configuration[0].kms_key == aws_kms_key.this.arn
    error_message = "ECR must be encrypted with the service KMS key."
  }

  assert {
    condition     = aws_ecr_repository.this.image_tag_mutability == "IMMUTABLE" && aws_ecr_repository.this.image_scanning_configuration[0].scan_on_push
    error_message = "ECR tags must be immutable and images scanned on push."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.kms_key_id == aws_kms_key.this.arn && alltrue([for g in aws_cloudwatch_log_group.postgres : g.kms_key_id == aws_kms_key.this.arn])
    error_message = "All log groups must be encrypted with the service KMS key."
  }

  assert {
    condition     = aws_sns_topic.this.kms_master_key_id == aws_kms_key.this.arn
    error_message = "The alarm topic must be encrypted with the service KMS key."
  }

  assert {
    condition     = aws_db_instance.this[0].storage_encrypted && aws_db_instance.this[0].kms_key_id == aws_kms_key.this.arn
    error_message = "RDS storage must be encrypted with the service KMS key."
  }

  assert {
    condition     = aws_db_instance.this[0].performance_insights_enabled && aws_db_instance.this[0].performance_insights_kms_key_id == aws_kms_key.this.arn
    error_message = "Performance Insights must be enabled and encrypted with the service KMS key."
  }

  assert {
    condition     = aws_db_instance.this[0].manage_master_user_password && aws_db_instance.this[0].master_user_secret_kms_key_id == aws_kms_key.this.arn && aws_db_instance.this[0].password == null
    error_message = "The master password must be RDS-managed in Secrets Manager (encrypted with the service key) and never set in configuration."
  }

  assert {
    condition = alltrue([
      for r in module.data_bucket[0].resources.encryption.rule :
      r.apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms" && r.apply_server_side_encryption_by_default[0].kms_master_key_id == aws_kms_key.this.arn && r.bucket_key_enabled
    ])
    error_message = "The data bucket must use SSE-KMS with the service key and S3 Bucket Keys."
  }

  assert {
    condition = alltrue([
      for r in module.dr_bucket[0].resources.encryption.rule :
      r.apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms" && r.apply_server_side_encryption_by_default[0].kms_master_key_id == aws_kms_key.dr[0].arn
    ])
    error_message = "The DR replica bucket must use SSE-KMS with the DR-region key."
  }

  assert {
    condition     = alltrue([for r in module.logs_bucket[0].resources.encryption.rule : r.apply_server_side_encryption_by_default[0].sse_algorithm == "AES256"])
    error_message = "The access-log bucket must use SSE-S3 (server access logging cannot write to SSE-KMS buckets)."
  }

  assert {
    condition     = aws_sqs_queue.this[0].kms_master_key_id == aws_kms_key.this.arn && aws_sqs_queue.dlq[0].kms_master_key_id == aws_kms_key.this.arn
    error_message = "Queue and DLQ must be encrypted with the service KMS key."
  }

  assert {
    condition     = aws_kms_key.dr[0].arn != aws_kms_key.this.arn && startswith(aws_kms_key.dr[0].arn, "arn:aws:kms:eu-central-1:")
    error_message = "DR copies must be encrypted with a separate key in the DR region."
  }
}

run "tier1_prod_kms_policy_scoped" {
  command = plan

  assert {
    condition = contains(
      flatten([for s in jsondecode(aws_kms_key.this.policy).Statement : try(s.Condition.ArnEquals["kms:EncryptionContext:aws:logs:arn"], []) if s.Sid == "CloudWatchLogsForServiceLogGroups"]),
      "arn:aws:logs:eu-west-1:123456789012:log-group:/services/orders-api-prod",
    )
    error_message = "The key policy must let CloudWatch Logs use the key only for the service's log group (encryption context condition)."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_kms_key.this.policy).Statement : try(s.Principal, null) != "*" && try(s.Principal.AWS, null) != "*"])
    error_message = "The key policy must not grant anything to a wildcard principal."
  }
}

run "tier1_prod_public_access_blocked" {
  command = plan

  assert {
    condition = alltrue([
      for b in [module.data_bucket[0].resources.public_access_block, module.logs_bucket[0].resources.public_access_block, module.dr_bucket[0].resources.public_access_block] :
      b.block_public_acls && b.block_public_policy && b.ignore_public_acls && b.restrict_public_buckets
    ])
    error_message = "All four public access block flags must be true on every bucket."
  }

  assert {
    condition     = aws_db_instance.this[0].publicly_accessible == false
    error_message = "The database must not be publicly accessible."
  }

  assert {
    condition = alltrue([
      for p in [module.data_bucket[0].resources.policy.policy, module.logs_bucket[0].resources.policy.policy, module.dr_bucket[0].resources.policy.policy, aws_sqs_queue_policy.this[0].policy, aws_sqs_queue_policy.dlq[0].policy] :
      anytrue([for s in jsondecode(p).Statement : s.Effect == "Deny" && try(s.Condition.Bool["aws:SecureTransport"], "") == "false"])
    ])
    error_message = "Every bucket and queue policy must deny requests without TLS."
  }

  assert {
    condition     = alltrue([for s in jsondecode(module.data_bucket[0].resources.policy.policy).Statement : s.Effect == "Deny"])
    error_message = "The data bucket policy must only contain Deny statements; access is granted through IAM."
  }

  assert {
    condition     = alltrue([for r in aws_vpc_security_group_ingress_rule.postgres : r.from_port == 5432 && r.to_port == 5432 && r.cidr_ipv4 == null && r.description != null])
    error_message = "PostgreSQL ingress must be port 5432 from security groups only, each rule described."
  }

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.postgres) == 1 && aws_vpc_security_group_ingress_rule.postgres["sg-0ccccccccccccccc3"].referenced_security_group_id == "sg-0ccccccccccccccc3"
    error_message = "Exactly one ingress rule per allowed security group is expected."
  }

  assert {
    condition     = one(module.data_bucket[0].resources.ownership_controls.rule).object_ownership == "BucketOwnerEnforced" && one(module.logs_bucket[0].resources.ownership_controls.rule).object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be disabled (BucketOwnerEnforced) on the buckets."
  }
}

run "tier1_prod_backups_and_dr" {
  command = plan

  assert {
    condition     = aws_db_instance.this[0].backup_retention_period == 35
    error_message = "Tier 1 must keep 35 days of RDS backups."
  }

  assert {
    condition     = aws_db_instance.this[0].multi_az && aws_db_instance.this[0].deletion_protection
    error_message = "Tier 1 databases must be Multi-AZ and deletion protected."
  }

  assert {
    condition     = aws_db_instance.this[0].skip_final_snapshot == false && aws_db_instance.this[0].final_snapshot_identifier == "orders-api-prod-final" && aws_db_instance.this[0].copy_tags_to_snapshot
    error_message = "Destroying the database must take a tagged final snapshot."
  }

  assert {
    condition     = length(aws_db_instance_automated_backups_replication.this) == 1 && aws_db_instance_automated_backups_replication.this[0].kms_key_id == aws_kms_key.dr[0].arn && aws_db_instance_automated_backups_replication.this[0].retention_period == 35
    error_message = "Tier 1 must replicate automated backups to the DR region, encrypted with the DR key, for the full retention."
  }

  assert {
    condition     = length(flatten(module.data_bucket[*].resources.replication)) == 1 && one(module.data_bucket[0].resources.replication[0].rule).destination[0].encryption_configuration[0].replica_kms_key_id == aws_kms_key.dr[0].arn
    error_message = "Tier 1 must replicate the data bucket to the DR region with the DR key."
  }

  assert {
    condition     = one(module.data_bucket[0].resources.versioning.versioning_configuration).status == "Enabled" && one(module.dr_bucket[0].resources.versioning.versioning_configuration).status == "Enabled" && one(module.logs_bucket[0].resources.versioning.versioning_configuration).status == "Enabled"
    error_message = "Versioning must be enabled on every bucket."
  }

  assert {
    condition     = module.data_bucket[0].resources.logging[0].target_bucket == module.logs_bucket[0].resources.bucket.id
    error_message = "The data bucket must log access to the log bucket."
  }

  assert {
    condition     = anytrue([for r in module.data_bucket[0].resources.lifecycle.rule : length(r.abort_incomplete_multipart_upload) > 0]) && anytrue([for r in module.data_bucket[0].resources.lifecycle.rule : try(r.noncurrent_version_expiration[0].noncurrent_days, 0) == 90])
    error_message = "The data bucket must abort incomplete multipart uploads and expire noncurrent versions (90 days for tier 1)."
  }
}

run "tier1_prod_postgres_hardening" {
  command = plan

  assert {
    condition     = aws_db_instance.this[0].iam_database_authentication_enabled && aws_db_instance.this[0].auto_minor_version_upgrade
    error_message = "IAM database authentication and automatic minor upgrades must be enabled."
  }

  assert {
    condition     = aws_db_instance.this[0].monitoring_interval == 60 && aws_db_instance.this[0].monitoring_role_arn == aws_iam_role.rds_monitoring[0].arn
    error_message = "Enhanced monitoring must run every 60 s with the module's monitoring role."
  }

  assert {
    condition     = toset(aws_db_instance.this[0].enabled_cloudwatch_logs_exports) == toset(["postgresql", "upgrade"])
    error_message = "postgresql and upgrade logs must be exported to CloudWatch."
  }

  assert {
    condition     = aws_db_parameter_group.this[0].family == "postgres16" && anytrue([for p in aws_db_parameter_group.this[0].parameter : p.name == "rds.force_ssl" && p.value == "1"]) && anytrue([for p in aws_db_parameter_group.this[0].parameter : p.name == "log_statement" && p.value == "ddl"])
    error_message = "The parameter group must match the engine major version, force SSL and log DDL."
  }

  assert {
    condition     = aws_db_instance.this[0].engine == "postgres" && aws_db_instance.this[0].engine_version == "16" && aws_db_instance.this[0].instance_class == "db.t4g.medium" && aws_db_instance.this[0].allocated_storage == 20 && aws_db_instance.this[0].max_allocated_storage == 100
    error_message = "The postgres object defaults must be applied."
  }

  assert {
    condition     = output.postgres_iam_db_user == "orders_api" && output.postgres_db_resource_id == aws_db_instance.this[0].resource_id
    error_message = "The IAM database user must be the service name with underscores."
  }
}

run "tier1_prod_sqs_dead_letter_wiring" {
  command = plan

  assert {
    condition     = jsondecode(aws_sqs_queue.this[0].redrive_policy).deadLetterTargetArn == aws_sqs_queue.dlq[0].arn
    error_message = "The queue's redrive policy must target the DLQ."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.this[0].redrive_policy).maxReceiveCount == 5
    error_message = "Messages must move to the DLQ after 5 receives."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue_redrive_allow_policy.dlq[0].redrive_allow_policy).redrivePermission == "byQueue" && jsondecode(aws_sqs_queue_redrive_allow_policy.dlq[0].redrive_allow_policy).sourceQueueArns == [aws_sqs_queue.this[0].arn]
    error_message = "Only the service queue may use the DLQ."
  }

  assert {
    condition     = aws_sqs_queue.dlq[0].message_retention_seconds == 1209600
    error_message = "The DLQ must retain messages for 14 days."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.sqs_dlq_not_empty[0].dimensions["QueueName"] == aws_sqs_queue.dlq[0].name && aws_cloudwatch_metric_alarm.sqs_dlq_not_empty[0].alarm_actions == toset([aws_sns_topic.this.arn])
    error_message = "A DLQ alarm must notify the alarm topic."
  }
}

run "tier1_prod_identities" {
  command = plan

  assert {
    condition     = jsondecode(aws_iam_role.workload.assume_role_policy).Statement[0].Principal.Federated == var.cluster_oidc_provider_arn
    error_message = "The workload role must trust the cluster's OIDC provider."
  }

  assert {
    condition     = jsondecode(aws_iam_role.workload.assume_role_policy).Statement[0].Condition.StringEquals["oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub"] == "system:serviceaccount:orders-api:orders-api"
    error_message = "The IRSA sub condition must be system:serviceaccount:<namespace>:<service account>."
  }

  assert {
    condition     = jsondecode(aws_iam_role.workload.assume_role_policy).Statement[0].Condition.StringEquals["oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud"] == "sts.amazonaws.com"
    error_message = "The IRSA aud condition must be sts.amazonaws.com."
  }

  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == "repo:acme/orders-api:environment:prod"
    error_message = "The GitHub deploy trust must be bound to repo:<repository>:environment:<environment>."
  }

  assert {
    condition     = strcontains(jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"], "environment:prod") && jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    error_message = "The GitHub deploy trust must check the environment and the sts.amazonaws.com audience."
  }

  assert {
    condition     = !can(jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringLike)
    error_message = "Production GitHub trust must not use wildcard (StringLike) matching."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.workload.policy).Statement :
      !contains(flatten([s.Action]), "*") && !contains(flatten([s.Resource]), "*") && s.Effect == "Allow"
    ])
    error_message = "The workload policy must not use wildcard actions or resources."
  }

  assert {
    condition = toset(flatten([for s in jsondecode(aws_iam_role_policy.workload.policy).Statement : s.Resource])) == toset([
      aws_kms_key.this.arn,
      module.data_bucket[0].resources.bucket.arn,
      "${module.data_bucket[0].resources.bucket.arn}/*",
      aws_sqs_queue.this[0].arn,
      "arn:aws:rds-db:eu-west-1:123456789012:dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXY0/orders_api",
    ])
    error_message = "The workload policy must be scoped to exactly the service's own key, bucket, queue and database user."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement :
      !contains(flatten([s.Action]), "*") && (!contains(flatten([s.Resource]), "*") || flatten([s.Action]) == ["ecr:GetAuthorizationToken"])
    ])
    error_message = "The deploy policy may use Resource \"*\" only for ecr:GetAuthorizationToken."
  }

  assert {
    condition     = toset(flatten([for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s.Resource])) == toset(["*", aws_ecr_repository.this.arn])
    error_message = "Without eks_cluster_arn the deploy role may only reach its own ECR repository."
  }
}

run "tier1_prod_observability_and_budget" {
  command = plan

  assert {
    condition     = aws_cloudwatch_log_group.this.retention_in_days == 365 && aws_cloudwatch_log_group.this.name == "/services/orders-api-prod"
    error_message = "prod logs must be kept 365 days by default."
  }

  assert {
    condition     = aws_budgets_budget.this.limit_amount == "1000" && aws_budgets_budget.this.budget_type == "COST" && aws_budgets_budget.this.time_unit == "MONTHLY"
    error_message = "Tier 1 budget must default to 1000 USD per month."
  }

  assert {
    condition     = one(aws_budgets_budget.this.cost_filter).name == "TagKeyValue" && tolist(one(aws_budgets_budget.this.cost_filter).values) == tolist(["user:service$orders-api"])
    error_message = "The budget must filter on the service cost allocation tag."
  }

  assert {
    condition = (
      anytrue([for n in aws_budgets_budget.this.notification : n.threshold == 80 && n.notification_type == "ACTUAL" && contains(tolist(n.subscriber_email_addresses), "orders@acme.example") && contains(tolist(n.subscriber_sns_topic_arns), aws_sns_topic.this.arn)]) &&
      anytrue([for n in aws_budgets_budget.this.notification : n.threshold == 100 && n.notification_type == "FORECASTED" && contains(tolist(n.subscriber_email_addresses), "orders@acme.example")])
    )
    error_message = "Budget notifications must fire at 80% actual and 100% forecasted, to the owner and the alarm topic."
  }

  assert {
    condition = (
      anytrue([for s in jsondecode(aws_sns_topic_policy.this.policy).Statement : try(s.Principal.Service, "") == "cloudwatch.amazonaws.com" && try(s.Condition.StringEquals["aws:SourceAccount"], "") == "123456789012"]) &&
      anytrue([for s in jsondecode(aws_sns_topic_policy.this.policy).Statement : try(s.Principal.Service, "") == "budgets.amazonaws.com" && try(s.Condition.StringEquals["aws:SourceAccount"], "") == "123456789012"])
    )
    error_message = "The alarm topic must accept CloudWatch alarms and Budgets from this account only."
  }

  assert {
    condition     = output.alarm_topic_arn == aws_sns_topic.this.arn && output.kms_key_arn == aws_kms_key.this.arn && output.log_group_name == "/services/orders-api-prod"
    error_message = "Core outputs must expose the created resources."
  }
}

################################################################################
# Tier 2, staging, GitLab
################################################################################

run "tier2_staging_gitlab" {
  command = plan

  variables {
    environment          = "staging"
    tier                 = 2
    ci_provider          = "gitlab"
    repository           = "acme/platform/orders-api"
    ci_oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/gitlab.com"
    tags = {
      service             = "orders-api"
      environment         = "staging"
      team                = "fulfilment"
      cost-center         = "cc-1234"
      tier                = "2"
      data-classification = "confidential"
      ownership-model     = "team"
      repository          = "acme/platform/orders-api"
      managed-by          = "terraform"
    }
  }

  assert {
    condition     = aws_db_instance.this[0].backup_retention_period == 14 && aws_db_instance.this[0].multi_az && aws_db_instance.this[0].deletion_protection
    error_message = "Tier 2 must keep 14 days of backups, be Multi-AZ and deletion protected."
  }

  assert {
    condition     = length(aws_db_instance_automated_backups_replication.this) == 0 && length(flatten(module.data_bucket[*].resources.replication)) == 0 && length(module.dr_bucket) == 0 && length(aws_kms_key.dr) == 0
    error_message = "Only tier 1 copies data to the DR region."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.retention_in_days == 90
    error_message = "Non-prod logs must be kept 90 days by default."
  }

  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["gitlab.com:sub"] == "project_path:acme/platform/orders-api:ref_type:branch:ref:main"
    error_message = "GitLab staging/prod trust must be limited to the main branch of the exact project path."
  }

  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["gitlab.com:aud"] == "https://gitlab.com"
    error_message = "GitLab trust must check the instance URL as audience."
  }

  assert {
    condition     = !can(jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringLike)
    error_message = "GitLab staging trust must not use wildcards."
  }

  assert {
    condition     = aws_budgets_budget.this.limit_amount == "500"
    error_message = "Tier 2 budget must default to 500 USD."
  }
}

################################################################################
# Tier 3, dev, GitLab
################################################################################

run "tier3_dev_gitlab" {
  command = plan

  variables {
    environment          = "dev"
    tier                 = 3
    ci_provider          = "gitlab"
    repository           = "acme/orders-api"
    ci_oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/gitlab.com"
    tags = {
      service             = "orders-api"
      environment         = "dev"
      team                = "fulfilment"
      cost-center         = "cc-1234"
      tier                = "3"
      data-classification = "internal"
      ownership-model     = "team"
      repository          = "acme/orders-api"
      managed-by          = "terraform"
    }
  }

  assert {
    condition     = aws_db_instance.this[0].backup_retention_period == 7
    error_message = "Tier 3 must keep 7 days of backups."
  }

  assert {
    condition     = aws_db_instance.this[0].multi_az == false && aws_db_instance.this[0].deletion_protection == false
    error_message = "Tier 3 runs single-AZ without deletion protection."
  }

  assert {
    condition     = aws_db_instance.this[0].skip_final_snapshot == false
    error_message = "Even tier 3 takes a final snapshot on destroy."
  }

  assert {
    condition     = length(aws_db_instance_automated_backups_replication.this) == 0 && length(flatten(module.data_bucket[*].resources.replication)) == 0 && length(module.dr_bucket) == 0 && length(aws_iam_role.s3_replication) == 0 && length(aws_kms_key.dr) == 0
    error_message = "Tier 3 must not create DR-region resources."
  }

  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringLike["gitlab.com:sub"] == "project_path:acme/orders-api:ref_type:branch:ref:*"
    error_message = "GitLab dev trust must accept any branch of the exact project path (StringLike)."
  }

  assert {
    condition     = !can(jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["gitlab.com:sub"])
    error_message = "GitLab dev trust must not also carry an exact sub condition."
  }

  assert {
    condition     = anytrue([for r in module.data_bucket[0].resources.lifecycle.rule : try(r.noncurrent_version_expiration[0].noncurrent_days, 0) == 30])
    error_message = "Tier 3 expires noncurrent object versions after 30 days."
  }

  assert {
    condition     = aws_budgets_budget.this.limit_amount == "200"
    error_message = "Tier 3 budget must default to 200 USD."
  }
}

################################################################################
# Overrides and optional inputs
################################################################################

run "overrides_take_precedence_over_tier_defaults" {
  command = plan

  variables {
    backup_retention_days = 10
    log_retention_days    = 731
    budget_limit_usd      = 42
    kubernetes_namespace  = "orders"
    service_account_name  = "orders-api-worker"
    eks_cluster_arn       = "arn:aws:eks:eu-west-1:123456789012:cluster/platform"
    postgres = {
      engine_version = "17.2"
      instance_class = "db.r7g.large"
    }
  }

  assert {
    condition     = aws_db_instance.this[0].backup_retention_period == 10 && aws_db_instance_automated_backups_replication.this[0].retention_period == 10
    error_message = "backup_retention_days must override the tier default, including the DR copy."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.retention_in_days == 731 && aws_cloudwatch_log_group.postgres["postgresql"].retention_in_days == 731
    error_message = "log_retention_days must override the environment default on every log group."
  }

  assert {
    condition     = aws_budgets_budget.this.limit_amount == "42"
    error_message = "budget_limit_usd must override the tier default."
  }

  assert {
    condition     = jsondecode(aws_iam_role.workload.assume_role_policy).Statement[0].Condition.StringEquals["oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub"] == "system:serviceaccount:orders:orders-api-worker"
    error_message = "kubernetes_namespace and service_account_name must be used in the IRSA subject."
  }

  assert {
    condition     = anytrue([for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s.Action == "eks:DescribeCluster" && s.Resource == "arn:aws:eks:eu-west-1:123456789012:cluster/platform"])
    error_message = "eks_cluster_arn must grant eks:DescribeCluster on that cluster only."
  }

  assert {
    condition     = aws_db_parameter_group.this[0].family == "postgres17" && aws_db_instance.this[0].engine_version == "17.2" && aws_db_instance.this[0].instance_class == "db.r7g.large" && aws_db_instance.this[0].allocated_storage == 20
    error_message = "Partial postgres objects must keep defaults for omitted attributes."
  }
}

run "description_with_special_characters_stays_out_of_tags" {
  command = plan

  variables {
    # Built with format() so this file contains no template delimiters.
    description = format("Bridges WMS ↔ carrier: %s%s x %s%s, 'q', \"dq\", back\\slash, $${HOME}, 100%%", "{", "{", "}", "}")
  }

  assert {
    condition     = strcontains(aws_kms_key.this.description, var.description)
    error_message = "The description must be used verbatim in the KMS key description."
  }

  assert {
    condition = alltrue([
      for t in [aws_kms_key.this.tags, aws_ecr_repository.this.tags, aws_iam_role.workload.tags, aws_db_instance.this[0].tags, module.data_bucket[0].resources.bucket.tags, aws_sqs_queue.this[0].tags] :
      alltrue([for v in values(t) : !strcontains(v, "↔")])
    ])
    error_message = "The description must never end up in tags."
  }
}

################################################################################
# Datastores off
################################################################################

run "no_datastores_creates_no_datastore_resources" {
  command = plan

  variables {
    datastores                 = []
    vpc_id                     = null
    subnet_ids                 = []
    allowed_security_group_ids = []
  }

  assert {
    condition = (
      length(aws_db_instance.this) + length(aws_db_subnet_group.this) + length(aws_security_group.postgres) +
      length(aws_vpc_security_group_ingress_rule.postgres) + length(aws_db_parameter_group.this) +
      length(aws_cloudwatch_log_group.postgres) + length(aws_iam_role.rds_monitoring) +
      length(aws_db_instance_automated_backups_replication.this) + length(aws_cloudwatch_metric_alarm.postgres_cpu) +
      length(aws_cloudwatch_metric_alarm.postgres_storage) + length(aws_cloudwatch_metric_alarm.postgres_connections)
    ) == 0
    error_message = "Without postgres no database resources may be created."
  }

  assert {
    condition     = length(module.data_bucket) + length(module.logs_bucket) + length(module.dr_bucket) + length(aws_iam_role.s3_replication) + length(flatten(module.data_bucket[*].resources.replication)) + length(aws_s3_bucket_metric.data) + length(aws_cloudwatch_metric_alarm.s3_5xx_errors) + length(aws_cloudwatch_metric_alarm.s3_4xx_errors) == 0
    error_message = "Without s3 no bucket resources may be created."
  }

  assert {
    condition     = length(aws_sqs_queue.this) + length(aws_sqs_queue.dlq) + length(aws_sqs_queue_policy.this) + length(aws_cloudwatch_metric_alarm.sqs_message_age) + length(aws_cloudwatch_metric_alarm.sqs_dlq_not_empty) == 0
    error_message = "Without sqs no queue resources may be created."
  }

  assert {
    condition     = length(aws_kms_key.dr) == 0
    error_message = "Without postgres or s3 even tier 1 needs no DR-region key."
  }

  assert {
    condition = alltrue([
      output.postgres_endpoint == null, output.postgres_db_resource_id == null, output.postgres_iam_db_user == null,
      output.s3_bucket_name == null, output.s3_bucket_arn == null,
      output.sqs_queue_url == null, output.sqs_queue_arn == null, output.sqs_dlq_arn == null,
    ])
    error_message = "Datastore outputs must be null when the datastore is disabled."
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.workload.policy).Statement : s.Sid] == ["UseServiceKey"]
    error_message = "Without datastores the workload role may only use the service key."
  }
}

run "single_datastore_sqs_only" {
  command = plan

  variables {
    datastores = ["sqs"]
  }

  assert {
    condition     = length(aws_sqs_queue.this) == 1 && length(aws_db_instance.this) == 0 && length(module.data_bucket) == 0
    error_message = "Only the selected datastore may be created."
  }

  assert {
    condition     = toset([for s in jsondecode(aws_iam_role_policy.workload.policy).Statement : s.Sid]) == toset(["UseServiceKey", "UseServiceQueue"])
    error_message = "The workload policy must only cover the enabled datastores."
  }
}
