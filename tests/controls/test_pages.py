"""The control register's pages: who reads them, the statuses each cell shows, a fixed number of
queries at any size, recording through the form (errors next to the field), re-attesting,
removing, and the evidence file (stored with its SHA-256, downloaded through an audited view)."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from access_reviews.models import System
from assets.models import Asset
from grc.audit.models import AuditEvent
from grc.controls.models import ControlEntry
from grc.controls.services import control_entry_save
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

LOGGING_OK = {
    "events_logged": "sign_ins;admin_actions;data_access",
    "destination": "siem",
    "retention_days": "365",
    "pii_excluded": "yes",
    "tamper_protected": "yes",
    "alarms": "failed_sign_ins;data_volume",
    "review": "siem_alerting",
    "canary_records": "yes",
}
SECRETS_OK = {"credentials_store": "vault", "secret_scanning": "yes", "environments_separated": "yes", "production_pii_in_tests": "no"}
NETWORK_OPEN = {"firewall": "no", "segmented": "no", "public_access": "open"}


@pytest.fixture(autouse=True)
def private_media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def seller_central(lead) -> System:
    return System.objects.create(name="Seller Central", owner=lead, holds_amazon_information=True)


@pytest.fixture
def orders_db(lead) -> Asset:
    return Asset.objects.create(tag="DS-0001", name="Orders database", kind="data_store", owner=lead, holds_pii=True)


def record(area: str, raw: dict, *, by, system=None, data_store=None, as_of=None, **extra) -> ControlEntry:
    now = timezone.now()
    return control_entry_save(
        area=area, raw=raw, owner=by, as_of=as_of or now.date(), by=by, now=now, system=system, data_store=data_store, **extra
    )


def cell(page: str, subject: str, area: str) -> str:
    """The HTML of one cell of the register."""
    row = re.search(rf'<tr data-subject="{subject}".*?</tr>', page, re.S)
    assert row, f"no row for {subject}"
    found = re.search(rf'<td class="register-cell" data-area="{area}" data-state="(\w+)">(.*?)</td>', row.group(0), re.S)
    assert found, f"no {area} cell for {subject}"
    return found.group(1) + " " + found.group(2)


def test_it_shows_the_register_to_readers_and_refuses_staff(client, lead, manager, auditor, staff):
    for user in (lead, manager, auditor):
        assert signed_in(client, user).get(reverse("controls:index")).status_code == 200
    assert signed_in(client, staff).get(reverse("controls:index")).status_code == 403
    assert AuditEvent.objects.filter(action="accounts.permission_denied", object_id="controls:index").exists()


def test_the_navigation_links_the_register_for_its_readers_only(client, lead, staff):
    assert (
        f'href="{reverse("controls:index")}">Controls</a>' in signed_in(client, lead).get(reverse("compliance:dashboard")).content.decode()
    )
    assert f'href="{reverse("controls:index")}"' not in signed_in(client, staff).get(reverse("compliance:dashboard")).content.decode()


def test_the_portal_comes_first_then_systems_then_pii_data_stores(lead_client, seller_central, orders_db):
    page = lead_client.get(reverse("controls:index")).content.decode()
    portal = System.objects.get(is_portal=True)
    assert "DPP 1.1, 1.2, 1.4, 2, 2.3, 2.5 and 2.6 are computed from this register" in page
    assert page.index(f'data-subject="system:{portal.pk}"') < page.index(f'data-subject="system:{seller_central.pk}"')
    assert page.index(f'data-subject="system:{seller_central.pk}"') < page.index(f'data-subject="data_store:{orders_db.pk}"')
    assert "this portal — filled in from its settings" in page
    assert "from its settings" in cell(page, f"system:{portal.pk}", "identity")
    assert 'data-area="purpose"' not in re.search(r'data-testid="register-systems".*?</table>', page, re.S).group(0)
    assert 'data-area="purpose"' in re.search(r'data-testid="register-stores".*?</table>', page, re.S).group(0)


def test_a_missing_entry_is_not_yet_recorded_with_a_record_link_for_the_lead_only(client, lead, manager, seller_central):
    page = signed_in(client, lead).get(reverse("controls:index")).content.decode()
    logging_cell = cell(page, f"system:{seller_central.pk}", "logging")
    assert logging_cell.startswith("not_tracked") and "not yet recorded" in logging_cell
    assert f"/controls/record/?system={seller_central.pk}&amp;area=logging" in logging_cell
    page = signed_in(client, manager).get(reverse("controls:index")).content.decode()
    assert "Record</a>" not in cell(page, f"system:{seller_central.pk}", "logging")


def test_cells_say_met_not_met_and_expired_and_link_the_entry(lead_client, lead, seller_central):
    logging = record("logging", LOGGING_OK, by=lead, system=seller_central)
    record("network", NETWORK_OPEN, by=lead, system=seller_central)
    long_ago = timezone.now().date() - timedelta(days=800)
    record("secrets", SECRETS_OK, by=lead, system=seller_central, as_of=long_ago)
    page = lead_client.get(reverse("controls:index")).content.decode()
    key = f"system:{seller_central.pk}"
    assert cell(page, key, "logging").startswith("met") and logging.get_absolute_url() in cell(page, key, "logging")
    assert cell(page, key, "network").startswith("not_met") and "no firewall" in cell(page, key, "network")
    assert cell(page, key, "secrets").startswith("expired") and ">expired<" in cell(page, key, "secrets")


def test_it_filters_by_area_and_by_status(lead_client, lead, seller_central, orders_db):
    record("logging", LOGGING_OK, by=lead, system=seller_central)
    page = lead_client.get(reverse("controls:index"), {"area": "logging"}).content.decode()
    assert 'data-area="logging"' in page and 'data-area="network"' not in page and "register-stores" not in page
    page = lead_client.get(reverse("controls:index"), {"area": "purpose"}).content.decode()
    assert "register-systems" not in page and 'data-area="purpose"' in page
    page = lead_client.get(reverse("controls:index"), {"area": "logging", "status": "met"}).content.decode()
    portal = System.objects.get(is_portal=True)
    assert f'data-subject="system:{seller_central.pk}"' in page and f'data-subject="system:{portal.pk}"' not in page
    page = lead_client.get(reverse("controls:index"), {"area": "purpose", "status": "met"}).content.decode()
    assert "Nothing in the register matches these filters" in page


def test_with_only_the_portal_it_says_what_to_do_next(lead_client):
    page = lead_client.get(reverse("controls:index")).content.decode()
    assert "Only this portal is registered as an in-scope system" in page
    assert reverse("access_reviews:system_list") in page


# session, user, device; cadence overrides; in-scope systems, data stores and entries (one query
# each); the portal's own accounts (two counts), last log review and canaries; the session save (3);
# the enabled AWS connections (one; their latest collections one more only when there are some)
QUERY_BUDGET = 15


def test_the_register_needs_the_same_queries_for_3_or_60_systems(lead_client, lead, django_assert_max_num_queries):
    def add_systems(start: int, count: int) -> None:
        systems = System.objects.bulk_create(System(name=f"System {n:03}", owner=lead) for n in range(start, start + count))
        stores = Asset.objects.bulk_create(
            Asset(tag=f"DS-{n:04}", name=f"Store {n}", kind="data_store", owner=lead, holds_pii=True) for n in range(start, start + count)
        )
        for system, store in zip(System.objects.filter(pk__in=[s.pk for s in systems]), stores, strict=True):
            record("logging", LOGGING_OK, by=lead, system=system)
            record("purpose", {"purposes": "tax"}, by=lead, data_store=Asset.objects.get(tag=store.tag))

    url = reverse("controls:index")
    add_systems(0, 3)
    lead_client.get(url)  # warm the session
    with django_assert_max_num_queries(QUERY_BUDGET) as small:
        assert lead_client.get(url).status_code == 200
    add_systems(3, 57)
    with django_assert_max_num_queries(QUERY_BUDGET) as large:
        page = lead_client.get(url).content.decode()
    assert len(small.captured_queries) == len(large.captured_queries)
    assert page.count('data-subject="system:') == 61 and page.count('data-subject="data_store:') == 60


def test_recording_through_the_form_creates_the_entry_and_an_audit_event(lead_client, lead, seller_central):
    url = reverse("controls:record") + f"?system={seller_central.pk}&area=logging"
    page = lead_client.get(url).content.decode()
    assert 'name="retention_days"' in page and 'type="checkbox" name="events_logged"' in page
    destination = re.search(r'<select name="destination".*?</select>', page, re.S).group(0)
    assert '<option value="" selected>—</option>' in destination  # nothing is chosen for the lead
    data = {**LOGGING_OK, "events_logged": ["sign_ins", "data_access"], "alarms": ["failed_sign_ins"], "owner": lead.pk}
    data["as_of"] = timezone.now().date().isoformat()
    response = lead_client.post(url, data)
    entry = ControlEntry.objects.get(system=seller_central, area="logging")
    assert response.status_code == 302 and response["Location"] == entry.get_absolute_url()
    assert entry.values["retention_days"] == 365 and entry.values["events_logged"] == ["sign_ins", "data_access"]
    assert AuditEvent.objects.filter(action="controls.controlentry.created", object_id=str(entry.pk), actor_id=lead.pk).exists()
    assert lead_client.get(url)["Location"] == reverse("controls:edit", args=[entry.pk])  # recorded: the link now edits it


def test_a_bad_value_is_shown_next_to_its_field_and_nothing_is_written(lead_client, lead, seller_central):
    url = reverse("controls:record") + f"?system={seller_central.pk}&area=logging"
    data = {
        **LOGGING_OK,
        "retention_days": "-5",
        "events_logged": ["sign_ins"],
        "owner": lead.pk,
        "as_of": timezone.now().date().isoformat(),
    }
    page = lead_client.post(url, data).content.decode()
    assert re.search(r'data-field-error="retention_days">-5 is outside 0 to 36500<', page)
    assert re.search(r'name="retention_days"[^>]*is-invalid|is-invalid[^>]*name="retention_days"', page)
    assert not ControlEntry.objects.exists()
    data.update(retention_days="400", as_of="")  # the form's own error, and still the schema's words for the area
    page = lead_client.post(url, {**data, "destination": "paper"}).content.decode()
    assert 'data-field-error="as_of"' in page and "&#x27;paper&#x27; is not one of siem, log_store, none" in page
    assert not ControlEntry.objects.exists()


def test_the_portal_s_computed_areas_cannot_be_recorded(lead_client):
    portal = System.objects.get(is_portal=True)
    response = lead_client.get(reverse("controls:record") + f"?system={portal.pk}&area=identity")
    assert response.status_code == 302 and not ControlEntry.objects.exists()
    assert lead_client.get(reverse("controls:record") + f"?system={portal.pk}&area=network").status_code == 200


def test_managers_and_auditors_read_entries_but_do_not_record(client, manager, auditor, lead, seller_central):
    entry = record("logging", LOGGING_OK, by=lead, system=seller_central)
    for user in (manager, auditor):
        signed_in(client, user)
        page = client.get(entry.get_absolute_url()).content.decode()
        assert "Re-attest unchanged" not in page
        assert client.get(reverse("controls:record") + f"?system={seller_central.pk}&area=network").status_code == 403
        assert client.post(reverse("controls:reattest", args=[entry.pk])).status_code == 403
        assert client.post(reverse("controls:delete", args=[entry.pk])).status_code == 403
    assert ControlEntry.objects.filter(pk=entry.pk).exists()


def test_the_entry_page_shows_values_due_date_and_problems_in_words(lead_client, lead, seller_central):
    entry = record("network", NETWORK_OPEN, by=lead, system=seller_central)
    page = lead_client.get(entry.get_absolute_url()).content.decode()
    assert "Open to anyone" in page and "Firewalls / network ACLs deny unauthorised addresses" in page
    assert "publicly reachable by anyone, not only approved users" in page and "PII stores are not segmented" in page
    assert 'class="countdown' in re.search(r'data-testid="entry-due">(.*?)</dd>', page, re.S).group(1)
    assert AuditEvent.objects.filter(action="controls.controlentry.viewed", object_id=str(entry.pk)).exists()


def test_editing_is_prefilled_and_saving_attests_again(lead_client, lead, seller_central):
    entry = record("network", NETWORK_OPEN, by=lead, system=seller_central, as_of=timezone.now().date() - timedelta(days=30))
    page = lead_client.get(reverse("controls:edit", args=[entry.pk])).content.decode()
    assert re.search(r'<option value="open" selected>', page)
    page = lead_client.post(reverse("controls:edit", args=[entry.pk]), {}).content.decode()  # an empty form: every error, no crash
    assert 'data-field-error="firewall"' in page and 'data-field-error="owner"' in page
    data = {"firewall": "yes", "firewall_reviewed_on": timezone.now().date().isoformat(), "segmented": "yes", "public_access": "none"}
    response = lead_client.post(
        reverse("controls:edit", args=[entry.pk]), {**data, "owner": lead.pk, "as_of": timezone.now().date().isoformat()}
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.values["public_access"] == "none" and entry.as_of == timezone.now().date()
    assert "Within the DPP" in lead_client.get(entry.get_absolute_url()).content.decode()


def test_re_attesting_keeps_the_values_and_moves_as_of_to_today(lead_client, lead, seller_central):
    entry = record("logging", LOGGING_OK, by=lead, system=seller_central, as_of=timezone.now().date() - timedelta(days=800))
    values = dict(entry.values)
    assert lead_client.get(reverse("controls:reattest", args=[entry.pk])).status_code == 405
    response = lead_client.post(reverse("controls:reattest", args=[entry.pk]))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.as_of == timezone.now().date() and entry.values == values
    page = lead_client.get(reverse("controls:index")).content.decode()
    assert cell(page, f"system:{seller_central.pk}", "logging").startswith("met")


def test_removing_asks_first_then_the_area_is_not_yet_recorded(lead_client, lead, seller_central):
    entry = record("logging", LOGGING_OK, by=lead, system=seller_central)
    assert "Remove the entry" in lead_client.get(reverse("controls:delete", args=[entry.pk])).content.decode()
    assert ControlEntry.objects.filter(pk=entry.pk).exists()
    response = lead_client.post(reverse("controls:delete", args=[entry.pk]))
    assert response.status_code == 302 and not ControlEntry.objects.filter(pk=entry.pk).exists()
    assert AuditEvent.objects.filter(action="controls.controlentry.deleted", object_id=str(entry.pk)).exists()
    page = lead_client.get(reverse("controls:index")).content.decode()
    assert cell(page, f"system:{seller_central.pk}", "logging").startswith("not_tracked")


def test_an_evidence_file_is_stored_with_its_hash_and_downloaded_through_an_audited_view(client, lead, auditor, staff, seller_central):
    content = b"%PDF-1.4\nfirewall export\n%%EOF"
    signed_in(client, lead)
    url = reverse("controls:record") + f"?system={seller_central.pk}&area=network"
    data = {"firewall": "yes", "segmented": "yes", "public_access": "none", "owner": lead.pk, "as_of": timezone.now().date().isoformat()}
    client.post(url, {**data, "evidence_file": SimpleUploadedFile("rules.pdf", content, content_type="application/pdf")})
    entry = ControlEntry.objects.get(system=seller_central, area="network")
    assert entry.evidence_sha256 == hashlib.sha256(content).hexdigest()
    page = client.get(entry.get_absolute_url()).content.decode()
    assert entry.evidence_sha256 in page and reverse("controls:evidence", args=[entry.pk]) in page

    signed_in(client, auditor)
    response = client.get(reverse("controls:evidence", args=[entry.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == content
    assert response["Content-Disposition"].startswith("attachment")
    assert AuditEvent.objects.filter(
        action="download", object_id=str(entry.pk), actor_id=auditor.pk, details__what="evidence_file"
    ).exists()
    signed_in(client, staff)
    assert client.get(reverse("controls:evidence", args=[entry.pk])).status_code == 403


def test_a_refused_evidence_file_is_shown_next_to_its_field(lead_client, lead, seller_central):
    url = reverse("controls:record") + f"?system={seller_central.pk}&area=network"
    data = {"firewall": "yes", "segmented": "yes", "public_access": "none", "owner": lead.pk, "as_of": timezone.now().date().isoformat()}
    page = lead_client.post(url, {**data, "evidence_file": SimpleUploadedFile("rules.pdf", b"MZ not a pdf")}).content.decode()
    assert 'data-field-error="evidence_file"' in page and not ControlEntry.objects.exists()
