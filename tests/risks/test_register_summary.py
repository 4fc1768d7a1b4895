"""The register's rows are written in Python exactly as its template wrote them, and its summary
cards count set-based (two hashed ``IN`` subqueries, no subquery per risk), agreeing with the
per-risk flags of ``register_queryset`` / ``flag_q`` on risks of every shape."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grc.risks import rules
from grc.risks.models import AcceptanceStatus, ActionStatus, Risk, RiskAcceptance, RiskStatus, TreatmentAction
from grc.risks.selectors import entry_for, flag_q, register_queryset, register_summary
from grc.risks.views.register import register_rows_html
from tests.conftest import signed_in
from tests.risks.test_pages import bulk_risks

pytestmark = pytest.mark.django_db


def flags_one_by_one(now, appetite: int) -> dict[str, int]:
    risks = register_queryset(now=now)
    return {
        "open": risks.filter(status=RiskStatus.OPEN).count(),
        "above": risks.filter(flag_q(rules.Flag.ABOVE_APPETITE, appetite=appetite, now=now)).count(),
        "no_plan": risks.filter(flag_q(rules.Flag.NO_PLAN, appetite=appetite, now=now)).count(),
        "expired": risks.filter(flag_q(rules.Flag.ACCEPTANCE_EXPIRED, appetite=appetite, now=now)).count(),
    }


def test_the_summary_matches_the_flags_of_every_risk(lead):
    now = timezone.now()
    bulk_risks(120, lead, now)
    risks = list(Risk.objects.order_by("pk"))
    # cancelled and done actions, approved acceptances current and expired, closed risks
    TreatmentAction.objects.filter(risk__in=risks[::4]).update(status=ActionStatus.CANCELLED, completed_at=now)
    TreatmentAction.objects.filter(risk__in=risks[1::6]).update(status=ActionStatus.DONE, completed_at=now, completed_by=lead)
    for n, risk in enumerate(r for r in risks if r.treatment == "accept" and not r.acceptances.filter(status="pending").exists()):
        RiskAcceptance.objects.create(
            risk=risk,
            rationale="r",
            requested_by=lead,
            requested_at=now - timedelta(days=400),
            decided_by=lead,
            decided_at=now - timedelta(days=399),
            step_up_at=now - timedelta(days=399),
            status=AcceptanceStatus.APPROVED,
            expires_at=now + timedelta(days=30) if n % 2 else now - timedelta(days=1),
        )
    Risk.objects.filter(pk__in=[r.pk for r in risks[::9]]).update(status=RiskStatus.CLOSED, closed_at=now)
    for appetite in (4, 9, 12):
        expected = flags_one_by_one(now, appetite)
        assert register_summary(now=now, appetite=appetite) == expected
    assert expected["expired"] and expected["no_plan"] and expected["above"] > expected["no_plan"]


def test_the_summary_is_one_query_without_a_subquery_per_risk(lead):
    now = timezone.now()
    bulk_risks(30, lead, now)
    with CaptureQueriesContext(connection) as captured:
        register_summary(now=now, appetite=12)
    assert len(captured) == 1
    sql = captured[0]["sql"]
    assert "GROUP BY" not in sql and "LIMIT" not in sql  # no correlated "latest row" subqueries
    assert sql.count("SELECT") == 4  # the risks, the risks with live actions, two sets of approved acceptances


# The loop ``risks/index.html`` had before its rows were written in Python (views.register.register_rows_html).
ROWS_TEMPLATE = """{% load ui risks_ui %}  {% for entry in entries %}
    <tr data-risk="{{ entry.reference }}"{% if entry.needs_plan %} class="risk-untreated"{% elif not entry.is_open %} class="text-body-secondary"{% endif %}>
      <td class="font-monospace text-nowrap"><a href="{{ entry.url }}">{{ entry.reference }}</a></td>
      <td><a href="{{ entry.url }}">{{ entry.title }}</a>
        <div class="small text-body-secondary">{% if entry.clauses %}DPP {{ entry.clauses|join:", " }}{% endif %}{% if entry.source %}{% if entry.clauses %} · {% endif %}from {{ entry.source }}{% endif %}{% if not entry.is_open %} · closed {{ entry.closed_at|local:"%d %b %Y" }}{% endif %}</div></td>
      <td class="small">{{ entry.owner }}</td>
      <td data-score="{{ entry.inherent_score }}">{% score_badge entry.inherent_score %}</td>
      <td data-score="{{ entry.residual_score }}">{% score_badge entry.residual_score %}</td>
      <td class="small">{{ entry.treatment_label }}{% if entry.treatment %}<div class="text-body-secondary">{{ entry.plan }}</div>{% endif %}</td>
      <td class="small text-nowrap">{% if entry.next_action_due %}{% countdown entry.next_action_due None now %}{% else %}<span class="text-body-secondary">—</span>{% endif %}</td>
      <td>{% flag_badges entry.flags %}</td>
    </tr>
  {% endfor %}
"""


def test_the_rows_written_in_python_are_the_rows_the_template_wrote(lead, make_risk):
    now = timezone.now()
    bulk_risks(40, lead, now)  # every treatment, clauses, sources, actions due and overdue, pending acceptances
    make_risk(title='Quotes "and" <tags> & more', clauses=[], treatment="mitigate")
    closed = make_risk(title="Closed one")
    Risk.objects.filter(pk=closed.pk).update(status=RiskStatus.CLOSED, closed_at=now)
    appetite = rules.appetite_from_settings()
    entries = [entry_for(risk, appetite=appetite, now=now) for risk in register_queryset(now=now).order_by("pk")]
    assert any(e.source for e in entries) and any(not e.is_open for e in entries) and any(e.flags for e in entries)
    assert any(e.next_action_due for e in entries) and any(e.needs_plan for e in entries)
    expected = engines["django"].from_string(ROWS_TEMPLATE).render({"entries": entries, "now": now})
    assert "  " + register_rows_html(entries, now) + "\n" == expected


def _page(client, **params) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("risks:index"), params)
    assert response.status_code == 200
    return response.content.decode(), [query["sql"] for query in captured]


def _grouped_counts(queries: list[str]) -> list[str]:
    return [sql for sql in queries if 'COUNT("risks_risk"."id") AS "n"' in sql]


def test_the_heat_maps_are_kept_until_the_next_audited_change(lead_client, lead, make_risk, settings):
    bulk_risks(12, lead, timezone.now())
    uncached, _queries = _page(lead_client)
    settings.ACCOUNT_LIST_COUNT_CACHE_SECONDS = 600
    cache.clear()
    first, queries = _page(lead_client)
    assert len(_grouped_counts(queries)) == 2
    second, queries = _page(lead_client)
    assert not _grouped_counts(queries)  # from the cache
    heat = re.compile(r"<svg.*?</svg>", re.S)
    assert heat.findall(first) == heat.findall(second) == heat.findall(uncached)
    make_risk(title="One more, through the service (audited)")
    _third, queries = _page(lead_client)
    assert len(_grouped_counts(queries)) == 2  # the change dropped them


def test_the_cached_summary_counts_an_acceptance_as_expired_the_moment_it_expires(lead, client, settings):
    """The summary is cached until the next audited change, or until the earliest approved acceptance
    expires: with no write at all, the risk leaves "planned" and counts as "expired" at that moment."""
    settings.FILTER_CHOICES_CACHE_SECONDS = 600  # the caches on, as in production
    cache.clear()
    start = timezone.now().replace(microsecond=0)
    expires = start + timedelta(minutes=5)
    risk = Risk.objects.create(
        title="Accepted",
        threat="t",
        vulnerability="v",
        owner=lead,
        inherent_likelihood=5,
        inherent_impact=5,
        inherent_score=25,
        residual_likelihood=5,
        residual_impact=5,
        residual_score=25,
        treatment="accept",
        identified_at=start,
        updated_at=start,
    )
    RiskAcceptance.objects.create(
        risk=risk,
        rationale="r",
        requested_by=lead,
        requested_at=start,
        decided_by=lead,
        decided_at=start,
        step_up_at=start,
        status=AcceptanceStatus.APPROVED,
        expires_at=expires,
    )
    client = signed_in(client, lead)
    seen = []
    for at in (start, expires - timedelta(seconds=1), expires, expires + timedelta(minutes=1)):
        with time_machine.travel(at, tick=False):
            response = client.get(reverse("risks:index"))
            assert response.status_code == 200
            summary = response.context["summary"]
            seen.append((summary["no_plan"], summary["expired"]))
            assert summary == register_summary(now=at, appetite=rules.appetite_from_settings())
    assert seen == [(0, 0), (0, 0), (1, 1), (1, 1)]
