"""Evidence and chain of custody (DPP 1.6): hashes on upload, append-only custody, re-verification,
and files only through the permission-checked, audited download."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from grc.audit.models import AuditEvent
from incidents import custody
from incidents.models import CustodyEntry, CustodyKind, EvidenceItem
from tests.conftest import signed_in
from tests.incidents.conftest import NOW

pytestmark = pytest.mark.django_db
CONTENT = b"2027-03-10T08:01:00Z api 200 POST /orders/export\n"


def upload(name="access.log", content=CONTENT):
    return SimpleUploadedFile(name, content, content_type="text/plain")


@pytest.fixture
def incident(report, triage):
    return triage(report())


@pytest.fixture
def item(incident, lead):
    return custody.evidence_add(
        incident=incident, by=lead, label="API log", upload=upload(), collected_by=lead, collected_at=NOW - timedelta(minutes=30), now=NOW
    )


def test_a_file_is_stored_outside_the_web_root_with_its_sha256(item, media_root, settings):
    assert item.sha256 == hashlib.sha256(CONTENT).hexdigest()
    assert item.size == len(CONTENT) and item.original_name == "access.log"
    stored = Path(item.file.path)
    assert stored.read_bytes() == CONTENT
    assert stored.is_relative_to(media_root)
    assert not stored.is_relative_to(Path(settings.STATIC_ROOT))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../../etc/passwd", "passwd"),
        ("..\\..\\windows\\evil.bat", "evil.bat"),
        (".htaccess", "htaccess"),
        ("..", "evidence"),
        ("rapport d'incident (1).pdf", "rapport_dincident_1.pdf"),
        ("a" * 300 + ".log", "a" * 116 + ".log"),
    ],
)
def test_uploaded_names_are_sanitised(name, expected):
    assert custody.safe_filename(name) == expected


def test_a_path_traversal_name_stays_inside_the_evidence_folder(incident, lead, media_root):
    item = custody.evidence_add(
        incident=incident, by=lead, label="x", upload=upload("../../../../outside.sh"), collected_by=lead, collected_at=NOW, now=NOW
    )
    path = Path(item.file.path).resolve()
    assert path.name == "outside.sh" and path.is_relative_to(media_root.resolve() / "incidents" / str(incident.pk))


def test_the_chain_starts_with_the_collection(item, lead):
    entry = item.custody.get()
    assert entry.kind == CustodyKind.COLLECTED and entry.at == NOW - timedelta(minutes=30)
    assert "Priya Shah" in entry.to_party


def test_custody_entries_are_append_only(item, lead):
    entry = custody.custody_append(
        evidence=item, by=lead, from_party="Priya Shah", to_party="Forensics Ltd", at=NOW, purpose="imaging", now=NOW
    )
    entry.purpose = "something else"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        CustodyEntry.objects.filter(pk=entry.pk).update(purpose="rewritten")
    with pytest.raises(PermissionError):
        CustodyEntry.objects.filter(pk=entry.pk).delete()
    assert CustodyEntry.objects.get(pk=entry.pk).purpose == "imaging"
    assert [e.kind for e in item.custody.all()] == ["collected", "handover"]


def test_custody_parties_are_encrypted_at_rest(item, lead):
    from django.db import connection

    custody.custody_append(
        evidence=item, by=lead, from_party="Priya Shah", to_party="Dr Ingrid Forensic", at=NOW, purpose="imaging", now=NOW
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_party FROM incidents_custodyentry")
        assert all("Ingrid" not in row[0] for row in cursor.fetchall())


def test_a_hand_over_cannot_predate_the_collection(item, lead):
    with pytest.raises(ValidationError):
        custody.custody_append(evidence=item, by=lead, from_party="a", to_party="b", at=NOW - timedelta(days=1), purpose="p", now=NOW)


def test_re_verification_matches_an_unchanged_file(item, lead):
    assert custody.evidence_verify(evidence=item, by=lead, now=NOW) is True
    item.refresh_from_db()
    assert item.last_verified_match is True and item.last_verified_at == NOW
    assert item.custody.last().purpose == "SHA-256 re-verified: matches"


def test_re_verification_detects_a_changed_file_and_audits_it(item, lead):
    Path(item.file.path).write_bytes(CONTENT + b"tampered\n")
    assert custody.evidence_verify(evidence=item, by=lead, now=NOW) is False
    item.refresh_from_db()
    assert item.last_verified_match is False
    event = AuditEvent.objects.filter(action="incidents.evidenceitem.verified").get()
    assert event.outcome == "failure" and event.details["match"] is False and event.object_id == str(item.pk)
    assert item.custody.last().purpose == "SHA-256 re-verified: MISMATCH"


def test_re_verification_reports_a_missing_file(item, lead):
    Path(item.file.path).unlink()
    assert custody.evidence_verify(evidence=item, by=lead, now=NOW) is False
    assert item.custody.last().purpose == "file missing"


def test_a_physical_item_needs_a_description(incident, lead):
    with pytest.raises(ValidationError) as error:
        custody.evidence_add(incident=incident, by=lead, label="Laptop", collected_by=lead, collected_at=NOW, now=NOW)
    assert "description" in error.value.message_dict
    item = custody.evidence_add(
        incident=incident, by=lead, label="Laptop", description="Sealed bag 14, safe B", collected_by=lead, collected_at=NOW, now=NOW
    )
    assert item.kind == "physical" and not item.file and item.sha256 == ""


def test_the_upload_limit_is_enforced_on_the_page(client, lead, incident, settings, time_machine):
    time_machine.move_to(NOW + timedelta(hours=1), tick=False)
    settings.MAX_UPLOAD_BYTES = 10
    response = signed_in(client, lead).post(
        reverse("incidents:evidence_create", args=[incident.pk]),
        {"label": "big", "upload": upload(content=b"x" * 11), "collected_by": lead.pk, "collected_at": "2027-03-10T08:00"},
    )
    assert response.status_code == 200
    assert "larger than the limit" in response.content.decode()
    assert not EvidenceItem.objects.exists()


def test_the_page_uploads_a_file_and_shows_its_hash(client, lead, incident, time_machine):
    time_machine.move_to(NOW + timedelta(hours=1), tick=False)
    response = signed_in(client, lead).post(
        reverse("incidents:evidence_create", args=[incident.pk]),
        {"label": "API log", "upload": upload(), "collected_by": lead.pk, "collected_at": "2027-03-10T08:00"},
        follow=True,
    )
    item = EvidenceItem.objects.get()
    assert response.status_code == 200 and item.sha256 in response.content.decode()


def test_the_download_is_audited_and_joins_the_chain(client, lead, item, time_machine):
    time_machine.move_to(NOW + timedelta(hours=1), tick=False)
    response = signed_in(client, lead).get(reverse("incidents:evidence_download", args=[item.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CONTENT
    assert response["Content-Type"] == "application/octet-stream"
    assert 'attachment; filename="access.log"' in response["Content-Disposition"]
    event = AuditEvent.objects.filter(action="download").get()
    assert event.details["what"] == "evidence_file" and event.object_id == str(item.pk)
    assert item.custody.last().kind == CustodyKind.ACCESS


def test_the_hash_check_button_shows_a_mismatch(client, lead, item):
    Path(item.file.path).write_bytes(b"changed")
    response = signed_in(client, lead).post(reverse("incidents:evidence_verify", args=[item.pk]), follow=True)
    assert "does NOT match" in response.content.decode()
    assert 'data-status="fail"' in response.content.decode()


def test_the_chain_of_custody_exports_as_csv_without_formula_injection(client, lead, item):
    custody.custody_append(evidence=item, by=lead, from_party="=HYPERLINK(1)", to_party="Forensics", at=NOW, purpose="imaging", now=NOW)
    response = signed_in(client, lead).get(reverse("incidents:custody_export", args=[item.incident_id]))
    text = response.content.decode()
    assert response.status_code == 200 and "'=HYPERLINK(1)" in text and item.sha256 in text
    assert AuditEvent.objects.filter(action="download", details__what="custody_csv").exists()
