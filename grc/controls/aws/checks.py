"""One function per DPP test of an AWS account, each returning a ``CheckResult`` (pure data).

Every check is read-only and records the API responses it used (``raw``, secrets stripped) so
the evidence shows what AWS said. A check whose API call is refused or fails returns
``passed=None`` ("could not run: <service>:<Action> denied", see ``calls``): a check that could
not run is never a pass. Resource ids are AWS identifiers (IAM user names, group, bucket, trail
and key ids), never secrets: an access key appears only as its last four characters, a user
named after an email address as its first letter and domain.

Thresholds are the DPP's (the same values as ``grc.controls.rules``, not imported from there
because that module loads the engine's models and this package stays free of Django).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from grc.controls.aws.calls import Api, CouldNotRun, NotFound, mask_key, user_label
from grc.controls.aws.session import Clients

PASSWORD_MIN_LENGTH = 12  # DPP 1.4
PASSWORD_MAX_AGE_DAYS = 365  # DPP 1.4
ACCESS_KEY_MAX_AGE_DAYS = 365  # DPP 1.4: rotate at least yearly, like passwords
ACCESS_KEY_MAX_IDLE_DAYS = 90  # DPP 1.2: only the required accounts keep access
LOG_RETENTION_MINIMUM_DAYS = 90  # DPP 2.6
WEB_PORTS = frozenset({80, 443})  # the only ports that may face 0.0.0.0/0 or ::/0 (DPP 1.1)
OPEN_RANGES = ("0.0.0.0/0", "::/0")
# DPP 1.5 asks for TLS 1.2+. An ELB policy name says its lowest TLS version; a policy passes only
# when its name names 1.2 or 1.3 as the floor (TLS-1-2, TLS13-1-2, TLS13-1-3, FS-1-2). Everything
# else fails, including TLS-1-0 / TLS-1-1 / TLS13-1-0 / TLS13-1-1 and the classic
# ELBSecurityPolicy-2016-08 (the default, which still accepts TLS 1.0) and -2015-05 / FS-2018-06.
TLS12_POLICY_MARKERS = ("TLS-1-2", "TLS13-1-2", "TLS13-1-3", "FS-1-2")
CONSOLE = "https://console.aws.amazon.com"


@dataclass(frozen=True)
class CheckResult:
    check_id: str
    clause: str
    title: str
    passed: bool | None  # None: the check could not run (never counted as a pass)
    reason: str
    resources: list[str] = field(default_factory=list)
    console_url: str = ""
    region: str | None = None  # None for account-wide checks (IAM, S3, the CloudTrail trail)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reason: str
    resources: list[str] = field(default_factory=list)


# -- the registry --------------------------------------------------------------------------------

CheckBody = Callable[[Api, datetime], Verdict]


@dataclass(frozen=True)
class Check:
    check_id: str
    clause: str
    title: str
    console_url: str  # may contain {region}
    regional: bool
    body: CheckBody

    def __call__(self, clients: Clients, *, region: str, now: datetime) -> CheckResult:
        api = Api(clients, region)
        try:
            verdict = self.body(api, now)
            passed, reason, resources = verdict.passed, verdict.reason, sorted(verdict.resources)
        except CouldNotRun as error:
            passed, reason, resources = None, error.reason, []
        except NotFound as error:  # a "not found" the check did not expect (a user deleted mid-run)
            passed, reason, resources = None, str(error), []
        except (KeyError, TypeError, ValueError) as error:  # an answer of a shape the check does not know
            passed, reason, resources = None, f"could not run: unexpected answer from AWS ({type(error).__name__})", []
        return CheckResult(
            check_id=self.check_id,
            clause=self.clause,
            title=self.title,
            passed=passed,
            reason=reason,
            resources=resources,
            console_url=self.console_url.format(region=region),
            region=region if self.regional else None,
            raw=api.raw,
        )


CHECKS: list[Check] = []


def check(check_id: str, clause: str, title: str, console_url: str, *, regional: bool) -> Callable[[CheckBody], Check]:
    def register(body: CheckBody) -> Check:
        made = Check(check_id, clause, title, console_url, regional, body)
        CHECKS.append(made)
        return made

    return register


def _verdict(failing: Iterable[str], *, ok: str, bad: str) -> Verdict:
    """Pass when nothing fails; else ``bad`` formatted with the count and the first few ids."""
    items = sorted(set(failing))
    if not items:
        return Verdict(True, ok)
    shown = ", ".join(items[:5]) + (f" and {len(items) - 5} more" if len(items) > 5 else "")
    return Verdict(False, bad.format(count=len(items), ids=shown), items)


# -- IAM (1.4, 1.2): account-wide ---------------------------------------------------------------


@check("iam.root_mfa", "1.4", "Root user has MFA", f"{CONSOLE}/iam/home#/security_credentials", regional=False)
def root_mfa(api: Api, now: datetime) -> Verdict:
    summary = api.call("iam", "GetAccountSummary")["SummaryMap"]
    if summary.get("AccountMFAEnabled") == 1:
        return Verdict(True, "the root user signs in with MFA")
    return Verdict(False, "the root user has no MFA device: assign one", ["root"])


@check("iam.root_access_keys", "1.4", "Root user has no access keys", f"{CONSOLE}/iam/home#/security_credentials", regional=False)
def root_access_keys(api: Api, now: datetime) -> Verdict:
    summary = api.call("iam", "GetAccountSummary")["SummaryMap"]
    if summary.get("AccountAccessKeysPresent", 0):
        return Verdict(False, "the root user has access keys: delete them", ["root"])
    return Verdict(True, "the root user has no access keys")


@check("iam.console_mfa", "1.4", "Console users have MFA", f"{CONSOLE}/iam/home#/users", regional=False)
def console_users_mfa(api: Api, now: datetime) -> Verdict:
    without = []
    for user in api.pages("iam", "ListUsers", "Users"):
        name = user["UserName"]
        try:
            api.call("iam", "GetLoginProfile", UserName=name)
        except NotFound:
            continue  # no console password: nothing to protect with MFA here
        if not api.call("iam", "ListMFADevices", UserName=name)["MFADevices"]:
            without.append(user_label(name))
    return _verdict(
        without,
        ok="every IAM user with a console password has MFA",
        bad="{count} IAM user(s) sign in to the console without MFA: {ids}",
    )


@check("iam.access_keys", "1.4", "Access keys rotated and in use", f"{CONSOLE}/iam/home#/users", regional=False)
def access_keys(api: Api, now: datetime) -> Verdict:
    stale = []
    for user in api.pages("iam", "ListUsers", "Users"):
        name = user["UserName"]
        for key in api.call("iam", "ListAccessKeys", UserName=name)["AccessKeyMetadata"]:
            if key.get("Status") != "Active":
                continue
            created = key["CreateDate"]
            used = api.call("iam", "GetAccessKeyLastUsed", AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
            last = used.get("LastUsedDate") or created  # never used: idle since it was made
            if now - created > timedelta(days=ACCESS_KEY_MAX_AGE_DAYS) or now - last > timedelta(days=ACCESS_KEY_MAX_IDLE_DAYS):
                stale.append(f"{user_label(name)}:{mask_key(key['AccessKeyId'])}")
    return _verdict(
        stale,
        ok=f"no active access key is older than {ACCESS_KEY_MAX_AGE_DAYS} days or unused for {ACCESS_KEY_MAX_IDLE_DAYS}",
        bad=f"{{count}} access key(s) older than {ACCESS_KEY_MAX_AGE_DAYS} days or unused for {ACCESS_KEY_MAX_IDLE_DAYS}: {{ids}}",
    )


@check("iam.password_policy", "1.4", "Password policy meets the DPP", f"{CONSOLE}/iam/home#/account_settings", regional=False)
def password_policy(api: Api, now: datetime) -> Verdict:
    try:
        policy = api.call("iam", "GetAccountPasswordPolicy")["PasswordPolicy"]
    except NotFound:
        return Verdict(False, "the account has no password policy: set one (12+ characters, all classes, 365-day expiry)")
    problems = password_policy_problems(policy)
    if problems:
        return Verdict(False, "password policy: " + "; ".join(problems), ["password-policy"])
    return Verdict(True, "the password policy meets DPP 1.4")


def password_policy_problems(policy: dict[str, Any]) -> list[str]:
    """What an IAM password policy lacks against DPP 1.4 (pure, for tests without AWS)."""
    problems = []
    if policy.get("MinimumPasswordLength", 0) < PASSWORD_MIN_LENGTH:
        problems.append(f"minimum length {policy.get('MinimumPasswordLength', 0)} (needs {PASSWORD_MIN_LENGTH})")
    classes = {
        "RequireUppercaseCharacters": "upper-case",
        "RequireLowercaseCharacters": "lower-case",
        "RequireNumbers": "numbers",
        "RequireSymbols": "symbols",
    }
    missing = [label for key, label in classes.items() if not policy.get(key)]
    if missing:
        problems.append("does not require " + ", ".join(missing))
    max_age = policy.get("MaxPasswordAge")
    if not max_age or max_age > PASSWORD_MAX_AGE_DAYS:
        problems.append(f"passwords expire after {max_age or 'never'} days (at most {PASSWORD_MAX_AGE_DAYS})")
    if not policy.get("PasswordReusePrevention"):
        problems.append("no password reuse prevention")
    return problems


# -- network (1.1) ---------------------------------------------------------------------------------


@check("network.open_security_groups", "1.1", "No security group open to the internet beyond 80/443",
       f"{CONSOLE}/ec2/home?region={{region}}#SecurityGroups:", regional=True)  # fmt: skip
def open_security_groups(api: Api, now: datetime) -> Verdict:
    open_rules = []
    for group in api.pages("ec2", "DescribeSecurityGroups", "SecurityGroups"):
        for rule in group.get("IpPermissions", []):
            ranges = [r.get("CidrIp") for r in rule.get("IpRanges", [])] + [r.get("CidrIpv6") for r in rule.get("Ipv6Ranges", [])]
            if not any(cidr in OPEN_RANGES for cidr in ranges) or _web_only(rule):
                continue
            protocol = rule.get("IpProtocol", "-1")
            ports = "all" if protocol == "-1" else f"{rule.get('FromPort')}-{rule.get('ToPort')}"
            open_rules.append(f"{group['GroupId']}:{'all' if protocol == '-1' else protocol}/{ports}")
    return _verdict(
        open_rules,
        ok="no security group admits the internet except on ports 80/443",
        bad="{count} security group rule(s) admit 0.0.0.0/0 or ::/0 beyond ports 80/443: {ids}",
    )


def _web_only(rule: dict[str, Any]) -> bool:
    return rule.get("IpProtocol") in ("tcp", "6") and rule.get("FromPort") == rule.get("ToPort") and rule.get("FromPort") in WEB_PORTS


@check("network.rds_public", "1.1", "No RDS instance is publicly accessible",
       f"{CONSOLE}/rds/home?region={{region}}#databases:", regional=True)  # fmt: skip
def rds_public(api: Api, now: datetime) -> Verdict:
    instances = api.pages("rds", "DescribeDBInstances", "DBInstances")
    return _verdict(
        (db["DBInstanceIdentifier"] for db in instances if db.get("PubliclyAccessible")),
        ok="no RDS instance is publicly accessible",
        bad="{count} RDS instance(s) publicly accessible: {ids}",
    )


def _blocks_everything(config: dict[str, Any]) -> bool:
    return all(config.get(flag) for flag in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"))


@check("network.s3_account_public_access_block", "1.1", "S3 Block Public Access is on for the account",
       f"{CONSOLE}/s3/settings", regional=False)  # fmt: skip
def s3_account_public_access_block(api: Api, now: datetime) -> Verdict:
    account = api.account_id()
    try:
        config = api.call("s3control", "GetPublicAccessBlock", AccountId=account)["PublicAccessBlockConfiguration"]
    except NotFound:
        return Verdict(False, "the account has no S3 Block Public Access setting: turn all four blocks on", [account])
    if _blocks_everything(config):
        return Verdict(True, "all four S3 Block Public Access settings are on for the account")
    return Verdict(False, "S3 Block Public Access is only partly on for the account: turn all four on", [account])


@check("network.s3_bucket_public_access_block", "1.1", "Every S3 bucket blocks public access",
       f"{CONSOLE}/s3/home", regional=False)  # fmt: skip
def s3_bucket_public_access_block(api: Api, now: datetime) -> Verdict:
    """Judged per bucket on its own setting; the account-wide block is its own check above."""
    exposed = []
    for bucket in api.pages("s3", "ListBuckets", "Buckets"):
        try:
            config = api.call("s3", "GetPublicAccessBlock", Bucket=bucket["Name"])["PublicAccessBlockConfiguration"]
        except NotFound:
            config = {}
        if not _blocks_everything(config):
            exposed.append(bucket["Name"])
    return _verdict(
        exposed,
        ok="every S3 bucket blocks public access",
        bad="{count} S3 bucket(s) without all four public access blocks: {ids}",
    )


# -- encryption at rest (2.4) and in transit (1.5) ---------------------------------------------------


@check("encryption.s3_default", "2.4", "Every S3 bucket encrypts by default", f"{CONSOLE}/s3/home", regional=False)
def s3_default_encryption(api: Api, now: datetime) -> Verdict:
    plain = []
    for bucket in api.pages("s3", "ListBuckets", "Buckets"):
        try:
            rules = api.call("s3", "GetBucketEncryption", Bucket=bucket["Name"])["ServerSideEncryptionConfiguration"]["Rules"]
        except NotFound:
            rules = []
        if not any(r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in rules):
            plain.append(bucket["Name"])
    return _verdict(
        plain, ok="every S3 bucket encrypts new objects by default", bad="{count} S3 bucket(s) without default encryption: {ids}"
    )


@check("encryption.rds_storage", "2.4", "RDS storage is encrypted", f"{CONSOLE}/rds/home?region={{region}}#databases:", regional=True)
def rds_storage_encryption(api: Api, now: datetime) -> Verdict:
    instances = api.pages("rds", "DescribeDBInstances", "DBInstances")
    return _verdict(
        (db["DBInstanceIdentifier"] for db in instances if not db.get("StorageEncrypted")),
        ok="every RDS instance's storage is encrypted",
        bad="{count} RDS instance(s) with unencrypted storage: {ids}",
    )


@check("encryption.ebs_default", "2.4", "EBS encrypts new volumes by default",
       f"{CONSOLE}/ec2/home?region={{region}}#Settings:tab=ebsEncryption", regional=True)  # fmt: skip
def ebs_default_encryption(api: Api, now: datetime) -> Verdict:
    if api.call("ec2", "GetEbsEncryptionByDefault").get("EbsEncryptionByDefault"):
        return Verdict(True, "EBS encryption by default is on")
    return Verdict(False, "EBS encryption by default is off: new volumes may be unencrypted", [api.region])


@check("encryption.ebs_volumes", "2.4", "EBS volumes are encrypted", f"{CONSOLE}/ec2/home?region={{region}}#Volumes:", regional=True)
def ebs_volumes(api: Api, now: datetime) -> Verdict:
    volumes = api.pages("ec2", "DescribeVolumes", "Volumes")
    return _verdict(
        (v["VolumeId"] for v in volumes if not v.get("Encrypted")),
        ok="every EBS volume is encrypted",
        bad="{count} unencrypted EBS volume(s): {ids}",
    )


@check(
    "encryption.kms_rotation", "2.4", "Customer-managed KMS keys rotate", f"{CONSOLE}/kms/home?region={{region}}#/kms/keys", regional=True
)
def kms_rotation(api: Api, now: datetime) -> Verdict:
    """Only enabled, symmetric, customer-managed keys can rotate automatically; others are skipped."""
    unrotated = []
    for key in api.pages("kms", "ListKeys", "Keys"):
        meta = api.call("kms", "DescribeKey", KeyId=key["KeyId"])["KeyMetadata"]
        if meta.get("KeyManager") != "CUSTOMER" or meta.get("KeyState") != "Enabled":
            continue
        if meta.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT" or meta.get("Origin") != "AWS_KMS":
            continue
        if not api.call("kms", "GetKeyRotationStatus", KeyId=key["KeyId"]).get("KeyRotationEnabled"):
            unrotated.append(key["KeyId"])
    return _verdict(unrotated, ok="every customer-managed KMS key rotates", bad="{count} KMS key(s) without automatic rotation: {ids}")


def weak_tls_policy(name: str) -> bool:
    """True when an ELB SSL policy admits TLS below 1.2 (see TLS12_POLICY_MARKERS)."""
    return not any(marker in name for marker in TLS12_POLICY_MARKERS)


@check("encryption.elb_tls", "1.5", "Load balancer listeners require TLS 1.2+",
       f"{CONSOLE}/ec2/home?region={{region}}#LoadBalancers:", regional=True)  # fmt: skip
def elb_tls(api: Api, now: datetime) -> Verdict:
    weak = []
    for balancer in api.pages("elbv2", "DescribeLoadBalancers", "LoadBalancers"):
        arn = balancer["LoadBalancerArn"]
        for listener in api.pages("elbv2", "DescribeListeners", "Listeners", LoadBalancerArn=arn):
            policy = listener.get("SslPolicy")
            if policy and weak_tls_policy(policy):
                weak.append(f"{balancer['LoadBalancerName']}:{listener.get('Port')} ({policy})")
    return _verdict(weak, ok="every TLS listener requires TLS 1.2 or later", bad="{count} listener(s) accept TLS below 1.2: {ids}")


# -- logging and monitoring (2.6) ----------------------------------------------------------------


@check("logging.cloudtrail", "2.6", "A multi-region CloudTrail trail logs with file validation",
       f"{CONSOLE}/cloudtrail/home?region={{region}}#/trails", regional=False)  # fmt: skip
def cloudtrail(api: Api, now: datetime) -> Verdict:
    trails = api.call("cloudtrail", "DescribeTrails", includeShadowTrails=True).get("trailList", [])
    if not trails:
        return Verdict(False, "no CloudTrail trail: create a multi-region trail with log file validation")
    gaps = []
    for trail in trails:
        missing = []
        if not trail.get("IsMultiRegionTrail"):
            missing.append("single-region")
        if not trail.get("LogFileValidationEnabled"):
            missing.append("no log file validation")
        status = api.call("cloudtrail", "GetTrailStatus", region=trail.get("HomeRegion"), Name=trail["TrailARN"])
        if not status.get("IsLogging"):
            missing.append("not logging")
        if not missing:
            return Verdict(True, f"trail {trail['Name']} logs every region with log file validation")
        gaps.append(f"{trail['Name']} ({', '.join(missing)})")
    return Verdict(False, "no trail is multi-region, validated and logging: " + "; ".join(gaps), [t["Name"] for t in trails])


@check("logging.log_retention", "2.6", "Log groups keep logs 90 days or more",
       f"{CONSOLE}/cloudwatch/home?region={{region}}#logsV2:log-groups", regional=True)  # fmt: skip
def log_retention(api: Api, now: datetime) -> Verdict:
    groups = api.pages("logs", "DescribeLogGroups", "logGroups")
    short = [g["logGroupName"] for g in groups if g.get("retentionInDays") and g["retentionInDays"] < LOG_RETENTION_MINIMUM_DAYS]
    return _verdict(
        short,
        ok=f"every log group keeps logs at least {LOG_RETENTION_MINIMUM_DAYS} days (or never expires)",
        bad=f"{{count}} log group(s) keep logs under {LOG_RETENTION_MINIMUM_DAYS} days: {{ids}}",
    )


@check("logging.guardduty", "2.6", "GuardDuty is enabled", f"{CONSOLE}/guardduty/home?region={{region}}", regional=True)
def guardduty(api: Api, now: datetime) -> Verdict:
    detectors = api.call("guardduty", "ListDetectors").get("DetectorIds", [])
    if not detectors:
        return Verdict(False, f"GuardDuty is not enabled in {api.region}", [api.region])
    for detector in detectors:
        if api.call("guardduty", "GetDetector", DetectorId=detector).get("Status") == "ENABLED":
            return Verdict(True, f"GuardDuty detector {detector} is enabled")
    return Verdict(False, f"the GuardDuty detector in {api.region} is suspended", detectors)


# -- vulnerability management (2.7) ----------------------------------------------------------------


@check("vulnerability.inspector", "2.7", "Amazon Inspector is enabled", f"{CONSOLE}/inspector/v2/home?region={{region}}", regional=True)
def inspector(api: Api, now: datetime) -> Verdict:
    account = api.account_id()
    accounts = api.call("inspector2", "BatchGetAccountStatus", accountIds=[account]).get("accounts", [])
    status = next((a.get("state", {}).get("status") for a in accounts if a.get("accountId") == account), None)
    if status == "ENABLED":
        return Verdict(True, f"Amazon Inspector scans this account in {api.region}")
    return Verdict(False, f"Amazon Inspector is {(status or 'not enabled').lower()} in {api.region}", [api.region])


@check("vulnerability.ecr_scan_on_push", "2.7", "ECR repositories scan images on push",
       f"{CONSOLE}/ecr/private-registry/repositories?region={{region}}", regional=True)  # fmt: skip
def ecr_scan_on_push(api: Api, now: datetime) -> Verdict:
    repositories = api.pages("ecr", "DescribeRepositories", "repositories")
    return _verdict(
        (r["repositoryName"] for r in repositories if not r.get("imageScanningConfiguration", {}).get("scanOnPush")),
        ok="every ECR repository scans images on push",
        bad="{count} ECR repositor(ies) do not scan on push: {ids}",
    )
