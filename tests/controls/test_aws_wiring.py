"""The AWS connector wired into the portal: a connection per system, runs stored as evidence, and
the register's statuses held back by failing, unrunnable or stale checks (never made met by them).

Every run goes through ``collection_run`` against moto in server mode (the ``endpoint`` fixture of
tests/controls/conftest.py); each test uses its own AWS account id, so they do not see each other.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from access_reviews.models import System
from grc.audit.models import AuditEvent
from grc.controls.aws.service import collection_run, connection_save, drifted
from grc.controls.models import AwsCollection, AwsConnection
from grc.controls.rules import AwsFacts, AwsResult, aws_problems
from grc.controls.selectors import register_facts
from grc.controls.services import control_entry_save
from grc.controls.tasks import aws_collect_all
from grc.models import OutboxMessage
from tests.conftest import signed_in
from tests.controls.register import GOOD
from tests.controls.test_aws_connector import REGION, admin, audit_role, enforce_iam

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
CONSOLE_MFA = "AWS check iam.console_mfa: 1 IAM user(s) sign in to the console without MFA: alice"


@pytest.fixture(autouse=True)
def private_media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def aws_system(lead, name: str = "Shop on AWS") -> System:
    """An in-scope system whose identity settings are recorded within the DPP (so 1.4 would be met)."""
    system = System.objects.create(name=name, owner=lead, holds_amazon_information=True)
    control_entry_save(area="identity", raw=GOOD["identity"], owner=lead, as_of=NOW.date(), by=lead, now=NOW, system=system)
    return system


def connected(system, lead, account: str, endpoint: str) -> AwsConnection:
    role_arn = audit_role(admin(endpoint, account), account)
    return connection_save(system=system, data={"role_arn": role_arn, "regions": [REGION], "enabled": True}, by=lead, now=NOW)


def console_user_without_mfa(endpoint: str, account: str, name: str = "alice") -> None:
    iam = admin(endpoint, account)("iam", REGION)
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password="Made-up-for-tests-1")


def give_mfa(endpoint: str, account: str, name: str = "alice") -> None:
    iam = admin(endpoint, account)("iam", REGION)
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName=name, SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321")


def problems_of(system, clause: str, now: datetime) -> list[str]:
    verdict = next(v for v in register_facts(now).verdicts(clause) if v.subject.name == system.name)
    return [problem.text for problem in verdict.problems]


def test_it_holds_1_4_back_for_a_console_user_without_mfa_until_the_user_has_one(endpoint, lead):
    system = aws_system(lead)
    before = register_facts(NOW).result("1.4")
    connection = connected(system, lead, "333333333333", endpoint)
    console_user_without_mfa(endpoint, "333333333333")

    first = collection_run(connection=connection, now=NOW, endpoint_url=endpoint)

    assert CONSOLE_MFA not in before.reason
    assert first.status == AwsCollection.COLLECTED
    assert CONSOLE_MFA in problems_of(system, "1.4", NOW)
    result = register_facts(NOW).result("1.4")
    assert result.status == "not_met"
    assert f"{system.name}: " in result.reason and CONSOLE_MFA in result.reason
    stored = next(row for row in first.results if row["check_id"] == "iam.console_mfa")
    assert (stored["passed"], stored["resources"], "raw" in stored) == (False, ["alice"], False)
    assert first.evidence_sha256 == hashlib.sha256(first.evidence.read()).hexdigest()
    collected = AuditEvent.objects.get(action="controls.aws.collected", object_id=str(first.pk))
    assert collected.details["failed"] == first.failed_count > 0

    give_mfa(endpoint, "333333333333")
    later = NOW + timedelta(hours=1)
    collection_run(connection=connection, now=later, endpoint_url=endpoint)

    assert not [text for text in problems_of(system, "1.4", later) if "iam.console_mfa" in text]
    assert "iam.console_mfa" not in register_facts(later).result("1.4").reason


def test_a_check_that_passed_and_now_fails_is_a_drift_event(endpoint, lead):
    connection = connected(aws_system(lead), lead, "444444444444", endpoint)
    collection_run(connection=connection, now=NOW, endpoint_url=endpoint)  # no console user: passes
    console_user_without_mfa(endpoint, "444444444444", "bob")

    second = collection_run(connection=connection, now=NOW + timedelta(days=1), endpoint_url=endpoint)

    drift = AuditEvent.objects.filter(action="controls.aws.drift", object_id=str(second.pk))
    by_check = {event.details["check_id"]: event for event in drift}
    assert "iam.console_mfa" in by_check
    event = by_check["iam.console_mfa"]
    assert (event.outcome, event.details["clause"], event.details["resources"]) == ("failure", "1.4", 1)
    assert "bob" not in str(event.details) + event.message  # counts only, no names


def test_a_role_that_cannot_be_assumed_holds_back_every_covered_clause(endpoint, lead):
    system = aws_system(lead)
    connection = connected(system, lead, "555555555555", endpoint)
    enforce_iam(endpoint, True)  # the portal's own keys ("testing") are not an IAM user of any account
    try:
        collection = collection_run(connection=connection, now=NOW, endpoint_url=endpoint)
    finally:
        enforce_iam(endpoint, False)

    assert collection.status == AwsCollection.UNREACHABLE
    assert collection.passed_count == collection.failed_count == 0 and collection.not_run_count == len(collection.results)
    facts = register_facts(NOW)
    for clause in ("1.1", "1.4", "2.6"):
        texts = problems_of(system, clause, NOW)
        assert any("could not run: sts:AssumeRole" in text for text in texts), clause
        assert facts.result(clause).status == "not_met"
    for clause in ("1.5", "2.4", "2.7"):  # judged by the AWS checks alone in the register: still only held back
        assert facts.aws_result(clause).status == "not_met"
        assert "sts:AssumeRole" in facts.aws_result(clause).reason


def test_a_collection_older_than_48_hours_holds_back_what_it_covers(endpoint, lead):
    system = aws_system(lead)
    connection = connected(system, lead, "666666666666", endpoint)
    collection_run(connection=connection, now=NOW, endpoint_url=endpoint)

    fresh = problems_of(system, "1.1", NOW + timedelta(hours=47))
    stale = problems_of(system, "1.1", NOW + timedelta(hours=49))

    assert not [text for text in fresh if "not collected since" in text]
    assert "AWS checks not collected since 2026-12-07 03:00 UTC" in stale


def test_passing_aws_checks_never_make_a_clause_met_on_their_own():
    now = NOW
    passing = AwsFacts(frozenset({"1.5"}), now, (AwsResult("elb.tls", "1.5", True, "every listener uses TLS 1.2+"),))
    failing = AwsFacts(frozenset({"1.5"}), now, (AwsResult("elb.tls", "1.5", False, "1 listener below TLS 1.2: lb", "eu-west-1"),))

    assert aws_problems("1.5", passing, now) == []
    assert [p.text for p in aws_problems("1.5", failing, now)] == ["AWS check elb.tls: 1 listener below TLS 1.2: lb (eu-west-1)"]
    assert aws_problems("2.6", failing, now) == []  # a clause the connection does not cover
    assert [p.text for p in aws_problems("1.5", AwsFacts(frozenset({"1.5"}), None), now)] == ["AWS checks not collected yet"]
    previous = [{"check_id": "a", "region": None, "passed": True}, {"check_id": "b", "region": None, "passed": False}]
    current = [{"check_id": "a", "region": None, "passed": None}, {"check_id": "b", "region": None, "passed": False}]
    assert [row["check_id"] for row in drifted(previous, current)] == ["a"]


def test_a_system_without_entries_is_still_not_recorded_whatever_aws_says(endpoint, lead):
    system = System.objects.create(name="Bare AWS", owner=lead, holds_amazon_information=True)
    connection = connected(system, lead, "777777777777", endpoint)
    give_nothing = collection_run(connection=connection, now=NOW, endpoint_url=endpoint)

    verdict = next(v for v in register_facts(NOW).verdicts("1.1") if v.subject.name == system.name)

    assert give_nothing.status == AwsCollection.COLLECTED
    assert verdict.missing  # the register's entry decides; passing AWS checks do not fill it in


def test_only_the_lead_connects_and_runs_readers_see_the_results(
    client, endpoint, lead, manager, auditor, settings, django_capture_on_commit_callbacks
):
    settings.AWS_CONNECTOR_ENDPOINT_URL = endpoint
    system = aws_system(lead)
    role_arn = audit_role(admin(endpoint, "888888888888"), "888888888888")
    page = reverse("controls:aws", args=[system.pk])

    signed_in(client, manager)
    assert client.post(reverse("controls:aws_connect", args=[system.pk]), {"role_arn": role_arn, "regions": REGION}).status_code == 403
    assert not AwsConnection.objects.exists()

    signed_in(client, lead)
    refused = client.post(reverse("controls:aws_connect", args=[system.pk]), {"role_arn": role_arn, "regions": "mars-north-9x"})
    assert refused.status_code == 400 and "AWS region names" in refused.content.decode()
    bad_arn = client.post(reverse("controls:aws_connect", args=[system.pk]), {"role_arn": "arn:aws:iam::12:user/x", "regions": REGION})
    assert bad_arn.status_code == 400 and "Give the role&#x27;s ARN" in bad_arn.content.decode()
    assert not AwsConnection.objects.exists()
    saved = client.post(reverse("controls:aws_connect", args=[system.pk]), {"role_arn": role_arn, "regions": REGION, "enabled": "on"})
    assert saved.status_code == 302
    connection = AwsConnection.objects.get(system=system)
    assert len(connection.external_id) >= 32
    assert AuditEvent.objects.filter(action__endswith="awsconnection.created", object_id=str(connection.pk)).exists()
    assert connection.external_id not in str(list(AuditEvent.objects.values_list("details", "message")))
    lead_page = client.get(page).content.decode()
    assert connection.external_id in lead_page and "iam:ListUsers" in lead_page
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("controls:aws_run", args=[system.pk])).status_code == 302
    collection = AwsCollection.objects.get(connection=connection)

    signed_in(client, manager)
    assert client.post(reverse("controls:aws_run", args=[system.pk])).status_code == 403
    shown = client.get(page).content.decode()
    assert 'data-check="iam.console_mfa"' in shown and collection.evidence_sha256 in shown
    assert 'data-testid="aws-form"' not in shown and connection.external_id not in shown

    signed_in(client, auditor)
    download = client.get(reverse("controls:aws_evidence", args=[collection.pk]))
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == collection.evidence_sha256
    assert AuditEvent.objects.filter(action="download", actor_id=auditor.pk, object_id=str(collection.pk)).exists()


def test_the_daily_task_queues_one_run_per_enabled_connection(lead, settings):
    on = System.objects.create(name="On", owner=lead, holds_amazon_information=True)
    off = System.objects.create(name="Off", owner=lead, holds_amazon_information=True)
    arn = "arn:aws:iam::999999999999:role/dpp-portal-audit"
    kept = connection_save(system=on, data={"role_arn": arn, "regions": [REGION], "enabled": True}, by=lead, now=NOW)
    connection_save(system=off, data={"role_arn": arn, "regions": [REGION], "enabled": False}, by=lead, now=NOW)

    queued = aws_collect_all.run()

    assert queued == 1
    assert settings.CELERY_BEAT_SCHEDULE["aws-collect"]["task"] == "grc.controls.tasks.aws_collect_all"
    assert list(OutboxMessage.objects.filter(task="grc.controls.tasks.aws_collect").values_list("args", flat=True)) == [[kept.pk]]
