"""People from an HR or identity-provider export; terminations open deprovisioning tasks.

Any export works: ``guess_mapping`` matches its header to ``FIELDS`` (our template, Google
Workspace's "Download users", Okta's users report, Entra ID's "Download users", BambooHR and
similar HR reports) and the user confirms the match on the mapping page. The API's HR feed sends
rows keyed by ``COLUMNS`` and is read with the identity mapping (``mapping=None``).

People missing from the file are left alone (an HR export may be partial): someone leaves by a
leaving status in the file or by hand, never by absence.

A leaver needs a termination date, because the 24-hour deprovisioning clock runs from it. An
identity provider's export rarely has one: a Google "Suspended" or an Okta "DEPROVISIONED" row
takes the status-changed column when one is mapped (Okta's ``statusChanged``), otherwise the row
is an error naming what is missing. The import never invents a date (today's date would start the
clock late and hide an overdue removal). A leaver already terminated in the registry needs no
date: nothing changes for them.

Each bad row gets one error listing all its problems, each with its column and the value (names
and emails masked: the errors are kept with the job and shown on the page).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, cast

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from access_reviews.imports.values import (
    CellError,
    guess_columns,
    header_key,
    mapping_column_problems,
    mask_email,
    mask_name,
    read_datetime,
    read_text,
)
from access_reviews.models import Person, PersonKind, PersonStatus
from access_reviews.services.registry import person_create, person_reinstate, person_terminate, person_update
from grc.crypto import blind_index
from grc.csvio import CsvRow, RowError

COLUMNS = ["person_id", "first_name", "last_name", "email", "manager_id", "department", "type", "status", "started_at", "terminated_at"]
REQUIRED = ["person_id", "first_name", "last_name"]
# target field → (label, required, header names it is guessed from). Names are compared without
# case, spaces or punctuation and without a trailing "[Required]"/"[READ ONLY]" (Google's headers).
FIELDS: dict[str, tuple[str, bool, tuple[str, ...]]] = {
    "person_id": (
        "Person id (employee number; the email or login when the export has none)",
        True,
        ("person_id", "employee id", "employee number", "employee #", "employee no", "emp id", "staff id", "worker id", "person id"),
    ),
    "first_name": ("First name", True, ("first_name", "first name", "given name", "forename")),
    "last_name": ("Last name", True, ("last_name", "last name", "surname", "family name")),
    "email": ("Email", False, ("email", "email address", "work email", "primary email", "business email", "mail", "e-mail")),
    "manager_id": (
        "Manager's person id",
        False,
        ("manager_id", "manager employee id", "manager employee number", "supervisor id", "supervisor eid", "reports to id"),
    ),
    "manager_email": ("Manager's email", False, ("manager email", "manager email address", "supervisor email", "reports to email")),
    "department": ("Department", False, ("department", "dept", "org unit path")),
    "type": (
        "Type (employee, contractor, service owner)",
        False,
        ("type", "employee type", "worker type", "employment status", "user type"),
    ),
    "status": (
        "Status (active or a leaving word: terminated, suspended, deprovisioned …)",
        False,
        ("status", "employee status", "user status", "account status", "account enabled"),
    ),
    "started_at": ("Start date", False, ("started_at", "start date", "hire date", "date of hire", "original hire date", "created")),
    "terminated_at": (
        "Termination date",
        False,
        ("terminated_at", "termination date", "end date", "leave date", "last day", "separation date"),
    ),
    "status_changed_at": (
        "Status changed (the termination date of a leaver without one)",
        False,
        ("status changed", "status changed date", "status last changed"),
    ),
}
IDENTITY = {name: name for name in COLUMNS}  # our template and the API's rows
# the column that can be the person key when there is no employee number, best first
PERSON_KEY_FALLBACK = ("user principal name", "login", "email", "email address", "work email", "primary email", "mail")
KINDS = {"employee": PersonKind.EMPLOYEE, "contractor": PersonKind.CONTRACTOR, "service owner": PersonKind.SERVICE_OWNER}
KINDS |= {word: PersonKind.EMPLOYEE for word in ("full time", "part time", "permanent", "intern", "staff", "member")}
# Entra ID's userType: a Member belongs to the tenant, a Guest is someone else's (B2B) account
KINDS |= {word: PersonKind.CONTRACTOR for word in ("contract", "contingent", "consultant", "freelancer", "temporary", "external", "guest")}
# the words of our template, of HR systems and of identity providers (Okta's statuses, Entra's
# accountEnabled); an IdP's lockout or expired password is still an employee
ACTIVE_WORDS = {"active", "enabled", "true", "staged", "provisioned", "recovery", "locked out", "password expired", "on leave"}
LEAVING_WORDS = {"terminated", "leaver", "left", "inactive", "suspended", "deprovisioned", "disabled", "false", "archived", "deleted"}
COMPARED = ["first_name", "last_name", "email", "department", "kind", "started_at"]
PREVIEW_SAMPLE = 200
SHOWN_LENGTH = 30  # a value quoted in an error is cut here
MESSAGE_LENGTH = 480  # one row's error, all problems together
T = TypeVar("T")


def _word(value: str) -> str:
    """``LOCKED_OUT`` → ``locked out``, ``Full-Time`` → ``full time``."""
    return re.sub(r"[\s_\-]+", " ", value.strip().lower())


def guess_mapping(header: list[str]) -> dict[str, str]:
    """A first mapping from the header's names (the user confirms it on the mapping screen). With
    no employee number, the login or email column is also the person key."""
    mapping = guess_columns(header, FIELDS)
    if "person_id" not in mapping:
        by_key = {header_key(column): column for column in reversed(header) if column}
        fallback = next((by_key[header_key(name)] for name in PERSON_KEY_FALLBACK if header_key(name) in by_key), None)
        if fallback:
            mapping["person_id"] = fallback
    return mapping


def mapping_problems(mapping: dict[str, str], header: list[str]) -> list[str]:
    problems = [
        f"Choose the column that holds the {FIELDS[target][0][:1].lower() + FIELDS[target][0][1:]}."
        for target in REQUIRED
        if not mapping.get(target)
    ]
    # one column may be both the person key and the email (an export without employee numbers)
    labels = {target: label for target, (label, *_rest) in FIELDS.items()}
    return problems + mapping_column_problems(mapping, header, labels, email_may_share="person_id", shared_words="person id")


def goes_straight_to_check(header: list[str]) -> bool:
    """Our template's header (any order, some optional columns left out) needs no mapping page."""
    named = [column for column in header if column]
    return set(REQUIRED) <= set(named) and set(named) <= set(COLUMNS)


@dataclass
class PersonRow:
    line: int
    values: dict[str, Any]
    manager_key: str
    status: str
    terminated_at: datetime | None
    manager_email: str = ""  # the manager given by email (resolved to ``manager_key`` by the plan)


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


def shown(target: str, value: str) -> str:
    """A cell as an error quotes it: names and emails masked (personal data), the rest cut short."""
    text = value.strip()
    if target in ("first_name", "last_name"):
        text = mask_name(text)
    elif "@" in text or target in ("email", "manager_email"):
        text = mask_email(text)
    return "'" + (text if len(text) <= SHOWN_LENGTH else text[:SHOWN_LENGTH] + "…") + "'"


def _problem(where: str, target: str, value: str, reason: str) -> str:
    """``Column 'Email Address': value 'j***@example.com' is not a valid address`` (the accounts
    import's form); ``first_name is empty`` for our template's own columns."""
    return f"{where}: value {shown(target, value)} {reason}" if value.strip() else f"{where} {reason}"


def _where(mapping: dict[str, str], target: str) -> str:
    """How an error names a field: by the field's name for our template and the API (their columns
    are the field names), else by the file's column."""
    if all(target == column for target, column in mapping.items()):
        return target
    return f"Column {mapping.get(target, target)!r}"


def _joined(problems: list[str]) -> str:
    text = "; ".join(problems)
    return text if len(text) <= MESSAGE_LENGTH else text[: MESSAGE_LENGTH - 1] + "…"


class _RowReader:
    """Reads one row's cells through the mapping and collects every problem instead of stopping at
    the first, each naming its column and quoting the value (``shown``)."""

    def __init__(self, row: CsvRow, mapping: dict[str, str]):
        self.row, self.mapping = row, mapping
        self.problems: list[str] = []

    def cell(self, target: str) -> str:
        column = self.mapping.get(target)
        return self.row.values.get(column, "") if column else ""

    def where(self, target: str) -> str:
        return _where(self.mapping, target)

    def problem(self, target: str, reason: str) -> None:
        """``reason`` says what is wrong after the column and value (``is not a valid address``)."""
        self.problems.append(_problem(self.where(target), target, self.cell(target), reason))

    def read(self, target: str, reader: Callable[[str, str], T], default: T) -> T:
        try:
            return reader(self.cell(target), self.where(target))
        except CellError as error:
            reason, where = str(error), self.where(target)
            if reason.startswith(where):  # the readers name the column first
                reason = reason[len(where) :].lstrip(" :")
            self.problems.append(_problem(where, target, self.cell(target), reason))
            return default


def _text(max_length: int, *, required: bool = False) -> Callable[[str, str], str]:
    return lambda value, column: read_text(value, column, max_length=max_length, required=required)


def _read(row: CsvRow, mapping: dict[str, str], now: datetime, leavers: set[str]) -> tuple[PersonRow, list[str]]:
    """One row and its problems (none: the row is good). ``leavers``: person ids already terminated."""
    reader = _RowReader(row, mapping)
    person_id = reader.read("person_id", _text(40, required=True), "")
    if "@" in person_id:  # an email as the key: one person whatever the case the export writes
        person_id = person_id.lower()
    values: dict[str, Any] = {
        "person_id": person_id,
        "first_name": reader.read("first_name", _text(150, required=True), ""),
        "last_name": reader.read("last_name", _text(150, required=True), ""),
        "email": reader.read("email", _text(254), ""),
        "department": reader.read("department", _text(100), ""),
        "started_at": reader.read("started_at", read_datetime, None),
    }
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            reader.problem("email", "is not a valid address")
            values["email"] = ""
    kind_word = _word(reader.cell("type")) or "employee"
    values["kind"] = KINDS.get(kind_word, PersonKind.EMPLOYEE)
    if kind_word not in KINDS:
        reader.problem("type", "must be employee, contractor or service owner")
    status, terminated_at = _read_status(reader, now, leavers, person_id)
    manager_email = reader.read("manager_email", _text(254), "")
    manager_key = reader.read("manager_id", _text(40), "")
    return PersonRow(row.line, values, manager_key, status, terminated_at, manager_email=manager_email), reader.problems


def _read_status(reader: _RowReader, now: datetime, leavers: set[str], person_id: str) -> tuple[str, datetime | None]:
    """Active or terminated, and the termination date (see the module's docstring)."""
    terminated_at = reader.read("terminated_at", read_datetime, None)
    status_word = _word(reader.cell("status"))
    if status_word in LEAVING_WORDS:
        status = PersonStatus.TERMINATED
    elif status_word in ACTIVE_WORDS or (not status_word and "status" in reader.mapping):
        status = PersonStatus.ACTIVE
    elif not status_word:  # no status column: a termination date says the person left
        status = PersonStatus.TERMINATED if terminated_at is not None else PersonStatus.ACTIVE
    else:
        reader.problem("status", "must be active or terminated (or an export's word: suspended, deprovisioned, inactive …)")
        return PersonStatus.ACTIVE, None
    if status == PersonStatus.ACTIVE:
        return status, None
    if terminated_at is None and "status_changed_at" in reader.mapping:
        terminated_at = reader.read("status_changed_at", read_datetime, None)
    no_date = not reader.cell("terminated_at").strip() and not reader.cell("status_changed_at").strip()
    if terminated_at is None and no_date and person_id not in leavers:
        message = "terminated_at is required for a terminated person"
        if reader.where("status") != "status":  # a mapped export: say which word and what would help
            said = shown("status", reader.cell("status")) if reader.cell("status").strip() else "nothing"
            message += f" ({reader.where('status')} says {said}): map a termination date or status-changed column, or fill it in"
        reader.problems.append(message)
    elif terminated_at is not None and terminated_at > now:
        reader.problems.append(f"{reader.where('terminated_at')} is in the future ({terminated_at:%Y-%m-%d})")
    return status, terminated_at


def plan_people(rows: list[CsvRow], *, now: datetime, mapping: dict[str, str] | None = None) -> PeoplePlan:
    """Check every row and compare with the registry; nothing is written. ``mapping`` (target →
    column) reads the file; None reads rows keyed by ``COLUMNS`` (our template, the API)."""
    mapping = {target: column for target, column in (mapping or IDENTITY).items() if column}
    plan = PeoplePlan(rows=len(rows))
    existing = {p.person_id: p for p in Person.objects.select_related("manager")}
    by_email = {p.email_index: p.person_id for p in existing.values() if p.email_index}
    leavers = {pid for pid, p in existing.items() if p.is_terminated}
    first_line: dict[str, int] = {}
    email_line: dict[str, int] = {}
    file_emails: dict[str, str] = {}  # blind index → person id, for managers given by email
    read: list[tuple[PersonRow, list[str]]] = []
    for row in rows:
        person_row, problems = _read(row, mapping, now, leavers)
        pid = person_row.values["person_id"]
        if pid and pid in first_line:
            problems.append(f"the same person id as line {first_line[pid]}")
        if person_row.values["email"]:
            index = blind_index(person_row.values["email"])
            if index in email_line:
                problems.append(f"the same email as line {email_line[index]}")
            elif by_email.get(index, pid) != pid:
                problems.append("this email belongs to another person in the registry")
            else:
                email_line[index] = row.line
        if not problems:
            first_line[pid] = row.line
            if person_row.values["email"]:
                file_emails[blind_index(person_row.values["email"])] = pid
        read.append((person_row, problems))
    known = set(existing) | set(first_line)
    for person_row, problems in read:
        problems += _manager_problems(person_row, mapping, known, file_emails, by_email)
        if problems:
            plan.errors.append(RowError(person_row.line, _joined(problems)))
        else:
            _classify(plan, person_row, existing.get(person_row.values["person_id"]))
    plan.errors.sort(key=lambda e: e.line)
    return plan


def _manager_problems(
    person_row: PersonRow, mapping: dict[str, str], known: set[str], file_emails: dict[str, str], by_email: dict[str, str]
) -> list[str]:
    """Resolve a manager given by email to their person id (in the file first, then the registry)
    and check the manager exists; a manager id wins over a manager email."""
    if not person_row.manager_key and person_row.manager_email:
        index = blind_index(person_row.manager_email)
        manager = file_emails.get(index) or by_email.get(index)
        if manager is None:
            where = _where(mapping, "manager_email")
            return [_problem(where, "manager_email", person_row.manager_email, "is not the email of a person in the registry or the file")]
        person_row.manager_key = manager
    elif person_row.manager_key and person_row.manager_key not in known:
        where = _where(mapping, "manager_id")
        return [_problem(where, "manager_id", person_row.manager_key, "is not a person id in the registry or the file")]
    if person_row.manager_key and person_row.manager_key == person_row.values["person_id"]:
        return ["a person cannot be their own manager"]
    return []


def _classify(plan: PeoplePlan, person_row: PersonRow, current: Person | None) -> None:
    if current is None:
        plan.adds.append(person_row)
        if person_row.status == PersonStatus.TERMINATED:
            plan.terminations.append(person_row)
        return
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
