"""Demo data of the audit trail: a burst of failed sign-ins that raised an open alarm, one log
review (three days ago, so the 14-day clock shows), and a verified hash chain."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest

from grc.audit.chain import chain_verify_record
from grc.audit.models import Alarm, AuditEvent, LogReview
from grc.audit.services import record_event
from grc.compliance.services import obligation_open
from grc.oversight.log_reviews import KIND, log_review_record, reviews_url

DEMO_ADDRESS = "203.0.113.7"  # TEST-NET-3: documentation range, never a real client


def seed(ctx) -> None:
    lead = ctx.users.get("lead")
    target = ctx.users.get("staff2") or ctx.users.get("staff")
    if lead is None or Alarm.objects.exists() or LogReview.objects.exists():
        return
    # the review completes the obligation that was running (on time), and the next one starts from it
    obligation_open(kind=KIND, subject=None, anchor_at=ctx.now - timedelta(days=15), owner=lead, url=reviews_url())
    review = log_review_record(
        by=lead,
        period_start=ctx.now - timedelta(days=17),
        period_end=ctx.now - timedelta(days=3),
        note="Reviewed sign-in failures, permission denials and downloads of the period; no alarms, nothing unusual.",
        now=ctx.now - timedelta(days=3),
    )
    ctx.made["log_review"] = review
    if target is not None:
        for minutes_ago in (14, 11, 9, 6, 4, 2):
            _failed_sign_in(target, ctx.now - timedelta(minutes=minutes_ago))
    alarm = Alarm.objects.order_by("-id").first()
    ctx.made["alarm"] = alarm
    report = chain_verify_record(now=ctx.now, system_actor="command:seed_demo", channel="command", log=False)
    ctx.say(
        f"Audit trail: {AuditEvent.objects.count()} events, chain {'intact' if report.ok else 'BROKEN'}; "
        f"{'one open alarm (repeated failed sign-ins)' if alarm else 'no alarm'}; one log review 3 days ago."
    )


class _DemoRequest(HttpRequest):
    """Just enough of a request for ``record_event`` to take the source address from (no user)."""

    def __init__(self, address: str):
        super().__init__()
        self.path = "/accounts/login/"
        self.META["REMOTE_ADDR"] = address


def _failed_sign_in(user, when) -> None:
    record_event(
        "accounts.login_failed",
        request=_DemoRequest(DEMO_ADDRESS),
        outcome="failure",
        object_type="accounts.user",
        object_id=user.pk,
        message="wrong password",
        occurred_at=when,
    )
