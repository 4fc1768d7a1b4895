"""Read endpoints: cursor pages (follow ``next``), filters, and a fixed number of queries whatever
the number of rows (10 vs 500)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from access_reviews.models import Account, Person
from assets.models import Asset
from grc.audit.services import record_event
from grc.compliance.models import Obligation
from grc.crypto import blind_index
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def add_accounts(system, count: int, start: int = 0) -> None:
    Account.objects.bulk_create(
        Account(
            system=system,
            name=f"user{n}",
            name_index=blind_index(f"user{n}"),
            privilege="read",
            mfa="yes",
            flag_count=n % 2,
            flag_no_request=n % 2 == 1,
        )
        for n in range(start, start + count)
    )


def add_assets(owner, count: int, start: int = 0) -> None:
    Asset.objects.bulk_create(
        Asset(tag=f"A-{n:05d}", name=f"asset {n}", kind="software", owner=owner, vendor="acme") for n in range(start, start + count)
    )


def add_obligations(owner, count: int, start: int = 0) -> None:
    now = timezone.now()
    Obligation.objects.bulk_create(
        Obligation(
            kind="assets.finding_fix",
            clause="2.7",
            title=f"fix {n}",
            owner=owner,
            subject_type="assets.finding",
            subject_id=str(n),
            anchor_at=now,
            due_at=now + timedelta(days=n % 40),
        )
        for n in range(start, start + count)
    )


def queries(client: Api, path: str, params: dict) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params)
    assert response.status_code == 200, response.json()
    return len(captured), len(response.json()["results"])


def test_cursor_pages_walk_every_row_once(lead_api, registry):
    add_accounts(registry.system, 23)
    seen, pages = [], 0
    response = lead_api.get("/api/v1/accounts/", {"page_size": 10})
    while True:
        body = response.json()
        pages += 1
        seen += [row["id"] for row in body["results"]]
        if not body["next"]:
            break
        assert "page=" not in body["next"] and "cursor=" in body["next"]
        response = lead_api.client.get(body["next"], **lead_api.headers())
    assert pages == 3 and len(seen) == len(set(seen)) == 23 and seen == sorted(seen)


def test_filters_narrow_the_list(lead_api, registry):
    add_accounts(registry.system, 6)
    flagged = lead_api.get("/api/v1/accounts/", {"flag": "no_request"}).json()["results"]
    assert len(flagged) == 3 and all("no_request" in row["flags"] for row in flagged)
    people = lead_api.get("/api/v1/people/", {"email": "tom.becker@example.test"}).json()["results"]
    assert [row["person_id"] for row in people] == ["E1001"]
    assert lead_api.get("/api/v1/systems/", {"name": "Order DB"}).json()["results"][0]["account_count"] == 6


@pytest.mark.parametrize(
    ("path", "fill"),
    [
        ("/api/v1/accounts/", lambda registry, lead, n, s: add_accounts(registry.system, n, s)),
        ("/api/v1/assets/", lambda registry, lead, n, s: add_assets(lead, n, s)),
        (
            "/api/v1/people/",
            lambda registry, lead, n, s: Person.objects.bulk_create(
                Person(person_id=f"P{i:05d}", first_name="F", last_name="L", started_at=timezone.now() - timedelta(days=1))
                for i in range(s, s + n)
            ),
        ),
        ("/api/v1/audit-events/", lambda registry, lead, n, s: [record_event("test.filler", actor=lead, message=str(i)) for i in range(n)]),
        ("/api/v1/obligations/", lambda registry, lead, n, s: add_obligations(lead, n, s)),
    ],
)
def test_the_query_count_does_not_grow_with_the_rows(path, fill, lead_api, registry, lead):
    """500 rows on one page cost the same queries as 10 (pagination never counts the table)."""
    lead_api.get("/api/v1/token/")  # the token's last use is written at most once a minute: not during the two counts
    fill(registry, lead, 10, 0)
    few, shown_few = queries(lead_api, path, {"page_size": 500})
    fill(registry, lead, 490, 10)
    many, shown_many = queries(lead_api, path, {"page_size": 500})
    assert shown_many > shown_few
    assert many == few, path


def test_dpp_status_lists_every_clause(lead_api):
    body = lead_api.get("/api/v1/dpp-status/").json()
    clauses = [row["clause"] for row in body["requirements"]]
    assert "1.2" in clauses and "3" in clauses
    assert sum(body["counts"].values()) == len(clauses)


def test_obligations_show_their_status(lead_api, registry, lead):
    from access_reviews.services.registry import person_terminate

    registry.account("lee.wong", registry.staff_person)
    person_terminate(person=registry.staff_person, terminated_at=timezone.now() - timedelta(hours=25), by=lead, now=timezone.now())
    rows = lead_api.get("/api/v1/obligations/", {"kind": "access_reviews.deprovision"}).json()["results"]
    assert [row["status"] for row in rows] == ["overdue"]
    assert lead_api.get("/api/v1/obligations/", {"status": "overdue", "app": "access_reviews"}).json()["results"][0]["id"] == rows[0]["id"]


def test_the_risk_register_reads_scores_without_the_free_texts(lead_api, lead, registry):
    from grc.risks.services.register import risk_create

    risk = risk_create(
        data={
            "title": "Leaked SP-API credentials",
            "threat": "outside attacker",
            "vulnerability": "secret in a CI log",
            "owner": lead,
            "clauses": ["1.4"],
            "inherent_likelihood": 4,
            "inherent_impact": 5,
            "residual_likelihood": 2,
            "residual_impact": 5,
            "affected_systems": [registry.system],
        },
        by=lead,
        now=timezone.now(),
    )
    row = lead_api.get("/api/v1/risks/", {"status": "open"}).json()["results"][0]
    assert row["reference"] == risk.reference and row["inherent_score"] == 20 and row["residual_score"] == 10
    assert row["affected_systems"] == ["Order DB"] and row["clauses"] == ["1.4"]
    assert "threat" not in row and "vulnerability" not in row
