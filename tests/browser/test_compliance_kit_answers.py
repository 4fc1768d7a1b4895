"""The assessment kit in Chromium: edit a drafted answer with its counter, save, export text and PDF."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.utils import timezone
from pypdf import PdfReader

from assets.models import Asset
from grc.kit.models import QuestionnaireAnswer, QuestionnaireSubmission
from tests.compliance.test_kit_questionnaire import make_store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ANSWER = "Every endpoint accepts TLS 1.2 or later only; the load balancer uses the TLS 1.2+ policy and HSTS."


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_lead_edits_an_answer_saves_it_and_exports_text_and_pdf(visitor, lead, media, tmp_path):
    make_store(lead, tag="DS-PLAIN", algorithm="")
    page = visitor.login(lead)
    visitor.goto("/compliance/kit/questionnaire/")
    visitor.shot("questionnaire")

    # the red mark shows the gap the records hold
    encryption = page.locator("#area-encryption_rest")
    assert "kit-has-gap" in encryption.get_attribute("class")
    assert "DS-PLAIN" in encryption.locator(".kit-gap").first.inner_text()

    # the counter follows typing and turns red over the limit
    transit = page.locator("#id_answer-transit")
    counter = page.locator('[data-counter-for="id_answer-transit"]')
    page.fill("#id_limit-transit", "120")
    transit.fill("x" * 130)
    assert counter.inner_text() == "130 / 120"
    assert "kit-over" in counter.get_attribute("class")
    transit.fill(ANSWER)
    assert counter.inner_text() == f"{len(ANSWER)} / 120"
    assert "kit-over" not in counter.get_attribute("class")

    # "Use the draft" puts the live draft back into another answer
    page.locator('[data-use-draft="id_answer-passwords"]').click()
    assert "at least 12 characters" in page.locator("#id_answer-passwords").input_value()

    page.click('[data-testid="save-answers"]')
    page.wait_for_load_state("networkidle")
    assert "Answers saved" in page.locator(".alert").first.inner_text()
    saved = QuestionnaireAnswer.objects.get(area="transit")
    assert (saved.text, saved.char_limit) == (ANSWER, 120)
    visitor.shot("saved")

    # text export of the working copy
    with page.expect_download() as download_info:
        page.click('[data-testid="export-text"]')
    text = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert ANSWER in text and "Plan of action" in text and "DS-PLAIN" in text

    # the snapshot of the day it was submitted, and its PDF
    page.fill("#id_submitted_on", timezone.localdate().isoformat())
    page.fill("#id_label", "Developer profile")
    page.click('[data-testid="snapshot-form"] button[type=submit]')
    page.wait_for_load_state("networkidle")
    submission = QuestionnaireSubmission.objects.get()
    assert page.url.endswith(submission.get_absolute_url())
    page.wait_for_selector('[data-testid="submission-pdf"]', timeout=20000)
    visitor.shot("submission")
    with page.expect_download() as download_info:
        page.click('[data-testid="submission-pdf"]')
    reader = PdfReader(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    pdf_text = " ".join(p.extract_text() for p in reader.pages)
    assert "How is Information encrypted in transit?" in pdf_text and "load balancer uses the TLS" in pdf_text

    # fix the record: the next visit's draft has no red mark there, and the changes page says so
    Asset.objects.filter(tag="DS-PLAIN").update(encryption_algorithm="aes", encryption_key_bits=256)
    visitor.goto(f"/compliance/kit/submissions/{submission.pk}/changes/")
    assert "Closed: 1 data store holds PII with no encryption recorded (DS-PLAIN)." in page.content()
    visitor.shot("changes")
    visitor.goto("/compliance/kit/questionnaire/")
    assert "kit-has-gap" not in (page.locator("#area-encryption_rest").get_attribute("class") or "")
