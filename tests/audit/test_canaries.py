"""Canary records (DPP 2.6 "access to canary data records"): the lead marks any record; the first
view or download of it by anyone raises an alarm at once."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grc.audit.alarms import alarm_set_status
from grc.audit.canaries import canary_mark
from grc.audit.models import Alarm, AuditEvent, Canary
from grc.audit.services import record_download, record_view
from grc.compliance.models import Requirement
from tests.audit.conftest import NOW, web_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def bait(requirement):
    return requirement


@pytest.fixture
def canary(bait, lead):
    return canary_mark(subject_type="compliance.requirement", subject_id=str(bait.pk), note="nobody reads 1.1 twice", by=lead, now=NOW)


def test_the_lead_marks_a_record_from_its_page_and_it_is_audited(lead_client, lead, bait):
    response = lead_client.post(
        reverse("audit:canary_toggle"), {"subject_type": "compliance.requirement", "subject_id": bait.pk, "op": "mark"}
    )
    assert response.status_code == 302 and response.url == reverse("audit:canaries")
    canary = Canary.objects.get()
    assert (canary.subject_type, canary.subject_id, canary.marked_by) == ("compliance.requirement", str(bait.pk), lead)
    event = AuditEvent.objects.get(action="audit.canary.marked")
    assert event.actor_id == lead.pk and event.details["subject_id"] == str(bait.pk)
    assert not Alarm.objects.exists()


def test_the_first_view_by_anyone_raises_an_alarm_at_once(manager_client, manager, canary, bait, capture_on_commit, lead):
    with capture_on_commit():
        response = manager_client.get(reverse("compliance:requirement", args=["1.1"]))
    assert response.status_code == 200
    alarm = Alarm.objects.get()
    view = AuditEvent.objects.get(action="compliance.requirement.viewed")
    assert alarm.rule == "canary_access" and alarm.actor == manager and alarm.evidence == [view.pk]
    assert (alarm.subject_type, alarm.subject_id) == ("compliance.requirement", str(bait.pk))
    assert alarm.summary == f"canary record compliance.requirement #{bait.pk} was viewed"
    assert [message.to for message in mail.outbox] == [[lead.email]]


def test_further_views_while_the_alarm_is_open_are_evidence_not_new_alarms(canary, bait, manager, staff):
    record_view(web_request(manager), bait)
    record_view(web_request(staff), bait)
    record_view(web_request(manager), bait)
    alarm = Alarm.objects.get()
    assert alarm.event_count == 3 and len(alarm.evidence) == 3


def test_after_the_alarm_is_closed_the_next_view_raises_a_new_one(canary, bait, manager, lead):
    record_view(web_request(manager), bait)
    alarm_set_status(alarm=Alarm.objects.get(), status="closed", note="Manager was testing the catalogue.", by=lead, now=NOW)
    record_view(web_request(manager), bait)
    assert Alarm.objects.filter(status="open").count() == 1 and Alarm.objects.count() == 2


def test_the_leads_own_view_raises_an_alarm_too(canary, bait, lead):
    record_view(web_request(lead), bait)
    assert Alarm.objects.get().actor == lead


def test_a_download_of_a_canary_raises_an_alarm(canary, bait, auditor):
    record_download(web_request(auditor), bait, what="pdf")
    alarm = Alarm.objects.get()
    assert alarm.rule == "canary_access" and alarm.summary.endswith("was downloaded")


def test_views_of_other_records_raise_nothing(canary, manager):
    record_view(web_request(manager), Requirement.objects.get(clause="1.2"))
    assert not Alarm.objects.exists()


def test_checking_whether_a_view_is_of_a_canary_costs_one_query(bait, manager):
    # the event insert (with savepoint and chain head) plus one canary lookup
    with CaptureQueriesContext(connection) as queries:
        record_view(web_request(manager), bait)
    canary_queries = [q for q in queries.captured_queries if "audit_canary" in q["sql"]]
    assert len(canary_queries) == 1


def test_unmarking_stops_the_alarms(lead_client, canary, bait, manager):
    response = lead_client.post(
        reverse("audit:canary_toggle"), {"subject_type": "compliance.requirement", "subject_id": bait.pk, "op": "unmark"}
    )
    assert response.status_code == 302
    assert not Canary.objects.exists() and AuditEvent.objects.filter(action="audit.canary.unmarked").exists()
    record_view(web_request(manager), bait)
    assert not Alarm.objects.exists()


@pytest.mark.parametrize(
    "subject_type, subject_id", [("compliance.requirement", "999999"), ("audit.auditevent", "1"), ("nothing.here", "1"), ("", "")]
)
def test_only_existing_records_of_the_portal_can_be_marked(lead_client, subject_type, subject_id):
    response = lead_client.post(reverse("audit:canary_toggle"), {"subject_type": subject_type, "subject_id": subject_id}, follow=True)
    assert not Canary.objects.exists()
    body = response.content.decode()
    assert "Choose a kind of record of the portal" in body or f"There is no requirement with id {subject_id}" in body


def test_the_canaries_page_marks_a_record_by_kind_and_id(lead_client, bait):
    page = lead_client.get(reverse("audit:canaries"))
    assert page.status_code == 200 and "No canary records yet" in page.content.decode()
    response = lead_client.post(
        reverse("audit:canaries"), {"subject_type": "compliance.requirement", "subject_id": bait.pk, "note": "bait"}
    )
    assert response.status_code == 302
    assert Canary.objects.get().note == "bait"
    bad = lead_client.post(reverse("audit:canaries"), {"subject_type": "compliance.requirement", "subject_id": "abc"})
    assert bad.status_code == 400 and "There is no" in bad.content.decode()


@pytest.mark.parametrize("who", ["manager_client", "staff_client", "auditor_client"])
def test_only_the_security_lead_marks_canaries(request, who, bait):
    client = request.getfixturevalue(who)
    assert client.post(reverse("audit:canary_toggle"), {"subject_type": "compliance.requirement", "subject_id": bait.pk}).status_code == 403
    assert client.get(reverse("audit:canaries")).status_code == 403
    assert not Canary.objects.exists()


def render_toggle(user, obj) -> str:
    request = web_request(user)
    return Template('{% include "audit/partials/canary_toggle.html" with obj=obj %}').render(
        Context({"user": user, "obj": obj, "request": request, "csrf_token": "x"})
    )


def test_the_toggle_partial_offers_marking_to_the_lead_and_nothing_to_others(lead, manager, bait):
    html = render_toggle(lead, bait)
    assert "Mark as canary" in html and 'name="subject_type" value="compliance.requirement"' in html
    assert render_toggle(manager, bait).strip() == ""


def test_the_toggle_partial_shows_a_marked_record_with_an_unmark_button(lead, canary, bait):
    html = render_toggle(lead, bait)
    assert 'data-canary="on"' in html and 'value="unmark"' in html
