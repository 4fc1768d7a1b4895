"""Each main page runs the same, small number of queries whatever the size of the organisation.

The organisation is made by ``seed_scale`` at two sizes (four times apart: accounts, assets,
incidents, review rows, audit events …); every page's query count is pinned at both: at most the
budget of 15 (the target of README "Performance"), and equal at both sizes (no query per row).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grc.accounts.models import User
from grc.scale.seed import last_seed, seed_scale
from tests.conftest import signed_in

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

BUDGET = 15
SIZES = (0.01, 0.04)
NOW = datetime(2027, 5, 12, 10, 30, tzinfo=UTC)
# page, who opens it, URL (``{campaign}``: the review in progress)
PAGES = (
    ("dashboard", "lead", "compliance:dashboard"),
    ("incident list", "lead", "incidents:index"),
    ("accounts list", "lead", "access_reviews:account_list"),
    ("asset list", "lead", "assets:index"),
    ("risk register", "lead", "risks:index"),
    ("audit viewer", "lead", "audit:index"),
    ("manager's review page", "manager", "access_reviews:review_page"),
)


class Rollback(Exception):
    pass


def page_queries(client, factor: float) -> dict[str, int]:
    """Seed at ``factor``, open every page twice (the first fills caches), count the second; roll back."""
    counts: dict[str, int] = {}
    try:
        with transaction.atomic():
            seed_scale(factor=factor, now=NOW, out=lambda line: None)
            details = last_seed().details
            users = {"lead": User.objects.get(pk=details["bench_lead"]), "manager": User.objects.get(pk=details["bench_manager"])}
            for name, role, url_name in PAGES:
                url = reverse(url_name, args=[details["open_campaign"]]) if url_name.endswith("review_page") else reverse(url_name)
                signed_in(client, users[role])
                assert client.get(url).status_code == 200, name
                with CaptureQueriesContext(transaction.get_connection()) as captured:
                    assert client.get(url).status_code == 200, name
                counts[name] = len(captured)
            raise Rollback
    except Rollback:
        pass
    return counts


def test_every_main_page_costs_the_same_few_queries_at_two_sizes(client, settings):
    settings.COMPLIANCE_POSTURE_CACHE_SECONDS = 120  # as in production: the dashboard's live checks are cached
    cache.clear()
    small = page_queries(client, SIZES[0])
    cache.clear()
    large = page_queries(client, SIZES[1])
    assert set(small) == {name for name, _role, _url in PAGES}
    over = {name: count for name, count in large.items() if count > BUDGET}
    assert not over, f"over the budget of {BUDGET} queries: {over}"
    assert small == large, f"query counts grow with the data: {small} -> {large}"


def test_the_dashboard_without_its_cache_still_does_not_grow_with_the_data(client, settings):
    """The first load after a change runs every app's live check: more queries, but a fixed number."""
    settings.COMPLIANCE_POSTURE_CACHE_SECONDS = 0
    counts = []
    for factor in SIZES:
        try:
            with transaction.atomic():
                seed_scale(factor=factor, now=NOW, out=lambda line: None)
                signed_in(client, User.objects.get(pk=last_seed().details["bench_lead"]))
                client.get(reverse("compliance:dashboard"))
                with CaptureQueriesContext(transaction.get_connection()) as captured:
                    client.get(reverse("compliance:dashboard"))
                counts.append(len(captured))
                raise Rollback
        except Rollback:
            pass
    assert counts[0] == counts[1]
