"""Credentials for the connector: the customer's read-only role, assumed with its external ID.

The portal never stores AWS keys for a customer account: it assumes the role the security lead
created (trusting the portal's principal, with the external ID the portal gave them) and uses the
short-lived credentials of that session. Static keys from the standard environment variables are
for development only, when no role ARN is given.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

SESSION_NAME = "dpp-portal"
SESSION_SECONDS = 3600  # one collection run; the credentials expire on their own afterwards
DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"})
# The portal's own credentials are wrong or expired: no role could be assumed with them.
BAD_CREDENTIAL_CODES = frozenset({"InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "UnrecognizedClientException"})
ACCOUNT_HOST_PREFIX = re.compile(r"//\d{12}\.")

Clients = Callable[[str, str], BaseClient]  # (service, region) -> client


class ConnectorError(Exception):
    """The connector cannot run at all; ``action`` names the IAM action the lead must fix."""

    def __init__(self, action: str, message: str) -> None:
        super().__init__(message)
        self.action = action
        self.message = message


def connect(
    *,
    role_arn: str,
    external_id: str,
    region: str,
    endpoint_url: str | None = None,
    base_session: boto3.Session | None = None,
) -> boto3.Session:
    """A session with the assumed role's credentials (or the environment's keys when no role is given)."""
    if not role_arn:
        return _development_session(region)
    if len(external_id or "") < 2:
        raise ConnectorError("sts:AssumeRole", "sts:AssumeRole needs the external ID given to the role's trust policy")
    base = base_session or boto3.Session()
    sts = base.client("sts", region_name=region, endpoint_url=endpoint_url, config=_config(endpoint_url))
    try:
        answer = sts.assume_role(
            RoleArn=role_arn,
            RoleSessionName=SESSION_NAME,
            ExternalId=external_id,
            DurationSeconds=SESSION_SECONDS,
        )
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in DENIED_CODES:
            raise ConnectorError(
                "sts:AssumeRole",
                "sts:AssumeRole refused: the role's trust policy does not accept the portal or this external ID",
            ) from None
        if code in BAD_CREDENTIAL_CODES:
            refused = f"sts:AssumeRole failed: the portal's own AWS credentials are refused ({code})"
            raise ConnectorError("sts:AssumeRole", refused) from None
        raise ConnectorError("sts:AssumeRole", f"sts:AssumeRole failed ({code or 'unknown error'})") from None
    except BotoCoreError as error:
        raise ConnectorError("sts:AssumeRole", f"sts:AssumeRole failed: {type(error).__name__}") from None
    credentials = answer["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


def _development_session(region: str) -> boto3.Session:
    key, secret = os.environ.get("AWS_ACCESS_KEY_ID", ""), os.environ.get("AWS_SECRET_ACCESS_KEY", "")
    if not key or not secret:
        raise ConnectorError(
            "sts:AssumeRole",
            "no role ARN given and no AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY set: give the read-only role's ARN",
        )
    return boto3.Session(
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=os.environ.get("AWS_SESSION_TOKEN") or None,
        region_name=region,
    )


def clients(session: boto3.Session, endpoint_url: str | None = None) -> Clients:
    """A factory of clients per (service, region), each made once, all pointed at ``endpoint_url`` if given."""
    made: dict[tuple[str, str], BaseClient] = {}

    def client(service: str, region: str) -> BaseClient:
        if (service, region) not in made:
            made[service, region] = _client(session, service, region, endpoint_url)
        return made[service, region]

    return client


def _client(session: boto3.Session, service: str, region: str, endpoint_url: str | None) -> BaseClient:
    made: Any = session.client(service, region_name=region, endpoint_url=endpoint_url, config=_config(endpoint_url))
    if endpoint_url and service == "s3control":
        # S3 Control puts the account id in the host name (123456789012.s3-control...); a local
        # emulator has one host, so the prefix is dropped before the request is signed.
        made.meta.events.register("before-sign.s3-control.*", _drop_account_host_prefix)
    return made


def _drop_account_host_prefix(request: Any, **_: Any) -> None:
    request.url = ACCOUNT_HOST_PREFIX.sub("//", request.url, count=1)


def _config(endpoint_url: str | None) -> Config:
    """Few retries and short timeouts: a daily run would rather report "could not run" than hang."""
    options: dict[str, Any] = {"retries": {"max_attempts": 3, "mode": "standard"}, "connect_timeout": 10, "read_timeout": 30}
    if endpoint_url:
        options["s3"] = {"addressing_style": "path"}  # an emulator has no per-bucket host names
    return Config(**options)
