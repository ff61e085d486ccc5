locals {
  # "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
  # -> "oidc.eks.eu-west-1.amazonaws.com/id/ABC", the prefix of the token claims
  # in IAM condition keys.
  cluster_oidc_issuer = element(split(":oidc-provider/", var.cluster_oidc_provider_arn), 1)
  ci_oidc_issuer      = element(split(":oidc-provider/", var.ci_oidc_provider_arn), 1)

  kubernetes_namespace = coalesce(var.kubernetes_namespace, var.name)
  service_account_name = coalesce(var.service_account_name, var.name)
  workload_subject     = "system:serviceaccount:${local.kubernetes_namespace}:${local.service_account_name}"

  # GitHub's documented audience for AWS is sts.amazonaws.com; GitLab's AWS
  # guide uses the instance URL as audience (id_tokens: aud: https://gitlab.com).
  ci_audience = coalesce(var.ci_oidc_audience, var.ci_provider == "github" ? "sts.amazonaws.com" : "https://${local.ci_oidc_issuer}")

  # GitHub: the token is bound to a GitHub deployment environment of the same
  # name, so required reviewers / branch rules configured on that environment
  # in GitHub gate who can deploy where.
  #
  # GitLab: the sub claim carries the ref, not the environment. staging and prod
  # only trust pipelines on the main branch (which should be protected), so an
  # unreviewed branch can never obtain production credentials. dev trusts any
  # branch of this project on purpose: engineers deploy feature branches to dev
  # for review, and dev holds no production data. The project path is always
  # exact, so no other project can match.
  ci_subject = (
    var.ci_provider == "github"
    ? "repo:${var.repository}:environment:${var.environment}"
    : var.environment == "dev"
    ? "project_path:${var.repository}:ref_type:branch:ref:*"
    : "project_path:${var.repository}:ref_type:branch:ref:main"
  )
  ci_subject_operator = var.ci_provider == "gitlab" && var.environment == "dev" ? "StringLike" : "StringEquals"

  ci_trust_conditions = {
    StringEquals = merge(
      { "${local.ci_oidc_issuer}:aud" = local.ci_audience },
      local.ci_subject_operator == "StringEquals" ? { "${local.ci_oidc_issuer}:sub" = local.ci_subject } : {},
    )
    StringLike = local.ci_subject_operator == "StringLike" ? { "${local.ci_oidc_issuer}:sub" = local.ci_subject } : {}
  }

  postgres_iam_db_user = replace(var.name, "-", "_")

  workload_statements = concat(
    [
      {
        Sid      = "UseServiceKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = aws_kms_key.this.arn
      },
    ],
    local.enable_s3 ? [
      {
        Sid      = "ListDataBucket"
        Effect   = "Allow"
        Action   = ["s3:ListBucket", "s3:GetBucketLocation"]
        Resource = module.data_bucket[0].arn
      },
      {
        Sid    = "ReadWriteDataObjects"
        Effect = "Allow"
        Action = [
          "s3:GetObject",
          "s3:GetObjectVersion",
          "s3:PutObject",
          "s3:DeleteObject",
          "s3:AbortMultipartUpload",
          "s3:ListMultipartUploadParts",
        ]
        Resource = "${module.data_bucket[0].arn}/*"
      },
    ] : [],
    local.enable_sqs ? [
      {
        Sid    = "UseServiceQueue"
        Effect = "Allow"
        Action = [
          "sqs:SendMessage",
          "sqs:ReceiveMessage",
          "sqs:DeleteMessage",
          "sqs:ChangeMessageVisibility",
          "sqs:GetQueueAttributes",
          "sqs:GetQueueUrl",
        ]
        Resource = aws_sqs_queue.this[0].arn
      },
    ] : [],
    local.enable_postgres ? [
      {
        # IAM database authentication as the application user; the user must be
        # created in the database with `GRANT rds_iam TO <user>`.
        Sid      = "ConnectAsServiceDatabaseUser"
        Effect   = "Allow"
        Action   = "rds-db:connect"
        Resource = "arn:${local.partition}:rds-db:${local.region}:${local.account_id}:dbuser:${aws_db_instance.this[0].resource_id}/${local.postgres_iam_db_user}"
      },
    ] : [],
  )

  deploy_statements = concat(
    [
      {
        # GetAuthorizationToken has no resource-level permissions; the token
        # only works against repositories the role is allowed on below.
        Sid      = "EcrLogin"
        Effect   = "Allow"
        Action   = "ecr:GetAuthorizationToken"
        Resource = "*"
      },
      {
        Sid    = "PushPullServiceRepository"
        Effect = "Allow"
        Action = [
          "ecr:BatchCheckLayerAvailability",
          "ecr:BatchGetImage",
          "ecr:GetDownloadUrlForLayer",
          "ecr:InitiateLayerUpload",
          "ecr:UploadLayerPart",
          "ecr:CompleteLayerUpload",
          "ecr:PutImage",
          "ecr:DescribeImages",
          "ecr:DescribeRepositories",
          "ecr:ListImages",
        ]
        Resource = aws_ecr_repository.this.arn
      },
    ],
    var.eks_cluster_arn != null ? [
      {
        Sid      = "DescribeCluster"
        Effect   = "Allow"
        Action   = "eks:DescribeCluster"
        Resource = var.eks_cluster_arn
      },
    ] : [],
  )
}

################################################################################
# Workload role (IRSA)
################################################################################

resource "aws_iam_role" "workload" {
  name                 = "${local.prefix}-workload"
  description          = "Runtime role of ${var.name} (${var.environment}) for Kubernetes service account ${local.kubernetes_namespace}/${local.service_account_name}"
  max_session_duration = 3600
  permissions_boundary = var.iam_permissions_boundary_arn

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "EksServiceAccount"
        Effect    = "Allow"
        Principal = { Federated = var.cluster_oidc_provider_arn }
        Action    = "sts:AssumeRoleWithWebIdentity"
        Condition = {
          StringEquals = {
            "${local.cluster_oidc_issuer}:sub" = local.workload_subject
            "${local.cluster_oidc_issuer}:aud" = "sts.amazonaws.com"
          }
        }
      },
    ]
  })

  tags = merge(local.tags, { Name = "${local.prefix}-workload" })
}

resource "aws_iam_role_policy" "workload" {
  name   = "service-resources"
  role   = aws_iam_role.workload.id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.workload_statements })
}

################################################################################
# CI deploy role (GitHub Actions / GitLab CI via OIDC)
################################################################################

resource "aws_iam_role" "deploy" {
  name                 = "${local.prefix}-deploy"
  description          = "CI deploy role of ${var.name} (${var.environment}) for ${var.ci_provider} repository ${var.repository}"
  max_session_duration = 3600
  permissions_boundary = var.iam_permissions_boundary_arn

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "CiOidc"
        Effect    = "Allow"
        Principal = { Federated = var.ci_oidc_provider_arn }
        Action    = "sts:AssumeRoleWithWebIdentity"
        Condition = { for op, kv in local.ci_trust_conditions : op => kv if length(kv) > 0 }
      },
    ]
  })

  tags = merge(local.tags, { Name = "${local.prefix}-deploy" })
}

resource "aws_iam_role_policy" "deploy" {
  name   = "deploy"
  role   = aws_iam_role.deploy.id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.deploy_statements })
}
