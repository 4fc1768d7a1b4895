"""The audit trail viewer: who gets in, filters, keyset pages, CSV export (audited)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from grc.audit.models import AuditEvent
from grc.audit.selectors import attach_actors
from grc.audit.services import record_event
from grc.oversight import views
from tests.audit.conftest import NOW, events
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
INDEX = reverse("audit:index")
EXPORT = reverse("audit:export")


def shown_ids(response) -> list[int]:
    return [event.pk for event in response.context["page"].rows]


@pytest.mark.parametrize("who, status", [("lead_client", 200), ("auditor_client", 200), ("manager_client", 403), ("staff_client", 403)])
def test_only_the_security_lead_and_auditors_see_the_trail(request, who, status):
    client = request.getfixturevalue(who)
    assert client.get(INDEX).status_code == status
    assert client.get(EXPORT).status_code == status
    if status == 403:
        assert AuditEvent.objects.filter(action="accounts.permission_denied", object_id="audit:index").exists()


def test_auditors_read_without_the_leads_buttons(auditor_client, lead):
    page = auditor_client.get(INDEX).content.decode()
    assert "read-only" in page and "Verify now" not in page and "Canary records" not in page
    assert "Verify now" in signed_in(Client(), lead).get(INDEX).content.decode()


def test_it_shows_the_newest_events_first_with_actor_names(lead_client, lead, manager):
    record_event("tests.first", actor=manager)
    last = record_event("tests.second", actor=lead)
    response = lead_client.get(INDEX)
    body = response.content.decode()
    assert shown_ids(response)[0] == last.pk
    assert f"{manager.get_full_name()}" in body and "tests.first" in body


def test_it_pages_by_id_with_newer_and_older_links(lead_client):
    events(119)
    made = list(AuditEvent.objects.order_by("id"))  # with the lead's sign-in: 120
    assert len(made) == 120
    first = lead_client.get(INDEX)
    page = first.context["page"]
    assert shown_ids(first) == [event.pk for event in reversed(made[-50:])]
    assert page.newer_cursor is None and page.older_cursor == made[-50].pk
    second = lead_client.get(INDEX, {"before": page.older_cursor})
    assert shown_ids(second) == [event.pk for event in reversed(made[-100:-50])]
    assert second.context["page"].newer_cursor == made[-51].pk
    third = lead_client.get(INDEX, {"before": second.context["page"].older_cursor})
    assert shown_ids(third) == [event.pk for event in reversed(made[:20])] and third.context["page"].older_cursor is None
    back = lead_client.get(INDEX, {"after": third.context["page"].newer_cursor})
    assert shown_ids(back) == shown_ids(second)
    assert "Older →" in second.content.decode() and "← Newer" in second.content.decode()


def test_bad_cursors_are_ignored_and_paging_past_the_end_offers_the_way_back(lead_client):
    made = events(3)
    assert shown_ids(lead_client.get(INDEX, {"before": "abc"}))[0] == made[-1].pk
    past = lead_client.get(INDEX, {"after": made[-1].pk + 100})
    assert past.context["page"].rows == [] and "Back to the newest events" in past.content.decode()


def test_it_filters_by_time_actor_action_outcome_object_and_channel(lead_client, lead, manager):
    with time_machine.travel(NOW - timedelta(days=3), tick=False):
        old = record_event("incidents.incident.updated", actor=manager, object_type="incidents.incident", object_id="7", channel="web")
    with time_machine.travel(NOW, tick=False):
        failed = record_event("accounts.login_failed", outcome="failure", channel="web")
        task = record_event("compliance.reminder.sent", system_actor="task:sweep", channel="task")
        mine = record_event("incidents.incident.viewed", actor=lead, object_type="incidents.incident", object_id="8", channel="web")
    cases = [
        ({"until": (NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")}, [old]),
        ({"since": (NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")}, [mine, task, failed]),
        ({"actor": manager.pk}, [old]),
        ({"action": "incidents."}, [mine, old]),
        ({"action": "accounts.login_failed"}, [failed]),
        ({"outcome": "failure"}, [failed]),
        ({"object_type": "incidents.incident", "object_id": "8"}, [mine]),
        ({"channel": "task"}, [task]),
    ]
    for params, expected in cases:
        response = lead_client.get(INDEX, params)
        ids = [event_id for event_id in shown_ids(response) if event_id in {e.pk for e in (old, failed, task, mine)}]
        assert ids == [event.pk for event in expected], params


def test_an_inverted_time_range_is_refused_next_to_the_field(lead_client):
    events(2)
    response = lead_client.get(INDEX, {"since": "2027-03-10T10:00", "until": "2027-03-09T10:00"})
    assert 'data-field-error="until"' in response.content.decode()


def test_the_page_costs_the_same_queries_for_5_and_60_events(lead_client, lead, make_user, django_assert_max_num_queries):
    people = [make_user(f"person{n}.x") for n in range(12)]
    for n in range(5):
        record_event("tests.thing.changed", actor=people[n % 12])
    # session, user, MFA device; events, actor names; alarm badge, chain status, actor choices; the session save
    with django_assert_max_num_queries(11) as small:
        lead_client.get(INDEX)
    for n in range(55):
        record_event("tests.thing.changed", actor=people[n % 12])
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = lead_client.get(INDEX)
    assert len(response.context["page"].rows) == 50
    assert not any("COUNT(" in query["sql"].upper() and "audit_auditevent" in query["sql"] for query in small.captured_queries)


def read_export(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_export_streams_the_filtered_rows_and_is_audited(lead_client, lead):
    events(3, action="tests.kept")
    events(2, action="tests.other")
    response = lead_client.get(EXPORT, {"action": "tests.kept"})
    rows = read_export(response)
    assert rows[0] == views.EXPORT_HEADER
    assert [row[5] for row in rows[1:]] == ["tests.kept"] * 3
    download = AuditEvent.objects.get(action="download")
    assert download.actor_id == lead.pk and download.details == {"what": "audit_csv", "count": 3}


def test_exported_cells_cannot_become_spreadsheet_formulas(lead_client):
    record_event("tests.thing.changed", system_actor="=HYPERLINK(1)", message="+1 attack")
    rows = read_export(lead_client.get(EXPORT, {"action": "tests.thing.changed"}))
    assert rows[1][4] == "'=HYPERLINK(1)" and rows[1][11] == "'+1 attack"


def test_the_export_is_bounded(lead_client, monkeypatch):
    monkeypatch.setattr(views, "EXPORT_LIMIT", 7)
    monkeypatch.setattr(views, "EXPORT_BATCH", 3)
    events(20)
    made = list(AuditEvent.objects.order_by("id"))
    rows = read_export(lead_client.get(EXPORT))
    assert [int(row[0]) for row in rows[1:]] == [event.pk for event in reversed(made[-7:])]
    assert AuditEvent.objects.get(action="download").details["count"] == 7


def test_auditors_may_export_and_their_download_is_audited(auditor_client, auditor):
    events(2)
    assert len(read_export(auditor_client.get(EXPORT))) == 1 + 3  # header, the auditor's sign-in and the two events
    assert AuditEvent.objects.filter(action="download", actor_id=auditor.pk).exists()


def test_the_lead_starts_a_verification_from_the_page(lead_client, capture_on_commit, auditor):
    events(3)
    with capture_on_commit():
        response = lead_client.post(reverse("audit:verify"))
    assert response.status_code == 302
    verification = AuditEvent.objects.get(action="audit.chain.verified")
    assert verification.outcome == "success" and verification.details["count"] == 4  # the sign-in and three events
    assert "intact" in lead_client.get(INDEX).content.decode()

    assert signed_in(Client(), auditor).post(reverse("audit:verify")).status_code == 403


def test_the_rows_written_in_python_are_the_rows_of_the_template(lead, manager):
    """``views.event_rows_html`` replaces ``audit/partials/event_rows.html`` on the viewer: byte for byte."""
    record_event("tests.by_user", actor=manager, obj=lead, message='a <b>bold</b> & "quoted" note', changed_fields=["role", "<x>"])
    record_event("tests.by_system", system_actor="celery-beat", outcome="failure", channel="task", object_type="risks.risk")
    record_event("tests.anonymous", channel="api", object_type="assets.asset", object_id="17", details={"changed_fields": "ab"})
    gone = record_event("tests.by_a_deleted_user", actor=manager)
    record_event("tests.nothing")
    rows = attach_actors(list(AuditEvent.objects.order_by("-id")))
    rows[[event.pk for event in rows].index(gone.pk)].actor = None  # the user no longer exists: "user #id"
    assert views.event_rows_html(rows) == render_to_string("audit/partials/event_rows.html", {"events": rows})
    assert views.event_rows_html([]) == render_to_string("audit/partials/event_rows.html", {"events": []})
