"""The review page's rows, written in Python: one string per row instead of ~60 template nodes,
three widgets and a ``reverse()`` (the page shows 50 rows: the row template was most of its time).
The badges come from the same helpers as the templates' tags; every value is escaped here."""

from __future__ import annotations

from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from access_reviews.models import Decision, PersonStatus, ReviewRow
from access_reviews.templatetags.access_reviews_ui import decision_badge, flag_badges, mfa_badge
from access_reviews.templatetags.confidentiality_ui import pii_agreement_badge
from grc.templatetags.ui import countdown, local

DECISION_CHOICES = [("", "Decide…")] + [(value, str(label)) for value, label in Decision.choices if value != Decision.PENDING]


def decision_cell(*, row: ReviewRow, controls: dict, action: str, csrf_token: str, back: str, hx: bool = True) -> SafeString:
    """The form deciding one row: decision select, new privilege (shown for "change"), comment, Save.

    Each control's accessible name names the account and the system ("Decision for jdoe on Order DB").
    """
    e = conditional_escape
    pk = row.pk
    what = f"{e(row.account_name)} on {e(row.system.name)}"
    chosen = controls["decision"]
    options = "".join(
        f'<option value="{e(value)}"{" selected" if value == chosen else ""}>{e(label)}</option>' for value, label in DECISION_CHOICES
    )
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


def review_row(*, row: ReviewRow, form: SafeString | None, request) -> SafeString:
    """One row of the review table (a card below 768 px, same markup): the account, its person and
    system; privilege, MFA and last login; the flags, with "changed since the review started" when
    the registry changed for the worse since the snapshot; the decision form (or the decision)."""
    e = conditional_escape
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
        decision_state = f'<div class="small text-body-secondary mt-1">{decision_badge(row.decision)}{removal}</div>'
    if form is not None:
        decision = f"{form}{decision_state}"
    else:
        new = f" → {e(row.new_privilege)}" if row.new_privilege else ""
        comment = f'<div class="small text-body-secondary text-break">{e(row.comment)}</div>' if row.comment else ""
        decision = f"{decision_badge(row.decision)}{new}{comment}"
    html = (
        f'<tr id="row-{row.pk}" class="{css}">'
        f'<td class="review-account" data-label="Account"><div class="fw-semibold text-break">{account}{service}</div>'
        f'<div class="small text-body-secondary">{who} · {system}</div></td>'
        f'<td class="review-access" data-label="Access">{e(row.privilege) or "—"} {mfa_badge(row.mfa)}'
        f'<div class="small text-body-secondary">last login {e(local(row.last_login_at, "%d %b %Y"))}</div></td>'
        f'<td class="review-flags" data-label="Flags">{changed}{flag_badges(row)}</td>'
        f'<td class="review-decision" data-label="Decision">{decision}</td></tr>'
    )
    return mark_safe(html)  # noqa: S308  # nosec B308 B703 — every value is escaped above or by the badge helpers
