"""Governed documents: versions, approval with required sections, signed reviews and their
obligations (six-monthly IR plan review, review after each major change)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from grc.audit.models import AuditEvent
from grc.compliance.models import Obligation
from grc.compliance.registry import provider_for
from grc.compliance.services import obligations_for, open_obligation
from grc.policies import services
from grc.policies.models import ChangeCategory, DocumentReview, MajorChange, ReviewOutcome, VersionStatus
from grc.policies.selectors import incident_types
from tests.policies.conftest import NOW, SECTIONS, TYPES

pytestmark = pytest.mark.django_db
PERIODIC = "policies.ir_plan_review"
MAJOR = "policies.major_change_review"


def sign(plan, reviewer, *, at, outcome=ReviewOutcome.NO_CHANGE, note=""):
    return services.document_review_sign(document=plan, reviewer=reviewer, outcome=outcome, note=note, step_up_at=at, now=at)


def test_a_new_document_starts_with_a_draft_prefilled_with_the_default_types(draft_plan):
    version = draft_plan.versions.get()
    assert version.number == 1 and version.status == VersionStatus.DRAFT
    assert "Lost or stolen device" in version.lists["incident_types"]
    assert draft_plan.current_version is None and draft_plan.review_due_at is None


def test_one_document_per_type(draft_plan, ir_type, lead):
    with pytest.raises(ValidationError):
        services.document_create(type=ir_type, title="Second plan", owner=lead, approver=lead, by=lead, now=NOW)


def test_a_version_cannot_be_approved_while_a_required_section_is_empty(draft_plan, lead, manager):
    version = draft_plan.versions.get()
    services.version_update(version=version, sections={**SECTIONS, "escalation": "  "}, lists=TYPES, change_summary="", by=lead, now=NOW)
    with pytest.raises(ValidationError) as error:
        services.version_approve(version=version, by=manager, step_up_at=NOW, now=NOW)
    assert error.value.messages == ["It cannot be approved while these required sections are empty: Escalation path to Amazon."]
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT and not Obligation.objects.exists()


def test_a_version_without_incident_types_cannot_be_approved(draft_plan, lead, manager):
    version = draft_plan.versions.get()
    services.version_update(version=version, sections=SECTIONS, lists={"incident_types": []}, change_summary="", by=lead, now=NOW)
    with pytest.raises(ValidationError, match="Incident types that may affect Amazon"):
        services.version_approve(version=version, by=manager, step_up_at=NOW, now=NOW)


def test_the_first_approval_starts_the_six_month_review_clock(approved_plan, manager):
    version = approved_plan.current_version
    assert version.status == VersionStatus.APPROVED and version.approved_by == manager and version.approval_step_up_at == NOW
    obligation = open_obligation(PERIODIC, approved_plan)
    assert obligation.clause == "1.6" and obligation.owner == manager
    assert obligation.due_at == datetime(2027, 9, 10, 9, 0, tzinfo=UTC) == approved_plan.review_due_at
    assert obligation.url == approved_plan.get_absolute_url()


def test_approved_versions_are_kept_as_approved(approved_plan, lead):
    with pytest.raises(ValidationError):
        services.version_update(
            version=approved_plan.current_version, sections={"roles": "x"}, lists={}, change_summary="", by=lead, now=NOW
        )


def test_a_new_version_supersedes_the_old_one_without_restarting_the_clock(approved_plan, lead, manager):
    draft = services.version_draft_create(document=approved_plan, by=lead, now=NOW + timedelta(days=5))
    assert draft.number == 2 and draft.sections == SECTIONS  # starts as a copy of the version in force
    assert services.version_draft_create(document=approved_plan, by=lead, now=NOW) == draft  # one draft at a time
    services.version_approve(version=draft, by=manager, step_up_at=NOW + timedelta(days=6), now=NOW + timedelta(days=6))
    approved_plan.refresh_from_db()
    assert approved_plan.current_version == draft
    assert approved_plan.versions.get(number=1).status == VersionStatus.SUPERSEDED
    assert open_obligation(PERIODIC, approved_plan).due_at == datetime(2027, 9, 10, 9, 0, tzinfo=UTC)


def test_a_signed_review_completes_the_obligation_and_restarts_it_from_the_review(approved_plan, manager):
    at = NOW + timedelta(days=170)
    review = sign(approved_plan, manager, at=at, note="Checked against the new on-call rota")
    assert review.step_up_at == at and review.version == approved_plan.current_version
    done = obligations_for(approved_plan, PERIODIC).get(completed_at__isnull=False)
    assert done.completed_at == at and done.completed_by == manager and done.status_at(at) == "met"
    following = open_obligation(PERIODIC, approved_plan)
    assert following.anchor_at == at == datetime(2027, 8, 27, 9, 0, tzinfo=UTC)
    assert following.due_at == datetime(2028, 2, 27, 9, 0, tzinfo=UTC)  # six calendar months after the review
    approved_plan.refresh_from_db()
    assert approved_plan.last_reviewed_at == at and approved_plan.review_due_at == following.due_at


def test_a_late_review_is_met_late(approved_plan, manager, time_machine):
    time_machine.move_to(NOW + timedelta(days=200), tick=False)
    obligation = open_obligation(PERIODIC, approved_plan)
    assert obligation.status == "overdue"
    sign(approved_plan, manager, at=NOW + timedelta(days=200))
    obligation.refresh_from_db()
    assert obligation.status_at(NOW + timedelta(days=200)) == "met_late"


def test_the_review_clock_warns_in_its_last_30_days(approved_plan, time_machine):
    obligation = open_obligation(PERIODIC, approved_plan)
    time_machine.move_to(obligation.due_at - timedelta(days=31), tick=False)
    assert obligation.status == "open"
    time_machine.move_to(obligation.due_at - timedelta(days=29), tick=False)
    assert obligation.status == "due_soon"


def test_a_review_with_changes_needed_starts_a_new_draft(approved_plan, manager):
    sign(approved_plan, manager, at=NOW + timedelta(days=10), outcome=ReviewOutcome.NEW_VERSION, note="Add the new payment provider")
    draft = approved_plan.versions.get(status=VersionStatus.DRAFT)
    assert draft.number == 2 and draft.sections == SECTIONS


def test_a_document_without_an_approved_version_cannot_be_reviewed(draft_plan, manager):
    with pytest.raises(ValidationError):
        sign(draft_plan, manager, at=NOW)
    assert not DocumentReview.objects.exists()


def test_a_major_change_opens_a_review_due_in_30_days(approved_plan, lead, manager):
    change = services.major_change_log(
        document=approved_plan,
        summary="Moved to a new cloud account",
        category=ChangeCategory.INFRASTRUCTURE,
        changed_at=NOW + timedelta(days=3),
        systems="order database",
        by=lead,
        now=NOW + timedelta(days=4),
    )
    obligation = open_obligation(MAJOR, change)
    assert obligation.clause == "1.6" and obligation.owner == manager
    assert obligation.anchor_at == NOW + timedelta(days=3) and obligation.due_at == NOW + timedelta(days=33) == change.review_due_at


def test_the_major_change_review_period_is_a_setting(approved_plan, lead, settings):
    settings.POLICY_MAJOR_CHANGE_REVIEW_DAYS = 10
    change = services.major_change_log(
        document=approved_plan, summary="New supplier", category=ChangeCategory.SUPPLY_CHAIN, changed_at=NOW, systems="", by=lead, now=NOW
    )
    assert open_obligation(MAJOR, change).due_at == NOW + timedelta(days=10)


def test_a_review_closes_the_open_major_change_reviews(approved_plan, lead, manager):
    first = services.major_change_log(
        document=approved_plan,
        summary="A",
        category=ChangeCategory.SYSTEM,
        changed_at=NOW + timedelta(days=1),
        systems="",
        by=lead,
        now=NOW + timedelta(days=1),
    )
    second = services.major_change_log(
        document=approved_plan,
        summary="B",
        category=ChangeCategory.CONTROLS,
        changed_at=NOW + timedelta(days=2),
        systems="",
        by=lead,
        now=NOW + timedelta(days=2),
    )
    review = sign(approved_plan, manager, at=NOW + timedelta(days=20))
    for change in (first, second):
        change.refresh_from_db()
        assert change.review == review
        assert open_obligation(MAJOR, change) is None
        assert obligations_for(change, MAJOR).get().status_at(NOW + timedelta(days=20)) == "met"
    later = services.major_change_log(
        document=approved_plan,
        summary="C",
        category=ChangeCategory.RISK,
        changed_at=NOW + timedelta(days=21),
        systems="",
        by=lead,
        now=NOW + timedelta(days=21),
    )
    assert open_obligation(MAJOR, later) is not None


def test_the_provider_resyncs_from_the_records(approved_plan, lead, settings):
    change = services.major_change_log(
        document=approved_plan, summary="A", category=ChangeCategory.SYSTEM, changed_at=NOW, systems="", by=lead, now=NOW
    )
    Obligation.objects.all().delete()
    settings.POLICY_MAJOR_CHANGE_REVIEW_DAYS = 14
    assert provider_for(PERIODIC).resync(now=NOW) == 1
    assert provider_for(MAJOR).resync(now=NOW) == 1
    assert open_obligation(PERIODIC, approved_plan).due_at == datetime(2027, 9, 10, 9, 0, tzinfo=UTC)
    assert open_obligation(MAJOR, change).due_at == NOW + timedelta(days=14)
    change.refresh_from_db()
    assert change.review_due_at == NOW + timedelta(days=14)


def test_the_reminders_also_go_to_the_document_owner(approved_plan, lead):
    obligation = open_obligation(PERIODIC, approved_plan)
    assert [u.pk for u in provider_for(PERIODIC).recipients(obligation)] == [lead.pk]


def test_incident_types_come_from_the_approved_plan(approved_plan):
    types = incident_types()
    assert types.types == TYPES["incident_types"] and types.from_plan and types.version == approved_plan.current_version


def test_incident_types_fall_back_to_the_built_in_list(draft_plan):
    types = incident_types()
    assert not types.from_plan and "Malware or ransomware" in types.types


def test_texts_and_notes_stay_out_of_the_audit_trail(approved_plan, manager):
    sign(approved_plan, manager, at=NOW + timedelta(days=1), note="Confidential remark about Jane")
    trail = " ".join(f"{e.message} {e.details}" for e in AuditEvent.objects.all())
    assert "Jane" not in trail and "security lead runs" not in trail
    assert AuditEvent.objects.filter(action="policies.documentreview.signed").exists()
    assert AuditEvent.objects.filter(action="policies.documentversion.approved").exists()
    assert not MajorChange.objects.exists()


def test_the_first_approval_fulfils_a_programme_wide_review_obligation(draft_plan, lead, manager):
    from grc.compliance.services import obligation_open

    obligation_open(kind=PERIODIC, subject=None, anchor_at=NOW - timedelta(days=170), owner=lead)
    version = draft_plan.versions.get()
    services.version_update(version=version, sections=SECTIONS, lists=TYPES, change_summary="", by=lead, now=NOW)
    services.version_approve(version=version, by=manager, step_up_at=NOW, now=NOW)
    assert open_obligation(PERIODIC, None) is None
    assert Obligation.objects.filter(kind=PERIODIC, completed_at__isnull=True).get().subject_id == str(draft_plan.pk)
