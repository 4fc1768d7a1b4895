"""Who gets in, for every incident page and each role (DPP 1.3: least privilege).

Staff report and see their own reports; managers and auditors read everything (auditors only
read); the security lead does everything; the incident's owner investigates but does not close.
Outsiders get 404, forbidden actions 403, anonymous visitors the login page.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents import custody
from incidents.models import Status
from tests.conftest import signed_in
from tests.incidents.conftest import COMPLETE

pytestmark = pytest.mark.django_db

# url name, method, args kind ("incident" or "evidence"), expected status per role
MATRIX = [
    ("index", "get", None, {"lead": 200, "manager": 200, "staff": 200, "auditor": 200}),
    ("report", "get", None, {"lead": 200, "manager": 200, "staff": 200, "auditor": 403}),
    ("detail", "get", "incident", {"lead": 200, "manager": 200, "staff": 200, "auditor": 200, "outsider": 404}),
    ("triage", "get", "incident", {"lead": 200, "manager": 403, "staff": 403, "auditor": 403}),
    ("edit", "get", "incident", {"lead": 200, "manager": 403, "staff": 403, "auditor": 403, "outsider": 404}),
    ("detection", "get", "incident", {"lead": 200, "manager": 403, "staff": 403, "auditor": 403, "outsider": 404}),
    ("advance", "get", "incident", {"lead": 200, "manager": 403, "staff": 403, "auditor": 403}),
    ("custody_export", "get", "incident", {"lead": 200, "manager": 403, "staff": 403, "auditor": 200}),
    ("notification", "get", "incident", {"lead": 200, "manager": 403, "staff": 403, "auditor": 403}),
    ("notification_build", "post", "incident", {"lead": 302, "manager": 403, "staff": 403, "auditor": 403}),
    ("notification_record", "get", "incident", {"lead": 200, "manager": 403, "staff": 403, "auditor": 403}),
    ("regulatory_create", "get", "incident", {"lead": 200, "manager": 403, "staff": 403, "auditor": 403}),
    ("evidence_create", "get", "incident", {"lead": 200, "manager": 403, "staff": 403, "auditor": 403}),
    ("evidence", "get", "evidence", {"lead": 200, "manager": 200, "staff": 404, "auditor": 200}),
    ("evidence_download", "get", "evidence", {"lead": 200, "manager": 403, "staff": 404, "auditor": 200}),
    ("evidence_verify", "post", "evidence", {"lead": 302, "manager": 403, "staff": 404, "auditor": 403}),
    ("custody_create", "post", "evidence", {"lead": 200, "manager": 403, "staff": 404, "auditor": 403}),
]


@pytest.fixture
def world(report, triage, lead, manager, staff, auditor, make_user):
    now = timezone.now()  # real time: the auditor's access window is counted from it
    incident = triage(report(by=staff, now=now - timedelta(minutes=5)), owner=lead, now=now - timedelta(minutes=4))
    item = custody.evidence_add(
        incident=incident,
        by=lead,
        label="log",
        upload=SimpleUploadedFile("a.log", b"log line\n"),
        collected_by=lead,
        collected_at=now - timedelta(minutes=2),
        now=now - timedelta(minutes=1),
    )
    users = {"lead": lead, "manager": manager, "staff": staff, "auditor": auditor, "outsider": make_user("sam.other")}
    return {"incident": incident, "evidence": item, "users": users}


@pytest.mark.parametrize(("name", "method", "kind", "expected"), MATRIX, ids=[row[0] for row in MATRIX])
def test_each_role_gets_what_it_may(world, name, method, kind, expected):
    args = [world[kind].pk] if kind else []
    url = reverse(f"incidents:{name}", args=args)
    for role, status in expected.items():
        client = signed_in(Client(), world["users"][role])
        response = getattr(client, method)(url)
        assert response.status_code == status, f"{role} on {name}: {response.status_code}"
    anonymous = getattr(Client(), method)(url)
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("accounts:login"))


def test_every_incident_view_declares_its_roles():
    from django.urls import get_resolver

    patterns = get_resolver().url_patterns
    incident_patterns = next(p for p in patterns if getattr(p, "namespace", "") == "incidents").url_patterns
    for pattern in incident_patterns:
        assert getattr(pattern.callback, "allowed_roles", None), f"{pattern.name} has no role_required"
    assert {p.name for p in incident_patterns} == {row[0] for row in MATRIX}


def test_staff_see_only_the_incidents_they_reported(client, report, staff, make_user):
    other = make_user("sam.other")
    mine = report(by=staff, title="My report")
    theirs = report(by=other, title="Their report")
    page = signed_in(client, staff).get(reverse("incidents:index")).content.decode()
    assert "My report" in page and "Their report" not in page
    assert client.get(reverse("incidents:detail", args=[theirs.pk])).status_code == 404
    detail = client.get(reverse("incidents:detail", args=[mine.pk])).content.decode()
    assert "Evidence and chain of custody" not in detail  # the reporter sees the status, not the investigation


def test_the_owner_investigates_and_moves_the_workflow_but_does_not_close(client, report, triage, manager, lead):
    now = timezone.now()
    incident = triage(report(now=now - timedelta(hours=1)), owner=manager, now=now)
    owner = signed_in(client, manager)
    assert owner.get(reverse("incidents:edit", args=[incident.pk])).status_code == 200
    assert owner.post(reverse("incidents:edit", args=[incident.pk]), {"title": incident.title, **COMPLETE}).status_code == 302
    for step in (Status.CONTAINED, Status.ERADICATED, Status.RECOVERED):
        assert owner.post(reverse("incidents:advance", args=[incident.pk]), {"target": step}).status_code == 302
    assert owner.get(reverse("incidents:advance", args=[incident.pk])).status_code == 403  # closing is for the lead
    assert owner.get(reverse("incidents:triage", args=[incident.pk])).status_code == 403
    incident.refresh_from_db()
    assert incident.status == Status.RECOVERED


def test_an_auditor_cannot_report(client, auditor):
    response = signed_in(client, auditor).post(
        reverse("incidents:report"), {"title": "x", "description": "y", "detected_at": "2027-03-10T08:00"}
    )
    assert response.status_code == 403
