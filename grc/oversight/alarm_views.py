"""Alarm pages (list, detail with evidence, status change) and canary records.

Security leads and auditors read alarms; only the lead changes their status (audited by
``alarm_set_status``) or marks/unmarks canaries.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grc.accounts.permissions import LEAD_OR_AUDITOR, SECURITY_LEAD, role_required
from grc.audit.alarms import alarm_set_status
from grc.audit.canaries import canary_mark, canary_unmark
from grc.audit.forms import AlarmFilter, AlarmStatusForm, CanaryMarkForm
from grc.audit.models import Alarm, Canary
from grc.audit.selectors import evidence_events
from grc.oversight.views import tabs_context
from grc.tables import table_page


def get_alarm_for(user, pk: int) -> Alarm:
    """The alarm if ``user`` may read it (lead and auditor read all alarms), else 404."""
    if not user.has_role(*LEAD_OR_AUDITOR):
        raise Http404
    alarm = Alarm.objects.select_related("actor", "status_changed_by", "closed_by").filter(pk=pk).first()
    if alarm is None:
        raise Http404
    return alarm


@role_required(*LEAD_OR_AUDITOR)
@require_GET
def alarms(request):
    queryset = Alarm.objects.select_related("actor")
    table = table_page(
        request,
        queryset,
        sorts={"raised": "raised_at", "rule": "rule", "status": "status", "events": "event_count"},
        default_sort="-raised",
        filterset_class=AlarmFilter,
    )
    return render(request, "audit/alarms.html", {"table": table, **tabs_context("alarms")})


@role_required(*LEAD_OR_AUDITOR)
@require_GET
def alarm_detail(request, pk: int):
    alarm = get_alarm_for(request.user, pk)
    context = {
        "alarm": alarm,
        "events": evidence_events(alarm),
        "form": AlarmStatusForm(alarm=alarm) if request.user.is_security_lead and alarm.is_active else None,
        **tabs_context("alarms"),
    }
    return render(request, "audit/alarm_detail.html", context)


@role_required(*SECURITY_LEAD)
@require_POST
def alarm_status(request, pk: int):
    alarm = get_alarm_for(request.user, pk)
    form = AlarmStatusForm(request.POST, alarm=alarm)
    if form.is_valid():
        try:
            alarm = alarm_set_status(
                alarm=alarm,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Alarm #{alarm.pk} is now {alarm.get_status_display().lower()}.")
            return redirect(alarm)
    context = {"alarm": alarm, "events": evidence_events(alarm), "form": form, **tabs_context("alarms")}
    return render(request, "audit/alarm_detail.html", context, status=400)


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def canaries(request):
    """The canary records, and a form to mark any record of the portal by kind and id."""
    form = CanaryMarkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            canary = canary_mark(
                subject_type=form.cleaned_data["subject_type"],
                subject_id=form.cleaned_data["subject_id"],
                note=form.cleaned_data["note"],
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request, f"{canary.subject_type} #{canary.subject_id} is a canary: any view or download of it now raises an alarm."
            )
            return redirect("audit:canaries")
    context = {
        "form": form,
        "canaries": list(Canary.objects.select_related("marked_by")),
        **tabs_context("canaries"),
    }
    return render(request, "audit/canaries.html", context, status=400 if form.errors else 200)


@role_required(*SECURITY_LEAD)
@require_POST
def canary_toggle(request):
    """Mark or unmark the record named by ``subject_type`` and ``subject_id`` (from the partial
    ``audit/partials/canary_toggle.html`` on a record's page, or the canaries page).

    After marking, the lead is taken to the canaries page rather than back to the record: any
    view of a canary, the lead's own included, raises an alarm.
    """
    subject_type = request.POST.get("subject_type", "").strip().lower()
    subject_id = request.POST.get("subject_id", "").strip()
    now = timezone.now()
    if request.POST.get("op") == "unmark":
        if canary_unmark(subject_type=subject_type, subject_id=subject_id, by=request.user, now=now, request=request):
            messages.success(request, f"{subject_type} #{subject_id} is no longer a canary.")
        else:
            messages.info(request, f"{subject_type} #{subject_id} was not a canary.")
        return redirect("audit:canaries")
    try:
        canary_mark(
            subject_type=subject_type, subject_id=subject_id, note=request.POST.get("note", ""), by=request.user, now=now, request=request
        )
    except ValidationError as error:
        messages.error(request, " ".join(message for messages_ in error.message_dict.values() for message in messages_))
        return redirect("audit:canaries")
    messages.success(
        request,
        f"{subject_type} #{subject_id} is a canary: any view or download of it — yours included — now raises an alarm at once.",
    )
    return redirect("audit:canaries")
