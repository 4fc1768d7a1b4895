"""Which DPP clause a cloud-posture finding weighs on: Prowler check ids and AWS Security Hub
control ids → the clause (issue 25). The table is shipped and reviewed like code; a finding whose
check or control is not in it is still imported as a finding, with no clause (``None``), and
simply does not count towards any clause until someone adds its row here.

The rule of thumb, clause by clause (one clause per check: the one whose requirement the failing
setting breaks most directly):

* **1.1 Network protection** — security groups and network ACLs open to the internet, public
  IPs, anything publicly reachable or readable (S3 public access and its blocks, public RDS
  instances and snapshots, public EBS snapshots, public Lambda functions or KMS keys).
* **1.2 Access management** — who has an account: root used day to day, unused users, keys and
  console logins left behind (the quarterly review and 24-hour removal of 1.2).
* **1.3 Least privilege** — what an account may do: administrator ``*:*`` policies, policies on
  users instead of groups or roles, wildcard service actions, privilege escalation paths.
* **1.4 Credential management** — passwords, MFA and keys: the password policy (length, classes,
  reuse, expiry), MFA for root and console users, root access keys, key and secret rotation.
* **1.5 Encryption in transit** — TLS: HTTPS-only buckets, load balancer listeners and ciphers,
  node-to-node and database transport encryption, certificates.
* **2.4 Encryption at rest** — S3, EBS (volumes and the account default), RDS, EFS, OpenSearch
  encryption, and key management (KMS rotation, keys not scheduled for deletion).
* **2.5 Secure coding** — secrets written where code and configuration live: Lambda environment
  variables and code, EC2 user data, CodeBuild variables and source URLs, SSM documents.
* **2.6 Logging and monitoring** — CloudTrail (multi-region, validation, encryption, CloudWatch
  delivery), log retention (DPP: at least 90 days), access logs, flow logs, AWS Config, CloudWatch
  alarms on suspicious activity, GuardDuty enabled (and its findings: alarms to investigate).
* **2.7 Vulnerability management** — Inspector and ECR image scanning enabled, patch compliance,
  supported runtimes and engine upgrades (and Inspector's findings: vulnerabilities to fix).

Prowler keys are check ids as Prowler names them (``metadata.event_code`` in its OCSF output;
checked against ``prowler/providers/aws/services/*/*/*.metadata.json`` of Prowler 5). Security Hub
keys are the consolidated control ids (``Compliance.SecurityControlId``, "IAM.6") of the AWS
Foundational Security Best Practices standard, as the Security Hub user guide lists them.
"""

from __future__ import annotations

import re

# Prowler check id → DPP clause
PROWLER: dict[str, str] = {
    # 1.1 network protection and public access
    "ec2_securitygroup_allow_ingress_from_internet_to_any_port": "1.1",
    "ec2_securitygroup_allow_ingress_from_internet_to_all_ports": "1.1",
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22": "1.1",
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389": "1.1",
    "ec2_securitygroup_allow_ingress_from_internet_to_high_risk_tcp_ports": "1.1",
    "ec2_securitygroup_default_restrict_traffic": "1.1",
    "ec2_networkacl_allow_ingress_tcp_port_22": "1.1",
    "ec2_networkacl_allow_ingress_tcp_port_3389": "1.1",
    "ec2_networkacl_allow_ingress_any_port": "1.1",
    "ec2_instance_public_ip": "1.1",
    "ec2_ebs_public_snapshot": "1.1",
    "vpc_subnet_no_public_ip_by_default": "1.1",
    "s3_bucket_public_access": "1.1",
    "s3_account_level_public_access_blocks": "1.1",
    "s3_bucket_level_public_access_block": "1.1",
    "s3_bucket_policy_public_write_access": "1.1",
    "s3_bucket_public_write_acl": "1.1",
    "s3_bucket_public_list_acl": "1.1",
    "rds_instance_no_public_access": "1.1",
    "rds_snapshots_public_access": "1.1",
    "awslambda_function_not_publicly_accessible": "1.1",
    "awslambda_function_url_public": "1.1",
    "kms_key_not_publicly_accessible": "1.1",
    "opensearch_service_domains_not_publicly_accessible": "1.1",
    # 1.2 access management (who has an account)
    "iam_avoid_root_usage": "1.2",
    "iam_user_accesskey_unused": "1.2",
    "iam_user_console_access_unused": "1.2",
    "accessanalyzer_enabled": "1.2",
    # 1.3 least privilege (what an account may do)
    "iam_aws_attached_policy_no_administrative_privileges": "1.3",
    "iam_customer_attached_policy_no_administrative_privileges": "1.3",
    "iam_inline_policy_no_administrative_privileges": "1.3",
    "iam_policy_attached_only_to_group_or_roles": "1.3",
    "iam_policy_allows_privilege_escalation": "1.3",
    "iam_user_administrator_access_policy": "1.3",
    # 1.4 credential management: passwords, MFA, keys
    "iam_root_mfa_enabled": "1.4",
    "iam_root_hardware_mfa_enabled": "1.4",
    "iam_no_root_access_key": "1.4",
    "iam_user_mfa_enabled_console_access": "1.4",
    "iam_administrator_access_with_mfa": "1.4",
    "iam_password_policy_minimum_length_14": "1.4",
    "iam_password_policy_lowercase": "1.4",
    "iam_password_policy_uppercase": "1.4",
    "iam_password_policy_number": "1.4",
    "iam_password_policy_symbol": "1.4",
    "iam_password_policy_reuse_24": "1.4",
    "iam_password_policy_expires_passwords_within_90_days_or_less": "1.4",
    "iam_rotate_access_key_90_days": "1.4",
    "secretsmanager_automatic_rotation_enabled": "1.4",
    # 1.5 encryption in transit
    "s3_bucket_secure_transport_policy": "1.5",
    "elbv2_insecure_ssl_ciphers": "1.5",
    "elbv2_ssl_listeners": "1.5",
    "elb_insecure_ssl_ciphers": "1.5",
    "elb_ssl_listeners": "1.5",
    "rds_instance_transport_encrypted": "1.5",
    "opensearch_service_domains_node_to_node_encryption_enabled": "1.5",
    "acm_certificates_expiration_check": "1.5",
    # 2.4 encryption at rest and key management
    "s3_bucket_default_encryption": "2.4",
    "s3_bucket_kms_encryption": "2.4",
    "ec2_ebs_default_encryption": "2.4",
    "ec2_ebs_volume_encryption": "2.4",
    "rds_instance_storage_encrypted": "2.4",
    "rds_cluster_storage_encrypted": "2.4",
    "rds_snapshots_encrypted": "2.4",
    "efs_encryption_at_rest_enabled": "2.4",
    "opensearch_service_domains_encryption_at_rest_enabled": "2.4",
    "kms_cmk_rotation_enabled": "2.4",
    "kms_cmk_not_deleted_unintentionally": "2.4",
    # 2.5 secrets in code and configuration
    "awslambda_function_no_secrets_in_variables": "2.5",
    "awslambda_function_no_secrets_in_code": "2.5",
    "ec2_instance_secrets_user_data": "2.5",
    "codebuild_project_no_secrets_in_variables": "2.5",
    "codebuild_project_source_repo_url_no_sensitive_credentials": "2.5",
    "ssm_document_secrets": "2.5",
    # 2.6 logging and monitoring
    "cloudtrail_multi_region_enabled": "2.6",
    "cloudtrail_log_file_validation_enabled": "2.6",
    "cloudtrail_kms_encryption_enabled": "2.6",
    "cloudtrail_cloudwatch_logging_enabled": "2.6",
    "cloudtrail_logs_s3_bucket_is_not_publicly_accessible": "2.6",
    "cloudtrail_logs_s3_bucket_access_logging_enabled": "2.6",
    "cloudwatch_log_group_retention_policy_specific_days_enabled": "2.6",
    "cloudwatch_log_metric_filter_root_usage": "2.6",
    "cloudwatch_log_metric_filter_unauthorized_api_calls": "2.6",
    "cloudwatch_log_metric_filter_authentication_failures": "2.6",
    "cloudwatch_log_metric_filter_policy_changes": "2.6",
    "s3_bucket_server_access_logging_enabled": "2.6",
    "vpc_flow_logs_enabled": "2.6",
    "elbv2_logging_enabled": "2.6",
    "config_recorder_all_regions_enabled": "2.6",
    "guardduty_is_enabled": "2.6",
    "guardduty_no_high_severity_findings": "2.6",
    "securityhub_enabled": "2.6",
    # 2.7 vulnerability management
    "inspector2_is_enabled": "2.7",
    "inspector2_active_findings_exist": "2.7",
    "ecr_repositories_scan_images_on_push_enabled": "2.7",
    "ecr_registry_scan_images_on_push_enabled": "2.7",
    "ecr_repositories_scan_vulnerabilities_in_latest_image": "2.7",
    "ssm_managed_compliant_patching": "2.7",
    "ec2_instance_managed_by_ssm": "2.7",
    "awslambda_function_using_supported_runtimes": "2.7",
    "rds_instance_minor_version_upgrade_enabled": "2.7",
}

# AWS Security Hub control id (Foundational Security Best Practices) → DPP clause
SECURITYHUB: dict[str, str] = {
    # 1.1 network protection and public access
    "EC2.1": "1.1",  # EBS snapshots not publicly restorable
    "EC2.2": "1.1",  # default security group restricts all traffic
    "EC2.9": "1.1",  # instances without public IPv4
    "EC2.13": "1.1",  # no 0.0.0.0/0 to port 22
    "EC2.14": "1.1",  # no 0.0.0.0/0 to port 3389
    "EC2.15": "1.1",  # subnets do not auto-assign public IPs
    "EC2.18": "1.1",  # unrestricted ingress only on authorised ports
    "EC2.19": "1.1",  # no unrestricted access to high-risk ports
    "EC2.21": "1.1",  # network ACLs: no 0.0.0.0/0 to 22 or 3389
    "S3.1": "1.1",  # account-level Block Public Access
    "S3.2": "1.1",  # no public read
    "S3.3": "1.1",  # no public write
    "S3.8": "1.1",  # bucket-level Block Public Access
    "RDS.1": "1.1",  # snapshots private
    "RDS.2": "1.1",  # instances not publicly accessible
    "Lambda.1": "1.1",  # function policies prohibit public access
    "KMS.5": "1.1",  # keys not publicly accessible
    "OpenSearch.2": "1.1",  # domains not publicly accessible
    # 1.2 access management
    "IAM.8": "1.2",  # unused credentials removed
    "IAM.22": "1.2",  # credentials unused for 45 days removed
    # 1.3 least privilege
    "IAM.1": "1.3",  # no full "*" administrative policies
    "IAM.2": "1.3",  # no policies attached to users
    "IAM.21": "1.3",  # no wildcard service actions
    "KMS.1": "1.3",  # no kms:Decrypt on all keys (managed policies)
    "KMS.2": "1.3",  # no kms:Decrypt on all keys (inline policies)
    # 1.4 credential management
    "IAM.3": "1.4",  # access keys rotated within 90 days
    "IAM.4": "1.4",  # no root access key
    "IAM.5": "1.4",  # MFA for console users
    "IAM.6": "1.4",  # hardware MFA for root
    "IAM.7": "1.4",  # strong password policy
    "IAM.9": "1.4",  # MFA for root
    "IAM.10": "1.4",  # strong password policy (Config)
    "IAM.11": "1.4",  # password policy: uppercase
    "IAM.12": "1.4",  # password policy: lowercase
    "IAM.13": "1.4",  # password policy: symbol
    "IAM.14": "1.4",  # password policy: number
    "IAM.15": "1.4",  # password policy: length ≥ 14
    "IAM.16": "1.4",  # password policy: prevents reuse
    "IAM.17": "1.4",  # password policy: expires within 90 days
    "IAM.19": "1.4",  # MFA for all users
    "SecretsManager.1": "1.4",  # automatic rotation
    "SecretsManager.4": "1.4",  # rotated within a number of days
    # 1.5 encryption in transit
    "S3.5": "1.5",  # requests must use SSL
    "ELB.1": "1.5",  # ALB redirects HTTP to HTTPS
    "ELB.2": "1.5",  # CLB uses an ACM certificate
    "ELB.3": "1.5",  # CLB listeners use HTTPS/TLS
    "ELB.8": "1.5",  # CLB uses a strong predefined TLS policy
    "OpenSearch.3": "1.5",  # node-to-node encryption
    "OpenSearch.8": "1.5",  # latest TLS policy
    "RDS.38": "1.5",  # PostgreSQL encrypted in transit
    "RDS.39": "1.5",  # MySQL encrypted in transit
    "ACM.1": "1.5",  # imported certificates renewed
    # 2.4 encryption at rest and keys
    "EC2.3": "2.4",  # attached EBS volumes encrypted
    "EC2.7": "2.4",  # EBS default encryption
    "S3.17": "2.4",  # buckets encrypted with KMS keys
    "RDS.3": "2.4",  # instances encrypted at rest
    "RDS.4": "2.4",  # snapshots encrypted at rest
    "RDS.27": "2.4",  # clusters encrypted at rest
    "EFS.1": "2.4",  # EFS encrypted with KMS
    "OpenSearch.1": "2.4",  # domains encrypted at rest
    "KMS.3": "2.4",  # keys not deleted unintentionally
    "KMS.4": "2.4",  # key rotation
    # 2.5 secrets in code and configuration
    "CodeBuild.1": "2.5",  # no credentials in source repository URLs
    "CodeBuild.2": "2.5",  # no clear-text credentials in environment variables
    # 2.6 logging and monitoring
    "CloudTrail.1": "2.6",  # multi-Region trail
    "CloudTrail.2": "2.6",  # trail encrypted at rest (logs protected from tampering and reading)
    "CloudTrail.4": "2.6",  # log file validation
    "CloudTrail.5": "2.6",  # trail delivered to CloudWatch Logs
    "CloudTrail.6": "2.6",  # trail bucket not public
    "CloudTrail.7": "2.6",  # trail bucket access logging
    "CloudWatch.1": "2.6",  # alarm on root user usage
    "CloudWatch.4": "2.6",  # alarm on IAM policy changes
    "CloudWatch.5": "2.6",  # alarm on CloudTrail configuration changes
    "CloudWatch.15": "2.6",  # alarms have an action
    "CloudWatch.16": "2.6",  # log group retention
    "CloudWatch.17": "2.6",  # alarm actions activated
    "Config.1": "2.6",  # AWS Config enabled
    "EC2.6": "2.6",  # VPC flow logs
    "ELB.5": "2.6",  # load balancer logging
    "S3.9": "2.6",  # server access logging
    "GuardDuty.1": "2.6",  # GuardDuty enabled
    # 2.7 vulnerability management
    "Inspector.1": "2.7",  # EC2 scanning
    "Inspector.2": "2.7",  # ECR scanning
    "Inspector.3": "2.7",  # Lambda code scanning
    "Inspector.4": "2.7",  # Lambda standard scanning
    "ECR.1": "2.7",  # image scanning configured
    "SSM.1": "2.7",  # instances managed by Systems Manager
    "SSM.2": "2.7",  # patch compliance
    "Lambda.2": "2.7",  # supported runtimes
    "RDS.13": "2.7",  # automatic minor version upgrades
}

# findings a Security Hub integration raises itself (no control), by the product in its ProductArn
# (``arn:aws:securityhub:REGION::product/aws/guardduty``): threat detections are alarms to
# investigate (2.6), Inspector's are vulnerabilities to remediate (2.7)
SECURITYHUB_PRODUCTS: dict[str, str] = {
    "guardduty": "2.6",
    "inspector": "2.7",
    "ecr-image-scanning": "2.7",
}

_SECURITYHUB_BY_LOWER = {key.lower(): clause for key, clause in SECURITYHUB.items()}  # "cloudtrail.1" too

_CONTROL_ID = re.compile(r"(?:^|/)([A-Za-z][A-Za-z0-9]*\.\d+)$")


def control_id(reference: str) -> str:
    """The Security Hub control id in a control id, ``ProductFields.ControlId`` or a standard's
    ``GeneratorId`` ("aws-foundational-security-best-practices/v/1.0.0/IAM.6",
    "security-control/IAM.6" → "IAM.6"); "" when there is none (a CIS rule number such as
    "1.14", a product's own generator)."""
    match = _CONTROL_ID.search(reference.strip())
    return match.group(1) if match else ""


def dpp_clause(tool: str, reference: str) -> str | None:
    """The DPP clause a finding weighs on: ``tool`` "prowler" (``reference`` a check id) or
    "securityhub" (a control id, a standard's generator id, or "prowler-<check id>" for Prowler
    findings sent to Security Hub). None when the table does not map it: the finding is still a
    finding, it just counts towards no clause."""
    key = reference.strip()
    family = tool.strip().lower().replace(" ", "")
    if family == "prowler":
        return PROWLER.get(key.lower())
    if family in ("securityhub", "awssecurityhub"):
        if key.lower().startswith("prowler-"):
            return PROWLER.get(key[len("prowler-") :].lower())
        control = control_id(key)
        return _SECURITYHUB_BY_LOWER.get(control.lower()) if control else None
    return None


def product_clause(product_arn: str) -> str | None:
    """The clause for a product's own finding (GuardDuty, Inspector …) from its ``ProductArn``."""
    product = product_arn.strip().rstrip("/").rsplit("/", 1)[-1].lower()
    return SECURITYHUB_PRODUCTS.get(product)
