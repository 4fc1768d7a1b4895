"""Submission snapshots: frozen answers with their records, the differences since, text and PDF exports."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from assets.models import Asset
from grc.audit.models import AuditEvent
from grc.kit.models import QuestionnaireSubmission
from grc.kit.questionnaire.diff import content_diff, word_segments
from grc.kit.questionnaire.services import answers_save
from grc.kit.snapshots import content_digest, questionnaire_content, submission_create
from tests.compliance.test_kit_questionnaire import make_store
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def snapshot(lead, *, on: date | None = None, label: str = "Developer profile") -> QuestionnaireSubmission:
    now = timezone.now()
    return submission_create(submitted_on=on or now.date(), label=label, by=lead, now=now)


def test_a_snapshot_freezes_answers_records_gaps_and_the_plan_with_a_hash(lead, django_capture_on_commit_callbacks):
    make_store(lead, tag="DS-PLAIN", algorithm="")
    answers_save(values={"transit": ("TLS 1.3 only, HSTS on.", 1000)}, by=lead, now=timezone.now())
    with django_capture_on_commit_callbacks(execute=False):
        submission = snapshot(lead)
    content = submission.content
    areas = {area["key"]: area for area in content["areas"]}
    assert len(areas) == 28 and areas["transit"]["answer"] == "TLS 1.3 only, HSTS on." and areas["transit"]["edited"]
    assert areas["encryption_rest"]["facts"]["PII stores not encrypted"] == 1
    assert any("DS-PLAIN" in gap["text"] for gap in areas["encryption_rest"]["gaps"])
    assert any(item["clause"] == "2.4" and "DS-PLAIN" in item["finding"] for item in content["plan"])
    assert submission.content_sha256 == content_digest(content)
    event = AuditEvent.objects.get(action="compliance.questionnaire.submission_saved")
    assert event.object_id == str(submission.pk) and "TLS" not in event.message


def test_the_diff_shows_what_changed_in_the_records_and_the_answers_since_the_submission(lead, django_capture_on_commit_callbacks):
    store = make_store(lead, tag="DS-PLAIN", algorithm="")
    answers_save(values={"transit": ("We use TLS 1.2 on every endpoint.", 1000)}, by=lead, now=timezone.now())
    with django_capture_on_commit_callbacks(execute=False):
        submission = snapshot(lead)

    Asset.objects.filter(pk=store.pk).update(encryption_algorithm="aes", encryption_key_bits=256)
    answers_save(values={"transit": ("We use TLS 1.3 on every endpoint.", 1000)}, by=lead, now=timezone.now())

    diffs = {diff.key: diff for diff in content_diff(submission.content, questionnaire_content(timezone.now()))}
    assert diffs["transit"].answer_changed
    assert ("delete", "1.2 ") in diffs["transit"].segments and ("insert", "1.3 ") in diffs["transit"].segments
    rest = diffs["encryption_rest"]
    assert ("PII stores not encrypted", 1, 0) in rest.facts
    assert rest.gaps_resolved == ["1 data store holds PII with no encryption recorded (DS-PLAIN)."]
    assert not diffs["pii_need"].changed

    page = Client()
    response = signed_in(page, lead).get(reverse("kit:submission_changes", args=[submission.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<del>1.2 </del><ins>1.3 </ins>" in body
    assert "Closed: 1 data store holds PII with no encryption recorded (DS-PLAIN)." in body
    assert signed_in(page, lead).get(reverse("kit:changes")).url == reverse("kit:submission_changes", args=[submission.pk])


def test_two_snapshots_compare_in_date_order():
    before = {"areas": [{"key": "a", "number": 1, "question": "Q", "answer": "old words here", "facts": {"x": 1}, "gaps": []}]}
    after = {"areas": [{"key": "a", "number": 1, "question": "Q", "answer": "new words here", "facts": {"x": 2}, "gaps": [{"text": "g"}]}]}
    (diff,) = content_diff(before, after)
    assert diff.facts == [("x", 1, 2)] and diff.gaps_added == ["g"] and diff.answer_changed
    assert word_segments("one two three", "one four three") == [
        ("equal", "one "),
        ("delete", "two "),
        ("insert", "four "),
        ("equal", "three"),
    ]


def test_an_answer_over_its_limit_or_a_future_date_blocks_the_snapshot(lead):
    from grc.kit.models import QuestionnaireAnswer

    QuestionnaireAnswer.objects.create(area="transit", text="z" * 120, char_limit=100)
    with pytest.raises(ValidationError, match="question 5"):
        snapshot(lead)
    QuestionnaireAnswer.objects.all().delete()
    with pytest.raises(ValidationError):
        snapshot(lead, on=timezone.now().date() + timedelta(days=2))
    assert not QuestionnaireSubmission.objects.exists()


def test_the_pdf_is_built_after_the_commit_and_reads_back(lead, lead_client, django_capture_on_commit_callbacks):
    make_store(lead, tag="DS-PLAIN", algorithm="")
    answers_save(values={"transit": ("Every endpoint accepts TLS 1.2 or later only.", 1000)}, by=lead, now=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        response = lead_client.post(reverse("kit:submission_new"), {"submitted_on": timezone.now().date().isoformat(), "label": "Profile"})
    submission = QuestionnaireSubmission.objects.get()
    assert response.url == submission.get_absolute_url()
    assert submission.pdf and len(submission.pdf_sha256) == 64
    pdf = lead_client.get(reverse("kit:submission_pdf", args=[submission.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(b"".join(pdf.streaming_content)))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Every endpoint accepts TLS 1.2 or later only." in text
    assert "How is Information encrypted in transit?" in text
    assert "Plan of action" in text and "DS-PLAIN" in text
    assert AuditEvent.objects.filter(action="compliance.questionnaire.pdf_built", object_id=str(submission.pk)).exists()
    assert AuditEvent.objects.filter(action="download", details__what="questionnaire_pdf").exists()


def test_the_text_exports_print_every_answer_and_the_plan(lead, lead_client, django_capture_on_commit_callbacks):
    make_store(lead, tag="DS-PLAIN", algorithm="")
    current = lead_client.get(reverse("kit:questionnaire_text"))
    body = current.content.decode()
    assert current["Content-Disposition"].startswith("attachment;") and current["Content-Type"].startswith("text/plain")
    assert "5. How is Information encrypted in transit? (DPP 1.5)" in body and "Working copy" in body
    assert "Plan of action" in body and "DS-PLAIN" in body and "http" in body
    with django_capture_on_commit_callbacks(execute=False):
        submission = snapshot(lead, label="Annual assessment")
    frozen = lead_client.get(reverse("kit:submission_text", args=[submission.pk])).content.decode()
    assert "Annual assessment · Submitted to Amazon on" in frozen
    assert AuditEvent.objects.filter(action="download", details__what="questionnaire_text").count() == 2


def test_a_pdf_not_ready_is_404_and_the_page_says_it_is_being_prepared(lead, lead_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        submission = snapshot(lead)
    assert lead_client.get(reverse("kit:submission_pdf", args=[submission.pk])).status_code == 404
    page = lead_client.get(submission.get_absolute_url()).content.decode()
    assert "PDF being prepared" in page and 'http-equiv="refresh"' in page
