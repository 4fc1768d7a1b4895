"""The obligation engine's emails: one function per email, each a subject/text/HTML trio under
``templates/compliance/email/``. Times are shown in the recipient's zone when they set one.

Failures propagate (SMTP errors, connection refused …): the reminder row records them and the
next sweep retries.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from django.urls import reverse

from grc.compliance.status import milestone_label
from grc.mail import absolute_url, send_templated
from grc.timefmt import span, time_left

if TYPE_CHECKING:
    from grc.accounts.models import User
    from grc.compliance.models import Obligation

MAX_DIGEST_ITEMS = 50


def zone_of(user: User) -> tzinfo:
    """The recipient's own zone, UTC when they set none (emails have no browser to ask)."""
    try:
        return zoneinfo.ZoneInfo(user.timezone) if getattr(user, "timezone", "") else UTC
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return UTC


def local_time(moment: datetime, zone: tzinfo) -> str:
    local = moment.astimezone(zone)
    name = getattr(zone, "key", None) or "UTC"
    return f"{local:%a %d %b %Y %H:%M} ({name})"


def _item(obligation: Obligation, now: datetime, zone: tzinfo) -> dict[str, Any]:
    return {
        "title": obligation.title,
        "clause": obligation.clause,
        "due": local_time(obligation.due_at, zone),
        "time_left": time_left(obligation.due_at, now),
        "link": absolute_url(obligation.action_url()),
    }


def send_reminder(*, recipient: User, obligation: Obligation, offset: timedelta, now: datetime, reason: str) -> int:
    """One milestone reminder to one person: what is due, clause, when, time left, where to do it."""
    zone = zone_of(recipient)
    breach = offset == timedelta(0)
    context = {
        "recipient_name": recipient.first_name or recipient.get_username(),
        "item": _item(obligation, now, zone),
        "breach": breach,
        "milestone": milestone_label(offset),
        "before": span(offset) if not breach else "",
        "reason": reason,
        "settings_link": absolute_url(reverse("compliance:calendar")),
    }
    return send_templated(to=[recipient.email], template="compliance/email/reminder", context=context)


def send_overdue_digest(*, recipient: User, obligations: Sequence[Obligation], now: datetime, total: int) -> int:
    """The daily list of what is overdue for one person (their own, or the programme's for leads)."""
    zone = zone_of(recipient)
    items = [_item(obligation, now, zone) for obligation in obligations[:MAX_DIGEST_ITEMS]]
    context = {
        "recipient_name": recipient.first_name or recipient.get_username(),
        "items": items,
        "total": total,
        "more": max(total - len(items), 0),
        "day": now.astimezone(zone).strftime("%a %d %b %Y"),
        "calendar_link": absolute_url(reverse("compliance:calendar_list") + "?status=overdue"),
    }
    return send_templated(to=[recipient.email], template="compliance/email/overdue_digest", context=context)
