"""The AWS connector end to end against moto in server mode (a local HTTP emulation of AWS).

One moto server runs for the module; boto3 reaches it through ``endpoint_url`` only, as it would
reach AWS. Each test works in its own AWS account id (moto keeps accounts apart), so the tests
do not see each other's resources. The portal's side always goes through ``connect`` (STS
AssumeRole with an external ID) and ``collect``; the emulator is only set up and fixed through
an administrator session, as the security lead would in the console.
"""

from __future__ import annotations

import hashlib
import json
import urllib.request
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from grc.controls.aws import calls, checks
from grc.controls.aws.run import collect, unreachable
from grc.controls.aws.session import ConnectorError, clients, connect

REGION = "eu-west-1"
EXTERNAL_ID = "dpp-portal-ext-0001"  # made up for tests
# The moto server fixture ``endpoint`` is in tests/controls/conftest.py (shared with test_aws_wiring).


def admin(endpoint: str, account: str):
    """A client factory acting as the account's administrator (moto: any role of that account)."""
    sts = boto3.client("sts", region_name=REGION, endpoint_url=endpoint)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/admin", RoleSessionName="admin")["Credentials"]
    session = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
    )
    return clients(session, endpoint)


def audit_role(aws, account: str) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:user/portal"},  # moto matches it exactly
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}},
            }
        ],
    }
    role = aws("iam", REGION).create_role(RoleName="dpp-portal-audit", AssumeRolePolicyDocument=json.dumps(trust))
    return role["Role"]["Arn"]


def build_weak_account(aws, account: str) -> dict[str, str]:
    """A console user without MFA, SSH open to the world, a plain bucket, an unvalidated trail, 30-day logs."""
    iam, ec2, s3, logs = aws("iam", REGION), aws("ec2", REGION), aws("s3", REGION), aws("logs", REGION)
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Made-up-for-tests-1")
    key = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    iam.create_user(UserName="deploy-bot")  # no console password: MFA is not asked of it
    iam.update_account_password_policy(MinimumPasswordLength=8, RequireNumbers=True)
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    ssh = ec2.create_security_group(GroupName="open-ssh", Description="ssh", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=ssh, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    web = ec2.create_security_group(GroupName="web", Description="https", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=web, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    for bucket in (f"orders-{account}", f"trail-{account}"):  # bucket names are global
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    trail = aws("cloudtrail", REGION)
    trail.create_trail(Name="main", S3BucketName=f"trail-{account}", IsMultiRegionTrail=True)
    trail.start_logging(Name="main")
    logs.create_log_group(logGroupName="/app/orders")
    logs.put_retention_policy(logGroupName="/app/orders", retentionInDays=30)
    logs.create_log_group(logGroupName="/app/forever")  # no retention: never expires, passes
    aws("rds", REGION).create_db_instance(
        DBInstanceIdentifier="orders-db",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="app",
        MasterUserPassword="Made-up-for-tests-2",
        AllocatedStorage=20,
        PubliclyAccessible=True,
        StorageEncrypted=False,
    )
    volume = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8)["VolumeId"]
    kms_key = aws("kms", REGION).create_key(Description="orders")["KeyMetadata"]["KeyId"]
    aws("ecr", REGION).create_repository(repositoryName="shop")
    subnets = [subnet["SubnetId"] for subnet in ec2.describe_subnets()["Subnets"]][:2]
    elb = aws("elbv2", REGION)
    balancer = elb.create_load_balancer(Name="shop", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    target = elb.create_target_group(Name="shop", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
    certificate = aws("acm", REGION).request_certificate(DomainName="shop.example.com")["CertificateArn"]
    elb.create_listener(
        LoadBalancerArn=balancer,
        Protocol="HTTPS",
        Port=443,
        SslPolicy="ELBSecurityPolicy-2016-08",  # the classic default: still accepts TLS 1.0
        Certificates=[{"CertificateArn": certificate}],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": target}],
    )
    return {"ssh": ssh, "web": web, "key": key, "volume": volume, "kms": kms_key, "balancer": balancer}


def fix_account(aws, account: str) -> None:
    iam, ec2, s3 = aws("iam", REGION), aws("ec2", REGION), aws("s3", REGION)
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName="alice", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321")
    iam.update_account_password_policy(
        MinimumPasswordLength=14,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        RequireNumbers=True,
        RequireSymbols=True,
        MaxPasswordAge=365,
        PasswordReusePrevention=12,
    )
    ssh = ec2.describe_security_groups(GroupNames=["open-ssh"])["SecurityGroups"][0]["GroupId"]
    ec2.revoke_security_group_ingress(
        GroupId=ssh, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    block = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    aws("s3control", REGION).put_public_access_block(AccountId=account, PublicAccessBlockConfiguration=block)
    for bucket in (f"orders-{account}", f"trail-{account}"):
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=block)
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]},
        )
    aws("cloudtrail", REGION).update_trail(Name="main", EnableLogFileValidation=True)
    aws("logs", REGION).put_retention_policy(logGroupName="/app/orders", retentionInDays=365)
    ec2.enable_ebs_encryption_by_default()
    aws("guardduty", REGION).create_detector(Enable=True)
    aws("inspector2", REGION).enable(accountIds=[account], resourceTypes=["EC2", "ECR"])
    rds = aws("rds", REGION)  # storage encryption cannot be turned on in place: restore as a new instance
    rds.delete_db_instance(DBInstanceIdentifier="orders-db", SkipFinalSnapshot=True)
    rds.create_db_instance(
        DBInstanceIdentifier="orders-db",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="app",
        MasterUserPassword="Made-up-for-tests-2",
        AllocatedStorage=20,
        PubliclyAccessible=False,
        StorageEncrypted=True,
    )
    for volume in ec2.describe_volumes()["Volumes"]:
        ec2.delete_volume(VolumeId=volume["VolumeId"])
    ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8, Encrypted=True)
    kms = aws("kms", REGION)
    for key in kms.list_keys()["Keys"]:
        kms.enable_key_rotation(KeyId=key["KeyId"])
    aws("ecr", REGION).put_image_scanning_configuration(repositoryName="shop", imageScanningConfiguration={"scanOnPush": True})
    elb = aws("elbv2", REGION)
    for balancer in elb.describe_load_balancers()["LoadBalancers"]:
        for listener in elb.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]:
            elb.modify_listener(ListenerArn=listener["ListenerArn"], SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06")


def portal_collect(endpoint: str, account: str, role_arn: str, now: datetime):
    session = connect(role_arn=role_arn, external_id=EXTERNAL_ID, region=REGION, endpoint_url=endpoint)
    return collect(clients(session, endpoint), regions=[REGION], now=now)


def by_id(collection):
    return {result.check_id: result for result in collection.results}


def test_it_names_each_failing_control_with_its_resources_and_reason(endpoint):
    account = "111111111111"
    aws = admin(endpoint, account)
    role_arn = audit_role(aws, account)
    made = build_weak_account(aws, account)

    collection = portal_collect(endpoint, account, role_arn, datetime.now(UTC))
    results = by_id(collection)

    assert collection.not_run == [], [r.reason for r in collection.not_run]
    assert len(collection.results) == len(checks.CHECKS)  # one region: each check once
    root = results["iam.root_mfa"]  # moto has no way to give the root user MFA: always a fail
    assert (root.passed, root.resources, root.clause) == (False, ["root"], "1.4")
    assert results["iam.root_access_keys"].passed is True
    mfa = results["iam.console_mfa"]
    assert (mfa.passed, mfa.resources) == (False, ["alice"])  # deploy-bot has no console password
    assert mfa.reason == "1 IAM user(s) sign in to the console without MFA: alice"
    assert mfa.console_url == "https://console.aws.amazon.com/iam/home#/users"
    policy = results["iam.password_policy"]
    assert policy.passed is False
    assert "minimum length 8 (needs 12)" in policy.reason and "no password reuse prevention" in policy.reason
    groups = results["network.open_security_groups"]
    assert (groups.passed, groups.resources, groups.region) == (False, [f"{made['ssh']}:tcp/22-22"], REGION)
    assert "eu-west-1" in groups.console_url
    assert results["network.s3_account_public_access_block"].passed is False
    assert results["network.s3_bucket_public_access_block"].resources == [f"orders-{account}", f"trail-{account}"]
    assert results["encryption.s3_default"].resources == [f"orders-{account}", f"trail-{account}"]
    trail = results["logging.cloudtrail"]
    assert (trail.passed, trail.resources, trail.clause) == (False, ["main"], "2.6")
    assert trail.reason == "no trail is multi-region, validated and logging: main (no log file validation)"
    retention = results["logging.log_retention"]
    assert (retention.passed, retention.resources) == (False, ["/app/orders"])
    assert results["encryption.ebs_default"].passed is False
    assert results["logging.guardduty"].passed is False
    assert results["vulnerability.inspector"].passed is False
    assert (results["network.rds_public"].passed, results["network.rds_public"].resources) == (False, ["orders-db"])
    assert results["encryption.rds_storage"].resources == ["orders-db"]
    assert results["encryption.ebs_volumes"].resources == [made["volume"]]
    assert results["encryption.kms_rotation"].resources == [made["kms"]]
    assert results["vulnerability.ecr_scan_on_push"].resources == ["shop"]
    tls = results["encryption.elb_tls"]
    assert (tls.passed, tls.clause, tls.resources) == (False, "1.5", ["shop:443 (ELBSecurityPolicy-2016-08)"])

    document = json.loads(collection.raw_json_bytes)
    assert collection.sha256 == hashlib.sha256(collection.raw_json_bytes).hexdigest()
    assert [r["check_id"] for r in document["results"]] == [r.check_id for r in collection.results]
    assert made["key"] not in collection.raw_json_bytes.decode()  # the key id only as "…" + last 4
    assert made["key"][-4:] in collection.raw_json_bytes.decode()
    assert "SecretAccessKey" not in collection.raw_json_bytes.decode()

    later = portal_collect(endpoint, account, role_arn, datetime.now(UTC) + timedelta(days=400))
    keys = by_id(later)["iam.access_keys"]
    assert by_id(collection)["iam.access_keys"].passed is True
    assert (keys.passed, keys.resources) == (False, [f"alice:…{made['key'][-4:]}"])


def test_it_passes_each_control_once_the_lead_fixes_the_resource(endpoint):
    account = "333333333333"
    aws = admin(endpoint, account)
    role_arn = audit_role(aws, account)
    build_weak_account(aws, account)
    fix_account(aws, account)

    collection = portal_collect(endpoint, account, role_arn, datetime.now(UTC))
    results = by_id(collection)

    unfixable = {"iam.root_mfa"}  # moto cannot give the root user MFA (AccountMFAEnabled stays 0)
    for check_id, result in results.items():
        if check_id not in unfixable:
            assert (result.passed, result.resources) == (True, []), (check_id, result.reason)
    assert results["logging.cloudtrail"].reason == "trail main logs every region with log file validation"
    called = {action for result in collection.results for action in result.raw}
    assert called == set(calls.REQUIRED_ACTIONS)  # the documented policy is exactly what a run needs


def test_it_runs_regional_checks_in_each_region_and_account_wide_ones_once(endpoint):
    account = "444444444444"
    aws = admin(endpoint, account)
    role_arn = audit_role(aws, account)
    aws("guardduty", REGION).create_detector(Enable=True)  # on in Ireland only
    session = connect(role_arn=role_arn, external_id=EXTERNAL_ID, region=REGION, endpoint_url=endpoint)
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)

    collection = collect(clients(session, endpoint), regions=[REGION, "us-east-1"], now=now)

    regional = [c for c in checks.CHECKS if c.regional]
    assert len(collection.results) == len(checks.CHECKS) + len(regional)
    guard = {r.region: r.passed for r in collection.results if r.check_id == "logging.guardduty"}
    assert guard == {REGION: True, "us-east-1": False}
    assert {r.region for r in collection.results if r.check_id == "iam.password_policy"} == {None}
    assert json.loads(collection.raw_json_bytes)["collected_at"] == "2026-12-01T09:00:00+00:00"


def test_it_judges_tls_policies_by_their_lowest_version():
    assert checks.weak_tls_policy("ELBSecurityPolicy-2016-08")
    assert checks.weak_tls_policy("ELBSecurityPolicy-TLS-1-1-2017-01")
    assert checks.weak_tls_policy("ELBSecurityPolicy-TLS13-1-0-2021-06")
    assert not checks.weak_tls_policy("ELBSecurityPolicy-TLS13-1-2-2021-06")
    assert not checks.weak_tls_policy("ELBSecurityPolicy-FS-1-2-Res-2020-10")


def test_it_names_the_denied_action_and_refuses_a_principal_the_role_does_not_trust(endpoint):
    """With moto's IAM enforcement on, a role without iam:GetAccountSummary cannot run the root check."""
    account = "222222222222"
    aws = admin(endpoint, account)
    iam = aws("iam", REGION)
    role_arn = audit_role(aws, account)
    iam.put_role_policy(
        RoleName="dpp-portal-audit",
        PolicyName="partial",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ec2:Describe*"], "Resource": "*"}]}
        ),
    )
    iam.create_user(UserName="portal")
    iam.put_user_policy(
        UserName="portal",
        PolicyName="assume",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
        ),
    )
    iam.create_user(UserName="stranger")  # may not call sts:AssumeRole at all
    portal = iam.create_access_key(UserName="portal")["AccessKey"]
    stranger = iam.create_access_key(UserName="stranger")["AccessKey"]

    def base(key):
        return boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])

    enforce_iam(endpoint, True)
    try:
        session = connect(role_arn=role_arn, external_id=EXTERNAL_ID, region=REGION, endpoint_url=endpoint, base_session=base(portal))
        factory = clients(session, endpoint)
        now = datetime.now(UTC)
        root = checks.root_mfa(factory, region=REGION, now=now)
        groups = checks.open_security_groups(factory, region=REGION, now=now)
        with pytest.raises(ConnectorError) as wrong_id:
            connect(role_arn=role_arn, external_id="someone-elses-id", region=REGION, endpoint_url=endpoint, base_session=base(portal))
        with pytest.raises(ConnectorError) as refused:
            connect(role_arn=role_arn, external_id=EXTERNAL_ID, region=REGION, endpoint_url=endpoint, base_session=base(stranger))
    finally:
        enforce_iam(endpoint, False)

    assert (root.passed, root.reason, root.resources) == (
        None,
        "could not run: iam:GetAccountSummary denied: add it to the role's policy",
        [],
    )
    assert groups.passed is True  # ec2:Describe* is allowed: that check runs
    assert refused.value.action == "sts:AssumeRole"
    assert "sts:AssumeRole refused" in refused.value.message
    assert wrong_id.value.action == "sts:AssumeRole"
    blocked = unreachable(wrong_id.value, regions=[REGION], now=datetime(2026, 12, 1, tzinfo=UTC))
    assert {r.passed for r in blocked.results} == {None}  # never "met" when the role cannot be assumed
    assert len(blocked.results) == len(checks.CHECKS)
    assert blocked.results[0].reason.startswith("could not run: sts:AssumeRole refused")
    assert wrong_id.value.message == ("sts:AssumeRole refused: the role's trust policy does not accept the portal or this external ID")


def enforce_iam(endpoint: str, on: bool) -> None:
    """moto's switch for IAM enforcement: the number of requests allowed before checking starts."""
    request = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth",
        data=b"0" if on else b"inf",
        method="POST",
        headers={"Content-Type": "text/plain"},  # a form body would be parsed away by the server
    )
    # the URL is the local moto server's, built above from its own host and port
    with urllib.request.urlopen(request, timeout=10) as answer:  # nosec B310
        assert answer.status == 200


def test_it_refuses_to_assume_a_role_without_an_external_id(endpoint):
    with pytest.raises(ConnectorError) as refused:
        connect(role_arn="arn:aws:iam::111111111111:role/x", external_id="", region=REGION, endpoint_url=endpoint)
    assert refused.value.action == "sts:AssumeRole"


def test_it_judges_a_password_policy_against_dpp_1_4():
    strong = {
        "MinimumPasswordLength": 12,
        "RequireUppercaseCharacters": True,
        "RequireLowercaseCharacters": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "MaxPasswordAge": 365,
        "PasswordReusePrevention": 5,
    }
    assert checks.password_policy_problems(strong) == []
    assert checks.password_policy_problems({**strong, "MaxPasswordAge": 366}) == ["passwords expire after 366 days (at most 365)"]
    assert checks.password_policy_problems({**strong, "RequireSymbols": False}) == ["does not require symbols"]
    assert "passwords expire after never days (at most 365)" in checks.password_policy_problems(
        {k: v for k, v in strong.items() if k != "MaxPasswordAge"}
    )


def test_it_strips_secrets_and_personal_data_from_evidence():
    answer = {
        "Credentials": {"AccessKeyId": "ASIAEXAMPLE00001234", "SecretAccessKey": "made-up", "SessionToken": "made-up"},
        "AccessKeyMetadata": [{"AccessKeyId": "AKIAEXAMPLE0000WXYZ", "CreateDate": datetime(2026, 1, 2, tzinfo=UTC)}],
    }
    assert calls.sanitise(answer) == {"AccessKeyMetadata": [{"AccessKeyId": "…WXYZ", "CreateDate": "2026-01-02T00:00:00+00:00"}]}
    assert calls.user_label("jane.doe@example.com") == "j…@example.com"
    assert calls.sanitise({"Arn": "arn:aws:iam::1:user/jane.doe@example.com"}) == {"Arn": "arn:aws:iam::1:user/j…@example.com"}
    assert calls.user_label("deploy-bot") == "deploy-bot"


def test_it_needs_keys_in_the_environment_when_no_role_is_given(monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    with pytest.raises(ConnectorError) as refused:
        connect(role_arn="", external_id="", region=REGION)
    assert "give the read-only role's ARN" in refused.value.message
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    assert connect(role_arn="", external_id="", region=REGION).region_name == REGION


def test_the_least_privilege_policy_allows_only_read_actions():
    statement = calls.least_privilege_policy()["Statement"][0]
    assert statement["Effect"] == "Allow" and statement["Resource"] == "*"
    verbs = ("Describe", "Get", "List", "BatchGet")
    assert all(action.split(":")[1].startswith(verbs) for action in statement["Action"])


def test_an_answer_of_an_unknown_shape_is_could_not_run_never_a_pass():
    """A check whose answer lacks what it reads stops itself, not the run, and is never met."""

    def body(api, now):
        return {}["AccountMFAEnabled"]

    check = checks.Check(check_id="test.shape", clause="1.4", title="shape", console_url="", regional=False, body=body)
    result = check(None, region="eu-west-1", now=datetime(2026, 12, 1, tzinfo=UTC))
    assert result.passed is None and "unexpected answer" in result.reason
