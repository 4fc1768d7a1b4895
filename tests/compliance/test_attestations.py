"""Attestations (issue 20.5): a statement no record can show counts only while the security lead's
signed attestation is in force — owner, evidence, expiry, fresh one-time code — and is a gap in the
answer and the readiness checklist when it is missing, expired or withdrawn."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grc.accounts.stepup import SESSION_KEY
from grc.audit.models import AuditEvent
from grc.kit.attestations import STATEMENTS, attestation_sign, attestation_withdraw
from grc.kit.models import Attestation
from grc.kit.questionnaire.drafts import all_drafts
from grc.kit.questionnaire.records import Records
from grc.kit.readiness import readiness_checklist
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
TEXT = STATEMENTS["change_control"].text


def change_claim(now: datetime):
    draft = next(d for d in all_drafts(Records(now)) if d.area.key == "change_owner")
    return draft.claims[0]


def attest_item(now: datetime):
    return next(item for item in readiness_checklist("2.7", now).items if item.key == "attest-change_control")


def sign(lead, now=NOW, **overrides):
    values = {
        "statement": "change_control",
        "owner": lead,
        "evidence_url": "https://git.example.com/shop/settings/branches",
        "expires_on": (now + timedelta(days=200)).date(),
        "by": lead,
        "step_up_at": now - timedelta(minutes=2),
        "now": now,
    }
    return attestation_sign(**(values | overrides))


def test_an_unsigned_statement_is_a_gap_that_links_to_its_signature(lead):
    claim = change_claim(NOW)
    assert claim.gap and claim.text == STATEMENTS["change_control"].missing
    assert claim.fix.url == reverse("kit:attestation_sign", args=["change_control"])
    assert TEXT not in " ".join(d.text for d in all_drafts(Records(NOW)))  # the sentence is never stated unsigned
    item = attest_item(NOW)
    assert item.status == "not_met" and item.fix.url == claim.fix.url


def test_a_signed_statement_cites_its_attestation_until_it_expires_or_is_withdrawn(lead):
    attestation = sign(lead)
    claim = change_claim(NOW + timedelta(days=1))
    assert not claim.gap and claim.text == TEXT
    assert claim.sources[0].url == attestation.get_absolute_url() and f"Attestation {attestation.pk}" in claim.sources[0].label
    assert attest_item(NOW + timedelta(days=1)).status == "met"
    # 30 days before the end the checklist warns; the answer still stands
    expiring = datetime.combine(attestation.expires_on - timedelta(days=10), datetime.min.time(), tzinfo=UTC)
    assert not change_claim(expiring).gap and attest_item(expiring).status == "at_risk"
    # the day after the expiry it is a gap again
    after = datetime.combine(attestation.expires_on + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    claim = change_claim(after)
    assert claim.gap and f"expired on {attestation.expires_on:%Y-%m-%d}" in claim.text
    assert attest_item(after).status == "at_risk"
    # withdrawn, the statement is a gap at once
    attestation_withdraw(attestation=attestation, by=lead, reason="the branch protection was turned off", now=NOW + timedelta(days=2))
    claim = change_claim(NOW + timedelta(days=3))
    assert claim.gap and "withdrawn" in claim.text
    assert list(AuditEvent.objects.filter(object_id=str(attestation.pk)).values_list("action", flat=True).order_by("pk")) == [
        "compliance.attestation.signed",
        "compliance.attestation.withdrawn",
    ]


def test_a_new_signature_replaces_the_old_one(lead):
    first = sign(lead, now=NOW - timedelta(days=300), expires_on=(NOW - timedelta(days=10)).date())
    assert change_claim(NOW).gap
    second = sign(lead)
    assert change_claim(NOW).sources[0].url == second.get_absolute_url() != first.get_absolute_url()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"expires_on": NOW.date()}, "expires_on"),
        ({"expires_on": (NOW + timedelta(days=400)).date()}, "expires_on"),
        ({"evidence_url": ""}, "evidence"),
        ({"evidence_url": "http://wiki.example.com/change"}, "evidence_url"),
        ({"statement": "nothing"}, "statement"),
    ],
)
def test_a_signature_without_evidence_or_with_a_bad_expiry_is_refused_by_field(lead, overrides, field):
    with pytest.raises(ValidationError) as error:
        sign(lead, **overrides)
    assert field in error.value.message_dict
    assert not Attestation.objects.exists()


def test_only_the_security_lead_signs_and_only_with_a_fresh_code(lead, manager):
    with pytest.raises(ValidationError, match="Only the security lead"):
        sign(lead, by=manager)
    with pytest.raises(ValidationError, match="fresh one-time code"):
        sign(lead, step_up_at=NOW - timedelta(minutes=30))
    with pytest.raises(ValidationError, match="fresh one-time code"):
        sign(lead, step_up_at=None)
    assert not Attestation.objects.exists()


def test_signing_in_the_browser_asks_for_a_code_then_stores_the_evidence_file(lead_client, lead, auditor):
    url = reverse("kit:attestation_sign", args=["change_control"])
    expires = (timezone.now() + timedelta(days=180)).date().isoformat()
    data = {"owner": lead.pk, "expires_on": expires, "confirm": "on"}
    response = lead_client.post(url, data | {"evidence": SimpleUploadedFile("change.pdf", b"%PDF-1.4 change process")})
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:step_up"))
    assert not Attestation.objects.exists()

    session = lead_client.session
    session[SESSION_KEY] = timezone.now().timestamp()
    session.save()
    page = lead_client.post(url, data)  # no evidence: the error sits next to the field
    assert page.status_code == 200 and "Attach the evidence or give a link to it." in page.content.decode()
    response = lead_client.post(url, data | {"evidence": SimpleUploadedFile("change.pdf", b"%PDF-1.4 change process")})
    attestation = Attestation.objects.get()
    assert response.url == attestation.get_absolute_url()
    assert attestation.evidence_sha256 and attestation.evidence_name == "change.pdf" and attestation.signed_by == lead

    auditor_client = signed_in(Client(), auditor)
    listing = auditor_client.get(reverse("kit:attestations")).content.decode()
    assert "in force" in listing and f"Attestation {attestation.pk}" in listing
    download = auditor_client.get(reverse("kit:attestation_evidence", args=[attestation.pk]))
    assert b"".join(download.streaming_content).startswith(b"%PDF") and "attachment" in download["Content-Disposition"]
    assert AuditEvent.objects.filter(action="download", object_id=str(attestation.pk)).exists()
    assert auditor_client.post(url, data).status_code == 403


def test_the_json_draft_names_the_attestation_behind_the_claim(lead):
    with time_machine.travel(NOW, tick=False):
        attestation = sign(lead)
        out = io.StringIO()
        call_command("questionnaire", "--json", stdout=out)
    answer = next(a for a in json.loads(out.getvalue()) if a["key"] == "change_owner")
    claim = answer["claims"][0]
    assert claim["status"] == "ok" and claim["text"] == TEXT
    assert claim["sources"][0]["record"] == {"type": "kit:attestation", "id": attestation.pk}
