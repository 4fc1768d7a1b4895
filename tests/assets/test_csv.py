"""CSV import and export of the inventory: errors by line, preview, all-or-nothing by default,
"import the good rows", a preview gone stale, formula-safe and audited export, round trip."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from assets.imports import COLUMNS, import_apply, import_upload
from assets.models import Asset, AssetImport, ImportStatus
from grc.audit.models import AuditEvent
from grc.csvio import CsvFileError

pytestmark = pytest.mark.django_db
HEADER = "tag,name,kind,owner,hardware_type,ownership,encryption_algorithm,encryption_key_bits,holds_pii,url,tls_min_version,pii_retention_days,store_type\n"


def upload(lead, body: str, header: str = HEADER) -> AssetImport:
    return import_upload(filename="assets.csv", data=(header + body).encode(), by=lead, now=timezone.now())


def test_each_bad_row_is_reported_by_its_line_number(lead):
    body = (
        f"LT-1,Laptop,hardware,{lead.username},laptop,company,aes,256,no,,,,\n"  # line 2: good
        f"LT-2,Laptop,hardware,nobody,laptop,company,aes,256,no,,,,\n"  # line 3: unknown owner
        f"EP-1,API,endpoint,{lead.username},,,,,no,,1.7,,\n"  # line 4: bad TLS choice, no url
        f"LT-1,Again,hardware,{lead.username},laptop,company,aes,256,maybe,,,,\n"  # line 5: duplicate id
        f"XX-1,Thing,gadget,{lead.username},,,,,no,,,,\n"  # line 6: unknown kind
        f"DS-1,Orders,data_store,{lead.username},,,aes,lots,yes,,,thirty,database\n"  # line 7: numbers
    )
    job = upload(lead, body)
    errors = {error["line"]: error["message"] for error in job.errors}
    assert set(errors) == {3, 4, 5, 6, 7}
    assert "owner must be the username of an active portal user" in errors[3] and "nobody" not in errors[3]
    assert "tls_min_version must be one of none, 1.0, 1.1, 1.2, 1.3" in errors[4]
    assert "asset id LT-1 appears again (first on line 2)" in errors[5]
    assert errors[6].startswith("kind must be one of hardware, software, data_store")
    assert "encryption_key_bits must be a whole number" in errors[7] and "pii_retention_days must be a whole number" in errors[7]
    assert job.summary == {"adds": 1, "changes": 0, "unchanged": 0, "bad": 5}


def test_kind_rules_are_checked_per_row(lead):
    job = upload(lead, f"EP-1,API,endpoint,{lead.username},,,,,no,,1.2,,\nLT-9,Laptop,hardware,{lead.username},,company,,,no,,,,\n")
    errors = {error["line"]: error["message"] for error in job.errors}
    assert "url: Required for endpoint assets." in errors[2]
    assert "hardware_type: Required for hardware assets." in errors[3]


def test_nothing_is_imported_while_a_row_is_bad_unless_the_good_rows_are_chosen(lead):
    job = upload(
        lead, f"LT-1,Laptop,hardware,{lead.username},laptop,company,aes,256,no,,,,\nLT-2,Laptop,hardware,nobody,laptop,company,,,no,,,,\n"
    )
    with pytest.raises(ValidationError):
        import_apply(job=job, import_good_rows=False, by=lead, now=timezone.now())
    assert not Asset.objects.exists()
    import_apply(job=job, import_good_rows=True, by=lead, now=timezone.now())
    assert list(Asset.objects.values_list("tag", flat=True)) == ["LT-1"]
    job.refresh_from_db()
    assert job.status == ImportStatus.APPLIED and job.content == ""
    event = AuditEvent.objects.get(action="assets.import.applied")
    assert event.details["added"] == 1 and event.details["skipped_bad_rows"] == 1


def test_the_preview_lists_adds_and_changes_with_field_names_and_apply_writes_them(lead, make_asset):
    make_asset("hardware", tag="LT-1", name="Old name")
    job = upload(
        lead,
        f"LT-1,New name,hardware,{lead.username},laptop,company,aes,256,yes,,,,\n"
        f"DS-1,Orders DB,data_store,{lead.username},,,aes,256,yes,,,45,database\n",
    )
    assert job.summary == {"adds": 1, "changes": 1, "unchanged": 0, "bad": 0}
    assert job.preview["changes"] == [{"line": 2, "tag": "LT-1", "fields": ["name", "holds_pii"]}]
    assert job.preview["adds"] == [{"line": 3, "tag": "DS-1", "name": "Orders DB"}]
    import_apply(job=job, import_good_rows=False, by=lead, now=timezone.now())
    laptop = Asset.objects.get(tag="LT-1")
    store = Asset.objects.select_related("data_store").get(tag="DS-1")
    assert laptop.name == "New name" and laptop.holds_pii
    assert store.data_store.pii_retention_days == 45
    assert store.flag_count >= 1  # 45 days without a legal basis, among others
    assert "PII kept 45 days after delivery without a recorded legal basis" in store.flags


def test_apply_refuses_a_preview_the_inventory_has_moved_on_from(lead, make_asset):
    job = upload(lead, f"LT-1,Laptop,hardware,{lead.username},laptop,company,aes,256,no,,,,\n")
    make_asset("hardware", tag="LT-1", name="Added meanwhile", holds_pii=True)
    with pytest.raises(ValidationError) as error:
        import_apply(job=job, import_good_rows=False, by=lead, now=timezone.now())
    assert "changed since this preview" in error.value.messages[0]
    job.refresh_from_db()
    assert job.summary["changes"] == 1 and job.summary["adds"] == 0 and job.status == ImportStatus.PREVIEW
    assert Asset.objects.get(tag="LT-1").name == "Added meanwhile"


def test_a_file_without_the_required_columns_or_with_unknown_ones_is_refused(lead):
    with pytest.raises(CsvFileError) as error:
        import_upload(filename="a.csv", data=b"tag,name\nA,B\n", by=lead, now=timezone.now())
    assert "kind, owner" in str(error.value)
    with pytest.raises(CsvFileError) as error:
        import_upload(filename="a.csv", data=b"tag,name,kind,owner,colour\nA,B,hardware,x,red\n", by=lead, now=timezone.now())
    assert "Unknown columns: colour" in str(error.value)
    with pytest.raises(CsvFileError):
        import_upload(filename="a.csv", data="tag,name,kind,owner\n\xe9".encode("latin-1"), by=lead, now=timezone.now())


def test_the_upload_page_shows_the_preview_and_the_errors(lead, lead_client):
    data = (
        HEADER + f"LT-1,Laptop,hardware,{lead.username},laptop,company,aes,256,no,,,,\nLT-2,X,hardware,nobody,laptop,company,,,no,,,,\n"
    ).encode()
    response = lead_client.post(reverse("assets:import_upload"), {"file": SimpleUploadedFile("a.csv", data, content_type="text/csv")})
    job = AssetImport.objects.get()
    assert response.status_code == 302 and response.url == reverse("assets:import_detail", args=[job.pk])
    html = lead_client.get(response.url).content.decode()
    assert "line 3:" in html and "LT-1" in html and "Import the good rows" in html
    response = lead_client.post(reverse("assets:import_apply", args=[job.pk]), {})
    assert response.status_code == 302 and not Asset.objects.exists()
    lead_client.post(reverse("assets:import_apply", args=[job.pk]), {"import_good_rows": "on"})
    assert Asset.objects.filter(tag="LT-1").exists()


def test_a_bad_upload_is_reported_next_to_the_file_field(lead_client):
    response = lead_client.post(
        reverse("assets:import_upload"), {"file": SimpleUploadedFile("a.csv", b"tag,name\n", content_type="text/csv")}
    )
    assert response.status_code == 200 and 'data-field-error="file"' in response.content.decode()


def test_the_export_neutralises_formulas_and_is_audited(make_asset, auditor):
    from tests.assets.conftest import client_for

    make_asset("software", name='=HYPERLINK("http://evil")', notes="+cmd|' /C calc'!A0")
    make_asset("endpoint", name="Orders API", tls_min_version="1.0")
    response = client_for(auditor).get(reverse("assets:export"))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [*COLUMNS, "flags"]
    by_name = {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert '\'=HYPERLINK("http://evil")' in by_name
    assert by_name['\'=HYPERLINK("http://evil")']["notes"].startswith("'+cmd")
    assert by_name["Orders API"]["flags"] == "endpoint allows TLS 1.0"
    event = AuditEvent.objects.get(action="download")
    assert event.details == {"what": "csv", "count": 2}


def test_an_export_imports_back_unchanged(make_asset, lead, lead_client):
    make_asset("hardware", name="Laptop", notes="two lines\nof notes")
    make_asset("data_store", name="Orders", holds_pii=True, store={"pii_retention_days": 30, "retention_legal_basis": ""})
    make_asset("credential")
    make_asset("endpoint", untrusted_proxy=True, message_encryption=True)
    exported = lead_client.get(reverse("assets:export")).content
    job = import_upload(filename="round.csv", data=exported, by=lead, now=timezone.now())
    assert job.errors == []
    assert job.summary == {"adds": 0, "changes": 0, "unchanged": 4, "bad": 0}


def test_the_template_has_every_column(lead_client):
    response = lead_client.get(reverse("assets:import_template"))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == list(COLUMNS) and len(rows) == 3
