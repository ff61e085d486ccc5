locals {
  postgres_major_version = split(".", var.postgres.engine_version)[0]
  # PostgreSQL identifiers cannot contain hyphens.
  postgres_db_name = replace(var.name, "-", "_")
}

################################################################################
# Network
################################################################################

resource "aws_db_subnet_group" "this" {
  count = local.enable_postgres ? 1 : 0

  name        = local.prefix
  description = "Private subnets for ${local.prefix} PostgreSQL"
  subnet_ids  = var.subnet_ids

  tags = merge(local.tags, { Name = local.prefix })
}

resource "aws_security_group" "postgres" {
  count = local.enable_postgres ? 1 : 0

  name_prefix = "${local.prefix}-postgres-"
  description = "PostgreSQL access for ${local.prefix}"
  vpc_id      = var.vpc_id

  # No egress rules: the database never initiates connections, and Terraform
  # removes the default allow-all egress rule when none is declared.

  tags = merge(local.tags, { Name = "${local.prefix}-postgres" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "postgres" {
  for_each = local.enable_postgres ? toset(var.allowed_security_group_ids) : toset([])

  security_group_id            = aws_security_group.postgres[0].id
  description                  = "PostgreSQL from ${each.value}"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = each.value

  tags = merge(local.tags, { Name = "${local.prefix}-postgres-from-${each.value}" })
}

################################################################################
# Parameters and logs
################################################################################

resource "aws_db_parameter_group" "this" {
  count = local.enable_postgres ? 1 : 0

  # name_prefix + create_before_destroy lets a major version upgrade create the
  # new family's group before the old one is removed.
  name_prefix = "${local.prefix}-pg${local.postgres_major_version}-"
  family      = "postgres${local.postgres_major_version}"
  description = "${local.prefix} PostgreSQL ${local.postgres_major_version} parameters"

  # Reject unencrypted client connections.
  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  # Log statements slower than 1 s: finds slow queries without logging all traffic.
  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }

  # Log schema changes (DDL) for audit; data statements are not logged because
  # they may contain personal data.
  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  parameter {
    name  = "log_connections"
    value = "1"
  }

  parameter {
    name  = "log_disconnections"
    value = "1"
  }

  # Lock waits longer than deadlock_timeout are the usual cause of latency spikes.
  parameter {
    name  = "log_lock_waits"
    value = "1"
  }

  # Temp files over 10 MB indicate queries spilling out of work_mem.
  parameter {
    name  = "log_temp_files"
    value = "10240"
  }

  tags = merge(local.tags, { Name = "${local.prefix}-pg${local.postgres_major_version}" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_log_group" "postgres" {
  #checkov:skip=CKV_AWS_338:Same retention as the service log group: at least 365 days in prod (validated), 90 days by default in dev and staging on purpose.
  for_each = local.enable_postgres ? toset(local.postgres_log_exports) : toset([])

  name              = "/aws/rds/instance/${local.prefix}/${each.key}"
  retention_in_days = local.log_retention_days
  kms_key_id        = aws_kms_key.this.arn

  tags = merge(local.tags, { Name = "/aws/rds/instance/${local.prefix}/${each.key}" })
}

################################################################################
# Enhanced monitoring role
################################################################################

resource "aws_iam_role" "rds_monitoring" {
  count = local.enable_postgres ? 1 : 0

  name                 = "${local.prefix}-rds-monitoring"
  description          = "RDS enhanced monitoring for ${local.prefix}"
  permissions_boundary = var.iam_permissions_boundary_arn

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "RdsEnhancedMonitoring"
        Effect    = "Allow"
        Principal = { Service = "monitoring.rds.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
    ]
  })

  tags = merge(local.tags, { Name = "${local.prefix}-rds-monitoring" })
}

resource "aws_iam_role_policy_attachment" "rds_monitoring" {
  count = local.enable_postgres ? 1 : 0

  role       = aws_iam_role.rds_monitoring[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

################################################################################
# Instance
################################################################################

resource "aws_db_instance" "this" {
  count = local.enable_postgres ? 1 : 0

  identifier     = local.prefix
  engine         = "postgres"
  engine_version = var.postgres.engine_version
  instance_class = var.postgres.instance_class
  port           = 5432

  allocated_storage     = var.postgres.allocated_storage
  max_allocated_storage = var.postgres.max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.this.arn

  db_name  = local.postgres_db_name
  username = "dbadmin"
  # RDS generates and rotates the master password in Secrets Manager; it never
  # appears in Terraform state. Applications use IAM authentication instead.
  manage_master_user_password         = true
  master_user_secret_kms_key_id       = aws_kms_key.this.arn
  iam_database_authentication_enabled = true

  db_subnet_group_name   = aws_db_subnet_group.this[0].name
  vpc_security_group_ids = [aws_security_group.postgres[0].id]
  parameter_group_name   = aws_db_parameter_group.this[0].name
  publicly_accessible    = false
  ca_cert_identifier     = "rds-ca-rsa2048-g1"

  multi_az                  = local.tier_settings.multi_az
  deletion_protection       = local.tier_settings.deletion_protection
  backup_retention_period   = local.backup_retention_days
  backup_window             = "02:00-03:00"
  maintenance_window        = "sun:03:30-sun:04:30"
  copy_tags_to_snapshot     = true
  delete_automated_backups  = false
  skip_final_snapshot       = false
  final_snapshot_identifier = "${local.prefix}-final"

  # Minor versions are patched automatically. A major upgrade only happens when
  # engine_version is changed in code (the parameter group follows the new
  # family); like every other modification it waits for the maintenance window.
  auto_minor_version_upgrade  = true
  allow_major_version_upgrade = true
  apply_immediately           = false

  performance_insights_enabled          = true
  performance_insights_kms_key_id       = aws_kms_key.this.arn
  performance_insights_retention_period = 7 # the free retention tier
  monitoring_interval                   = 60
  monitoring_role_arn                   = aws_iam_role.rds_monitoring[0].arn
  enabled_cloudwatch_logs_exports       = local.postgres_log_exports

  tags = merge(local.tags, { Name = local.prefix })

  # The export log groups must exist (with retention and KMS) before RDS would
  # create them itself without either.
  depends_on = [
    aws_cloudwatch_log_group.postgres,
    aws_iam_role_policy_attachment.rds_monitoring,
  ]
}

# Tiers with DR copies (cross_region_dr): automated backups (snapshots + transaction logs) are also kept in the
# DR region, so point-in-time restore works even if the primary region is lost.
resource "aws_db_instance_automated_backups_replication" "this" {
  count    = local.enable_postgres && local.enable_dr ? 1 : 0
  provider = aws.dr

  source_db_instance_arn = aws_db_instance.this[0].arn
  kms_key_id             = aws_kms_key.dr[0].arn
  retention_period       = local.backup_retention_days
}

################################################################################
# Alarms
################################################################################

# RDS publishes these metrics every minute while the instance runs. A gap means
# the instance is stopped, rebooting or being replaced, which says nothing about
# CPU, storage or connections; treat_missing_data = "missing" keeps the alarm
# from resolving (and closing the incident) or paging on the gap itself. The
# service's SLO alerts cover a database that does not answer.
#
# No replica lag alarm: the module creates no read replica, and the Multi-AZ
# standby is synchronous and publishes no ReplicaLag metric.

locals {
  # Storage autoscaling grows the volume once free space stays at or below 10%
  # of the allocation for five minutes. Alarming at half of that (5% of the
  # initial allocation in whole GiB, at least 1) lets autoscaling act first, so
  # the alarm only fires when it cannot: max_allocated_storage reached, or
  # growth faster than the six-hour cooldown between two scaling steps.
  postgres_free_storage_alarm_bytes = max(1, floor(var.postgres.allocated_storage * 0.05)) * 1073741824
}

resource "aws_cloudwatch_metric_alarm" "postgres_cpu" {
  count = local.enable_postgres ? 1 : 0

  alarm_name        = "${local.prefix}-postgres-cpu-high"
  alarm_description = "PostgreSQL ${local.prefix}: average CPU above 80% for 15 minutes. Queries wait for CPU and latency rises; find the expensive queries in Performance Insights, or scale the instance class. ${local.alarm_runbooks["postgres"]}"
  namespace         = "AWS/RDS"
  metric_name       = "CPUUtilization"
  dimensions        = { DBInstanceIdentifier = aws_db_instance.this[0].identifier }
  statistic         = "Average"
  period            = 300
  # Three consecutive 5-minute averages: a migration, a vacuum or a burst of
  # traffic does not page, a sustained overload does.
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = 80
  treat_missing_data  = "missing"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]

  tags = merge(local.tags, { Name = "${local.prefix}-postgres-cpu-high" })
}

resource "aws_cloudwatch_metric_alarm" "postgres_storage" {
  count = local.enable_postgres ? 1 : 0

  alarm_name        = "${local.prefix}-postgres-storage-low"
  alarm_description = "PostgreSQL ${local.prefix}: free storage below ${local.postgres_free_storage_alarm_bytes / 1073741824} GiB and storage autoscaling has not caught up (max_allocated_storage reached or growth too fast). The database stops accepting writes when the volume is full: raise max_allocated_storage or free space. ${local.alarm_runbooks["postgres"]}"
  namespace         = "AWS/RDS"
  metric_name       = "FreeStorageSpace"
  dimensions        = { DBInstanceIdentifier = aws_db_instance.this[0].identifier }
  statistic         = "Minimum"
  period            = 300
  # One datapoint: free space only shrinks this far when autoscaling is stuck,
  # it does not flap, and a full disk is an outage.
  evaluation_periods  = 1
  datapoints_to_alarm = 1
  comparison_operator = "LessThanThreshold"
  threshold           = local.postgres_free_storage_alarm_bytes
  treat_missing_data  = "missing"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]

  tags = merge(local.tags, { Name = "${local.prefix}-postgres-storage-low" })
}

resource "aws_cloudwatch_metric_alarm" "postgres_connections" {
  count = local.enable_postgres ? 1 : 0

  alarm_name        = "${local.prefix}-postgres-connections-high"
  alarm_description = "PostgreSQL ${local.prefix}: more than ${var.postgres_connections_alarm_threshold} open connections for 15 minutes. Close to max_connections new connections are refused; look for a connection leak, pools sized for too many replicas, or scale the instance class. ${local.alarm_runbooks["postgres"]}"
  namespace         = "AWS/RDS"
  metric_name       = "DatabaseConnections"
  dimensions        = { DBInstanceIdentifier = aws_db_instance.this[0].identifier }
  statistic         = "Maximum"
  period            = 300
  # Three consecutive 5-minute peaks: a rolling deploy briefly runs old and new
  # pools side by side, a leak or an undersized instance does not go away.
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.postgres_connections_alarm_threshold
  treat_missing_data  = "missing"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]

  tags = merge(local.tags, { Name = "${local.prefix}-postgres-connections-high" })
}
