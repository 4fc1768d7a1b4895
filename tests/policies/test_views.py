"""Policy library pages: who gets in, step-up MFA for signatures, forms that say what is wrong."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grc.accounts.stepup import SESSION_KEY
from grc.audit.models import AuditEvent
from grc.compliance.services import open_obligation
from grc.policies import services
from grc.policies.models import DocumentReview, MajorChange, VersionStatus
from tests.conftest import signed_in, totp_now
from tests.policies.conftest import SECTIONS, TYPES

pytestmark = pytest.mark.django_db


def stepped_up(client):
    session = client.session
    session[SESSION_KEY] = timezone.now().timestamp()
    session.save()
    return client


@pytest.fixture
def plan(ir_type, lead, manager):
    """An IR plan approved just now (real time: auditors' access windows count from it)."""
    now = timezone.now()
    document = services.document_create(type=ir_type, title="Incident response plan", owner=lead, approver=manager, by=lead, now=now)
    version = document.versions.get()
    services.version_update(version=version, sections=SECTIONS, lists=TYPES, change_summary="First", by=lead, now=now)
    services.version_approve(version=version, by=manager, step_up_at=now, now=now)
    services.version_draft_create(document=document, by=lead, now=now)
    document.refresh_from_db()
    return document


def urls(plan):
    draft = plan.versions.get(status=VersionStatus.DRAFT)
    return {
        "index": ("get", reverse("policies:index")),
        "document_create": ("get", reverse("policies:document_create")),
        "document": ("get", plan.get_absolute_url()),
        "document_edit": ("get", reverse("policies:document_edit", args=[plan.pk])),
        "version_create": ("post", reverse("policies:version_create", args=[plan.pk])),
        "review": ("get", reverse("policies:review", args=[plan.pk])),
        "version": ("get", plan.current_version.get_absolute_url()),
        "version_edit": ("get", reverse("policies:version_edit", args=[draft.pk])),
        "version_approve": ("get", reverse("policies:version_approve", args=[draft.pk])),
        "major_changes": ("get", reverse("policies:major_changes")),
        "major_change_create": ("get", reverse("policies:major_change_create")),
    }


EXPECTED = {
    # name: lead, approver (manager), other manager, staff, auditor
    "index": (200, 200, 200, 200, 200),
    "document_create": (200, 403, 403, 403, 403),
    "document": (200, 200, 200, 200, 200),
    "document_edit": (200, 403, 403, 403, 403),
    "version_create": (302, 403, 403, 403, 403),
    "review": (200, 200, 403, 403, 403),
    "version": (200, 200, 200, 200, 200),
    "version_edit": (200, 403, 403, 403, 403),
    "version_approve": (200, 200, 403, 403, 403),
    "major_changes": (200, 200, 200, 200, 200),
    "major_change_create": (200, 403, 403, 403, 403),
}


def test_each_role_gets_what_it_may(plan, lead, manager, other_manager, staff, auditor):
    people = (lead, manager, other_manager, staff, auditor)
    for name, (method, url) in urls(plan).items():
        for user, status in zip(people, EXPECTED[name], strict=True):
            client = stepped_up(signed_in(Client(), user))
            response = getattr(client, method)(url)
            assert response.status_code == status, f"{user.role} {user.username} on {name}: {response.status_code}"
        anonymous = getattr(Client(), method)(url)
        assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("accounts:login"))


def test_every_policy_view_declares_its_roles():
    from django.urls import get_resolver

    namespace = next(p for p in get_resolver().url_patterns if getattr(p, "namespace", "") == "policies")
    assert {p.name for p in namespace.url_patterns} == set(EXPECTED)
    for pattern in namespace.url_patterns:
        assert getattr(pattern.callback, "allowed_roles", None), pattern.name


def test_the_review_form_asks_for_the_one_time_code_that_signs_it(client, plan, manager):
    page = signed_in(client, manager).get(reverse("policies:review", args=[plan.pk])).content.decode()
    assert 'name="code"' in page and 'autocomplete="one-time-code"' in page
    assert "signs this review" in page


def test_a_right_code_on_the_form_signs_the_review_in_one_step(client, plan, manager):
    url = reverse("policies:review", args=[plan.pk])
    signed_in(client, manager)
    session = client.session
    session.pop(SESSION_KEY, None)  # no earlier step-up: the code on the form is the signature
    session.save()
    response = client.post(url, {"outcome": "no_change", "note": "All current", "confirm": "on", "code": totp_now(manager)})
    assert response.status_code == 302 and response.url == plan.get_absolute_url()
    review = DocumentReview.objects.get()
    assert review.reviewer == manager and review.note == "All current"
    assert abs((review.step_up_at - review.reviewed_at).total_seconds()) < 60
    assert AuditEvent.objects.filter(action="accounts.step_up", object_id=str(manager.pk)).exists()
    assert AuditEvent.objects.filter(action="policies.documentreview.signed", object_id=str(review.pk)).exists()


def test_a_wrong_code_is_a_field_error_and_nothing_is_signed(client, plan, manager):
    url = reverse("policies:review", args=[plan.pk])
    stepped_up(signed_in(client, manager))  # even a fresh step-up from elsewhere does not replace the code
    response = client.post(url, {"outcome": "no_change", "note": "All current", "confirm": "on", "code": "000000"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-field-error="code"' in page and "That code is not valid." in page
    assert not DocumentReview.objects.exists()
    failed = AuditEvent.objects.get(action="accounts.step_up_failed", object_id=str(manager.pk))
    assert failed.outcome == "failure"


def test_a_review_without_a_code_is_refused(client, plan, manager):
    stepped_up(signed_in(client, manager))
    response = client.post(reverse("policies:review", args=[plan.pk]), {"outcome": "no_change", "confirm": "on"})
    assert response.status_code == 200 and 'data-field-error="code"' in response.content.decode()
    assert not DocumentReview.objects.exists()


def test_a_review_needing_changes_must_say_what(client, plan, manager):
    stepped_up(signed_in(client, manager))
    response = client.post(reverse("policies:review", args=[plan.pk]), {"outcome": "new_version", "note": "", "confirm": "on"})
    assert response.status_code == 200 and 'data-field-error="note"' in response.content.decode()
    assert not DocumentReview.objects.exists()


def test_approving_an_incomplete_draft_is_refused_with_the_missing_sections(client, ir_type, lead):
    document = services.document_create(type=ir_type, title="IR plan", owner=lead, approver=lead, by=lead, now=timezone.now())
    draft = document.versions.get()
    stepped_up(signed_in(client, lead))
    page = client.get(reverse("policies:version_approve", args=[draft.pk])).content.decode()
    assert "Roles and responsibilities" in page and "disabled" in page
    response = client.post(reverse("policies:version_approve", args=[draft.pk]), {"confirm": "on"})
    assert response.status_code == 200 and "required sections are empty" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


def test_the_lead_writes_and_the_approver_approves_a_draft(client, plan, lead, manager):
    draft = plan.versions.get(status=VersionStatus.DRAFT)
    signed_in(client, lead)
    data = {f"section_{k}": v for k, v in SECTIONS.items()} | {
        "list_incident_types": "Unauthorised access\nCard skimming\n",
        "change_summary": "Skimming",
    }
    assert client.post(reverse("policies:version_edit", args=[draft.pk]), data).status_code == 302
    draft.refresh_from_db()
    assert draft.lists["incident_types"] == ["Unauthorised access", "Card skimming"]
    approver = stepped_up(signed_in(Client(), manager))
    assert approver.post(reverse("policies:version_approve", args=[draft.pk]), {"confirm": "on"}).status_code == 302
    plan.refresh_from_db()
    assert plan.current_version == draft


def test_logging_a_major_change_on_the_page_opens_its_review(client, plan, lead):
    signed_in(client, lead)
    when = timezone.localtime(timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    data = {"document": plan.pk, "summary": "New CDN provider", "category": "supply_chain", "changed_at": when, "systems": "web shop"}
    response = client.post(reverse("policies:major_change_create"), data)
    assert response.status_code == 302
    change = MajorChange.objects.get()
    assert open_obligation("policies.major_change_review", change).due_at == change.changed_at + timedelta(days=30)
    assert "New CDN provider" in client.get(plan.get_absolute_url()).content.decode()


def test_the_index_shows_the_next_review_countdown(client, plan, staff):
    page = signed_in(client, staff).get(reverse("policies:index")).content.decode()
    assert "Incident response plan" in page and f'data-due="{plan.review_due_at.isoformat()}"' in page
    assert "New document" not in page  # staff only read


def test_an_empty_library_invites_the_lead_to_create_the_ir_plan(client, lead):
    page = signed_in(client, lead).get(reverse("policies:index")).content.decode()
    assert "Create the IR plan" in page


def test_the_lead_creates_the_ir_plan_from_the_page(client, lead, manager):
    signed_in(client, lead)
    page = client.get(reverse("policies:document_create")).content.decode()
    assert "Incident response plan" in page
    from grc.policies.models import DocumentType

    ir = DocumentType.objects.get(code="ir_plan")
    response = client.post(
        reverse("policies:document_create"), {"type": ir.pk, "title": "Our IR plan", "owner": lead.pk, "approver": manager.pk}
    )
    assert response.status_code == 302 and "/versions/" in response.url


def test_saving_a_draft_names_only_the_sections_still_empty(client, ir_type, lead):
    document = services.document_create(type=ir_type, title="IR plan", owner=lead, approver=lead, by=lead, now=timezone.now())
    draft = document.versions.get()
    signed_in(client, lead)
    data = {"section_roles": "Lead", "section_procedures": "Contain", "list_incident_types": "Lost device"}
    response = client.post(reverse("policies:version_edit", args=[draft.pk]), data, follow=True)
    page = response.content.decode()
    assert "fill in: Escalation path to Amazon." in page
