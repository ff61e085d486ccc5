locals {
  sqs_queue_name = local.prefix
  sqs_dlq_name   = "${local.prefix}-dlq"

  # A message that fails this many receives is poison, not a transient error;
  # moving it aside keeps it from blocking the queue.
  sqs_max_receive_count = 5
}

resource "aws_sqs_queue" "dlq" {
  count = local.enable_sqs ? 1 : 0

  name                              = local.sqs_dlq_name
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 300
  # 14 days, the SQS maximum: time to notice, fix and redrive failed messages.
  message_retention_seconds = 1209600

  tags = merge(local.tags, { Name = local.sqs_dlq_name })
}

resource "aws_sqs_queue" "this" {
  count = local.enable_sqs ? 1 : 0

  name = local.sqs_queue_name
  # Reuse a data key for 5 minutes: far fewer KMS calls, still short-lived keys.
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 300
  message_retention_seconds         = 345600 # 4 days
  receive_wait_time_seconds         = 20     # long polling: fewer empty receives
  visibility_timeout_seconds        = 30

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[0].arn
    maxReceiveCount     = local.sqs_max_receive_count
  })

  tags = merge(local.tags, { Name = local.sqs_queue_name })
}

# Only this service's queue may use the DLQ. A separate resource because the
# DLQ and the queue reference each other.
resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  count = local.enable_sqs ? 1 : 0

  queue_url = aws_sqs_queue.dlq[0].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.this[0].arn]
  })
}

# Access is granted by IAM (the workload role); the queue policies only refuse
# requests that are not sent over TLS.
resource "aws_sqs_queue_policy" "this" {
  count = local.enable_sqs ? 1 : 0

  queue_url = aws_sqs_queue.this[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sqs:*"
        Resource  = aws_sqs_queue.this[0].arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}

resource "aws_sqs_queue_policy" "dlq" {
  count = local.enable_sqs ? 1 : 0

  queue_url = aws_sqs_queue.dlq[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sqs:*"
        Resource  = aws_sqs_queue.dlq[0].arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}

################################################################################
# Alarms
################################################################################

# SQS publishes metrics only for active queues, and a queue holding messages is
# active. No data therefore means an empty, idle queue, which is healthy:
# treat_missing_data = "notBreaching" on both alarms.

# The consumer has stopped or cannot keep up: the oldest message has waited
# longer than the tier allows. Messages that keep failing are excluded from the
# metric after their third receive and end up in the DLQ (alarm below).
resource "aws_cloudwatch_metric_alarm" "sqs_message_age" {
  count = local.enable_sqs ? 1 : 0

  alarm_name        = "${local.prefix}-sqs-oldest-message-age-high"
  alarm_description = "SQS queue ${local.sqs_queue_name}: the oldest message has waited more than ${local.sqs_message_age_alarm_seconds} s. Consumers are down, stuck or too few for the load; messages expire after 4 days. ${local.alarm_runbooks["sqs"]}"
  namespace         = "AWS/SQS"
  metric_name       = "ApproximateAgeOfOldestMessage"
  dimensions        = { QueueName = aws_sqs_queue.this[0].name }
  statistic         = "Maximum"
  period            = 300
  # Two consecutive 5-minute maxima: a backlog that a consumer restart or a
  # burst creates and drains within minutes does not page; the age of a stalled
  # queue only grows, so waiting for the second datapoint costs little.
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = local.sqs_message_age_alarm_seconds
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]

  tags = merge(local.tags, { Name = "${local.prefix}-sqs-oldest-message-age-high" })
}

# Any message in the DLQ is a message the service failed to process five times:
# it needs a fix and a redrive, never silence.
resource "aws_cloudwatch_metric_alarm" "sqs_dlq_not_empty" {
  count = local.enable_sqs ? 1 : 0

  alarm_name        = "${local.prefix}-sqs-dlq-not-empty"
  alarm_description = "SQS dead-letter queue ${local.sqs_dlq_name}: holds messages that failed processing ${local.sqs_max_receive_count} times. Find the cause in the service logs, fix it, then redrive the messages to ${local.sqs_queue_name}; the DLQ keeps them for at most 14 days. ${local.alarm_runbooks["sqs"]}"
  namespace         = "AWS/SQS"
  metric_name       = "ApproximateNumberOfMessagesVisible"
  dimensions        = { QueueName = aws_sqs_queue.dlq[0].name }
  statistic         = "Maximum"
  period            = 300
  # One datapoint: a dead-lettered message stays until someone acts, so the
  # alarm cannot flap, and it resolves when the DLQ is redriven or purged.
  evaluation_periods  = 1
  datapoints_to_alarm = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]

  tags = merge(local.tags, { Name = "${local.prefix}-sqs-dlq-not-empty" })
}
