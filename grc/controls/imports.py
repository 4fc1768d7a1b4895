"""CSV import of the control register, with ``grc.csvio``'s rules (as the accounts import):

* every row is checked first, with the one validation of the register (``validate_entry``), and
  each bad row is reported by its line number with the field and the reason;
* the preview says, per row, whether the entry is added, updated (with the changed fields) or
  unchanged;
* nothing is written unless every row is good; apply calls ``control_entry_save`` for each row
  that changes something, inside one transaction (all or nothing);
* apply re-reads the file: if the register changed since the preview, nothing is written and the
  new preview is shown instead.

One row per (subject, area): ``system`` (registry name) or ``data_store`` (inventory tag),
``area``, ``owner`` (portal username or email), ``as_of`` (YYYY-MM-DD), ``evidence_link``, then
the area's field names as columns (cells of other areas' fields left empty; multi values
separated by ``;``). A column of the area left out of the file keeps the entry's current value.
Files are small (the register has one row per system and area), so the import is synchronous.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from grc.audit.services import record_event
from grc.compliance.registry import ScopeSubject, in_scope_subjects
from grc.controls.access import PORTAL_COMPUTED_AREAS, owners
from grc.controls.areas import AREAS, Area, FieldError, area_for
from grc.controls.models import ControlEntry
from grc.controls.services import control_entry_save, entry_changes, system_model, validate_entry
from grc.csvio import CsvFileError, CsvRow, RowError, read_csv

SUBJECT_COLUMNS = ("system", "data_store")
COMMON_COLUMNS = ("area", "owner", "as_of", "evidence_link")
FIELD_COLUMNS = tuple(dict.fromkeys(spec.name for area in AREAS.values() for spec in area.fields))
COLUMNS = (*SUBJECT_COLUMNS, *COMMON_COLUMNS, *FIELD_COLUMNS)
REQUIRED_COLUMNS = ("area", "owner", "as_of")
MAX_ROWS = 2000
MAX_BYTES = 1024 * 1024
SIGNED_MAX_AGE = 3600  # seconds between the preview and apply
SALT = "grc.controls.import"

assert not set(FIELD_COLUMNS) & {*SUBJECT_COLUMNS, *COMMON_COLUMNS}, "an area field's name is a reserved column"


def store_model():
    """The inventory's Asset model, reached through the foreign key (the register imports no domain app)."""
    return ControlEntry._meta.get_field("data_store").related_model


@dataclass
class PlannedRow:
    line: int
    subject: ScopeSubject
    area: Area
    instance: Any  # the System or the data store's Asset
    owner: Any
    as_of: date
    evidence_link: str
    raw: dict[str, str]
    action: str = "add"  # "add" | "update" | "unchanged"
    changed: list[str] = field(default_factory=list)

    @property
    def system(self):
        return self.instance if self.subject.kind == "system" else None

    @property
    def data_store(self):
        return self.instance if self.subject.kind == "data_store" else None


@dataclass
class Plan:
    rows: list[PlannedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0

    def summary(self) -> dict[str, int]:
        actions = [row.action for row in self.rows]
        return {
            "rows": self.total,
            "adds": actions.count("add"),
            "updates": actions.count("update"),
            "unchanged": actions.count("unchanged"),
            "bad": len({error.line for error in self.errors}),
        }

    def fingerprint(self) -> str:
        """What the preview promised: apply writes only if the plan is still the same."""
        shown = [(r.line, r.subject.key, r.area.key, r.action, r.changed) for r in self.rows]
        return hashlib.sha256(json.dumps([shown, [str(e) for e in self.errors]]).encode()).hexdigest()


class _Lookups:
    """What every row is checked against, loaded once (a few queries whatever the file size)."""

    def __init__(self, now: datetime):
        subjects = in_scope_subjects(now)
        self.systems = {s.name.lower(): s for s in subjects if s.kind == "system"}
        self.stores = {s.name.lower(): s for s in subjects if s.kind == "data_store"}
        self.system_rows = system_model().objects.in_bulk([s.pk for s in self.systems.values()])
        self.store_rows = store_model().objects.in_bulk([s.pk for s in self.stores.values() if s.holds_pii])
        people = list(owners())
        self.owners = {user.username.lower(): user for user in people}
        self.owners.update({user.email.lower(): user for user in people if user.email and user.email.lower() not in self.owners})
        self.existing = {
            (f"system:{row['system_id']}" if row["system_id"] else f"data_store:{row['data_store_id']}", row["area"]): row
            for row in ControlEntry.objects.values("system_id", "data_store_id", "area", "values", "owner_id", "as_of", "evidence_link")
        }


def check_header(header: list[str]) -> None:
    unknown = [name for name in header if name and name not in COLUMNS]
    if unknown:
        raise CsvFileError(
            f"Unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
            "Download the template for the columns the import knows."
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if not any(name in header for name in SUBJECT_COLUMNS):
        missing.insert(0, "system or data_store")
    if missing:
        raise CsvFileError(f"The file has no {', no '.join(missing)} column. Download the template for the columns the import knows.")


def _subject(cell, area: Area | None, lookups: _Lookups, errors: list[str]) -> ScopeSubject | None:
    system_name, store_tag = cell("system"), cell("data_store")
    if system_name and store_tag:
        errors.append("give a system or a data_store, not both")
        return None
    if not system_name and not store_tag:
        errors.append("system or data_store is required")
        return None
    if area is None:
        return None
    if area.subject == "system":
        if not system_name:
            errors.append(f"data_store: {area.words} are recorded per system (fill in the system column)")
            return None
        subject = lookups.systems.get(system_name.lower())
        if subject is None:
            errors.append(f"system: no in-scope system named {system_name!r} in the registry")
        return subject
    if not store_tag:
        errors.append(f"system: the {area.words} is recorded per data store (fill in the data_store column)")
        return None
    subject = lookups.stores.get(store_tag.lower())
    if subject is None:
        errors.append(f"data_store: no live data store with inventory tag {store_tag!r}")
    elif not subject.holds_pii:
        errors.append(f"data_store: {subject.name} holds no PII (the purpose of PII is recorded for PII data stores)")
        return None
    return subject


def _read_row(row: CsvRow, present: set[str], lookups: _Lookups, first_line: dict, now: datetime) -> tuple[PlannedRow | None, list[str]]:
    def cell(name: str) -> str:
        return row.values.get(name, "").strip() if name in present else ""

    errors: list[str] = []
    area: Area | None = None
    try:
        area = area_for(cell("area").lower()) if cell("area") else None
        if area is None:
            errors.append("area: is required")
    except FieldError as error:
        errors.append(f"area: {error}")
    subject = _subject(cell, area, lookups, errors)
    if subject is not None and area is not None:
        key = (subject.key, area.key)
        if key in first_line:
            errors.append(f"the same {subject.kind.replace('_', ' ')} and area as line {first_line[key]}")
        else:
            first_line[key] = row.line
        if subject.is_portal and area.key in PORTAL_COMPUTED_AREAS:
            errors.append(f"area: the {area.words} of {subject.name} are filled in from its settings, not imported")
            return None, errors  # its values are not read at all
    owner = None
    if not cell("owner"):
        errors.append("owner: is required")
    else:
        owner = lookups.owners.get(cell("owner").lower())
        if owner is None:
            errors.append("owner: no active security lead or manager has this username or email")
    as_of = None
    try:
        as_of = date.fromisoformat(cell("as_of"))
    except ValueError:
        errors.append(f"as_of: {cell('as_of')!r} is not a date (YYYY-MM-DD)" if cell("as_of") else "as_of: is required")
    link = cell("evidence_link")
    if link:
        try:
            URLValidator(schemes=["http", "https"])(link)
            if len(link) > 500:
                raise ValidationError("too long")
        except ValidationError:
            errors.append("evidence_link: is not a web address (http or https, at most 500 characters)")
    if area is None or subject is None:
        return None, errors
    own = {spec.name for spec in area.fields}
    for name in FIELD_COLUMNS:
        if name not in own and cell(name):
            errors.append(f"{name}: is not a field of {area.words} (leave it empty)")
    raw = {spec.name: cell(spec.name) for spec in area.fields if spec.name in present}
    instance = (lookups.system_rows if subject.kind == "system" else lookups.store_rows).get(subject.pk)
    existing = lookups.existing.get((subject.key, area.key))
    try:
        values = validate_entry(
            area=area.key,
            raw=raw,
            system=instance if subject.kind == "system" else None,
            data_store=instance if subject.kind == "data_store" else None,
            as_of=as_of or now.date(),
            now=now,
            base=dict(existing["values"]) if existing else None,
        )
    except ValidationError as error:
        errors += [f"{name}: {'; '.join(messages)}" for name, messages in error.message_dict.items()]
        return None, errors
    if errors:
        return None, errors
    assert owner is not None and as_of is not None  # no errors: both were read
    planned = PlannedRow(row.line, subject, area, instance, owner, as_of, link, raw)
    if existing is not None:
        planned.changed = entry_changes(existing, values=values, owner_id=owner.pk, as_of=as_of, evidence_link=link)
        planned.action = "update" if planned.changed else "unchanged"
    return planned, []


def plan_import(data: bytes, *, now: datetime) -> Plan:
    """Check every row against the registry and the register. Nothing is written."""
    if len(data) > MAX_BYTES:
        raise CsvFileError(f"The file is larger than {MAX_BYTES // 1024} KB: the register has one row per system and area.")
    header, rows = read_csv(data)
    check_header(header)
    if len(rows) > MAX_ROWS:
        raise CsvFileError(
            f"The file has {len(rows):,} rows; an import takes at most {MAX_ROWS:,} (one row per system and area). Split the file."
        )
    if not rows:
        raise CsvFileError("The file has a header but no rows.")
    plan = Plan(total=len(rows))
    lookups = _Lookups(now)
    present = set(header)
    first_line: dict[tuple[str, str], int] = {}
    for row in rows:
        planned, errors = _read_row(row, present, lookups, first_line, now)
        plan.errors += [RowError(row.line, message) for message in errors]
        if planned is not None:
            plan.rows.append(planned)
    return plan


@transaction.atomic
def import_apply(*, plan: Plan, by, now: datetime, request=None) -> dict[str, int]:
    """Save every row that adds or changes an entry (all or nothing). The plan must have no errors."""
    if plan.errors:
        raise ValidationError("The file has rows with errors: nothing was written.")
    for row in plan.rows:
        if row.action == "unchanged":
            continue
        control_entry_save(
            area=row.area.key,
            raw=row.raw,
            owner=row.owner,
            as_of=row.as_of,
            by=by,
            now=now,
            system=row.system,
            data_store=row.data_store,
            evidence_link=row.evidence_link,
            partial=True,
            request=request,
        )
    summary = plan.summary()
    record_event("controls.import.applied", request=request, actor=by, object_type="controls.controlentry", details=summary)
    return summary


def sign_upload(*, filename: str, data: bytes, plan: Plan) -> str:
    """The previewed file, carried to apply in the page (signed, so apply reads exactly what was previewed)."""
    return signing.dumps({"name": filename, "csv": data.decode("utf-8-sig"), "plan": plan.fingerprint()}, salt=SALT, compress=True)


def read_signed(token: str) -> tuple[str, bytes, str]:
    """(file name, content, the previewed plan's fingerprint); ``signing.BadSignature`` if tampered or too old."""
    payload = signing.loads(token, salt=SALT, max_age=SIGNED_MAX_AGE)
    return payload["name"], payload["csv"].encode("utf-8"), payload["plan"]


def template_rows(owner: str, *, as_of: date, system: str, data_store: str) -> tuple[tuple[str, ...], list[list[str]]]:
    """The header and one example row per area (fields of other areas left empty)."""
    examples = {
        "identity": {"mfa_enforced": "yes", "password_min_length": "14", "password_character_classes": "4", "password_no_name": "yes"}
        | {"password_min_age_days": "1", "password_max_age_days": "365", "lockout_threshold": "5", "session_timeout_minutes": "30"},
        "logging": {"events_logged": "sign_ins;admin_actions;data_access", "destination": "siem", "retention_days": "365"}
        | {"pii_excluded": "yes", "tamper_protected": "yes", "alarms": "failed_sign_ins;data_volume", "review": "siem_alerting"},
        "network": {"firewall": "yes", "firewall_reviewed_on": as_of.isoformat(), "segmented": "yes", "public_access": "approved_users"},
        "dlp": {
            "email": "monitored",
            "removable_media": "blocked",
            "cloud_sharing": "monitored",
            "public_links": "blocked",
            "alerting": "siem",
        },
        "secrets": {
            "credentials_store": "vault",
            "secret_scanning": "yes",
            "environments_separated": "yes",
            "production_pii_in_tests": "no",
        },
        "purpose": {"purposes": "tax;shipping"},
    }
    rows = []
    for key, values in examples.items():
        subject = {"data_store": data_store} if AREAS[key].subject == "data_store" else {"system": system}
        cells = {**subject, "area": key, "owner": owner, "as_of": as_of.isoformat(), "evidence_link": "", **values}
        rows.append([cells.get(column, "") for column in COLUMNS])
    return COLUMNS, rows
