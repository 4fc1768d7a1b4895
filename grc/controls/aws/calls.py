"""The read-only AWS calls of a check, and what of their answers is kept as evidence.

``Api.call`` turns every refusal or failure into ``CouldNotRun`` naming the IAM action
("could not run: iam:GetAccountSummary denied"), so each check reads like its rule. Each answer
is kept sanitised: credentials dropped, access key ids cut to their last four characters, email
addresses (an IAM user may be named after one) cut to their first letter and domain.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError

from grc.controls.aws.session import DENIED_CODES, Clients

# The IAM action of an API call where it is not "<signing name>:<operation>".
IAM_ACTIONS = {
    ("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
}
# Every IAM action the checks call: the read-only role's policy (``least_privilege_policy``). The
# tests check that a full run calls nothing else. AWS's SecurityAudit managed policy covers them too.
REQUIRED_ACTIONS = (
    "cloudtrail:DescribeTrails",
    "cloudtrail:GetTrailStatus",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeVolumes",
    "ec2:GetEbsEncryptionByDefault",
    "ecr:DescribeRepositories",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeLoadBalancers",
    "guardduty:GetDetector",
    "guardduty:ListDetectors",
    "iam:GetAccessKeyLastUsed",
    "iam:GetAccountPasswordPolicy",
    "iam:GetAccountSummary",
    "iam:GetLoginProfile",
    "iam:ListAccessKeys",
    "iam:ListMFADevices",
    "iam:ListUsers",
    "inspector2:BatchGetAccountStatus",
    "kms:DescribeKey",
    "kms:GetKeyRotationStatus",
    "kms:ListKeys",
    "logs:DescribeLogGroups",
    "rds:DescribeDBInstances",
    "s3:GetAccountPublicAccessBlock",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetEncryptionConfiguration",
    "s3:ListAllMyBuckets",
    "sts:GetCallerIdentity",
)
SECRET_KEYS = frozenset({"SecretAccessKey", "SessionToken", "Credentials", "Password", "Base32StringSeed", "QRCodePNG"})
NOT_FOUND_CODES = frozenset(
    {
        "NoSuchEntity",
        "NoSuchPublicAccessBlockConfiguration",
        "ServerSideEncryptionConfigurationNotFoundError",
    }
)

# An email address (IAM user names may be one) keeps its first character and its domain.
EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@(?=[A-Za-z0-9.-]+\.[A-Za-z]{2,})")


class CouldNotRun(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotFound(Exception):
    """The API says the thing does not exist (no password policy, no encryption configuration)."""


class Api:
    """The calls of one check: each response is kept (sanitised) as raw evidence."""

    def __init__(self, clients: Clients, region: str) -> None:
        self.clients, self.region = clients, region
        self.raw: dict[str, Any] = {}
        self._account: str | None = None

    def call(self, service: str, operation: str, *, region: str | None = None, **params: Any) -> dict[str, Any]:
        client = self.clients(service, region or self.region)
        action = _iam_action(client, service, operation)
        try:
            answer: dict[str, Any] = getattr(client, xform_name(operation))(**params)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in NOT_FOUND_CODES:
                self._keep(action, params, {"Error": code})
                raise NotFound(f"could not run: {action} found nothing ({code})") from None
            raise could_not_run(action, error) from None
        except BotoCoreError as error:
            raise could_not_run(action, error) from None
        answer.pop("ResponseMetadata", None)
        self._keep(action, params, answer)
        return answer

    def pages(self, service: str, operation: str, key: str, *, region: str | None = None, **params: Any) -> list[Any]:
        """Every item of a paginated list (following NextToken / Marker) as one list."""
        client = self.clients(service, region or self.region)
        method = xform_name(operation)
        if not client.can_paginate(method):
            return list(self.call(service, operation, region=region, **params).get(key, []))
        action = _iam_action(client, service, operation)
        items: list[Any] = []
        try:
            for page in client.get_paginator(method).paginate(**params):
                items.extend(page.get(key, []))
        except (ClientError, BotoCoreError) as error:
            raise could_not_run(action, error) from None
        self._keep(action, params, {key: items})
        return items

    def account_id(self) -> str:
        if self._account is None:
            self._account = str(self.call("sts", "GetCallerIdentity")["Account"])
        return self._account

    def _keep(self, action: str, params: dict[str, Any], answer: dict[str, Any]) -> None:
        self.raw.setdefault(action, []).append({"request": sanitise(params), "response": sanitise(answer)})


def could_not_run(action: str, error: ClientError | BotoCoreError) -> CouldNotRun:
    """A refusal names the action to add to the role's policy; any other failure its error code."""
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        if code in DENIED_CODES:
            return CouldNotRun(f"could not run: {action} denied: add it to the role's policy")
        return CouldNotRun(f"could not run: {action} failed ({code or 'unknown error'})")
    return CouldNotRun(f"could not run: {action} failed ({type(error).__name__})")


def sanitise(value: Any) -> Any:
    """JSON-ready, without secrets: credentials dropped, access key ids cut to their last 4 characters."""
    if isinstance(value, dict):
        clean = {}
        for key, item in value.items():
            if key in SECRET_KEYS:
                continue
            if key == "AccessKeyId" and isinstance(item, str):
                clean[key] = mask_key(item)
            else:
                clean[str(key)] = sanitise(item)
        return clean
    if isinstance(value, list | tuple):
        return [sanitise(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, str):
        return EMAIL.sub(r"\1…@", value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    return str(value)


def mask_key(access_key_id: str) -> str:
    return f"…{access_key_id[-4:]}"


def user_label(user_name: str) -> str:
    """An IAM user name as a resource id; one that is an email address keeps only its first letter."""
    return EMAIL.sub(r"\1…@", user_name)


def least_privilege_policy() -> dict[str, Any]:
    """The IAM policy document for the read-only role (attach it, or AWS's SecurityAudit policy)."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "DppPortalReadOnly", "Effect": "Allow", "Action": list(REQUIRED_ACTIONS), "Resource": "*"}],
    }


def _iam_action(client: Any, service: str, operation: str) -> str:
    prefix = client.meta.service_model.signing_name or service
    return IAM_ACTIONS.get((service, operation), f"{prefix}:{operation}")
