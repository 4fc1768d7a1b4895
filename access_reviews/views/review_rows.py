"""The review page's rows, written in Python: one string per row instead of ~60 template nodes,
three widgets and a ``reverse()`` (the page shows 50 rows: the row template was most of its time).
The badges come from the same helpers as the templates' tags; every value is escaped here."""

from __future__ import annotations

from html import escape
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from access_reviews.flags import FLAG_FIELDS, flags_from_fields
from access_reviews.models import Decision, PersonStatus, ReviewRow
from access_reviews.templatetags.access_reviews_ui import decision_badge, flag_badges, mfa_badge
from access_reviews.templatetags.confidentiality_ui import pii_agreement_badge
from grc.templatetags.ui import countdown, local

DECISION_CHOICES = [("", "Decide…")] + [(value, str(label)) for value, label in Decision.choices if value != Decision.PENDING]


def _e(value) -> str:
    """``conditional_escape`` without its lazy-string wrapper (≈1,800 calls a page): the same text."""
    html = getattr(value, "__html__", None)
    return html() if html is not None else escape(str(value))


def _options(chosen: str) -> str:
    """The decision select's options with ``chosen`` selected: five options, written once per value."""
    options = _OPTIONS.get(chosen)
    if options is None:
        options = _OPTIONS[chosen] = "".join(
            f'<option value="{_e(value)}"{" selected" if value == chosen else ""}>{_e(label)}</option>' for value, label in DECISION_CHOICES
        )
    return options


_OPTIONS: dict[str, str] = {}


class Related:
    """A row's system, person or task as the page reads them: the loaded columns as attributes."""

    def __init__(self, **values) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:  # for mypy, as on ``ShownRow``
        raise AttributeError(name)


class ShownRow:
    """One review row as the page shows it, read with ``values_list`` rather than as a ``ReviewRow``
    with its system, person and task (four model instances a row, and ``select_related``'s
    bookkeeping): the row's columns as attributes, ``system``/``person``/``task`` as ``Related``
    (``person``/``task`` ``None`` when absent), and ``changed`` as computed by the view."""

    system: Related
    person: Related | None
    task: Related | None
    changed: bool

    def __init__(self, values: dict) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:  # only for a column not loaded: for mypy, any loaded column is an attribute
        raise AttributeError(name)

    @property
    def pk(self) -> int:
        return self.id

    @property
    def is_decided(self) -> bool:
        return self.decision != Decision.PENDING

    @property
    def flags(self):
        return flags_from_fields(self)


# The badges depend only on a value (a decision, an MFA state, the row's set of flags): each is written
# once per process by the same helper as the templates' tags, then reused.
_BADGES: dict[tuple, str] = {}


def _badge(kind: str, value, make) -> str:
    key = (kind, value)
    html = _BADGES.get(key)
    if html is None:
        html = _BADGES[key] = str(make())
    return html


def _flag_badges(row) -> str:
    present = tuple(getattr(row, field) for field in FLAG_FIELDS.values())
    return _badge("flags", present, lambda: flag_badges(row))


def decision_cell(*, row: ReviewRow | ShownRow, controls: dict, action: str, csrf_token: str, back: str, hx: bool = True) -> SafeString:
    """The form deciding one row: decision select, new privilege (shown for "change"), comment, Save.

    Each control's accessible name names the account and the system ("Decision for jdoe on Order DB").
    """
    e = _e
    pk = row.pk
    what = f"{e(row.account_name)} on {e(row.system.name)}"
    chosen = controls["decision"]
    options = _options(chosen)
    hidden_privilege = "" if chosen == Decision.CHANGE else " d-none"
    url = e(action)
    htmx = f' hx-post="{url}" hx-target="#review-area" hx-select="#review-area" hx-swap="outerHTML"' if hx else ""
    errors = "".join(
        f'<div class="invalid-feedback d-block" data-field-error="{e(field)}">{e(error)}</div>' for field, error in controls["errors"]
    )
    html = (
        f'<form method="post" action="{url}" class="decision-form"{htmx} novalidate>'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{e(csrf_token)}"><input type="hidden" name="back" value="{e(back)}">'
        '<div class="decision-controls">'
        f'<select name="r{pk}-decision" id="r{pk}-decision" class="form-select form-select-sm" aria-label="Decision for {what}">{options}</select>'
        f'<input type="text" name="r{pk}-new_privilege" value="{e(controls["new_privilege"])}" maxlength="120" '
        f'class="form-control form-control-sm new-privilege{hidden_privilege}" placeholder="New privilege" aria-label="New privilege for {what}">'
        f'<textarea name="r{pk}-comment" rows="1" maxlength="1000" class="form-control form-control-sm" placeholder="Comment" '
        f'aria-label="Comment for {what}">{e(controls["comment"])}</textarea>'
        f'<button class="btn btn-sm btn-outline-primary" type="submit">Save<span class="visually-hidden"> the decision for {what}</span></button>'
        f"</div>{errors}</form>"
    )
    return mark_safe(html)  # noqa: S308  # nosec B308 B703 — every value is escaped above


def review_row(*, row: ReviewRow | ShownRow, form: SafeString | None, request) -> SafeString:
    """One row of the review table (a card below 768 px, same markup): the account, its person and
    system; privilege, MFA and last login; the flags, with "changed since the review started" when
    the registry changed for the worse since the snapshot; the decision form (or the decision)."""
    e = _e
    account, system = e(row.account_name), e(row.system.name)
    if row.is_decided:
        css = "review-decided"
    elif row.flag_count or getattr(row, "changed", False):
        css = "review-flagged"
    else:
        css = ""
    service = ' <span class="badge text-bg-light border">service</span>' if row.is_service_account else ""
    if row.person_id and row.person is not None:
        person = row.person
        leaver = ' <span class="badge text-bg-secondary">terminated</span>' if person.status == PersonStatus.TERMINATED else ""
        who = f"{e(person.first_name)} {e(person.last_name)}{leaver} {pii_agreement_badge({'request': request}, row)}"
    else:
        who = "nobody"
    changed = (
        '<span class="badge text-bg-danger" data-testid="changed-badge">changed since the review started</span> '
        if getattr(row, "changed", False)
        else ""
    )
    decision_state = ""
    if row.is_decided:
        removal = f" · removal {countdown(row.task.due_at, row.task.closed_at)}" if row.task_id and row.task is not None else ""
        decision_state = f'<div class="small text-body-secondary mt-1">{_badge("decision", row.decision, lambda: decision_badge(row.decision))}{removal}</div>'
    if form is not None:
        decision = f"{form}{decision_state}"
    else:
        new = f" → {e(row.new_privilege)}" if row.new_privilege else ""
        comment = f'<div class="small text-body-secondary text-break">{e(row.comment)}</div>' if row.comment else ""
        decision = f"{_badge('decision', row.decision, lambda: decision_badge(row.decision))}{new}{comment}"
    html = (
        f'<tr id="row-{row.pk}" class="{css}">'
        f'<td class="review-account" data-label="Account"><div class="fw-semibold text-break">{account}{service}</div>'
        f'<div class="small text-body-secondary">{who} · {system}</div></td>'
        f'<td class="review-access" data-label="Access">{e(row.privilege) or "—"} {_badge("mfa", row.mfa, lambda: mfa_badge(row.mfa))}'
        f'<div class="small text-body-secondary">last login {e(local(row.last_login_at, "%d %b %Y"))}</div></td>'
        f'<td class="review-flags" data-label="Flags">{changed}{_flag_badges(row)}</td>'
        f'<td class="review-decision" data-label="Decision">{decision}</td></tr>'
    )
    return mark_safe(html)  # noqa: S308  # nosec B308 B703 — every value is escaped above or by the badge helpers
