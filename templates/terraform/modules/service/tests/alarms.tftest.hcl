# Infrastructure alarms: one set per datastore, all on the alarm topic, with the
# metric, dimensions and thresholds the runbook describes; the optional HTTPS
# subscription to the on-call integration.

mock_provider "aws" {
  source          = "./tests/mocks/aws"
  override_during = plan
}

mock_provider "aws" {
  alias           = "dr"
  source          = "./tests/mocks/aws_dr"
  override_during = plan
}

override_resource {
  target          = module.data_bucket[0].aws_s3_bucket.this
  override_during = plan
  values = {
    arn = "arn:aws:s3:::orders-api-prod-data-123456789012"
    id  = "orders-api-prod-data-123456789012"
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
# Every datastore: every alarm, wired the same way
################################################################################

run "every_alarm_notifies_the_topic_on_alarm_and_ok" {
  command = plan

  assert {
    condition     = toset(keys(output.alarm_names)) == toset(["postgres_cpu", "postgres_storage", "postgres_connections", "s3_5xx_errors", "s3_4xx_errors", "sqs_message_age", "sqs_dlq_not_empty"])
    error_message = "With every datastore the module must create the seven datastore alarms."
  }

  assert {
    condition = alltrue([
      for a in [
        aws_cloudwatch_metric_alarm.postgres_cpu[0],
        aws_cloudwatch_metric_alarm.postgres_storage[0],
        aws_cloudwatch_metric_alarm.postgres_connections[0],
        aws_cloudwatch_metric_alarm.s3_5xx_errors[0],
        aws_cloudwatch_metric_alarm.s3_4xx_errors[0],
        aws_cloudwatch_metric_alarm.sqs_message_age[0],
        aws_cloudwatch_metric_alarm.sqs_dlq_not_empty[0],
      ] :
      a.actions_enabled && a.alarm_actions == toset([aws_sns_topic.this.arn]) && a.ok_actions == toset([aws_sns_topic.this.arn])
    ])
    error_message = "Every alarm must notify the alarm topic when it fires and when it resolves (alarm_actions and ok_actions)."
  }

  assert {
    condition = alltrue([
      for a in [
        aws_cloudwatch_metric_alarm.postgres_cpu[0],
        aws_cloudwatch_metric_alarm.postgres_storage[0],
        aws_cloudwatch_metric_alarm.postgres_connections[0],
        aws_cloudwatch_metric_alarm.s3_5xx_errors[0],
        aws_cloudwatch_metric_alarm.s3_4xx_errors[0],
        aws_cloudwatch_metric_alarm.sqs_message_age[0],
        aws_cloudwatch_metric_alarm.sqs_dlq_not_empty[0],
      ] :
      startswith(a.alarm_name, "orders-api-prod-") &&
      endswith(a.alarm_description, "Runbook: docs/runbooks/datastore-${split("-", trimprefix(a.alarm_name, "orders-api-prod-"))[0]}.md in acme/orders-api.") &&
      length(a.alarm_description) <= 1024 &&
      a.datapoints_to_alarm != null && a.datapoints_to_alarm <= a.evaluation_periods &&
      length(setsubtract(["service", "environment", "team", "cost-center", "tier", "data-classification", "ownership-model", "repository", "managed-by"], keys(a.tags))) == 0 &&
      a.tags["Name"] == a.alarm_name
    ])
    error_message = "Every alarm must be named <prefix>-<datastore>-<what>, end with the runbook of its datastore (docs/runbooks/datastore-<datastore>.md), set datapoints_to_alarm explicitly and carry the mandatory tags."
  }

  assert {
    condition = alltrue([
      for a in [aws_cloudwatch_metric_alarm.postgres_cpu[0], aws_cloudwatch_metric_alarm.postgres_storage[0], aws_cloudwatch_metric_alarm.postgres_connections[0]] :
      a.treat_missing_data == "missing"
      ]) && alltrue([
      for a in [aws_cloudwatch_metric_alarm.s3_5xx_errors[0], aws_cloudwatch_metric_alarm.s3_4xx_errors[0], aws_cloudwatch_metric_alarm.sqs_message_age[0], aws_cloudwatch_metric_alarm.sqs_dlq_not_empty[0]] :
      a.treat_missing_data == "notBreaching"
    ])
    error_message = "RDS gaps (instance stopped or replaced) must neither resolve nor fire an alarm; no S3 or SQS data means no traffic and is healthy."
  }

  assert {
    condition     = output.alarm_names["sqs_dlq_not_empty"] == "orders-api-prod-sqs-dlq-not-empty" && output.alarm_names["s3_5xx_errors"] == "orders-api-prod-s3-5xx-errors"
    error_message = "alarm_names must expose the alarm names by key."
  }
}

run "postgres_alarms_watch_the_instance" {
  command = plan

  assert {
    condition = alltrue([
      for a in [aws_cloudwatch_metric_alarm.postgres_cpu[0], aws_cloudwatch_metric_alarm.postgres_storage[0], aws_cloudwatch_metric_alarm.postgres_connections[0]] :
      a.namespace == "AWS/RDS" && a.dimensions == tomap({ DBInstanceIdentifier = aws_db_instance.this[0].identifier })
    ])
    error_message = "The PostgreSQL alarms must watch the module's RDS instance."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.postgres_connections[0].metric_name == "DatabaseConnections" &&
      aws_cloudwatch_metric_alarm.postgres_connections[0].statistic == "Maximum" &&
      aws_cloudwatch_metric_alarm.postgres_connections[0].comparison_operator == "GreaterThanThreshold" &&
      aws_cloudwatch_metric_alarm.postgres_connections[0].threshold == 300 &&
      aws_cloudwatch_metric_alarm.postgres_connections[0].period * aws_cloudwatch_metric_alarm.postgres_connections[0].evaluation_periods == 900
    )
    error_message = "The connections alarm must fire above 300 connections (the default) sustained for 15 minutes."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.postgres_cpu[0].metric_name == "CPUUtilization" && aws_cloudwatch_metric_alarm.postgres_cpu[0].threshold == 80 && aws_cloudwatch_metric_alarm.postgres_cpu[0].datapoints_to_alarm == 3
    error_message = "The CPU alarm must fire above 80% for three consecutive periods."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.postgres_storage[0].metric_name == "FreeStorageSpace" && aws_cloudwatch_metric_alarm.postgres_storage[0].comparison_operator == "LessThanThreshold" && aws_cloudwatch_metric_alarm.postgres_storage[0].threshold == 1073741824
    error_message = "With the default 20 GiB allocation the free-storage alarm must fire below 1 GiB, under the 2 GiB at which autoscaling grows the volume."
  }
}

run "sqs_alarms_watch_queue_and_dlq" {
  command = plan

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.sqs_message_age[0].namespace == "AWS/SQS" &&
      aws_cloudwatch_metric_alarm.sqs_message_age[0].metric_name == "ApproximateAgeOfOldestMessage" &&
      aws_cloudwatch_metric_alarm.sqs_message_age[0].dimensions == tomap({ QueueName = aws_sqs_queue.this[0].name }) &&
      aws_sqs_queue.this[0].name == "orders-api-prod" &&
      aws_cloudwatch_metric_alarm.sqs_message_age[0].statistic == "Maximum" &&
      aws_cloudwatch_metric_alarm.sqs_message_age[0].threshold == 300
    )
    error_message = "The message-age alarm must watch the main queue by name, at 300 s for tier 1."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.sqs_dlq_not_empty[0].metric_name == "ApproximateNumberOfMessagesVisible" &&
      aws_cloudwatch_metric_alarm.sqs_dlq_not_empty[0].dimensions == tomap({ QueueName = aws_sqs_queue.dlq[0].name }) &&
      aws_sqs_queue.dlq[0].name == "orders-api-prod-dlq" &&
      aws_cloudwatch_metric_alarm.sqs_dlq_not_empty[0].threshold == 0 &&
      aws_cloudwatch_metric_alarm.sqs_dlq_not_empty[0].comparison_operator == "GreaterThanThreshold"
    )
    error_message = "The DLQ alarm must fire on the first message in the dead-letter queue."
  }
}

run "s3_request_metrics_and_error_alarms" {
  command = plan

  assert {
    condition     = aws_s3_bucket_metric.data[0].bucket == module.data_bucket[0].resources.bucket.id && aws_s3_bucket_metric.data[0].name == "EntireBucket" && length(aws_s3_bucket_metric.data[0].filter) == 0
    error_message = "Request metrics must be enabled for the whole data bucket (no filter)."
  }

  assert {
    condition = alltrue([
      for a in [aws_cloudwatch_metric_alarm.s3_5xx_errors[0], aws_cloudwatch_metric_alarm.s3_4xx_errors[0]] :
      a.namespace == "AWS/S3" && a.dimensions == tomap({ BucketName = "orders-api-prod-data-123456789012", FilterId = aws_s3_bucket_metric.data[0].name })
    ])
    error_message = "The S3 alarms must read the data bucket's request metrics (BucketName and the metrics configuration as FilterId)."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.s3_5xx_errors[0].metric_name == "5xxErrors" &&
      aws_cloudwatch_metric_alarm.s3_5xx_errors[0].statistic == "Sum" &&
      aws_cloudwatch_metric_alarm.s3_5xx_errors[0].threshold == 0 &&
      aws_cloudwatch_metric_alarm.s3_5xx_errors[0].evaluation_periods == 3 &&
      aws_cloudwatch_metric_alarm.s3_5xx_errors[0].datapoints_to_alarm == 3
    )
    error_message = "The 5xx alarm must fire on server errors in three consecutive periods."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.s3_4xx_errors[0].metric_name == "4xxErrors" &&
      aws_cloudwatch_metric_alarm.s3_4xx_errors[0].statistic == "Average" &&
      aws_cloudwatch_metric_alarm.s3_4xx_errors[0].threshold == 0.1
    )
    error_message = "The 4xx alarm must compare the error rate (Average of the 0/1 metric) with 10% by default."
  }
}

run "no_oncall_subscription_without_endpoint" {
  command = plan

  assert {
    condition     = length(aws_sns_topic_subscription.oncall) == 0 && output.alarm_https_subscription_enabled == false
    error_message = "Without alarm_https_endpoint the topic must have no HTTPS subscription."
  }
}

run "oncall_https_subscription_when_endpoint_set" {
  command = plan

  variables {
    alarm_https_endpoint = "https://events.pagerduty.com/integration/0123456789abcdef0123456789abcdef/enqueue"
  }

  assert {
    condition = (
      length(aws_sns_topic_subscription.oncall) == 1 &&
      aws_sns_topic_subscription.oncall[0].topic_arn == aws_sns_topic.this.arn &&
      aws_sns_topic_subscription.oncall[0].protocol == "https" &&
      aws_sns_topic_subscription.oncall[0].endpoint_auto_confirms &&
      aws_sns_topic_subscription.oncall[0].raw_message_delivery == false
    )
    error_message = "The endpoint must be subscribed to the alarm topic over HTTPS, auto-confirmed, with the SNS envelope intact."
  }

  assert {
    condition     = aws_sns_topic_subscription.oncall[0].endpoint == var.alarm_https_endpoint && output.alarm_https_subscription_enabled
    error_message = "The subscription must deliver to alarm_https_endpoint."
  }

  assert {
    # Upper bound of the retry schedule: pre-backoff retries at the minimum
    # delay, every other retry at the maximum. SNS rejects policies over 3600 s.
    condition = (
      jsondecode(aws_sns_topic_subscription.oncall[0].delivery_policy).healthyRetryPolicy.numRetries > 3 &&
      jsondecode(aws_sns_topic_subscription.oncall[0].delivery_policy).healthyRetryPolicy.numMinDelayRetries * jsondecode(aws_sns_topic_subscription.oncall[0].delivery_policy).healthyRetryPolicy.minDelayTarget +
      (jsondecode(aws_sns_topic_subscription.oncall[0].delivery_policy).healthyRetryPolicy.numRetries - jsondecode(aws_sns_topic_subscription.oncall[0].delivery_policy).healthyRetryPolicy.numMinDelayRetries) * jsondecode(aws_sns_topic_subscription.oncall[0].delivery_policy).healthyRetryPolicy.maxDelayTarget <= 3600
    )
    error_message = "The HTTPS delivery policy must retry more than the SNS default and stay within SNS's one-hour limit."
  }
}

################################################################################
# Tiers and overrides
################################################################################

run "tier2_message_age_threshold" {
  command = plan

  variables {
    environment = "staging"
    tier        = 2
    tags = {
      service             = "orders-api"
      environment         = "staging"
      team                = "fulfilment"
      cost-center         = "cc-1234"
      tier                = "2"
      data-classification = "confidential"
      ownership-model     = "team"
      repository          = "acme/orders-api"
      managed-by          = "terraform"
    }
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.sqs_message_age[0].threshold == 900
    error_message = "Tier 2 must alarm when the oldest message is older than 900 s."
  }
}

run "tier3_message_age_threshold" {
  command = plan

  variables {
    environment = "dev"
    tier        = 3
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
    condition     = aws_cloudwatch_metric_alarm.sqs_message_age[0].threshold == 3600
    error_message = "Tier 3 must alarm when the oldest message is older than an hour."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.postgres_connections[0].threshold == 300 && aws_cloudwatch_metric_alarm.s3_4xx_errors[0].threshold == 0.1
    error_message = "Connection and 4xx thresholds do not depend on the tier."
  }
}

run "alarm_thresholds_can_be_overridden" {
  command = plan

  variables {
    sqs_message_age_alarm_seconds        = 120
    postgres_connections_alarm_threshold = 650
    s3_4xx_error_rate_alarm_percent      = 25
    postgres = {
      allocated_storage     = 200
      max_allocated_storage = 1000
    }
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.sqs_message_age[0].threshold == 120 && strcontains(aws_cloudwatch_metric_alarm.sqs_message_age[0].alarm_description, "120 s")
    error_message = "sqs_message_age_alarm_seconds must override the tier default, in the threshold and the description."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.postgres_connections[0].threshold == 650 && strcontains(aws_cloudwatch_metric_alarm.postgres_connections[0].alarm_description, "650")
    error_message = "postgres_connections_alarm_threshold must set the connections alarm threshold."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.s3_4xx_errors[0].threshold == 0.25 && strcontains(aws_cloudwatch_metric_alarm.s3_4xx_errors[0].alarm_description, "25%")
    error_message = "s3_4xx_error_rate_alarm_percent must set the 4xx error rate threshold."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.postgres_storage[0].threshold == 10 * 1073741824 && strcontains(aws_cloudwatch_metric_alarm.postgres_storage[0].alarm_description, "below 10 GiB")
    error_message = "The free-storage alarm must scale with the allocation: 5% of 200 GiB is 10 GiB."
  }
}

################################################################################
# Each datastore brings only its own alarms
################################################################################

run "postgres_only_alarms" {
  command = plan

  variables {
    datastores = ["postgres"]
  }

  assert {
    condition     = toset(keys(output.alarm_names)) == toset(["postgres_cpu", "postgres_storage", "postgres_connections"]) && keys(output.alarm_arns) == keys(output.alarm_names)
    error_message = "A PostgreSQL-only service must get exactly the PostgreSQL alarms."
  }

  assert {
    condition     = length(aws_s3_bucket_metric.data) + length(aws_cloudwatch_metric_alarm.s3_5xx_errors) + length(aws_cloudwatch_metric_alarm.s3_4xx_errors) + length(aws_cloudwatch_metric_alarm.sqs_message_age) + length(aws_cloudwatch_metric_alarm.sqs_dlq_not_empty) == 0
    error_message = "Without s3 and sqs there must be no bucket metrics and no S3 or SQS alarms."
  }
}

run "s3_only_alarms" {
  command = plan

  variables {
    datastores                 = ["s3"]
    vpc_id                     = null
    subnet_ids                 = []
    allowed_security_group_ids = []
  }

  assert {
    condition     = toset(keys(output.alarm_names)) == toset(["s3_5xx_errors", "s3_4xx_errors"]) && length(aws_s3_bucket_metric.data) == 1
    error_message = "An S3-only service must get the bucket metrics and exactly the S3 alarms."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.postgres_cpu) + length(aws_cloudwatch_metric_alarm.postgres_storage) + length(aws_cloudwatch_metric_alarm.postgres_connections) + length(aws_cloudwatch_metric_alarm.sqs_message_age) + length(aws_cloudwatch_metric_alarm.sqs_dlq_not_empty) == 0
    error_message = "Without postgres and sqs there must be no PostgreSQL or SQS alarms."
  }
}

run "sqs_only_alarms" {
  command = plan

  variables {
    datastores                 = ["sqs"]
    vpc_id                     = null
    subnet_ids                 = []
    allowed_security_group_ids = []
  }

  assert {
    condition     = toset(keys(output.alarm_names)) == toset(["sqs_message_age", "sqs_dlq_not_empty"])
    error_message = "An SQS-only service must get exactly the SQS alarms."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.postgres_connections) + length(aws_cloudwatch_metric_alarm.s3_5xx_errors) + length(aws_cloudwatch_metric_alarm.s3_4xx_errors) + length(aws_s3_bucket_metric.data) == 0
    error_message = "Without postgres and s3 there must be no PostgreSQL or S3 alarms and no bucket metrics."
  }
}

run "no_datastores_no_alarms" {
  command = plan

  variables {
    datastores                 = []
    vpc_id                     = null
    subnet_ids                 = []
    allowed_security_group_ids = []
    alarm_https_endpoint       = "https://api.opsgenie.com/v1/json/cloudwatch?apiKey=00000000-0000-0000-0000-000000000000"
  }

  assert {
    condition     = length(output.alarm_names) == 0 && length(output.alarm_arns) == 0
    error_message = "Without datastores the module creates no datastore alarms."
  }

  assert {
    condition     = length(aws_sns_topic_subscription.oncall) == 1
    error_message = "The on-call subscription does not depend on datastores: budget notifications use the topic too."
  }
}
