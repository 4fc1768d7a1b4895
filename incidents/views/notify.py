"""The notification to Amazon (draft, PII check, record) and regulatory notifications: security lead only."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from grc.accounts.permissions import SECURITY_LEAD, role_required
from incidents import notify
from incidents.access import get_incident_for
from incidents.forms import DraftForm, RecordNotificationForm, RegulatoryForm
from incidents.pii_check import AMAZON_SECURITY_EMAIL
from incidents.views.common import add_errors
from incidents.views.incidents import clock_of


def _context(incident, **extra):
    now = timezone.now()
    notification = getattr(incident, "amazon_notification", None)
    return {
        "incident": incident,
        "notification": notification,
        "clock": clock_of(incident, now),
        "now": now,
        "amazon_email": AMAZON_SECURITY_EMAIL,
        "mailto": notify.mailto_link(notification) if notification is not None and notification.status == "ready" else "",
        **extra,
    }


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def notification(request, pk: int):
    """The draft: build it from the record, edit it, and mark it ready once the PII check passes."""
    incident, access = get_incident_for(request.user, pk)
    current = getattr(incident, "amazon_notification", None)
    initial = {"subject": current.subject, "body": current.body} if current is not None else {}
    form = DraftForm(request.POST or None, initial=initial)
    if request.method == "POST" and current is not None and current.is_sent:
        messages.info(request, "The notification has been sent: it is kept as sent.")
        return redirect("incidents:notification", incident.pk)
    if request.method == "POST" and form.is_valid():
        data, now = form.cleaned_data, timezone.now()
        ready = request.POST.get("action") == "ready"
        findings = notify.draft_findings(data["subject"], data["body"]) if ready else []
        if findings:  # listed above the form; nothing is written
            return render(request, "incidents/notification.html", _context(incident, form=form, findings=findings))
        try:
            if ready:
                notify.notification_mark_ready(
                    incident=incident, by=request.user, subject=data["subject"], body=data["body"], now=now, request=request
                )
                messages.success(request, "No personal data found: the notification is ready to send to Amazon.")
            else:
                notify.notification_draft_save(
                    incident=incident, by=request.user, subject=data["subject"], body=data["body"], now=now, request=request
                )
                messages.success(request, "Draft saved. Check it and mark it ready before sending.")
        except ValidationError as error:
            add_errors(form, error)
        else:
            return redirect("incidents:notification", incident.pk)
    return render(request, "incidents/notification.html", _context(incident, form=form, findings=[]))


@role_required(*SECURITY_LEAD)
@require_POST
def notification_build(request, pk: int):
    incident, access = get_incident_for(request.user, pk)
    try:
        notify.notification_draft_build(incident=incident, by=request.user, now=timezone.now(), request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Draft built from the record. Read it, edit it if needed, then check and mark it ready.")
    return redirect("incidents:notification", incident.pk)


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def notification_record(request, pk: int):
    """Record that Amazon was notified: sent at, method, Amazon's reference. Completes the 24-hour obligation."""
    incident, access = get_incident_for(request.user, pk)
    current = getattr(incident, "amazon_notification", None)
    if current is not None and current.is_sent:
        messages.info(request, "The notification is already recorded.")
        return redirect(incident)
    form = RecordNotificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sent = notify.notification_record(
                incident=incident,
                by=request.user,
                sent_at=data["sent_at"],
                method=data["method"],
                amazon_reference=data["amazon_reference"],
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            clock = clock_of(incident, timezone.now())
            if clock.late_by:
                messages.warning(request, f"Notification recorded. {clock.label}: the delay is shown on the incident and the dashboard.")
            else:
                messages.success(request, f"Notification recorded at {timezone.localtime(sent.sent_at):%d %b %H:%M}: within the 24 hours.")
            return redirect(incident)
    return render(request, "incidents/notification_record.html", _context(incident, form=form))


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def regulatory_create(request, pk: int):
    incident, access = get_incident_for(request.user, pk)
    form = RegulatoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            notify.regulatory_notification_record(incident=incident, by=request.user, now=timezone.now(), request=request, **data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Regulatory notification recorded.")
            return redirect(incident)
    return render(request, "incidents/regulatory_form.html", {"form": form, "incident": incident})
