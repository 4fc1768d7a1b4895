"""The DPP catalogue: clauses loaded by migration, statuses computed from records, its pages and command."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grc.audit.models import AuditEvent
from grc.compliance.models import Requirement
from grc.compliance.registry import CheckResult
from grc.compliance.selectors import requirement_row, requirement_statuses
from tests.compliance.conftest import NOW, make_obligation

pytestmark = pytest.mark.django_db
CLAUSES = ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "3"]
POLICY = Path("/work/shared/dpp/amazon-data-protection-policy.txt")


def test_every_clause_of_the_policy_is_loaded_with_its_text():
    requirements = list(Requirement.objects.all())
    assert [r.clause for r in requirements] == CLAUSES
    by_clause = {r.clause: r for r in requirements}
    assert by_clause["1.2"].title == "Access Management"
    assert "at least quarterly" in by_clause["1.2"].text
    assert by_clause["1.6"].text.startswith("Developers must have a risk assessment")
    assert "3p-security@amazon.com" in by_clause["1.6"].text
    assert by_clause["2.1"].section_title == "Additional Security Requirements Specific to Personally Identifiable Information"
    assert "12 months thereafter" in by_clause["3"].text and "audit closure" in by_clause["3"].text


def test_an_emptied_catalogue_reloads_itself_from_the_repo_file():
    Requirement.objects.all().delete()
    assert [row.requirement.clause for row in requirement_statuses(NOW)] == CLAUSES
    assert Requirement.objects.count() == 17


@pytest.mark.skipif(not POLICY.exists(), reason="the shared DPP text is not on this machine")
def test_the_stored_texts_are_the_policy_word_for_word():
    policy = " ".join(POLICY.read_text(encoding="utf-8").split())
    for requirement in Requirement.objects.all():
        for paragraph in requirement.text.split("\n\n"):
            assert " ".join(paragraph.split()) in policy, requirement.clause


def test_a_clause_with_an_overdue_obligation_is_not_met_with_a_link_to_the_evidence(time_machine, lead, bare_registry):
    time_machine.move_to(NOW, tick=False)
    make_obligation(
        "access_reviews.quarterly_review",
        due_at=NOW - timedelta(days=14),
        completed_at=NOW - timedelta(days=104 + 76),
        anchor_at=NOW - timedelta(days=300),
    )
    make_obligation("access_reviews.quarterly_review", due_at=NOW - timedelta(days=14), anchor_at=NOW - timedelta(days=104), owner=lead)
    row = requirement_row("1.2", NOW)
    assert row.status.status == "not_met"
    assert "Quarterly access review overdue by 14 days (last completed 180 days ago; due every 3 months)" in row.status.reason
    assert ("Quarterly access review", "/compliance/calendar/list/?kind=access_reviews.quarterly_review") in row.status.links


def test_a_clause_due_soon_is_at_risk_and_done_on_time_is_met(bare_registry):
    make_obligation("assets.inventory_attestation", due_at=NOW + timedelta(days=5))
    make_obligation("assets.deletion_30d", due_at=NOW - timedelta(days=10), completed_at=NOW - timedelta(days=12))
    statuses = {row.requirement.clause: row.status for row in requirement_statuses(NOW)}
    assert statuses["2.3"].status == "at_risk"
    assert statuses["1.7"].status == "met"
    assert statuses["1.8"].status == "not_tracked"


def test_a_late_completion_in_the_last_90_days_is_at_risk_then_fades(bare_registry):
    make_obligation("assets.vulnerability_scan", due_at=NOW - timedelta(days=30), completed_at=NOW - timedelta(days=20))
    make_obligation("assets.vulnerability_scan", due_at=NOW + timedelta(days=160))
    assert requirement_row("2.7", NOW).status.status == "at_risk"
    assert requirement_row("2.7", NOW + timedelta(days=80)).status.status == "met"


def test_a_registered_check_counts_towards_its_clause(bare_registry):
    bare_registry.register_check(
        "1.8", "Data tagged with its origin", lambda now: CheckResult("not_met", "3 data stores have no origin tag", "/assets/")
    )
    row = requirement_row("1.8", NOW)
    assert row.status.status == "not_met"
    assert row.status.reason == "3 data stores have no origin tag"
    assert row.status.links == [("Data tagged with its origin", "/assets/")]


def test_two_apps_can_register_checks_on_the_same_clause_by_name(bare_registry):
    bare_registry.register_check("1.8", "one", lambda now: CheckResult("met", "fine"))
    bare_registry.register_check("1.8", "two", lambda now: CheckResult("at_risk", "two says risk"))
    bare_registry.register_check("1.8", "one", lambda now: CheckResult("met", "replaced, not doubled"))
    row = requirement_row("1.8", NOW)
    assert row.status.status == "at_risk"
    assert [f.name for f in row.status.findings] == ["two", "one"]


def test_the_catalogue_loads_in_a_fixed_number_of_queries(bare_registry):
    """Only the engine's own queries are counted (each app's checks run their own, fixed, queries):
    obligations, requirements and the cadences in force."""
    for i in range(3):
        make_obligation("assets.deletion_30d", due_at=NOW + timedelta(days=i))
    with CaptureQueriesContext(connection) as few:
        requirement_statuses(NOW)
    for i in range(60):
        make_obligation("assets.deletion_90d", due_at=NOW + timedelta(days=i), completed_at=NOW if i % 2 else None)
    with CaptureQueriesContext(connection) as many:
        requirement_statuses(NOW)
    assert len(few) == len(many) == 3


def test_dpp_status_prints_every_clause():
    out = StringIO()
    call_command("dpp_status", stdout=out)
    text = out.getvalue()
    for clause in CLAUSES:
        assert f"\n{clause:<4} " in "\n" + text
    assert "17 requirements:" in text


def test_dpp_status_json_is_a_list_with_clause_title_status_and_reason(time_machine, bare_registry):
    time_machine.move_to(NOW, tick=False)
    make_obligation("assets.inventory_attestation", due_at=NOW - timedelta(days=1))
    out = StringIO()
    call_command("dpp_status", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert [item["clause"] for item in data] == CLAUSES
    assert all({"clause", "title", "status", "reason"} <= set(item) for item in data)
    assert {item["status"] for item in data} <= {"met", "at_risk", "not_met", "not_tracked"}
    assert next(item for item in data if item["clause"] == "2.3")["status"] == "not_met"


def test_every_role_reads_the_catalogue(client, lead, manager, staff, auditor):
    from tests.conftest import signed_in

    for user in (lead, manager, staff, auditor):
        response = signed_in(client, user).get(reverse("compliance:catalogue"))
        assert response.status_code == 200
        assert response.content.decode().count('data-clause="') == 17


def test_the_catalogue_can_show_only_one_status(lead_client, bare_registry):
    make_obligation("assets.inventory_attestation", due_at=timezone.now() - timedelta(days=1))
    page = lead_client.get(reverse("compliance:catalogue"), {"status": "not_met"}).content.decode()
    assert 'data-clause="2.3"' in page
    assert 'data-clause="1.1"' not in page


def test_the_clause_page_shows_text_status_findings_and_obligations_and_is_audited(lead_client, lead):
    make_obligation("access_reviews.quarterly_review", due_at=NOW + timedelta(days=400), owner=lead, url="/access/reviews/9/")
    response = lead_client.get(reverse("compliance:requirement", args=["1.2"]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "review the list of people and services with access" in page
    assert "Account lockout on in-scope systems" in page
    assert 'href="/access/reviews/9/"' in page
    event = AuditEvent.objects.filter(action="compliance.requirement.viewed").first()
    assert event is not None and event.object_id == str(Requirement.objects.get(clause="1.2").pk)


def test_an_unknown_clause_is_404(lead_client):
    assert lead_client.get(reverse("compliance:requirement", args=["9.9"])).status_code == 404


def test_staff_see_only_their_own_obligations_on_a_clause_page(staff_client, staff, lead):
    make_obligation("access_reviews.training_annual", due_at=NOW + timedelta(days=400), owner=staff, title="My own training")
    make_obligation("access_reviews.training_annual", due_at=NOW + timedelta(days=400), owner=lead, title="Someone else's training")
    page = staff_client.get(reverse("compliance:requirement", args=["1.1"])).content.decode()
    assert "My own training" in page
    assert "Someone else&#x27;s training" not in page and "Someone else's training" not in page


def test_a_check_whose_query_fails_does_not_break_the_rest_of_the_page(bare_registry, lead_client):
    def broken_query(now):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table_anywhere")
        return CheckResult("met", "unreachable")

    bare_registry.register_check("1.3", "Broken query", broken_query)
    response = lead_client.get(reverse("compliance:catalogue"))
    assert response.status_code == 200
    row = next(row for section in response.context["sections"] for row in section["rows"] if row.requirement.clause == "1.3")
    assert row.status.status == "at_risk"
    assert "the check could not run" in row.status.reason
    assert lead_client.get(reverse("compliance:dashboard")).status_code == 200  # later queries still work (PostgreSQL)


@pytest.mark.slow
def test_dpp_status_json_exits_0_on_a_freshly_migrated_database(tmp_path):
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}", "DJANGO_ENV": "test"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=root, env=env, check=True, capture_output=True, timeout=300)
    result = subprocess.run(
        [sys.executable, "manage.py", "dpp_status", "--json"], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(result.stdout)
    assert [item["clause"] for item in data] == CLAUSES
