"""What incidents tell the obligation engine: the provider of ``incidents.amazon_notification``
(reminders to the incident owner and every active security lead; resync from the records) and the
live check of DPP 1.6 "Amazon notified within 24 hours of detection". Reasons carry counts and
durations, never names or incident text."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import F, Q
from django.urls import reverse

from grc.accounts.models import Role, User
from grc.compliance.cadences import effective_cadence
from grc.compliance.registry import CheckResult, register_check, register_provider
from grc.timefmt import time_left
from grc.words import plural
from incidents.clock import KIND
from incidents.models import AmazonInvolved, Incident
from incidents.services import notification_obligation_sync

LATE_LOOKBACK = timedelta(days=90)
YEAR = timedelta(days=365)


class AmazonNotificationProvider:
    def recipients(self, obligation):
        """The incident owner and ALL active security leads, at every milestone (not only at breach)."""

        users = list(User.objects.filter(role=Role.SECURITY_LEAD, is_active=True).order_by("pk"))
        incident = Incident.objects.select_related("owner").filter(pk=obligation.subject_id).first()
        if incident is not None and incident.owner is not None:
            users.append(incident.owner)
        return list({user.pk: user for user in users}.values())

    def resync(self, *, now: datetime) -> int:
        """Re-open or waive the clock of every incident whose notification is not recorded."""

        count = 0
        incidents = Incident.objects.exclude(amazon_notification__status="sent").select_related("owner", "amazon_notification")
        for incident in incidents:
            notification_obligation_sync(incident=incident, now=now)
            count += 1
        return count


def check_amazon_notification(now: datetime) -> CheckResult:
    """1.6: Amazon notified (3p-security@amazon.com) within 24 hours of detecting a Security Incident."""

    url = reverse("incidents:index")
    incidents = Incident.objects.all()
    pending = incidents.exclude(amazon_involved=AmazonInvolved.NO).filter(~Q(amazon_notification__status="sent"))
    overdue = pending.filter(notification_due_at__lte=now).count()
    running = pending.filter(notification_due_at__gt=now)
    recent = incidents.filter(detected_at__gte=now - YEAR)
    notified = recent.filter(amazon_notification__status="sent")
    late = notified.filter(
        amazon_notification__sent_at__gt=F("notification_due_at"), amazon_notification__sent_at__gte=now - LATE_LOOKBACK
    ).count()
    waived = recent.filter(amazon_involved=AmazonInvolved.NO).count()
    summary = f"{plural(recent.count(), 'incident')} in the last 12 months: {notified.count()} notified to Amazon, {waived} not involving Amazon Information"
    if overdue:
        return CheckResult(
            "not_met",
            f"{plural(overdue, 'incident')} not notified to Amazon within {effective_cadence(KIND).period} of detection; {summary}",
            url + "?state=overdue",
        )
    if late:
        return CheckResult("at_risk", f"{plural(late, 'notification')} to Amazon sent late in the last 90 days; {summary}", url)
    next_due = running.order_by("notification_due_at").values_list("notification_due_at", flat=True).first()
    if next_due is not None:
        status = "at_risk" if next_due - now <= effective_cadence(KIND).warning else "met"  # the clock's own warning window
        return CheckResult(
            status,
            f"{plural(running.count(), 'Amazon clock')} running, the next {time_left(next_due, now)}; {summary}",
            url + "?state=clock_running",
        )
    if not recent.exists():
        return CheckResult("met", "no security incident recorded in the last 12 months; none waits for notification", url)
    return CheckResult("met", f"every incident notified within 24 hours or recorded as not involving Amazon Information; {summary}", url)


def register() -> None:
    register_provider(KIND, AmazonNotificationProvider())
    register_check(
        "1.6", "incidents.amazon_notification", check_amazon_notification, title="Amazon notified within 24 hours of each Security Incident"
    )
