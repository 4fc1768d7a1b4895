"""The audit trail viewer (security lead; auditors read-only): filter, keyset pages, CSV export.

Alarms and canaries are in ``alarm_views``, log reviews in ``review_views``; all are reached
from the viewer's tabs. Every export is itself an audited download. The pages live here, above
the accounts (who may see them), while the trail they read stays in ``grc.audit``; their URL
names are still ``audit:…`` (``grc.oversight.urls``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from grc.accounts.models import User
from grc.accounts.permissions import LEAD_OR_AUDITOR, SECURITY_LEAD, role_required
from grc.audit.chain import last_verification
from grc.audit.forms import EventFilterForm
from grc.audit.models import AuditEvent
from grc.audit.selectors import active_alarm_count, attach_actors, event_page, latest_change_id
from grc.audit.services import record_download
from grc.audit.tasks import verify_chain
from grc.csvio import neutralise
from grc.queue import enqueue
from grc.templatetags.ui import status_badge
from grc.widgets import cached_plain_choices, full_name, use_fast_widgets
from grc.widgets import conditional_escape as escape

EXPORT_LIMIT = 100_000  # rows in one CSV export; narrow the filters for more
EXPORT_BATCH = 2000
EXPORT_HEADER = [
    "id",
    "occurred_at_utc",
    "actor_id",
    "actor",
    "system_actor",
    "action",
    "outcome",
    "object_type",
    "object_id",
    "channel",
    "source_ip",
    "message",
    "details",
    "prev_hash",
    "hash",
]


def _cursor(request, name: str) -> int | None:
    try:
        value = int(request.GET.get(name, ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def tabs_context(active: str) -> dict:
    return {"tab": active, "active_alarms": active_alarm_count()}


@role_required(*LEAD_OR_AUDITOR)
@require_GET
def index(request):
    form = EventFilterForm(request.GET or None)
    filters = form.filters()
    events = filters.apply(AuditEvent.objects.all())
    page = event_page(events, before=_cursor(request, "before"), after=_cursor(request, "after"))
    attach_actors(page.rows)
    _actor_choices(form)
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "rows_html": event_rows_html(page.rows),
        "paged": "before" in request.GET or "after" in request.GET,
        "verification": last_verification(),
        "export_limit": EXPORT_LIMIT,
        "now": timezone.now(),
        **tabs_context("events"),
    }
    return render(request, "audit/index.html", context)


# --- the rows of the viewer, written in Python ----------------------------------------------------
# ``audit/partials/event_rows.html`` byte for byte (tests/audit/test_viewer.py compares them): 50
# rows of ten cells each through the template engine were most of the viewer's time.
_ROWS_HEAD = (
    '\n\n<div class="table-responsive">\n<table class="table table-sm table-hover align-middle audit-table" data-testid="events-table">\n'
    "  <thead><tr><th>#</th><th>Time</th><th>Actor</th><th>Action</th><th>Outcome</th><th>Object</th><th>Channel</th>"
    "<th>Source</th><th>Message</th></tr></thead>\n  <tbody>\n  "
)
_ROWS_TAIL = "\n  </tbody>\n</table>\n</div>\n"
_OUTCOME = {True: str(status_badge("failed", "failure")), False: str(status_badge("ok", "success"))}


def _actor_cell(event) -> str:
    actor = event.actor
    if actor:
        name = actor.get_full_name() or actor.username
        return f'<span title="{escape(actor.username)} (user #{escape(event.actor_id)})">{escape(name)}</span>'
    if event.actor_id:
        return f"user #{escape(event.actor_id)}"
    if event.actor_name:
        return f'<span class="font-monospace">{escape(event.actor_name)}</span>'
    return '<span class="text-body-secondary">anonymous</span>'


def _changed_fields(details) -> str:
    changed = details.get("changed_fields") if isinstance(details, dict) else None
    if not changed:
        return ""
    try:  # the ``join:", "`` filter
        joined = ", ".join(escape(name) for name in changed)
    except TypeError:
        joined = escape(changed)
    return f'<div class="text-body-secondary">changed: {joined}</div>'


def event_rows_html(events) -> str:
    """The events table of ``audit/partials/event_rows.html`` (each event has ``.actor``, see
    ``attach_actors``), the same HTML written with string formatting."""
    rows = []
    for event in events:
        moment = timezone.localtime(event.occurred_at)
        if event.object_type:
            what = f'<span class="font-monospace">{escape(event.object_type)}</span>' + (
                f" #{escape(event.object_id)}" if event.object_id else ""
            )
        else:
            what = '<span class="text-body-secondary">—</span>'
        rows.append(
            f'\n    <tr data-event-id="{escape(event.pk)}">\n'
            f'      <td class="font-monospace small text-body-secondary">{escape(event.pk)}</td>\n'
            f'      <td class="small text-nowrap" title="{escape(moment.isoformat())}">{escape(moment.strftime("%d %b %Y %H:%M:%S"))}</td>\n'
            f'      <td class="small text-nowrap">{_actor_cell(event)}</td>\n'
            f'      <td class="font-monospace small">{escape(event.action)}</td>\n'
            f"      <td>{_OUTCOME[event.outcome == 'failure']}</td>\n"
            f'      <td class="small text-nowrap">{what}</td>\n'
            f'      <td class="small">{escape(event.get_channel_display())}</td>\n'
            f'      <td class="small font-monospace">{escape(event.source_ip or "—")}</td>\n'
            f'      <td class="small">{escape(event.message)}{_changed_fields(event.details)}</td>\n'
            "    </tr>\n  "
        )
    # every value is escaped above
    return mark_safe(_ROWS_HEAD + "".join(rows) + _ROWS_TAIL)  # noqa: S308  # nosec B308 B703


def _actor_choices(form) -> None:
    """The actor filter lists every portal user (2,000 at scale): options from one values query,
    widgets rendered in Python (grc.widgets); the same labels as ``ActorChoiceField``."""
    use_fast_widgets(form)
    field = form.fields["actor"]

    def rows():
        values = field.queryset.values_list("pk", "first_name", "last_name", "username")
        return [(pk, f"{full_name(first, last, username)} ({username})") for pk, first, last, username in values]

    # kept until the next audited change (grc.widgets.cached_plain_choices)
    cached_plain_choices(field, rows, version=latest_change_id, where="audit_actor_choices")


class _Echo:
    """A file-like object whose ``write`` returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def _export_rows(events, limit: int) -> Iterator[str]:
    writer = csv.writer(_Echo())
    usernames = dict(User.objects.values_list("pk", "username"))
    yield writer.writerow(EXPORT_HEADER)
    cursor, sent = None, 0
    while sent < limit:
        batch = events.filter(id__lt=cursor) if cursor is not None else events
        rows = list(batch.order_by("-id")[: min(EXPORT_BATCH, limit - sent)])
        if not rows:
            return
        for event in rows:
            cells = [
                event.pk,
                event.occurred_at.isoformat(),
                event.actor_id or "",
                usernames.get(event.actor_id, "") if event.actor_id else "",
                event.actor_name,
                event.action,
                event.outcome,
                event.object_type,
                event.object_id,
                event.channel,
                event.source_ip or "",
                event.message,
                AuditEvent.details.field.value_to_string(event) if event.details else "",
                event.prev_hash,
                event.hash,
            ]
            yield writer.writerow([neutralise(cell) for cell in cells])
        sent += len(rows)
        cursor = rows[-1].pk


@role_required(*LEAD_OR_AUDITOR)
@require_GET
def export(request):
    """The filtered events as CSV (newest first, at most ``EXPORT_LIMIT`` rows), streamed."""
    form = EventFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        messages.error(request, "Fix the filters before exporting.")
        return redirect(f"{reverse('audit:index')}?{request.GET.urlencode()}")
    events = form.filters().apply(AuditEvent.objects.all())
    count = events.order_by("-id")[:EXPORT_LIMIT].count()  # bounded: never counts past the limit
    download = record_download(request, what="audit_csv", count=count, object_type="audit.auditevent")
    events = events.filter(id__lt=download.pk)  # the rows as they were when asked for (not this download's own event)
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(_export_rows(events, EXPORT_LIMIT), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.csv"'
    return response


@role_required(*SECURITY_LEAD)
@require_POST
def verify(request):
    """Verify the whole chain in the background; the result appears on the viewer (an audit event)."""
    enqueue(verify_chain, request.user.pk)
    messages.success(request, "Verification of the hash chain started. Its result is shown here when it finishes (reload the page).")
    return redirect("audit:index")
