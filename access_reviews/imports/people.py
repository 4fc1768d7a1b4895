"""People from a CSV (HR export) with a fixed header; terminations open deprovisioning tasks.

People missing from the file are left alone (an HR export may be partial): someone leaves by a
``terminated`` status in the file or by hand, never by absence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from access_reviews.imports.values import CellError, read_datetime, read_text
from access_reviews.models import Person, PersonKind, PersonStatus
from access_reviews.services.registry import person_create, person_reinstate, person_terminate, person_update
from grc.crypto import blind_index
from grc.csvio import CsvRow, RowError

COLUMNS = ["person_id", "first_name", "last_name", "email", "manager_id", "department", "type", "status", "started_at", "terminated_at"]
REQUIRED = ["person_id", "first_name", "last_name"]
KINDS = {"employee": PersonKind.EMPLOYEE, "contractor": PersonKind.CONTRACTOR, "service owner": PersonKind.SERVICE_OWNER}
KINDS["service_owner"] = PersonKind.SERVICE_OWNER
STATUSES = {"active": PersonStatus.ACTIVE, "terminated": PersonStatus.TERMINATED, "leaver": PersonStatus.TERMINATED}
COMPARED = ["first_name", "last_name", "email", "department", "kind", "started_at"]
PREVIEW_SAMPLE = 200


def header_problems(header: list[str]) -> list[str]:
    missing = [name for name in REQUIRED if name not in header]
    return [f"The file needs the columns {', '.join(COLUMNS)} (missing: {', '.join(missing)})."] if missing else []


@dataclass
class PersonRow:
    line: int
    values: dict[str, Any]
    manager_key: str
    status: str
    terminated_at: datetime | None


@dataclass
class PeoplePlan:
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    adds: list[PersonRow] = field(default_factory=list)
    changes: list[tuple[PersonRow, Person, list[str]]] = field(default_factory=list)
    terminations: list[PersonRow] = field(default_factory=list)
    unchanged: int = 0

    def summary(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "bad": len({e.line for e in self.errors}),
            "adds": len(self.adds),
            "changes": len(self.changes),
            "terminations": len(self.terminations),
            "unchanged": self.unchanged,
            "removes": 0,
        }


def _read(row: CsvRow, now: datetime) -> PersonRow:
    cell = row.values.get
    values: dict[str, Any] = {
        "person_id": read_text(cell("person_id", ""), "person_id", max_length=40, required=True),
        "first_name": read_text(cell("first_name", ""), "first_name", max_length=150, required=True),
        "last_name": read_text(cell("last_name", ""), "last_name", max_length=150, required=True),
        "email": read_text(cell("email", ""), "email", max_length=254),
        "department": read_text(cell("department", ""), "department", max_length=100),
        "started_at": read_datetime(cell("started_at", ""), "started_at"),
    }
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            raise CellError("email is not a valid address")
    kind_word = cell("type", "").strip().lower() or "employee"
    if kind_word not in KINDS:
        raise CellError("type must be employee, contractor or service owner")
    values["kind"] = KINDS[kind_word]
    status_word = cell("status", "").strip().lower() or "active"
    if status_word not in STATUSES:
        raise CellError("status must be active or terminated")
    status = STATUSES[status_word]
    terminated_at = read_datetime(cell("terminated_at", ""), "terminated_at")
    if status == PersonStatus.TERMINATED and terminated_at is None:
        raise CellError("terminated_at is required for a terminated person")
    if terminated_at is not None and terminated_at > now:
        raise CellError("terminated_at is in the future")
    return PersonRow(row.line, values, cell("manager_id", "").strip(), status, terminated_at if status == PersonStatus.TERMINATED else None)


def plan_people(rows: list[CsvRow], *, now: datetime) -> PeoplePlan:
    plan = PeoplePlan(rows=len(rows))
    existing = {p.person_id: p for p in Person.objects.select_related("manager")}
    by_email = {p.email_index: p.person_id for p in existing.values() if p.email_index}
    first_line: dict[str, int] = {}
    email_line: dict[str, int] = {}
    parsed: list[PersonRow] = []
    for row in rows:
        try:
            person_row = _read(row, now)
        except CellError as error:
            plan.errors.append(RowError(row.line, str(error)))
            continue
        pid = person_row.values["person_id"]
        if pid in first_line:
            plan.errors.append(RowError(row.line, f"the same person id as line {first_line[pid]}"))
            continue
        if person_row.values["email"]:
            index = blind_index(person_row.values["email"])
            if index in email_line:
                plan.errors.append(RowError(row.line, f"the same email as line {email_line[index]}"))
                continue
            if by_email.get(index, pid) != pid:
                plan.errors.append(RowError(row.line, "this email belongs to another person in the registry"))
                continue
            email_line[index] = row.line
        first_line[pid] = row.line
        parsed.append(person_row)
    known = set(existing) | set(first_line)
    for person_row in parsed:
        if person_row.manager_key and person_row.manager_key not in known:
            plan.errors.append(RowError(person_row.line, "manager_id is not a person id in the registry or the file"))
            continue
        if person_row.manager_key == person_row.values["person_id"]:
            plan.errors.append(RowError(person_row.line, "a person cannot be their own manager"))
            continue
        current = existing.get(person_row.values["person_id"])
        if current is None:
            plan.adds.append(person_row)
            if person_row.status == PersonStatus.TERMINATED:
                plan.terminations.append(person_row)
            continue
        changed = [key for key in COMPARED if getattr(current, key) != person_row.values[key]]
        if (current.manager.person_id if current.manager else "") != person_row.manager_key:
            changed.append("manager")
        if person_row.status == PersonStatus.TERMINATED and not current.is_terminated:
            plan.terminations.append(person_row)
        elif person_row.status == PersonStatus.ACTIVE and current.is_terminated:
            changed.append("status")
        if changed:
            plan.changes.append((person_row, current, changed))
        elif person_row not in plan.terminations:
            plan.unchanged += 1
    plan.errors.sort(key=lambda e: e.line)
    return plan


def preview_sample(plan: PeoplePlan) -> dict[str, list[dict[str, Any]]]:
    def row_view(r: PersonRow, fields=None):
        return {
            "line": r.line,
            "name": f"{r.values['first_name']} {r.values['last_name']}",
            "person": r.values["person_id"],
            "fields": fields or [],
        }

    return {
        "adds": [row_view(r) for r in plan.adds[:PREVIEW_SAMPLE]],
        "changes": [row_view(r, fields) for r, _p, fields in plan.changes[:PREVIEW_SAMPLE]],
        "terminations": [row_view(r, ["status"]) for r in plan.terminations[:PREVIEW_SAMPLE]],
        "removes": [],
    }


def apply_people(*, plan: PeoplePlan, by, now: datetime, request=None) -> None:
    """Create/update people, link managers, then terminate (which opens the 24-hour tasks)."""
    people: dict[str, Person] = {}
    for person_row in plan.adds:
        people[person_row.values["person_id"]] = person_create(data=person_row.values, by=by, now=now, request=request)
    for person_row, person, changed in plan.changes:
        person_update(person=person, data=person_row.values, by=by, now=now, request=request)
        if "status" in changed:
            person_reinstate(person=person, by=by, now=now, request=request)
        people[person.person_id] = person
    managers = {
        p.person_id: p
        for p in Person.objects.filter(person_id__in={r.manager_key for r in plan.adds} | {r.manager_key for r, _p, _c in plan.changes})
    }
    for person_row in [*plan.adds, *(r for r, _p, _c in plan.changes)]:
        person = people[person_row.values["person_id"]]
        manager = managers.get(person_row.manager_key) if person_row.manager_key else None
        if person.manager_id != (manager.pk if manager else None):
            person_update(person=person, data={"manager": manager}, by=by, now=now, request=request)
    for person_row in plan.terminations:
        person = people.get(person_row.values["person_id"]) or Person.objects.get(person_id=person_row.values["person_id"])
        terminated_at = cast(datetime, person_row.terminated_at)  # a terminated row always has one (_read)
        person_terminate(person=person, terminated_at=terminated_at, by=by, now=now, request=request)
