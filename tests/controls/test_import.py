"""The control register's CSV import: upload → preview (added, updated, unchanged per row, each
bad line with its field and reason) → apply through ``control_entry_save`` in one transaction.
A file with any bad row writes nothing; apply re-checks the file against the register."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from access_reviews.models import System
from assets.models import Asset
from grc.audit.models import AuditEvent
from grc.controls import imports
from grc.controls.models import ControlEntry
from grc.controls.services import control_entry_save
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

LOGGING = {
    "events_logged": "sign_ins;data_access",
    "destination": "siem",
    "retention_days": "365",
    "pii_excluded": "yes",
    "tamper_protected": "yes",
    "alarms": "failed_sign_ins",
    "review": "siem_alerting",
}
SECRETS = {"credentials_store": "vault", "secret_scanning": "yes", "environments_separated": "yes", "production_pii_in_tests": "no"}
DLP = {"email": "monitored", "removable_media": "blocked", "cloud_sharing": "monitored", "public_links": "blocked", "alerting": "siem"}


@pytest.fixture
def registry(lead):
    return {
        "seller": System.objects.create(name="Seller Central", owner=lead),
        "shopify": System.objects.create(name="Shopify", owner=lead),
        "store": Asset.objects.create(tag="DS-0001", name="Orders database", kind="data_store", owner=lead, holds_pii=True),
    }


def csv_file(rows: list[dict], name: str = "controls.csv") -> SimpleUploadedFile:
    header = list(dict.fromkeys(column for row in rows for column in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header)
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode(), content_type="text/csv")


def row(area: str, values: dict, *, owner: str = "priyashah", system: str = "", data_store: str = "", as_of: str = "") -> dict:
    # today as the test runs, not as the module was collected: a run across midnight saw two dates
    as_of = as_of or timezone.now().date().isoformat()
    return {"system": system, "data_store": data_store, "area": area, "owner": owner, "as_of": as_of, **values}


def upload(client, rows: list[dict]):
    return client.post(reverse("controls:import"), {"file": csv_file(rows)})


def token_of(page: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


def test_a_good_file_previews_adds_updates_and_unchanged_then_applies(lead_client, lead, registry):
    now = timezone.now()
    control_entry_save(area="secrets", raw=SECRETS, owner=lead, as_of=now.date(), by=lead, now=now, system=registry["shopify"])
    control_entry_save(area="dlp", raw={**DLP, "email": "none"}, owner=lead, as_of=now.date(), by=lead, now=now, system=registry["seller"])
    rows = [
        row("logging", LOGGING, system="Seller Central"),
        row("dlp", DLP, system="seller central"),
        row("secrets", SECRETS, system="Shopify", owner="priya.shah@example.test"),
        row("purpose", {"purposes": "tax;shipping"}, data_store="DS-0001"),
    ]
    response = upload(lead_client, rows)
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="import-errors"' not in page
    actions = dict(re.findall(r'<tr data-line="(\d+)" data-action="(\w+)">', page))
    assert actions == {"2": "add", "3": "update", "4": "unchanged", "5": "add"}
    assert "email" in re.search(r'data-line="3".*?</tr>', page, re.S).group(0)  # the changed field is named
    assert ControlEntry.objects.count() == 2  # the preview wrote nothing

    response = lead_client.post(reverse("controls:import_apply"), {"token": token_of(page)})
    assert response.status_code == 302 and response["Location"] == reverse("controls:index")
    assert ControlEntry.objects.count() == 4
    logging = ControlEntry.objects.get(system=registry["seller"], area="logging")
    assert logging.values["retention_days"] == 365 and logging.values["events_logged"] == ["sign_ins", "data_access"]
    assert ControlEntry.objects.get(system=registry["seller"], area="dlp").values["email"] == "monitored"
    assert ControlEntry.objects.get(data_store=registry["store"], area="purpose").values["purposes"] == ["tax", "shipping"]
    event = AuditEvent.objects.get(action="controls.import.applied")
    assert event.details["adds"] == 2 and event.details["updates"] == 1 and event.details["unchanged"] == 1
    assert AuditEvent.objects.filter(action="controls.controlentry.created", actor_id=lead.pk).count() == 2 + 2


def test_a_file_with_bad_rows_reports_each_line_with_its_field_and_writes_nothing(lead_client, registry):
    portal = System.objects.get(is_portal=True)
    rows = [
        row("logging", LOGGING, system="No Such System"),  # line 2
        row("logging", {**LOGGING, "retention_days": "-5"}, system="Seller Central"),  # line 3
        row("identity", {"mfa_enforced": "maybe", "password_min_length": "14"}, system="Shopify"),  # line 4
        row("logging", LOGGING, system="Seller Central"),  # line 5: the same system and area as line 3
        row("identity", {"mfa_enforced": "yes"}, system=portal.name),  # line 6: computed from the portal's settings
        row("network", {"firewall": "yes", "segmented": "yes", "public_access": "none"}, system="Shopify", owner="nobody"),  # line 7
        row("purpose", {"purposes": "tax"}, data_store="DS-0001"),  # line 8: good
    ]
    page = upload(lead_client, rows).content.decode()
    errors = re.findall(r'<tr data-line="(\d+)"><td>\d+</td><td>(.*?)</td></tr>', page)
    by_line: dict[str, list[str]] = {}
    for line, message in errors:
        by_line.setdefault(line, []).append(message)
    assert set(by_line) == {"2", "3", "4", "5", "6", "7"}
    assert by_line["2"] == ["system: no in-scope system named &#x27;No Such System&#x27; in the registry"]
    assert by_line["3"] == ["retention_days: -5 is outside 0 to 36500"]
    assert any(m.startswith("mfa_enforced: &#x27;maybe&#x27; is not one of yes, partial, no") for m in by_line["4"])
    assert by_line["5"] == ["the same system and area as line 3"]
    assert by_line["6"] == ["area: the identity settings of DPP compliance portal are filled in from its settings, not imported"]
    assert by_line["7"] == ["owner: no active security lead or manager has this username or email"]
    assert "6 rows cannot be imported" in page and 'name="token"' not in page
    assert not ControlEntry.objects.exists()


def test_it_refuses_a_file_it_cannot_read_as_a_whole(lead_client, registry, monkeypatch):
    page = upload(lead_client, [{**row("logging", LOGGING, system="Seller Central"), "retension_days": "30"}]).content.decode()
    assert "Unknown column: retension_days" in page
    page = upload(lead_client, [{"system": "Seller Central", "area": "logging", "owner": "priyashah"}]).content.decode()
    assert "The file has no as_of column" in page
    monkeypatch.setattr(imports, "MAX_ROWS", 2)
    page = upload(lead_client, [row("logging", LOGGING, system=name) for name in ("Seller Central", "Shopify", "X")]).content.decode()
    assert "The file has 3 rows; an import takes at most 2" in page
    response = lead_client.post(reverse("controls:import"), {"file": SimpleUploadedFile("x.csv", b"PK\x03\x04 zipped")})
    assert "not CSV text" in response.content.decode()
    assert not ControlEntry.objects.exists()


def test_apply_writes_nothing_if_the_register_changed_since_the_preview(lead_client, lead, registry):
    page = upload(lead_client, [row("logging", LOGGING, system="Seller Central")]).content.decode()
    now = timezone.now()
    control_entry_save(area="logging", raw=LOGGING, owner=lead, as_of=now.date(), by=lead, now=now, system=registry["seller"])
    before = ControlEntry.objects.get().updated_at
    page = lead_client.post(reverse("controls:import_apply"), {"token": token_of(page)}).content.decode()
    assert "The register changed since the preview: nothing was written" in page
    assert re.search(r'data-action="unchanged"', page) and ControlEntry.objects.get().updated_at == before


def test_apply_refuses_a_changed_or_missing_preview(lead_client, registry):
    page = upload(lead_client, [row("logging", LOGGING, system="Seller Central")]).content.decode()
    response = lead_client.post(reverse("controls:import_apply"), {"token": token_of(page)[:-2] + "xx"})
    assert response.status_code == 302 and response["Location"] == reverse("controls:import")
    assert lead_client.post(reverse("controls:import_apply")).status_code == 302
    assert not ControlEntry.objects.exists()


def test_the_template_lists_every_column_and_imports_as_it_is(lead_client, registry):
    response = lead_client.get(reverse("controls:import_template"))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert tuple(lines[0]) == imports.COLUMNS
    assert {"system", "data_store", "area", "owner", "as_of", "evidence_link", "retention_days", "mfa_enforced", "purposes"} <= set(
        lines[0]
    )
    assert {line[lines[0].index("area")] for line in lines[1:]} == {"identity", "logging", "network", "dlp", "secrets", "purpose"}
    page = lead_client.post(reverse("controls:import"), {"file": SimpleUploadedFile("t.csv", response.content)}).content.decode()
    assert 'data-testid="import-errors"' not in page and page.count('data-action="add"') == 6


def test_only_the_security_lead_imports(client, manager, auditor):
    for user in (manager, auditor):
        signed_in(client, user)
        assert client.get(reverse("controls:import")).status_code == 403
        assert client.get(reverse("controls:import_template")).status_code == 403
        assert client.post(reverse("controls:import_apply")).status_code == 403
