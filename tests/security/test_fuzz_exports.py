"""Formula injection: a cell that a spreadsheet would run (``=cmd|' /C calc'!A0``, ``+``, ``-``,
``@``, a tab or CR first) leaves every CSV export neutralised — prefixed with ``'`` so it shows
as text — whatever record it came from (``grc.csvio.neutralise``)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from access_reviews.services.registry import account_create, system_create
from assets.services.inventory import asset_create
from grc.audit.services import record_event
from grc.csvio import FORMULA_PREFIXES, neutralise
from incidents.custody import custody_append, evidence_add
from incidents.services import incident_report
from tests.conftest import signed_in
from tests.security.fuzz import FEW, FUZZ, any_text, formula_cells, undone

pytestmark = pytest.mark.django_db


@FUZZ
@given(text=st.one_of(any_text, formula_cells))
def test_neutralise_never_leaves_a_formula_and_changes_nothing_else(text):
    cell = neutralise(text)
    assert not cell.startswith(FORMULA_PREFIXES)
    assert cell == text or cell == "'" + text


def cells(response) -> list[str]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return [cell for row in csv.reader(io.StringIO(body.decode("utf-8"))) for cell in row]


def assert_neutralised(response, payload: str) -> None:
    assert response.status_code == 200
    exported = cells(response)
    assert not [cell for cell in exported if cell.startswith(FORMULA_PREFIXES)], "a cell would run as a formula"
    assert "'" + payload.strip() in [cell.strip() for cell in exported] or "'" + payload in exported


printable_formulas = formula_cells.filter(lambda c: c.strip() and "\x00" not in c and c.strip()[0] in "=+-@")


@FEW
@given(payload=printable_formulas.map(lambda c: c.strip()[:100]))
def test_the_exports_neutralise_formula_cells(client, lead, payload):
    signed_in(client, lead)
    now = timezone.now()
    with undone():
        asset_create(data={"tag": "FZ-1", "name": payload, "kind": "software", "owner": lead}, by=lead, now=now)
        assert_neutralised(client.get(reverse("assets:export")), payload)
    with undone():
        system = system_create(data={"name": "Fuzz system", "description": "", "owner": lead}, by=lead, now=now)
        account_create(data={"system": system, "name": payload, "privilege": "member"}, by=lead, now=now)
        assert_neutralised(client.get(reverse("access_reviews:account_export")), payload)
    with undone():
        record_event("tests.fuzz.formula", system_actor="tests", message=payload)
        assert_neutralised(client.get(reverse("audit:export")), payload)
    with undone():
        incident = incident_report(by=lead, title="Formula", description="", detected_at=now - timedelta(hours=2), now=now)
        item = evidence_add(
            incident=incident,
            by=lead,
            label="log",
            upload=SimpleUploadedFile("a.log", b"x"),
            collected_by=lead,
            collected_at=now - timedelta(hours=1),
            now=now,
        )
        custody_append(
            evidence=item, by=lead, from_party=payload, to_party="Forensics", at=now - timedelta(minutes=5), purpose="imaging", now=now
        )
        assert_neutralised(client.get(reverse("incidents:custody_export", args=[incident.pk])), payload)
