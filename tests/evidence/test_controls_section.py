"""The control register in the evidence pack: each in-scope system's controls as recorded, the same
verdict as the clause's status line, and the evidence file in the ZIP with its SHA-256 in the manifest."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from access_reviews.services.registry import system_create
from grc.controls.services import control_entry_save
from tests.evidence.conftest import build_pack, compact, pdf_pages

pytestmark = pytest.mark.django_db

LOGGING = {
    "events_logged": "sign_ins;data_access",
    "destination": "log_store",
    "retention_days": "60",
    "pii_excluded": "yes",
    "tamper_protected": "yes",
    "alarms": "failed_sign_ins",
    "review": "siem_alerting",
}


def test_the_pack_lists_each_systems_logging_controls_with_the_evidence_files_hash(lead):
    now = timezone.now()
    system = system_create(data={"name": "Order DB", "owner": lead, "holds_amazon_information": True}, by=lead, now=now)
    export = b'{"retentionInDays": 60}\n'
    control_entry_save(
        area="logging",
        raw=LOGGING,
        owner=lead,
        as_of=now.date(),
        by=lead,
        now=now,
        system=system,
        evidence_file=SimpleUploadedFile("cloudwatch.json", export, content_type="application/json"),
    )
    pack = build_pack(by=lead, clauses=["2.6"])
    text = compact("\n".join(pdf_pages(pack.pdf.read())))
    assert compact("Logging and monitoring of each in-scope system (control register)") in text
    assert compact("Order DB") in text and compact("logs kept 60 days (90 required)") in text
    assert compact("retention (days): 60") in text
    assert compact("SIEM alerting is recorded but logs do not go to a SIEM") in text  # the same words as the status line
    digest = hashlib.sha256(export).hexdigest()
    entry = next(e for e in pack.manifest["attachments"] if e["kind"] == "file" and e["clause"] == "2.6")
    assert entry["sha256"] == digest and entry["matches_record"] is True
    with zipfile.ZipFile(io.BytesIO(pack.zip.read())) as archive:
        root = archive.namelist()[0].split("/")[0]
        assert archive.read(f"{root}/{entry['path']}") == export
        assert json.loads(archive.read(f"{root}/manifest.json"))["attachments"] == pack.manifest["attachments"]
        assert any("control-register-logging" in name for name in archive.namelist()), archive.namelist()
