"""Uploads: size limits (``MAX_UPLOAD_BYTES``, the CSV limit), content sniffing (what a file *is*,
not what its name or the browser says), and file names that try to leave ``MEDIA_ROOT``.

The shared handling under test: ``assets.files.check_report`` / ``attach_report`` (scan, test and
release reports), ``grc.csvio`` (every CSV import), and the evidence uploads of incidents.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from assets.files import ALLOWED_REPORT_EXTENSIONS, attach_report, check_report
from assets.models import VulnerabilityScan
from grc import csvio
from grc.csvio import CsvFileError, read_csv
from incidents.custody import evidence_add
from incidents.services import incident_report
from tests.conftest import signed_in
from tests.security.fuzz import FEW, FUZZ, undone

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
SCAN = {"tool": "Nessus", "scope": "prod VPC", "critical_count": "0", "high_count": "0", "medium_count": "0", "low_count": "0"}
TRAVERSALS = [
    "../../../../etc/passwd",
    "..\\..\\windows\\system32\\x",
    "/etc/cron.d/x",
    "....//....//x",
    "%2e%2e%2fx",
    "a/../../b",
    "\x00x",
    "...",
]
PROGRAMS = [b"MZ\x90\x00" + b"\x00" * 60, b"\x7fELF\x02\x01\x01" + b"\x00" * 40, b"\xcf\xfa\xed\xfe" + b"\x00" * 40]


@pytest.fixture
def media(settings):
    return settings.MEDIA_ROOT  # the test's own folder (tests/security/conftest.py)


def files_outside(root: Path, since: float) -> list[Path]:
    """Files written after ``since`` anywhere under the test's temporary folder but outside ``root``."""
    return [p for p in root.parent.rglob("*") if p.is_file() and root not in p.parents and p.stat().st_mtime >= since]


# --- reports (assets.files) ----------------------------------------------------------------------
def test_a_report_larger_than_the_limit_is_refused_next_to_the_field(settings, media, lead, client):
    settings.MAX_UPLOAD_BYTES = 1024
    signed_in(client, lead)
    big = SimpleUploadedFile("scan.pdf", PDF + b"0" * 2048, content_type="application/pdf")
    response = client.post(reverse("assets:scan_create"), {**SCAN, "performed_at": "2026-11-01T10:00", "report_file": big})
    assert response.status_code == 200 and b'data-field-error="report_file"' in response.content and b"larger than" in response.content
    assert not VulnerabilityScan.objects.exists()
    assert not media.exists() or not any(media.rglob("*.pdf"))


@FUZZ
@given(
    extension=st.sampled_from(sorted(ALLOWED_REPORT_EXTENSIONS)),
    content=st.one_of(
        st.sampled_from(PROGRAMS).flatmap(lambda head: st.binary(max_size=200).map(lambda tail: head + tail)),
        st.binary(min_size=1, max_size=300).filter(lambda b: b"\x00" in b and not b.startswith((b"\xff\xfe", b"\xfe\xff"))),
        st.sampled_from([b"<html><script>alert(1)</script></html>", b"just text", b"PK\x03\x04zip", PDF]),
    ),
    declared=st.sampled_from(["application/pdf", "text/csv", "application/octet-stream", "image/png", ""]),
)
def test_a_report_must_be_what_its_name_says_whatever_the_browser_declares(extension, content, declared):
    upload = SimpleUploadedFile(f"report{extension}", content, content_type=declared)
    program = content.startswith((b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe"))
    if extension == ".pdf":
        fits = content.startswith(b"%PDF-")
    elif extension in (".zip", ".xlsx"):
        fits = content.startswith(b"PK\x03\x04")
    else:
        fits = b"\x00" not in content[:4096]
    if fits and not program:
        check_report(upload)
    else:
        with pytest.raises(ValidationError, match="content is not"):
            check_report(upload)


@FEW
@given(name=st.sampled_from(TRAVERSALS).map(lambda stem: stem + ".pdf"))
def test_a_report_name_cannot_place_the_file_outside_the_media_root(media, name):
    started = timezone.now().timestamp() - 1
    scan = VulnerabilityScan(tool="x", scope="y", performed_at=timezone.now())
    attach_report(scan, SimpleUploadedFile(name, PDF, content_type="application/pdf"))
    stored = Path(scan.report.path).resolve()
    assert media.resolve() in stored.parents
    assert "/" not in scan.report_name and ".." not in Path(scan.report.name).name
    assert not files_outside(media, started)


# --- CSV imports (grc.csvio) -------------------------------------------------------------------------
def test_a_csv_larger_than_the_limit_is_refused_before_it_is_read(monkeypatch):
    monkeypatch.setattr(csvio, "MAX_CSV_BYTES", 1000)
    with pytest.raises(CsvFileError, match="larger than"):
        read_csv(b"tag,name\n" + b"a,b\n" * 500)


@pytest.mark.parametrize(
    "content,what",
    [
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel"),
        (PDF, "a PDF"),
        (b"a,b\n\x00\x00", "NUL"),
    ],
)
def test_a_file_that_is_not_csv_is_named_for_what_it_is(content, what):
    with pytest.raises(CsvFileError, match=what):
        read_csv(content)


@FEW
@given(name=st.sampled_from(TRAVERSALS).map(lambda stem: stem + ".csv"))
def test_an_uploaded_csv_keeps_only_a_harmless_label_of_its_name(client, lead, media, name):
    signed_in(client, lead)
    with undone():
        response = client.post(
            reverse("assets:import_upload"),
            {"file": SimpleUploadedFile(name, f"tag,name,kind,owner\nFZ-1,X,software,{lead.username}\n".encode())},
        )
        assert response.status_code in (200, 302)
        from assets.models import AssetImport

        for job in AssetImport.objects.all():
            assert "/" not in job.filename and "\\" not in job.filename and job.filename not in ("", ".", "..")


# --- evidence of incidents -----------------------------------------------------------------------------
@FEW
@given(name=st.sampled_from(TRAVERSALS + ["normal.log", "ünïcødé name.txt", "x" * 300 + ".log"]))
def test_evidence_is_stored_inside_the_media_root_under_a_clean_name(media, lead, name):
    started = timezone.now().timestamp() - 1
    with undone():
        now = timezone.now()
        incident = incident_report(by=lead, title="Fuzzed", description="", detected_at=now - timedelta(hours=1), now=now)
        item = evidence_add(
            incident=incident,
            by=lead,
            label="upload",
            upload=SimpleUploadedFile(name, b"log line\n", content_type="text/plain"),
            collected_by=lead,
            collected_at=now - timedelta(minutes=1),
            now=now,
        )
        stored = Path(item.file.path).resolve()
        assert media.resolve() in stored.parents
        assert ".." not in Path(item.file.name).parts and len(stored.name) <= 130
    assert not files_outside(media, started)


def test_evidence_larger_than_the_limit_is_refused(settings, media, lead):
    settings.MAX_UPLOAD_BYTES = 100
    now = timezone.now()
    incident = incident_report(by=lead, title="Big file", description="", detected_at=now - timedelta(hours=1), now=now)
    with pytest.raises(ValidationError, match="larger than"):
        evidence_add(
            incident=incident,
            by=lead,
            label="big",
            upload=SimpleUploadedFile("big.log", b"x" * 101),
            collected_by=lead,
            collected_at=now - timedelta(minutes=1),
            now=now,
        )
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))
