"""Incident pages: the list with live clocks, reporting, the incident page, triage, correcting the
detection time, the investigation texts and the workflow steps. Views are thin: ``access``
decides, services write."""

from __future__ import annotations

from datetime import UTC
from functools import lru_cache

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from grc.accounts.models import Role
from grc.accounts.permissions import EVERYONE, SECURITY_LEAD, WORKFORCE, deny, role_required
from grc.accounts.stepup import step_up_is_fresh, step_up_redirect
from grc.audit.services import record_download, record_view
from grc.compliance.lookups import INCIDENT_TYPES, ask
from grc.csvio import csv_response
from grc.tables import table_page
from grc.templatetags.ui import countdown, local, status_badge
from grc.widgets import conditional_escape as escape
from grc.widgets import pk_url, use_fast_widgets
from incidents import services
from incidents.access import get_incident_for
from incidents.clock import clock_state
from incidents.filters import IncidentFilter
from incidents.forms import AdvanceForm, DetectionForm, InvestigationForm, ReportForm, TriageForm
from incidents.models import AmazonInvolved, CustodyEntry, Status
from incidents.notify import affected_systems
from incidents.selectors import detection_corrections, incident_list, timeline
from incidents.views.common import add_errors
from incidents.workflow import LABELS, advance_blockers, close_blockers, next_status

# what a row of the list shows (``_row_html``, ``clock_of``, ``affected_systems``): the rest of the
# incident and the full rows of its reporter and owner (password hash, dates …) are left unread
LIST_FIELDS = (
    "title",
    "detected_at",
    "systems_involved",
    "status",
    "incident_type",
    "severity",
    "amazon_involved",
    "notification_due_at",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
    "amazon_notification__status",
    "amazon_notification__sent_at",
)


def listed_incidents(user):
    """``incident_list`` narrowed to ``LIST_FIELDS``, without the reporter the rows never show."""
    return incident_list(user).select_related(None).select_related("owner", "amazon_notification").only(*LIST_FIELDS)


INCIDENT_SORTS: dict[str, str | tuple[str, ...]] = {
    "ref": "pk",
    "title": "title",
    "detected": "detected_at",
    "due": "notification_due_at",
    "status": "status_rank",
    "severity": "severity_rank",
}


def local_minute(moment):
    return timezone.localtime(moment).replace(second=0, microsecond=0)


def submitted_detection(form, incident):
    """The detection time the form asks for; unchanged when the field was left as shown (the
    form shows it to the minute: saving it untouched must not cut off the seconds)."""
    return form.cleaned_data["detected_at"] if "detected_at" in form.changed_data else incident.detected_at


def step_up_context(request) -> dict:
    """Whether the user's one-time code is fresh, and the link that asks for one and comes back here."""
    return {"step_up_fresh": step_up_is_fresh(request), "step_up_url": step_up_redirect(request).url}


def clock_of(incident, now):
    notification = getattr(incident, "amazon_notification", None)
    notified_at = notification.sent_at if notification is not None and notification.is_sent else None
    return clock_state(
        detected_at=incident.detected_at, notified_at=notified_at, not_required=incident.amazon_involved == AmazonInvolved.NO, now=now
    )


_CLOSED = str(status_badge("closed"))
_REPORTED = str(status_badge("pending", "reported"))
_NOTIFIED = str(status_badge("met", "notified"))
_NOTIFIED_LATE = str(status_badge("met_late", "notified late"))
# a badge depends on its key and label only: written once per process, not twice per row
_badge = lru_cache(maxsize=64)(status_badge)


def _clock_html(clock, now) -> str:
    """``incidents/_clock.html`` (the list's rows; the incident page includes the template)."""
    if clock.state == "not_required":
        shown = '<span class="text-body-secondary small" data-clock="not_required">not required</span>\n'
    elif clock.state == "met":
        shown = f'{_NOTIFIED} <span class="small text-success" data-clock="met">on time</span>\n'
    elif clock.state == "met_late":
        shown = f'{_NOTIFIED_LATE} <span class="small text-warning" data-clock="met_late">{escape(clock.late_by_label)}</span>\n'
    else:
        shown = countdown(clock.due_at, None, now)
    return f"\n{shown}\n"


def _row_html(incident, now) -> str:
    url, reference = escape(incident.url), escape(incident.reference)
    affected = (
        f'<div class="small text-body-secondary">{", ".join(escape(name) for name in incident.affected)}</div>' if incident.affected else ""
    )
    severity = _badge(incident.severity) if incident.severity else '<span class="text-body-secondary">—</span>'
    if incident.status == "closed":
        step = _CLOSED
    elif incident.status == "reported":
        step = _REPORTED
    else:
        step = _badge("in_progress", str(incident.get_status_display()).lower())
    owner = (
        escape(incident.owner.get_full_name() or incident.owner.username)
        if incident.owner
        else '<span class="text-body-secondary">not triaged</span>'
    )
    danger = ' class="table-danger"' if incident.clock.state == "overdue" else ""
    return (
        f'\n    <tr data-incident="{reference}"{danger}>\n'
        f'      <td class="font-monospace text-nowrap"><a href="{url}">{reference}</a></td>\n'
        f'      <td><a href="{url}">{escape(incident.title)}</a>{affected}</td>\n'
        f'      <td class="small text-nowrap">{escape(local(incident.detected_at))}</td>\n'
        f'      <td class="small">{escape(incident.incident_type or "—")}</td>\n'
        f"      <td>{severity}</td>\n"
        f"      <td>{step}</td>\n"
        f'      <td class="text-nowrap" data-testid="clock">{_clock_html(incident.clock, now)}</td>\n'
        f'      <td class="small">{owner}</td>\n'
        "    </tr>\n  "
    )


def incident_rows_html(incidents, now) -> str:
    """The list's table rows (each incident with ``url``, ``clock`` and ``affected``), written in
    Python: the HTML of the ``{% for incident in table.rows %}`` loop the template had, with
    ``_clock.html`` (tests/incidents keep that loop and compare), without ~600 template nodes."""
    # every value is escaped above; the badges are the tags' own safe HTML
    return mark_safe("".join(_row_html(incident, now) for incident in incidents))  # noqa: S308  # nosec B308 B703


@role_required(*EVERYONE)
def index(request):
    now = timezone.now()
    table = table_page(
        request, listed_incidents(request.user), sorts=INCIDENT_SORTS, default_sort="-detected", filterset_class=IncidentFilter
    )
    url_of = pk_url("incidents:detail")  # one reverse() for the page, not two per row
    for incident in table.rows:
        incident.url = url_of(incident.pk)
        incident.clock = clock_of(incident, now)
        incident.affected = affected_systems(incident)
    use_fast_widgets(table.filterset.form)
    context = {
        "table": table,
        "rows_html": incident_rows_html(table.rows, now),
        "now": now,
        "can_report": request.user.has_role(*WORKFORCE),
        "own_only": request.user.role == "staff",
    }
    return render(request, "incidents/index.html", context)


@role_required(*WORKFORCE)
@require_http_methods(["GET", "POST"])
def report(request):
    form = ReportForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.incident_report(
                by=request.user,
                title=data["title"],
                description=data["description"],
                detected_at=data["detected_at"],
                systems_involved=data["systems_involved"],
                systems=data["systems"],
                assets=data["assets"],
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                f"{incident.reference} reported. The security team is told at once; Amazon must be notified within 24 hours of detection.",
            )
            return redirect(incident)
    return render(request, "incidents/report.html", {"form": form})


@role_required(*EVERYONE)
def detail(request, pk: int):
    incident, access = get_incident_for(request.user, pk)
    record_view(request, incident)
    now = timezone.now()
    following = next_status(incident.status)
    facts = services.facts_of(incident)
    context = {
        "incident": incident,
        "access": access,
        "now": now,
        "clock": clock_of(incident, now),
        "timeline": timeline(incident, full=access.full_view),
        "next_status": following if following != Status.TRIAGED else None,
        "next_label": LABELS.get(following or "", ""),
        "next_blockers": advance_blockers(facts, following) if following and following != Status.TRIAGED else [],
        "close_blockers": close_blockers(facts),
        "notification": getattr(incident, "amazon_notification", None),
        # the systems and assets chosen on the report form, shown from the report on (issue 23)
        "involved_systems": list(incident.systems.all()),
        "involved_assets": list(incident.assets.all()),
    }
    if access.full_view:
        context["corrections"] = detection_corrections(incident)
        context["regulatory"] = list(incident.regulatory_notifications.select_related("recorded_by"))
        context["evidence"] = list(incident.evidence.select_related("collected_by"))
    return render(request, "incidents/detail.html", context)


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def triage(request, pk: int):
    incident, access = get_incident_for(request.user, pk)
    if not access.can_triage:
        raise deny(request, "incident closed")
    types = ask(INCIDENT_TYPES)  # the policy library's: from the approved IR plan, else its built-in list
    initial = {
        "incident_type": incident.incident_type,
        "severity": incident.severity,
        "amazon_involved": incident.amazon_involved,
        "amazon_not_involved_reason": incident.amazon_not_involved_reason,
        "owner": incident.owner_id or request.user.pk,
        "detected_at": local_minute(incident.detected_at),
    }
    form = TriageForm(request.POST or None, initial=initial, types=types.types, current_type=incident.incident_type)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.incident_triage(
                incident=incident,
                by=request.user,
                incident_type=data["incident_type"],
                severity=data["severity"],
                amazon_involved=data["amazon_involved"],
                amazon_not_involved_reason=data["amazon_not_involved_reason"],
                owner=data["owner"],
                detected_at=submitted_detection(form, incident),
                detection_reason=data["detection_reason"],
                stepped_up=step_up_is_fresh(request),
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            if data["amazon_involved"] == AmazonInvolved.NO:
                messages.success(request, "Triage saved. Amazon Information is not involved: the notification is waived with your reason.")
            else:
                messages.success(request, "Triage saved. Build the notification to Amazon before the 24-hour deadline.")
            return redirect(incident)
    context = {"form": form, "incident": incident, "types": types} | step_up_context(request)
    return render(request, "incidents/triage.html", context)


@role_required(*WORKFORCE)
@require_http_methods(["GET", "POST"])
def detection(request, pk: int):
    """Correct the detection time (the lead or the owner): earlier at any time, later only by the
    security lead with a reason and a fresh one-time code, never after the report time."""
    incident, access = get_incident_for(request.user, pk)
    if not access.can_edit:
        raise deny(request, "not the incident's lead or owner")
    form = DetectionForm(request.POST or None, initial={"detected_at": local_minute(incident.detected_at)})
    if request.method == "POST" and form.is_valid():
        detected_at = submitted_detection(form, incident)
        if detected_at == incident.detected_at:
            form.add_error("detected_at", "This is the detection time already: give the corrected time.")
        else:
            try:
                services.detection_correct(
                    incident=incident,
                    by=request.user,
                    detected_at=detected_at,
                    reason=form.cleaned_data["reason"],
                    stepped_up=step_up_is_fresh(request),
                    now=timezone.now(),
                    request=request,
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(
                    request,
                    f"Detection time corrected: the 24-hour clock now runs from {timezone.localtime(incident.detected_at):%d %b %Y %H:%M}.",
                )
                return redirect(incident)
    context = {
        "form": form,
        "incident": incident,
        "corrections": detection_corrections(incident),
        "is_lead": request.user.role == Role.SECURITY_LEAD,
    } | step_up_context(request)
    return render(request, "incidents/detection.html", context)


@role_required(*WORKFORCE)
@require_http_methods(["GET", "POST"])
def edit(request, pk: int):
    incident, access = get_incident_for(request.user, pk)
    if not access.can_edit:
        raise deny(request, "not the incident's lead or owner")
    fields = services.INVESTIGATION_FIELDS + services.LINK_FIELDS
    initial = {name: getattr(incident, name) for name in services.INVESTIGATION_FIELDS}
    initial |= {name: list(getattr(incident, name).all()) for name in services.LINK_FIELDS}
    form = InvestigationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.incident_update(
                incident=incident,
                by=request.user,
                changes={name: form.cleaned_data[name] for name in fields},
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Investigation saved.")
            return redirect(incident)
    return render(request, "incidents/edit.html", {"form": form, "incident": incident})


@role_required(*WORKFORCE)
@require_http_methods(["GET", "POST"])
def advance(request, pk: int):
    incident, access = get_incident_for(request.user, pk)
    target = next_status(incident.status)
    if target is None or target == Status.TRIAGED:
        return redirect(incident)
    allowed = access.can_close if target == Status.CLOSED else access.can_edit
    if not allowed:
        raise deny(request, "workflow step not allowed")
    form = AdvanceForm(request.POST or None)
    blockers = advance_blockers(services.facts_of(incident), target)
    if request.method == "POST" and form.is_valid():
        if request.POST.get("target") != target:
            form.add_error(None, "Someone else moved this incident on meanwhile: check the step below and try again.")
        else:
            try:
                services.incident_advance(
                    incident=incident, by=request.user, target=target, note=form.cleaned_data["note"], now=timezone.now(), request=request
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, f"{incident.reference} is now {Status(target).label.lower()}.")
                return redirect(incident)
    context = {"form": form, "incident": incident, "target": target, "label": LABELS[target], "blockers": blockers}
    return render(request, "incidents/advance.html", context)


@role_required(*EVERYONE)
def custody_export(request, pk: int):
    """The chain of custody of every evidence item, as CSV (to make available to Amazon on request)."""
    incident, access = get_incident_for(request.user, pk)
    if not access.can_download:
        raise deny(request, "no evidence download")
    entries = (
        CustodyEntry.objects.filter(evidence__incident=incident)
        .select_related("evidence", "recorded_by")
        .order_by("evidence_id", "at", "id")
    )
    rows = [
        [
            incident.reference,
            entry.evidence_id,
            entry.evidence.label,
            entry.evidence.sha256,
            entry.get_kind_display(),
            entry.from_party,
            entry.to_party,
            entry.at.astimezone(UTC).isoformat(),
            entry.purpose,
            entry.recorded_by.get_username(),
        ]
        for entry in entries
    ]
    record_download(request, incident, what="custody_csv", count=len(rows))
    header = ["incident", "evidence_id", "evidence", "sha256", "entry", "from", "to", "at_utc", "purpose", "recorded_by"]
    return csv_response(f"{incident.reference}-chain-of-custody.csv", header, rows)
