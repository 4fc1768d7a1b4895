"""``seed_scale`` builds a consistent organisation: the sizes asked for, the flags and obligations the
services would have stored, a hash chain that verifies, and reminders already sent for what was due."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from access_reviews.flags import account_flags, flag_values
from access_reviews.models import Account, Campaign, CampaignStatus, DeprovisionTask, Person, ReviewRow, SignOff, System
from access_reviews.services.registry import facts_for
from assets.flags import asset_flags, limits_from_settings
from assets.models import Asset, DeletionRequest
from grc.accounts.models import Role, User
from grc.audit.chain import chain_verify
from grc.audit.models import AuditEvent
from grc.compliance.models import Obligation
from grc.compliance.reminders import sweep
from grc.scale.seed import SEEDED_ACTION, last_seed, seed_scale
from grc.scale.sizes import Sizes
from incidents.models import Incident

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

FACTOR = 0.005  # the minimum of everything: 40 people, 120 accounts, 2,000 audit events …
NOW = datetime(2027, 5, 12, 10, 30, tzinfo=UTC)


@pytest.fixture
def seeded():
    return seed_scale(factor=FACTOR, now=NOW, out=lambda line: None)


def test_it_makes_the_sizes_asked_for(seeded):
    sizes = Sizes.for_factor(FACTOR)
    assert Person.objects.count() == sizes.people
    assert System.objects.filter(is_portal=False).count() == sizes.systems
    assert Asset.objects.count() == sizes.assets
    assert Incident.objects.count() == sizes.incidents
    assert DeletionRequest.objects.count() == sizes.deletion_requests
    assert 0.8 * sizes.accounts <= Account.objects.count() <= sizes.accounts
    assert AuditEvent.objects.count() >= sizes.audit_events
    # twelve past quarterly reviews, complete, and the current one in progress
    assert Campaign.objects.filter(status=CampaignStatus.COMPLETE).count() == 12
    assert Campaign.objects.filter(status=CampaignStatus.OPEN).count() == 1
    # incidents spread over three years
    oldest = Incident.objects.order_by("detected_at").first().detected_at
    assert NOW - oldest > timedelta(days=365 * 2)


def test_the_hash_chain_of_the_seeded_trail_verifies_and_names_nobody(seeded):
    report = chain_verify()
    assert report.ok, report.describe()
    assert report.count == AuditEvent.objects.count()
    assert AuditEvent.objects.filter(action="audit.chain.verified", outcome="success").exists()
    names = set(Person.objects.values_list("last_name", flat=True))
    messages = AuditEvent.objects.exclude(message="").values_list("message", flat=True).distinct()
    assert not [m for m in messages if any(name in m for name in names)]


def test_stored_flags_are_what_the_rules_say(seeded):
    for account in Account.objects.select_related("person", "access_request"):
        expected = flag_values(account_flags(facts_for(account)))
        assert {field: getattr(account, field) for field in expected} == expected, account.pk
    limits = limits_from_settings()
    for asset in Asset.objects.select_related("data_store"):
        assert asset.flag_count == len(asset_flags(asset, now=NOW, store=asset.store, limits=limits)), asset.tag


def test_obligations_are_those_the_services_would_keep(seeded):
    open_training = Obligation.objects.filter(kind__startswith="access_reviews.training", completed_at__isnull=True)
    with_access = set(
        Account.objects.filter(enabled=True, removed_at__isnull=True, person__status="active").values_list("person_id", flat=True)
    )
    assert {int(pk) for pk in open_training.values_list("subject_id", flat=True)} == with_access
    assert not open_training.filter(
        subject_id__in=[str(pk) for pk in Person.objects.filter(status="terminated").values_list("pk", flat=True)]
    )
    assert Obligation.objects.filter(kind="access_reviews.quarterly_review", completed_at__isnull=True).count() == 1
    assert Obligation.objects.filter(kind="access_reviews.quarterly_review", completed_at__isnull=False).count() == 12
    # every open 24-hour task is about an account still enabled, and has its open obligation
    for task in DeprovisionTask.objects.filter(closed_at__isnull=True).select_related("account"):
        assert task.account.enabled
        assert Obligation.objects.filter(kind="access_reviews.deprovision", subject_id=str(task.pk), completed_at__isnull=True).exists()
    # each active portal user has one 365-day password clock
    active = User.objects.filter(is_active=True).count()
    assert Obligation.objects.filter(kind="accounts.password_expiry", completed_at__isnull=True).count() == active
    # every reviewer of a complete campaign decided every row and signed
    for campaign in Campaign.objects.filter(status=CampaignStatus.COMPLETE):
        reviewers = set(ReviewRow.objects.filter(campaign=campaign).values_list("reviewer_id", flat=True))
        assert set(SignOff.objects.filter(campaign=campaign).values_list("reviewer_id", flat=True)) == reviewers
        assert not ReviewRow.objects.filter(campaign=campaign, decision="pending").exists()
        assert campaign.completed_at <= NOW


def test_the_reminders_due_at_seeding_were_already_sent(seeded):
    report = sweep(now=NOW, dry_run=True)
    assert not [line for line in report.sent if "reminder of obligation" in line], report.sent[:5]


def test_the_marker_names_the_bench_users_and_a_second_seed_is_refused(seeded):
    details = last_seed().details
    assert details["factor"] == FACTOR
    assert User.objects.get(pk=details["bench_lead"]).role == Role.SECURITY_LEAD
    manager = User.objects.get(pk=details["bench_manager"])
    assert manager.role == Role.MANAGER
    rows = ReviewRow.objects.filter(campaign_id=details["open_campaign"], reviewer=manager)
    assert rows.count() >= 10 and rows.filter(decision="pending").exists()
    assert Campaign.objects.get(pk=details["open_campaign"]).is_open
    with pytest.raises(ValidationError):
        seed_scale(factor=FACTOR, now=NOW, out=lambda line: None)
    assert AuditEvent.objects.filter(action=SEEDED_ACTION).count() == 1


def test_the_command_prints_json_and_refuses_to_seed_twice():
    out = StringIO()
    call_command("seed_scale", "--factor", str(FACTOR), "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["counts"]["people"] == Sizes.for_factor(FACTOR).people
    assert result["seconds"]["audit trail"] >= 0
    with pytest.raises(CommandError, match="fresh database"):
        call_command("seed_scale", "--factor", str(FACTOR), stdout=StringIO())


def test_a_factor_must_be_positive():
    with pytest.raises(CommandError):
        call_command("seed_scale", "--factor", "0", stdout=StringIO())
