################################################################################
# Identity
################################################################################

variable "name" {
  description = "Service name. Lowercase letters, digits and single hyphens, 3-32 characters, starting with a letter. Every resource name is prefixed with `<name>-<environment>`; 32 characters is the longest name for which all derived names (S3 buckets especially) stay inside AWS limits."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name)) && !strcontains(var.name, "--")
    error_message = "var.name must match ^[a-z][a-z0-9-]{1,30}[a-z0-9]$ (3-32 characters: lowercase letter first, lowercase letters, digits and hyphens, no trailing hyphen) and must not contain \"--\"."
  }
}

variable "environment" {
  description = "Deployment environment this instance of the module manages: dev, staging or prod."
  type        = string
  nullable    = false

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "var.environment must be one of: dev, staging, prod."
  }
}

variable "tier" {
  description = "Criticality tier: 1 (critical), 2 or 3. Drives backup retention, Multi-AZ, deletion protection, cross-region disaster recovery copies and the default budget (see the tier table in the README)."
  type        = number
  nullable    = false

  validation {
    condition     = contains([1, 2, 3], var.tier)
    error_message = "var.tier must be 1, 2 or 3."
  }
}

variable "description" {
  description = "Free-text description of the service (any printable Unicode, up to 1024 characters). Used where AWS accepts arbitrary text, such as the KMS key description; never used in tags, whose values allow only a restricted character set."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.description) >= 1 && length(var.description) <= 1024
    error_message = "var.description must be between 1 and 1024 characters long."
  }

  validation {
    condition     = !can(regex("\\p{Cc}", var.description))
    error_message = "var.description must contain only printable characters (no control characters such as newlines or tabs)."
  }
}

variable "tags" {
  description = "Tags applied to every taggable resource. Must contain the mandatory keys service, environment, team, cost-center, tier, data-classification, ownership-model, repository and managed-by; \"service\" and \"environment\" must equal var.name and var.environment because the budget filters on the service tag."
  type        = map(string)
  nullable    = false

  validation {
    condition = length(setsubtract(
      ["service", "environment", "team", "cost-center", "tier", "data-classification", "ownership-model", "repository", "managed-by"],
      keys(var.tags),
    )) == 0
    error_message = "var.tags is missing mandatory key(s): ${join(", ", sort(setsubtract(["service", "environment", "team", "cost-center", "tier", "data-classification", "ownership-model", "repository", "managed-by"], keys(var.tags))))}."
  }

  validation {
    condition = alltrue([
      for k, v in var.tags :
      length(k) >= 1 && length(k) <= 128 && length(v) <= 256 &&
      can(regex("^[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*$", k)) &&
      can(regex("^[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*$", v)) &&
      !startswith(lower(k), "aws:")
    ])
    error_message = "var.tags keys (1-128 characters) and values (0-256 characters) may contain only Unicode letters, digits, spaces and _ . : / = + - @, and keys must not start with \"aws:\"."
  }

  validation {
    condition     = lookup(var.tags, "service", var.name) == var.name && lookup(var.tags, "environment", var.environment) == var.environment
    error_message = "var.tags[\"service\"] must equal var.name and var.tags[\"environment\"] must equal var.environment (the budget and cost reports filter on these tags)."
  }
}

variable "owner_email" {
  description = "E-mail address of the owning team. Receives the AWS Budgets notifications."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.owner_email))
    error_message = "var.owner_email must be a single e-mail address such as team@example.com."
  }
}

################################################################################
# Datastores
################################################################################

variable "datastores" {
  description = "Datastores the service owns. Any subset of \"postgres\", \"s3\" and \"sqs\"; each one enables its resources and the matching workload permissions."
  type        = set(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for d in var.datastores : contains(["postgres", "s3", "sqs"], d)])
    error_message = "var.datastores may contain only \"postgres\", \"s3\" and \"sqs\"."
  }
}

variable "postgres" {
  description = "PostgreSQL sizing, used when datastores contains \"postgres\". engine_version is a major (\"16\") or major.minor (\"16.4\") version; with a major version only, AWS picks the newest minor and applies minor upgrades automatically."
  type = object({
    instance_class        = optional(string, "db.t4g.medium")
    allocated_storage     = optional(number, 20)
    max_allocated_storage = optional(number, 100)
    engine_version        = optional(string, "16")
  })
  default  = {}
  nullable = false

  validation {
    condition     = can(regex("^db\\.[a-z0-9-]+\\.[a-z0-9]+$", var.postgres.instance_class))
    error_message = "var.postgres.instance_class must be an RDS instance class such as db.t4g.medium or db.r7g.large."
  }

  validation {
    condition     = var.postgres.allocated_storage >= 20 && var.postgres.allocated_storage <= 65536 && floor(var.postgres.allocated_storage) == var.postgres.allocated_storage
    error_message = "var.postgres.allocated_storage must be a whole number of GiB between 20 (gp3 minimum) and 65536."
  }

  validation {
    condition     = var.postgres.max_allocated_storage >= var.postgres.allocated_storage && var.postgres.max_allocated_storage <= 65536
    error_message = "var.postgres.max_allocated_storage must be >= var.postgres.allocated_storage and <= 65536 GiB."
  }

  validation {
    condition     = can(regex("^(1[3-9]|[2-9][0-9])(\\.[0-9]+)?$", var.postgres.engine_version))
    error_message = "var.postgres.engine_version must be a supported PostgreSQL major version (13 or newer), optionally with a minor version, e.g. \"16\" or \"16.4\"."
  }
}

variable "backup_retention_days" {
  description = "Override for the RDS automated backup retention in days (1-35). null uses the tier default (`tier_defaults` in tiers.tf)."
  type        = number
  default     = null

  validation {
    condition     = var.backup_retention_days == null || (try(var.backup_retention_days >= 1 && var.backup_retention_days <= 35 && floor(var.backup_retention_days) == var.backup_retention_days, false))
    error_message = "var.backup_retention_days must be null or a whole number between 1 and 35 (the RDS maximum)."
  }
}

################################################################################
# Kubernetes workload identity (IRSA)
################################################################################

variable "kubernetes_namespace" {
  description = "Kubernetes namespace of the service account allowed to assume the workload role. null means var.name."
  type        = string
  default     = null

  validation {
    condition     = var.kubernetes_namespace == null || can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.kubernetes_namespace))
    error_message = "var.kubernetes_namespace must be null or a valid Kubernetes namespace (RFC 1123 label: lowercase alphanumerics and '-', at most 63 characters)."
  }
}

variable "service_account_name" {
  description = "Name of the Kubernetes service account allowed to assume the workload role. null means var.name."
  type        = string
  default     = null

  validation {
    condition     = var.service_account_name == null || (try(length(var.service_account_name) <= 253, false) && can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", var.service_account_name)))
    error_message = "var.service_account_name must be null or a valid Kubernetes service account name (RFC 1123 subdomain, at most 253 characters)."
  }
}

variable "cluster_oidc_provider_arn" {
  description = "ARN of the EKS cluster's IAM OIDC identity provider, e.g. arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE. The issuer used in the trust policy conditions is derived from it."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/[^/]+(/.+)?$", var.cluster_oidc_provider_arn))
    error_message = "var.cluster_oidc_provider_arn must be an IAM OIDC provider ARN: arn:<partition>:iam::<12-digit account>:oidc-provider/<issuer host and path>."
  }
}

################################################################################
# Networking (postgres only)
################################################################################

variable "vpc_id" {
  description = "VPC for the PostgreSQL security group. Required when datastores contains \"postgres\"."
  type        = string
  default     = null

  validation {
    condition     = var.vpc_id == null || can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "var.vpc_id must be null or a VPC ID such as vpc-0123456789abcdef0."
  }

  validation {
    condition     = !contains(var.datastores, "postgres") || var.vpc_id != null
    error_message = "var.vpc_id is required when var.datastores contains \"postgres\"."
  }
}

variable "subnet_ids" {
  description = "Private subnets for the DB subnet group, in at least two Availability Zones. Required (>= 2) when datastores contains \"postgres\"."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-zA-Z]+$", s))])
    error_message = "var.subnet_ids must contain only subnet IDs such as subnet-0123456789abcdef0."
  }

  validation {
    condition     = !contains(var.datastores, "postgres") || length(distinct(var.subnet_ids)) >= 2
    error_message = "var.subnet_ids must list at least 2 distinct subnets (in different Availability Zones) when var.datastores contains \"postgres\"; RDS requires a DB subnet group covering two AZs."
  }
}

variable "allowed_security_group_ids" {
  description = "Security groups (typically the EKS cluster or pod security group) allowed to reach PostgreSQL on port 5432. At least one is required when datastores contains \"postgres\". The IDs must be known at plan time (they key the ingress rules)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for s in var.allowed_security_group_ids : can(regex("^sg-[0-9a-zA-Z]+$", s))])
    error_message = "var.allowed_security_group_ids must contain only security group IDs such as sg-0123456789abcdef0."
  }

  validation {
    condition     = !contains(var.datastores, "postgres") || length(var.allowed_security_group_ids) >= 1
    error_message = "var.allowed_security_group_ids must contain at least one security group when var.datastores contains \"postgres\"; otherwise nothing could reach the database."
  }
}

################################################################################
# CI/CD deploy identity
################################################################################

variable "ci_provider" {
  description = "CI system that deploys the service: github (GitHub Actions) or gitlab (GitLab CI on gitlab.com or a self-managed instance)."
  type        = string
  nullable    = false

  validation {
    condition     = contains(["github", "gitlab"], var.ci_provider)
    error_message = "var.ci_provider must be \"github\" or \"gitlab\"."
  }
}

variable "repository" {
  description = "Repository path on the git host: `<owner>/<name>` for GitHub; `<group>/<project>`, optionally with nested subgroups (`a/b/c`), for GitLab."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$", var.repository))
    error_message = "var.repository must look like <owner>/<name> (GitLab may use nested groups: <group>/<subgroup>/<project>) using letters, digits, '_', '.', '-'."
  }

  validation {
    condition     = var.ci_provider != "github" || length(split("/", var.repository)) == 2
    error_message = "var.repository must be exactly <owner>/<name> when var.ci_provider is \"github\"."
  }
}

variable "ci_oidc_provider_arn" {
  description = "ARN of the IAM OIDC identity provider for the CI system (token.actions.githubusercontent.com for GitHub, gitlab.com or the self-managed GitLab host for GitLab). The issuer used in the trust conditions is derived from it."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/[^/]+(/.+)?$", var.ci_oidc_provider_arn))
    error_message = "var.ci_oidc_provider_arn must be an IAM OIDC provider ARN: arn:<partition>:iam::<12-digit account>:oidc-provider/<issuer host>."
  }
}

variable "ci_oidc_audience" {
  description = "Audience (aud claim) the CI token must carry. null means `sts.amazonaws.com` for GitHub and `https://<gitlab host>` for GitLab, matching each vendor's documented AWS setup; it must be one of the client IDs registered on the OIDC provider."
  type        = string
  default     = null

  validation {
    condition     = var.ci_oidc_audience == null || try(length(var.ci_oidc_audience) > 0, false)
    error_message = "var.ci_oidc_audience must be null or a non-empty string."
  }
}

variable "eks_cluster_arn" {
  description = "ARN of the EKS cluster the deploy role may describe (eks:DescribeCluster, needed to build a kubeconfig). null grants no EKS permission."
  type        = string
  default     = null

  validation {
    condition     = var.eks_cluster_arn == null || can(regex("^arn:aws[a-z-]*:eks:[a-z0-9-]+:[0-9]{12}:cluster/[A-Za-z0-9][A-Za-z0-9_-]*$", var.eks_cluster_arn))
    error_message = "var.eks_cluster_arn must be null or an EKS cluster ARN: arn:<partition>:eks:<region>:<account>:cluster/<name>."
  }
}

variable "iam_permissions_boundary_arn" {
  description = "Optional ARN of a managed policy attached as permissions boundary to every IAM role the module creates, for organisations that require one."
  type        = string
  default     = null

  validation {
    condition     = var.iam_permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.iam_permissions_boundary_arn))
    error_message = "var.iam_permissions_boundary_arn must be null or an IAM managed policy ARN."
  }
}

################################################################################
# Observability, cost and housekeeping
################################################################################

variable "log_retention_days" {
  description = "Retention of the service's CloudWatch log groups (and S3 access logs). null means 365 in prod and 90 elsewhere. Must be a value CloudWatch Logs accepts; prod requires at least 365."
  type        = number
  default     = null

  validation {
    condition     = var.log_retention_days == null ? true : contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "var.log_retention_days must be null or one of CloudWatch Logs' allowed values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }

  validation {
    condition     = var.environment != "prod" || var.log_retention_days == null || try(var.log_retention_days >= 365, false)
    error_message = "var.log_retention_days must be at least 365 when var.environment is \"prod\" (audit retention requirement)."
  }
}

variable "budget_limit_usd" {
  description = "Monthly cost budget in USD for resources tagged `service=<name>`. null uses the tier default (`tier_defaults` in tiers.tf)."
  type        = number
  default     = null

  validation {
    condition     = var.budget_limit_usd == null || try(var.budget_limit_usd > 0 && var.budget_limit_usd <= 1000000, false)
    error_message = "var.budget_limit_usd must be null or a positive amount of at most 1000000 USD."
  }
}

variable "ecr_keep_image_count" {
  description = "Number of most recent images the ECR lifecycle policy keeps (tagged or not). Older images are expired."
  type        = number
  default     = 100
  nullable    = false

  validation {
    condition     = var.ecr_keep_image_count >= 1 && var.ecr_keep_image_count <= 10000 && floor(var.ecr_keep_image_count) == var.ecr_keep_image_count
    error_message = "var.ecr_keep_image_count must be a whole number between 1 and 10000."
  }
}

variable "ecr_untagged_expiry_days" {
  description = "Days after which untagged ECR images (leftovers of multi-arch or failed pushes) are expired."
  type        = number
  default     = 14
  nullable    = false

  validation {
    condition     = var.ecr_untagged_expiry_days >= 1 && var.ecr_untagged_expiry_days <= 3650 && floor(var.ecr_untagged_expiry_days) == var.ecr_untagged_expiry_days
    error_message = "var.ecr_untagged_expiry_days must be a whole number between 1 and 3650."
  }
}

################################################################################
# Alarms
################################################################################

variable "alarm_https_endpoint" {
  description = "HTTPS URL of the on-call tool's CloudWatch integration (PagerDuty, Opsgenie) subscribed to the alarm topic; null subscribes nothing. The URL embeds the integration key: pass it from a secret store (e.g. TF_VAR_alarm_https_endpoint in CI), never commit it."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.alarm_https_endpoint == null || try(startswith(var.alarm_https_endpoint, "https://") && length(var.alarm_https_endpoint) > length("https://"), false)
    error_message = "var.alarm_https_endpoint must be null or an https:// URL; SNS would send alarms to an http:// endpoint unencrypted."
  }
}

variable "postgres_connections_alarm_threshold" {
  description = "Open PostgreSQL connections above which the connections alarm fires (sustained for 15 minutes). RDS derives max_connections from the instance memory (just under 450 on a 4 GiB db.t4g.medium, the default class; just under 900 on 8 GiB); set this to about 70-75% of `SHOW max_connections` for the instance class in use."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = var.postgres_connections_alarm_threshold >= 1 && var.postgres_connections_alarm_threshold <= 5000 && floor(var.postgres_connections_alarm_threshold) == var.postgres_connections_alarm_threshold
    error_message = "var.postgres_connections_alarm_threshold must be a whole number between 1 and 5000 (RDS never sets max_connections above 5000, and the module's parameter group does not raise it)."
  }
}

variable "sqs_message_age_alarm_seconds" {
  description = "Age in seconds of the oldest message in the queue above which the message-age alarm fires. null uses the tier default (`tier_defaults` in tiers.tf)."
  type        = number
  default     = null

  validation {
    condition     = var.sqs_message_age_alarm_seconds == null || try(var.sqs_message_age_alarm_seconds >= 60 && var.sqs_message_age_alarm_seconds <= 86400 && floor(var.sqs_message_age_alarm_seconds) == var.sqs_message_age_alarm_seconds, false)
    error_message = "var.sqs_message_age_alarm_seconds must be null or a whole number of seconds between 60 and 86400 (one day; messages expire after four)."
  }
}

variable "s3_4xx_error_rate_alarm_percent" {
  description = "Share of data bucket requests, in percent, that may fail with a 4xx client error before the 4xx alarm fires (sustained for 15 minutes). Raise it for services that use 404 as a normal answer (existence checks)."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.s3_4xx_error_rate_alarm_percent > 0 && var.s3_4xx_error_rate_alarm_percent < 100
    error_message = "var.s3_4xx_error_rate_alarm_percent must be greater than 0 and less than 100."
  }
}
