"""The pack says "waived" for what was withdrawn and prints the periods in force (issue 20.1, 20.2):
a cancelled deprovisioning task is never "met", a tightened log-review or deletion period is the
one the pack judges and names, and the kept-events line is the books-and-records rule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from access_reviews.models import DeprovisionTask
from access_reviews.services.deprovision import task_cancel
from access_reviews.services.registry import person_terminate
from assets.services.deletion import deletion_request_create
from grc.compliance.cadence_overrides import cadence_override_set
from grc.compliance.cadences import Period
from grc.oversight.log_reviews import log_review_record
from tests.access_reviews.conftest import registry  # noqa: F401  (the fixture)
from tests.assets.conftest import make_asset  # noqa: F401  (the fixture)
from tests.evidence.conftest import build_pack, pdf_pages

pytestmark = pytest.mark.django_db


def pack_text(lead, clauses) -> str:
    pack = build_pack(by=lead, clauses=clauses, days=30, include_zip=False)
    return " ".join(" ".join(pdf_pages(pack.pdf.read())).split())


def test_a_cancelled_deprovisioning_task_is_waived_in_the_pack(registry, lead):  # noqa: F811
    now = timezone.now()
    system = registry.system("Order DB")
    person = registry.person("Lee", "Morgan")
    registry.approve(registry.account(system, "lmorgan", person))
    person_terminate(person=person, terminated_at=now - timedelta(hours=2), by=lead, now=now - timedelta(hours=2))
    task = DeprovisionTask.objects.get(person=person)
    task_cancel(task=task, by=lead, now=now - timedelta(hours=1), reason="terminated in error; the contract continues")
    text = pack_text(lead, ["1.2"])
    terminations = text[text.index("Accounts of terminated people") :][:600]
    assert "waived: task cancelled" in terminations and " met " not in terminations  # was "met" before


def test_a_tightened_log_review_period_is_the_one_the_pack_judges(lead):
    now = timezone.now()
    cadence_override_set(kind="audit.log_review", period=Period(days=7), reason="Amazon asked for weekly reviews", by=lead, now=now)
    log_review_record(
        by=lead, period_start=now - timedelta(days=12), period_end=now - timedelta(days=10), note="ok", now=now - timedelta(days=10)
    )
    text = pack_text(lead, ["2.6"])
    assert "Reviews due every 7 days (the period in force)" in text
    assert "last log review recorded 10 days ago; due every 7 days" in text  # the status line: overdue under 7 days
    assert "Audit events kept Every audit event is kept while the Amazon agreement is in force" in text


def test_a_tightened_deletion_period_heads_the_deletion_table(lead, make_asset):  # noqa: F811
    now = timezone.now()
    store = make_asset("data_store", name="Orders PostgreSQL", holds_pii=True, holds_amazon_information=True, now=now - timedelta(days=60))
    data = {"reference": "AMZ-DEL-42", "received_at": now - timedelta(days=25), "scope": "All data of seller A1B2C3", "responsible": lead}
    deletion_request_create(data=data, stores=[store.data_store], by=lead, now=now - timedelta(days=25))
    cadence_override_set(kind="assets.deletion_30d", period=Period(days=20), reason="contract asks for 20 days", by=lead, now=now)
    text = pack_text(lead, ["1.7"])
    assert "Within 20 days" in text and "Within 90 days" in text
    row = text[text.index("Certificate (in the ZIP)") :][:80]
    assert "DEL-42" in row and "— overdue —" in row  # 25 days without deletion: late under the 20-day period in force
