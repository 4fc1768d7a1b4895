"""The control register's API: the lead's tokens (``controls:write``) record, update and remove
entries through ``grc.controls.services`` (audited), one at a time or in a bulk feed that writes
all or nothing; readers list entries with their verdicts; the portal's computed areas are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from access_reviews.models import System
from assets.models import Asset
from grc.audit.models import AuditEvent
from grc.controls.models import ControlEntry
from tests.api.conftest import Api, error_fields

pytestmark = pytest.mark.django_db

LOGGING = {
    "events_logged": ["sign_ins", "admin_actions", "data_access"],
    "destination": "siem",
    "retention_days": 365,
    "pii_excluded": True,
    "tamper_protected": True,
    "alarms": ["failed_sign_ins", "data_volume"],
    "review": "siem_alerting",
    "canary_records": True,
}
NETWORK = {"firewall": True, "firewall_reviewed_on": None, "segmented": "yes", "public_access": "approved_users"}
IDENTITY = {
    "mfa_enforced": "yes",
    "password_min_length": 14,
    "password_character_classes": 4,
    "password_no_name": True,
    "password_min_age_days": 1,
    "password_max_age_days": 365,
    "lockout_threshold": 5,
}


@pytest.fixture
def order_db(lead) -> System:
    return System.objects.create(name="Order DB", owner=lead, holds_amazon_information=True)


@pytest.fixture
def orders_store(lead) -> Asset:
    return Asset.objects.create(tag="DS-0001", name="Orders database", kind="data_store", owner=lead, holds_pii=True)


@pytest.fixture
def portal_system() -> System:
    return System.objects.get(is_portal=True)


def events(verb: str) -> int:
    return AuditEvent.objects.filter(action=f"controls.controlentry.{verb}").count()


def logging_entry(lead_api, system, **extra):
    response = lead_api.post("/api/v1/controls/", {"system": system.name, "area": "logging", "values": LOGGING, **extra})
    assert response.status_code == 201, response.json()
    return response.json()


# --- scopes and roles ---------------------------------------------------------------------------------
def test_it_needs_the_controls_read_scope(lead, token_for):
    _token, key = token_for(lead, "assets:read")
    response = Api(key).get("/api/v1/controls/")
    assert response.status_code == 403 and "controls:read" in response.json()["detail"]


def test_readers_read_and_only_the_lead_writes(lead, manager, auditor, staff, token_for, order_db):
    for user in (manager, auditor):
        _token, key = token_for(user, "controls:read", days=20)
        assert Api(key).get("/api/v1/controls/").status_code == 200
        assert Api(key).get("/api/v1/controls/status/").status_code == 200
    with pytest.raises(ValidationError):  # a manager cannot even be given the write scope
        token_for(manager, "controls:write")
    _token, key = token_for(manager, "controls:read")
    refused = Api(key).post("/api/v1/controls/", {"system": order_db.name, "area": "logging", "values": LOGGING})
    assert refused.status_code == 403 and "controls:write" in refused.json()["detail"]
    with pytest.raises(ValidationError):
        token_for(staff, "controls:read")
    assert not ControlEntry.objects.exists()


def test_a_manager_token_with_the_write_scope_is_refused_by_role(manager, order_db):
    from tests.api.test_permissions import forced_token

    key = forced_token(manager, ["controls:write"])
    response = Api(key).post("/api/v1/controls/bulk/", {"entries": [{"system": order_db.name, "area": "logging", "values": LOGGING}]})
    assert response.status_code == 403 and "may not change control register" in response.json()["detail"]
    assert not ControlEntry.objects.exists()


# --- one entry ---------------------------------------------------------------------------------------
def test_it_creates_an_entry_and_lists_it_with_its_verdict(lead_api, lead, order_db):
    body = logging_entry(lead_api, order_db, evidence_link="https://wiki.example.test/logging")
    assert body["area"] == "logging" and body["clause"] == "2.6"
    assert body["subject"] == {"type": "system", "id": order_db.pk, "name": "Order DB"}
    assert body["owner"] == lead.username and body["as_of"] == timezone.now().date().isoformat()
    assert body["values"]["retention_days"] == 365 and body["values"]["pii_excluded"] is True
    assert body["status"] == "met" and body["problems"] == [] and body["stale"] is False
    assert body["review_due_at"] and body["evidence_link"] == "https://wiki.example.test/logging"
    assert events("created") == 1
    event = AuditEvent.objects.get(action="controls.controlentry.created")
    assert event.channel == "api" and event.details["token_id"]

    listed = lead_api.get("/api/v1/controls/", {"system": "order db"}).json()["results"]
    assert [item["id"] for item in listed] == [body["id"]]
    assert lead_api.get("/api/v1/controls/", {"system": str(order_db.pk), "area": "logging"}).json()["results"]
    assert lead_api.get("/api/v1/controls/", {"area": "network"}).json()["results"] == []
    assert lead_api.get(f"/api/v1/controls/{body['id']}/").json()["id"] == body["id"]


def test_it_reports_the_problems_of_an_entry(lead_api, order_db):
    response = lead_api.post(
        "/api/v1/controls/", {"system": str(order_db.pk), "area": "logging", "values": {**LOGGING, "retention_days": 30}}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "not_met" and "logs kept 30 days (90 required)" in body["problems"]


def test_an_entry_past_its_reattestation_date_is_stale(lead_api, order_db):
    as_of = (timezone.now() - timedelta(days=800)).date().isoformat()
    body = logging_entry(lead_api, order_db, as_of=as_of)
    assert body["stale"] is True and body["status"] == "not_met"
    assert any(problem.startswith("attestation expired") for problem in body["problems"])


def test_it_updates_and_partially_updates_an_entry(lead_api, order_db):
    created = logging_entry(lead_api, order_db)
    full = lead_api.post("/api/v1/controls/", {"system": order_db.name, "area": "logging", "values": {**LOGGING, "retention_days": 400}})
    assert full.status_code == 200 and full.json()["id"] == created["id"] and full.json()["values"]["retention_days"] == 400
    partial = lead_api.post(
        "/api/v1/controls/", {"system": order_db.name, "area": "logging", "values": {"destination": "log_store"}, "partial": True}
    )
    assert partial.status_code == 200, partial.json()
    values = partial.json()["values"]
    assert values["destination"] == "log_store" and values["retention_days"] == 400 and values["pii_excluded"] is True
    assert events("updated") == 2
    assert AuditEvent.objects.filter(action="controls.controlentry.updated").latest("id").details["changed_fields"] == ["destination"]
    assert ControlEntry.objects.count() == 1


def test_without_partial_every_required_field_must_be_sent(lead_api, order_db):
    logging_entry(lead_api, order_db)
    response = lead_api.post("/api/v1/controls/", {"system": order_db.name, "area": "logging", "values": {"destination": "log_store"}})
    assert response.status_code == 400
    assert {"values.retention_days", "values.events_logged", "values.review"} <= set(error_fields(response))
    assert ControlEntry.objects.get().values["destination"] == "siem"


def test_posting_the_same_entry_again_changes_nothing(lead_api, order_db):
    created = logging_entry(lead_api, order_db)
    again = lead_api.post("/api/v1/controls/", {"system": order_db.name, "area": "logging", "values": LOGGING})
    assert again.status_code == 200 and again.json()["id"] == created["id"]
    assert events("created") == 1 and events("updated") == 0


def test_it_deletes_an_entry(lead_api, auditor, token_for, order_db):
    created = logging_entry(lead_api, order_db)
    _token, key = token_for(auditor, "controls:read", days=20)
    assert Api(key).delete(f"/api/v1/controls/{created['id']}/").status_code == 403
    response = lead_api.delete(f"/api/v1/controls/{created['id']}/")
    assert response.status_code == 204
    assert not ControlEntry.objects.exists() and events("deleted") == 1
    assert lead_api.delete(f"/api/v1/controls/{created['id']}/").status_code == 404


def test_only_in_scope_subjects_are_recorded(lead_api, lead):
    System.objects.create(name="Intranet", owner=lead, holds_amazon_information=False)
    Asset.objects.create(tag="DS-0002", name="Analytics", kind="data_store", owner=lead, holds_pii=False)
    system = lead_api.post("/api/v1/controls/", {"system": "Intranet", "area": "network", "values": NETWORK})
    assert system.status_code == 400 and "not an in-scope system" in error_fields(system)["system"]
    store = lead_api.post("/api/v1/controls/", {"data_store": "DS-0002", "area": "purpose", "values": {"purposes": ["tax"]}})
    assert store.status_code == 400 and "holding PII" in error_fields(store)["data_store"]
    assert not ControlEntry.objects.exists()


def test_the_purpose_of_a_data_store(lead_api, orders_store, order_db):
    response = lead_api.post("/api/v1/controls/", {"data_store": "DS-0001", "area": "purpose", "values": {"purposes": ["tax", "shipping"]}})
    assert response.status_code == 201, response.json()
    assert response.json()["subject"] == {"type": "data_store", "id": orders_store.pk, "name": "DS-0001"}
    assert lead_api.get("/api/v1/controls/", {"data_store": "DS-0001"}).json()["results"][0]["status"] == "met"
    other = lead_api.post("/api/v1/controls/", {"data_store": "DS-0001", "area": "purpose", "values": {"purposes": ["other"]}})
    assert other.status_code == 400 and "values.other_reason" in error_fields(other)
    wrong = lead_api.post("/api/v1/controls/", {"system": order_db.name, "area": "purpose", "values": {"purposes": ["tax"]}})
    assert wrong.status_code == 400 and "system" in error_fields(wrong)


# --- bad input ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"system": "No Such System", "area": "logging", "values": LOGGING}, "system", "not an in-scope system"),
        ({"system": "Order DB", "area": "logging", "values": {**LOGGING, "retention_days": -5}}, "values.retention_days", "outside"),
        ({"system": "Order DB", "area": "identity", "values": {**IDENTITY, "mfa_enforced": "maybe"}}, "values.mfa_enforced", "not one of"),
        ({"system": "Order DB", "area": "logging", "values": {**LOGGING, "colour": "blue"}}, "values.colour", "not a field"),
        ({"system": "Order DB", "area": "logging", "values": LOGGING, "retention_days": 90}, "retention_days", "not a field"),
        ({"system": "Order DB", "area": "firewalls", "values": {}}, "area", "not a valid choice"),
        (
            {"data_store": "DS-9999", "area": "purpose", "values": {"purposes": ["tax"]}},
            "data_store",
            "not the tag of a live data store holding PII",
        ),
        ({"system": "Order DB", "area": "logging", "values": LOGGING, "owner": "nobody"}, "owner", ""),
        ({"system": "Order DB", "area": "logging", "values": LOGGING, "as_of": "2099-01-01"}, "as_of", "future"),
        ({"system": "Order DB", "area": "logging", "values": {**LOGGING, "review": "bad\u0000"}}, "values", "NUL"),
        (
            {"system": "Order DB", "area": "identity", "values": {"delegated_to": "Okta"}},
            "values.delegated_to",
            "not a system of the registry",
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_written(lead_api, order_db, body, field, words):
    response = lead_api.post("/api/v1/controls/", body)
    assert response.status_code == 400, response.json()
    fields = error_fields(response)
    assert field in fields, fields
    assert words in fields[field]
    assert response.json()["detail"] == "The request is not valid: nothing was changed."
    assert not ControlEntry.objects.exists() and events("created") == 0


# --- the portal's computed areas -------------------------------------------------------------------------
@pytest.mark.parametrize(("area", "values"), [("identity", IDENTITY), ("logging", LOGGING)])
def test_the_portals_computed_areas_are_refused(lead_api, portal_system, area, values):
    response = lead_api.post("/api/v1/controls/", {"system": portal_system.name, "area": area, "values": values})
    assert response.status_code == 400
    assert "computed from its own settings" in error_fields(response)["area"]
    bulk = lead_api.post("/api/v1/controls/bulk/", {"entries": [{"system": portal_system.pk, "area": area, "values": values}]})
    assert bulk.status_code == 400 and "entries.0.area" in error_fields(bulk)
    assert not ControlEntry.objects.exists()


def test_the_portals_other_areas_are_recorded(lead_api, portal_system):
    response = lead_api.post("/api/v1/controls/", {"system": portal_system.name, "area": "network", "values": NETWORK})
    assert response.status_code == 201, response.json()


# --- bulk --------------------------------------------------------------------------------------------
def test_a_bulk_with_one_bad_item_writes_nothing_and_names_it(lead_api, order_db, orders_store):
    entries = [
        {"system": order_db.name, "area": "logging", "values": LOGGING},
        {"system": order_db.name, "area": "network", "values": NETWORK},
        {"data_store": "DS-0001", "area": "purpose", "values": {"purposes": ["tax"]}},
        {"system": order_db.name, "area": "secrets", "values": {"credentials_store": "vault", "secret_scanning": "maybe"}},
        "not an object",
    ]
    response = lead_api.post("/api/v1/controls/bulk/", {"entries": entries})
    assert response.status_code == 400
    fields = error_fields(response)
    assert "not yes or no" in fields["entries.3.values.secret_scanning"]
    assert "entries.3.values.environments_separated" in fields and "entries.4" in fields
    assert not any(name.startswith(("entries.0", "entries.1", "entries.2")) for name in fields)
    assert not ControlEntry.objects.exists() and events("created") == 0


def test_a_bulk_names_a_subject_sent_twice(lead_api, order_db):
    entries = [
        {"system": order_db.name, "area": "logging", "values": LOGGING},
        {"system": str(order_db.pk), "area": "logging", "values": LOGGING},
    ]
    response = lead_api.post("/api/v1/controls/bulk/", {"entries": entries})
    assert response.status_code == 400 and "entries.0" in error_fields(response)["entries.1"]
    assert not ControlEntry.objects.exists()


def test_a_bulk_dry_run_writes_nothing_and_says_what_would_change(lead_api, order_db, orders_store):
    logging_entry(lead_api, order_db)
    lead_api.post("/api/v1/controls/", {"system": order_db.name, "area": "network", "values": NETWORK})
    before = AuditEvent.objects.exclude(action="api.request").count()
    entries = [
        {"system": order_db.name, "area": "logging", "values": {"retention_days": 120}, "partial": True},
        {"system": order_db.name, "area": "network", "values": NETWORK},
        {"data_store": "DS-0001", "area": "purpose", "values": {"purposes": ["tax"]}},
    ]
    response = lead_api.post("/api/v1/controls/bulk/", {"entries": entries, "dry_run": True})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["dry_run"] is True and body["applied"] is False
    assert body["summary"] == {"created": 1, "updated": 1, "unchanged": 1}
    assert [(item["index"], item["action"], item["changed"]) for item in body["entries"]] == [
        (0, "updated", ["retention_days"]),
        (1, "unchanged", []),
        (2, "created", []),
    ]
    assert body["entries"][2]["id"] is None and body["entries"][2]["subject"]["name"] == "DS-0001"
    assert ControlEntry.objects.count() == 2 and ControlEntry.objects.get(area="logging").values["retention_days"] == 365
    assert AuditEvent.objects.exclude(action="api.request").count() == before

    applied = lead_api.post("/api/v1/controls/bulk/", {"entries": entries})
    assert applied.status_code == 200 and applied.json()["applied"] is True
    assert applied.json()["summary"] == {"created": 1, "updated": 1, "unchanged": 1}
    assert ControlEntry.objects.count() == 3 and ControlEntry.objects.get(area="logging").values["retention_days"] == 120
    assert applied.json()["entries"][2]["id"] == ControlEntry.objects.get(area="purpose").pk
    assert events("created") == 3 and events("updated") == 1


def test_a_bulk_needs_entries(lead_api):
    assert "entries" in error_fields(lead_api.post("/api/v1/controls/bulk/", {"entries": []}))
    assert "entries" in error_fields(lead_api.post("/api/v1/controls/bulk/", {}))


# --- status ------------------------------------------------------------------------------------------
def test_the_status_gives_each_clause_and_subjects_verdict(lead_api, order_db, orders_store, portal_system):
    logging_entry(lead_api, order_db, as_of=(timezone.now() - timedelta(days=2)).date().isoformat())
    body = lead_api.get("/api/v1/controls/status/").json()
    clauses = {clause["clause"]: clause for clause in body["clauses"]}
    assert set(clauses) == {"1.1", "1.2", "1.4", "2", "2.3", "2.5", "2.6"}
    logging = {subject["subject"]["name"]: subject for subject in clauses["2.6"]["subjects"]}
    assert logging["Order DB"]["status"] == "met" and logging["Order DB"]["entry"] is not None
    assert logging[portal_system.name]["computed"] is True and logging[portal_system.name]["is_portal"] is True
    network = {subject["subject"]["name"]: subject for subject in clauses["1.1"]["subjects"]}
    assert network["Order DB"]["status"] == "not_tracked" and network["Order DB"]["missing"] == "no network protection recorded"
    purpose = clauses["2"]["subjects"]
    assert [subject["subject"] for subject in purpose] == [{"type": "data_store", "id": orders_store.pk, "name": "DS-0001"}]


def test_a_lone_surrogate_echoed_in_an_error_is_a_json_400_not_a_500(lead_api, order_db):
    response = lead_api.post("/api/v1/controls/", {"area": "\ud800", "system": order_db.name, "values": {}})
    assert response.status_code == 400
    assert "ud800" in response.content.decode()
