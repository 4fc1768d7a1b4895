"""Attestations in Chromium: the lead signs the change-control statement and the answer cites it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from grc.kit.models import Attestation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_lead_signs_a_statement_and_the_questionnaire_cites_it(visitor, lead):
    page = visitor.login(lead)
    visitor.goto("/compliance/kit/attestations/")
    assert "not yet signed" in page.locator('[data-testid="attestation-table"]').inner_text()
    visitor.shot("unsigned")

    page.get_by_role("link", name="Sign Change control of storage hardware and systems").click()
    page.select_option("#id_owner", str(lead.pk))
    page.fill("#id_evidence_url", "https://git.example.com/shop/settings/branches")
    page.fill("#id_expires_on", (timezone.now() + timedelta(days=180)).date().isoformat())
    page.check("#id_confirm")
    visitor.shot("form")
    page.get_by_role("button", name="Sign the statement").click()
    page.wait_for_load_state("networkidle")
    attestation = Attestation.objects.get()
    assert page.url.endswith(attestation.get_absolute_url())
    assert "in force" in page.inner_text("main")
    visitor.shot("signed")

    visitor.goto("/compliance/kit/questionnaire/")
    answer = page.locator("#area-change_owner")
    assert "tested, verified and approved" in answer.inner_text()
    assert answer.locator(f'a[href="{attestation.get_absolute_url()}"]').count() >= 1
