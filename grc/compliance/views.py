"""Pages of the obligation engine: dashboard, DPP catalogue, calendar (+ feed) and reminders.

Views stay thin: selectors read, services write (and audit). Every page is role-checked;
the iCalendar feed is the one view without a session: its secret token is the credential.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from grc.accounts.models import Role
from grc.accounts.permissions import EVERYONE, SECURITY_LEAD, SignedInRequest, role_required
from grc.audit.services import record_event, record_view
from grc.compliance import selectors, services
from grc.compliance.calendar import FIRST_YEAR, LAST_YEAR, Month, build_feed, group_by_local_day
from grc.compliance.filters import ObligationFilter
from grc.compliance.models import CalendarFeedToken, DeliveryStatus, Obligation, OverdueDigest, Reminder
from grc.compliance.posture import LABELS, RequirementState, posture_counts
from grc.compliance.selectors import ClauseUrls, RequirementRow
from grc.mail import absolute_url
from grc.tables import table_page
from grc.templatetags.ui import countdown, local, status_badge

CALENDAR_DAY_ROWS = 4  # per day cell in the month view; the rest behind "+N more"
MONTH_LIMIT = 2000
FEED_LIMIT = 1000
FEED_HISTORY_DAYS = 90


@role_required(*EVERYONE)
def dashboard(request: SignedInRequest) -> HttpResponse:
    """Everyone's first page: what is urgent (24-hour clocks, overdue), my tasks, DPP posture, alarms."""
    now = timezone.now()
    data = selectors.dashboard(request.user, now)
    role = request.user.role
    # Urgent first: a manager's or staff member's own tasks lead the page; the security lead's page
    # leads with the running 24-hour clocks and the overdue list, then their own open tasks, if any.
    tasks_first = role in (Role.MANAGER, Role.STAFF)
    urls = data.urls
    context = {
        "now": now,
        "data": data,
        "posture_cards": [(state.value, LABELS[state], data.posture[state.value]) for state in RequirementState],
        "tasks_first": tasks_first,
        "lead_tasks_next": not tasks_first and role != Role.AUDITOR and data.counts.get("mine", 0) > 0,
        "window_days": selectors.UPCOMING_WINDOW.days,
        # The rows of the lists are rendered here, not by the template (half the page's time, issue 23):
        # the same HTML as the page's own tags (``ui.countdown``, ``ui.status_badge``, ``local``) give.
        "upcoming_rows": obligation_rows(data.upcoming, now, show_owner=True, urls=urls),
        "my_task_rows": obligation_rows(data.my_tasks, now, show_owner=False, urls=urls),
        "attention_rows": attention_rows(data.attention, urls=urls),
    }
    return render(request, "compliance/dashboard.html", context)


@lru_cache(maxsize=64)
def _badge(status: str | None) -> SafeString:
    """``{% status_badge status %}``, memoised: a handful of statuses fill every list of the page."""
    return status_badge(status)


def _status_key(status: object) -> str | None:
    return None if status is None else str(getattr(status, "value", status))


_ROW = (
    '\n      <tr data-obligation="{pk}">'
    '\n        <td><div>{countdown}</div><div class="small text-body-secondary">{due}</div></td>'
    '\n        <td><a class="badge text-bg-light text-decoration-none border" href="{clause_url}">DPP {clause}</a></td>'
    '\n        <td><a href="{action_url}">{title}</a>{waived}</td>'
    "\n        {owner}"
    "\n        <td>{badge}</td>"
    "\n      </tr>\n    "
)


def obligation_rows(rows: Iterable[Obligation], now: datetime, *, show_owner: bool, urls: ClauseUrls) -> list[SafeString]:
    """The ``<tr>`` of each obligation of ``_obligation_table.html`` (rows from ``selectors.with_status``)."""
    shown: list[SafeString] = []
    for o in rows:
        extra = cast(Any, o)  # ``clause_url`` and ``current_status`` are set by ``with_status``
        waived = ""
        if o.is_waived:
            waived = format_html('<div class="small text-body-secondary">waived: {}</div>', o.waived_reason)
        owner = ""
        if show_owner:
            if o.owner is not None:
                owner = format_html("<td>{}</td>", o.owner.get_full_name() or o.owner.username)
            else:
                owner = '<td><span class="text-body-secondary">no owner</span></td>'
        action_url = o.url or urls(o.clause)
        html = _ROW.format(
            pk=o.pk,
            countdown=conditional_escape(countdown(o.due_at, o.completed_at, now, waived=o.waived_reason)),
            due=conditional_escape(local(o.due_at)),
            clause_url=conditional_escape(extra.clause_url),
            clause=conditional_escape(o.clause),
            action_url=conditional_escape(action_url),
            title=conditional_escape(o.title),
            waived=waived,
            owner=owner,
            badge=_badge(_status_key(extra.current_status)),
        )
        shown.append(mark_safe(html))  # noqa: S308  # nosec B308 B703 -- every value above is escaped or built by format_html
    return shown


_ATTENTION_ROW = (
    '\n          <li class="list-group-item d-flex gap-3 align-items-start">'
    '\n            <span class="flex-shrink-0">{badge}</span>'
    '\n            <div><a class="fw-semibold" href="{url}">DPP {clause} {title}</a>'
    '\n              <div class="small text-body-secondary">{reason}</div></div>'
    "\n          </li>\n          "
)


def attention_rows(rows: Iterable[RequirementRow], *, urls: ClauseUrls) -> list[SafeString]:
    """The ``<li>`` of each requirement of the dashboard's "needs attention" list."""
    return [
        mark_safe(  # noqa: S308  # nosec B308 B703 -- every value is escaped
            _ATTENTION_ROW.format(
                badge=_badge(_status_key(row.status.status)),
                url=conditional_escape(urls(row.requirement.clause)),
                clause=conditional_escape(row.requirement.clause),
                title=conditional_escape(row.requirement.title),
                reason=conditional_escape(row.status.reason),
            )
        )
        for row in rows
    ]


@role_required(*EVERYONE)
def catalogue(request: SignedInRequest) -> HttpResponse:
    """Every DPP clause with its computed status, the reason in words and evidence links."""
    now = timezone.now()
    rows = selectors.requirement_statuses(now)
    posture = posture_counts(row.status for row in rows)
    only = request.GET.get("status", "")
    shown = [row for row in rows if row.status.status == only] if only in posture else rows
    sections: dict[str, dict[str, Any]] = {}
    for row in shown:
        section = sections.setdefault(
            row.requirement.section, {"number": row.requirement.section, "title": row.requirement.section_title, "rows": []}
        )
        section["rows"].append(row)
    context = {
        "sections": list(sections.values()),
        "posture": posture,
        "now": now,
        "total": len(rows),
        "only": LABELS[RequirementState(only)] if only in posture else "",
    }
    return render(request, "compliance/catalogue.html", context)


@role_required(*EVERYONE)
def requirement_detail(request: SignedInRequest, clause: str) -> HttpResponse:
    now = timezone.now()
    row = selectors.requirement_row(clause, now)
    if row is None:
        raise Http404("No such DPP clause")
    record_view(request, row.requirement)
    obligations = selectors.visible_obligations(request.user).filter(clause=clause)
    table = table_page(
        request,
        obligations,
        sorts={"due": "due_at", "title": "title", "owner": ("owner__last_name", "owner__first_name"), "done": "completed_at"},
        default_sort="-due",
    )
    rows = selectors.with_status(table.rows, now)
    return render(request, "compliance/requirement_detail.html", {"row": row, "table": table, "rows": rows, "now": now})


def _calendar_context(request: SignedInRequest, now: datetime) -> dict[str, Any]:
    """What both calendar views show beside the dates: the user's feed link state."""
    feed = CalendarFeedToken.objects.filter(user=request.user, revoked_at__isnull=True).first()
    new_token = request.session.pop("new_calendar_feed_token", None)
    feed_url = absolute_url(reverse("compliance:calendar_feed", args=[new_token])) if new_token and feed else ""
    return {"feed": feed, "feed_url": feed_url, "now": now}


@role_required(*EVERYONE)
def calendar_month(request: SignedInRequest) -> HttpResponse:
    """A month grid of due dates in the viewer's zone, with the same filters as the list."""
    now = timezone.now()
    zone = timezone.get_current_timezone()
    month = Month.parse(request.GET.get("month"), timezone.localtime(now).date())
    if request.GET.get("month") and Month.parse_or_none(request.GET["month"]) is None:
        messages.warning(
            request,
            f"That is not a month the calendar shows (YYYY-MM, {FIRST_YEAR} to {LAST_YEAR}): here is {month.label}.",
        )
    start, end = month.bounds(zone)
    filterset = ObligationFilter(request.GET or None, queryset=selectors.visible_obligations(request.user), request=request)
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    if not filterset.is_bound:
        filterset.form.is_valid()
    in_month = list(queryset.filter(due_at__gte=start, due_at__lt=end).order_by("due_at", "id")[:MONTH_LIMIT])
    by_day = group_by_local_day(selectors.with_status(in_month, now), zone)
    today = timezone.localtime(now).date()
    weeks = [
        [
            {
                "date": day,
                "in_month": day.month == month.month,
                "today": day == today,
                "items": by_day.get(day, [])[:CALENDAR_DAY_ROWS],
                "more": max(len(by_day.get(day, [])) - CALENDAR_DAY_ROWS, 0),
            }
            for day in week
        ]
        for week in month.weeks()
    ]
    context = {
        **_calendar_context(request, now),
        "month": month,
        "previous": month.shifted(-1),
        "next": month.shifted(1),
        "this_month": Month(today.year, today.month),
        "weeks": weeks,
        "filterset": filterset,
        "count": len(in_month),
        "truncated": len(in_month) >= MONTH_LIMIT,
        "view": "month",
    }
    return render(request, "compliance/calendar_month.html", context)


@role_required(*EVERYONE)
def calendar_list(request: SignedInRequest) -> HttpResponse:
    """Every obligation's due date as a sortable, filterable, paginated table."""
    now = timezone.now()
    table = table_page(
        request,
        selectors.visible_obligations(request.user),
        sorts={
            "due": "due_at",
            "clause": "clause",
            "title": "title",
            "owner": ("owner__last_name", "owner__first_name"),
            "done": "completed_at",
        },
        default_sort="due",
        filterset_class=ObligationFilter,
    )
    rows = selectors.with_status(table.rows, now)
    return render(
        request, "compliance/calendar_list.html", {**_calendar_context(request, now), "table": table, "rows": rows, "view": "list"}
    )


@require_POST
@role_required(*EVERYONE)
def feed_token_create(request: SignedInRequest) -> HttpResponse:
    """Make (or regenerate) the user's secret feed link; it is shown once, on the next page."""
    token = services.calendar_feed_token_create(user=request.user, now=timezone.now(), request=request)
    request.session["new_calendar_feed_token"] = token
    messages.success(request, "Your calendar feed link is ready. Copy it now: it is shown only once. Any older link stopped working.")
    return redirect(_back_to_calendar(request))


@require_POST
@role_required(*EVERYONE)
def feed_token_revoke(request: SignedInRequest) -> HttpResponse:
    if services.calendar_feed_token_revoke(user=request.user, now=timezone.now(), request=request):
        messages.success(request, "Your calendar feed link is revoked: calendar apps subscribed to it stop updating.")
    return redirect(_back_to_calendar(request))


def _back_to_calendar(request: HttpRequest) -> str:
    return reverse("compliance:calendar_list") if request.POST.get("view") == "list" else reverse("compliance:calendar")


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The iCalendar feed: no session, the secret token is the credential (checked by hash).

    It shows what the token's user may see (the same rule as the pages), and each read is
    audited. An unknown or revoked token gets 404, also audited.
    """
    now = timezone.now()
    user, feed = services.calendar_feed_user(token, now)
    if user is None:
        record_event(
            "compliance.calendar_feed.refused",
            request=request,
            outcome="failure",
            obj=feed,
            message="revoked token or inactive user" if feed else "unknown token",
        )
        raise Http404("No such calendar feed")
    recent = Q(completed_at__isnull=True) | Q(completed_at__gte=now - timedelta(days=FEED_HISTORY_DAYS))
    rows = list(selectors.visible_obligations(user).filter(recent).order_by("due_at", "id")[:FEED_LIMIT])
    host = urlsplit(settings.PORTAL_BASE_URL).hostname or "dpp-portal"
    body = build_feed(rows, name=f"DPP deadlines · {settings.ORGANISATION_NAME}", now=now, host=host, absolute=absolute_url)
    record_event("compliance.calendar_feed.read", request=request, actor=user, obj=feed, details={"events": len(rows)})
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="dpp-deadlines.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


@role_required(*SECURITY_LEAD)
def reminders(request: SignedInRequest) -> HttpResponse:
    """Reminder emails that failed or are waiting for a retry, and the latest sent ones."""
    problems = DeliveryStatus.PENDING, DeliveryStatus.FAILED
    base = Reminder.objects.select_related("obligation", "obligation__owner")
    context = {
        "problems": list(base.filter(status__in=problems).order_by("next_attempt_at", "pk")[:200]),
        "digest_problems": list(OverdueDigest.objects.select_related("user").filter(status__in=problems).order_by("-day", "pk")[:100]),
        "recent": list(base.filter(status=DeliveryStatus.SENT).order_by("-sent_at", "-pk")[:25]),
        "now": timezone.now(),
    }
    return render(request, "compliance/reminders.html", context)
