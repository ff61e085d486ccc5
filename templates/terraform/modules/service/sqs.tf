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

# Any message in the DLQ means a message could not be processed: page/notify.
resource "aws_cloudwatch_metric_alarm" "sqs_dlq_not_empty" {
  count = local.enable_sqs ? 1 : 0

  alarm_name          = "${local.prefix}-dlq-not-empty"
  alarm_description   = "Messages in the dead-letter queue ${local.sqs_dlq_name}"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq[0].name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  # SQS stops emitting metrics for idle queues; an idle DLQ is a healthy DLQ.
  treat_missing_data = "notBreaching"
  actions_enabled    = true
  alarm_actions      = [aws_sns_topic.this.arn]
  ok_actions         = [aws_sns_topic.this.arn]

  tags = merge(local.tags, { Name = "${local.prefix}-dlq-not-empty" })
}
