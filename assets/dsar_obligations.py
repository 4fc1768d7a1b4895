"""What data-subject requests tell the obligation engine (DPP 2.2).

The ``policies.dsar_response`` provider (reminders to the handler and every security lead; resync
re-dates each open request from its record) and the live check "data-subject requests answered
in time". Registered from this app's ``ready()`` (``assets.apps``), beside the policy library's
documents of clause 2.2. Reasons carry counts and ages, never names.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from django.db.models import F
from django.urls import reverse

from assets.dsar_rules import DUE_SOON, KIND, retention_days
from assets.models import DataSubjectRequest
from assets.services.dsar import dsar_obligation_open
from grc.accounts.models import Role, User
from grc.compliance.registry import CheckResult, register_check, register_provider
from grc.timefmt import time_left
from grc.words import plural

CHECK_NAME = "Data-subject requests answered in time"
LOOKBACK = timedelta(days=365)
RECENT_LATE = timedelta(days=90)


class DsarProvider:
    def recipients(self, obligation):
        return list(User.objects.filter(role=Role.SECURITY_LEAD, is_active=True))

    def resync(self, *, now: datetime) -> int:

        count = 0
        for dsar in DataSubjectRequest.objects.filter(response_sent_at__isnull=True).select_related("handler"):
            dsar_obligation_open(dsar)
            count += 1
        return count


def check_data_subject_requests(now: datetime) -> CheckResult:
    """2.2: requests of customers are answered by their deadline and their details not kept too long."""
    url = reverse("dsar:register")
    requests = DataSubjectRequest.objects.all()
    open_ = requests.filter(response_sent_at__isnull=True)
    overdue = open_.filter(due_at__lte=now).count()
    due_soon = open_.filter(due_at__gt=now, due_at__lte=now + DUE_SOON).count()
    recent = requests.filter(received_at__gte=now - LOOKBACK)
    received = recent.count()
    answered = recent.filter(response_sent_at__isnull=False)
    late = answered.filter(response_sent_at__gt=F("due_at")).count()
    late_recently = requests.filter(response_sent_at__gt=F("due_at"), response_sent_at__gte=now - RECENT_LATE).count()
    unpurged = requests.filter(purged_at__isnull=True, response_sent_at__lte=now - timedelta(days=retention_days())).count()
    open_count = open_.count()
    if received == 0 and open_count == 0:
        return CheckResult("met", "no data-subject request received in the last 12 months; the register is ready", url)
    answered_count = answered.count()
    if answered_count == 0:
        answered_words = "none answered yet"
    else:
        answered_words = f"{answered_count} answered, " + (f"{late} late" if late else "all in time")
    parts = [f"{plural(received, 'request')} in the last 12 months: {answered_words}"]
    if open_count:
        # open_count > 0 and due_at is NOT NULL: there is a first row
        next_due = cast(datetime, open_.order_by("due_at").values_list("due_at", flat=True).first())
        parts.append(f"{open_count} open, the next {time_left(next_due, now)}")
    if overdue:
        return CheckResult("not_met", f"{plural(overdue, 'data-subject request')} past the response deadline; " + "; ".join(parts), url)
    problems = []
    if due_soon:
        problems.append(f"{plural(due_soon, 'request')} due within {DUE_SOON.days} days")
    if late_recently:
        problems.append(f"{plural(late_recently, 'request')} answered late in the last {RECENT_LATE.days} days")
    if unpurged:
        problems.append(f"requester details of {plural(unpurged, 'request')} kept past the {retention_days()}-day retention")
    if problems:
        return CheckResult("at_risk", "; ".join(problems + parts), url)
    return CheckResult("met", "; ".join(parts), url)


def register() -> None:
    register_provider(KIND, DsarProvider())
    register_check("2.2", CHECK_NAME, check_data_subject_requests)
