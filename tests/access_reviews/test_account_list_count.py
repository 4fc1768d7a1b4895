"""The accounts list says how many accounts match ("1–25 of 65") without counting every row on every
load: the count is cached until the next audited change, per filter and per reader."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from access_reviews.models import Account
from tests.access_reviews.test_review_page import bulk_accounts
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
URL = reverse("access_reviews:account_list")


def counts(client, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL, params or {}).status_code == 200
    return sum("COUNT(*)" in query["sql"] and "access_reviews_account" in query["sql"] for query in captured)


@pytest.fixture
def cached_counts(settings):
    settings.ACCOUNT_LIST_COUNT_CACHE_SECONDS = 600
    cache.clear()
    yield
    cache.clear()


def test_the_total_is_counted_once_until_an_audited_change(cached_counts, registry, lead, client):
    system = registry.system("Order DB")
    bulk_accounts(system, registry.staff, 60)  # no audited change: written straight into the table
    client = signed_in(client, lead)
    assert counts(client) == 1
    page = client.get(URL).content.decode()
    assert "1–25 of 60" in page
    assert counts(client) == 0  # the second load reads the count from the cache
    registry.account(system, "new.hire", registry.staff)  # the service audits the change
    assert counts(client) == 1
    assert "1–25 of 61" in client.get(URL).content.decode()


def test_each_filter_and_each_reader_has_its_own_count(cached_counts, registry, lead, manager, other_manager, client):
    system = registry.system("Order DB", owner=manager)
    bulk_accounts(system, registry.staff, 30, flagged_every=3)  # 10 without MFA
    registry.account(system, "mira", registry.other_manager)
    client = signed_in(client, lead)
    assert "1–25 of 31" in client.get(URL).content.decode()
    assert "1–10 of 10" in client.get(URL, {"flag": "no_mfa"}).content.decode()
    assert "1–25 of 31" in client.get(URL, {"sort": "system"}).content.decode()  # any order: the same count
    assert "1–1 of 1" in signed_in(client, other_manager).get(URL).content.decode()  # only her own account
    assert "1–25 of 31" in signed_in(client, manager).get(URL).content.decode()  # he owns the system


def test_without_the_cache_setting_under_tests_every_load_counts(registry, lead, client):
    bulk_accounts(registry.system("Order DB"), registry.staff, 5)
    client = signed_in(client, lead)
    assert counts(client) == counts(client) == 1


@pytest.mark.parametrize("params", [{}, {"sort": "-last_login", "size": "50"}, {"state": "removed"}])
def test_the_list_writes_the_table_of_the_account_partial(registry, lead, client, params):
    """The list's rows are written in Python (``views.registry.account_rows_html``): the page still
    holds exactly what ``partials/account_table.html`` renders for the same rows (as on a system's page)."""
    system = registry.system("Order <DB> & co")
    bulk_accounts(system, registry.staff, 30)
    registry.account(system, "svc-backup", None, is_service_account=True, mfa="unknown", privilege="")
    Account.objects.filter(pk__in=list(Account.objects.values_list("pk", flat=True)[:4])).update(enabled=False)
    Account.objects.filter(pk__in=list(Account.objects.values_list("pk", flat=True)[4:7])).update(removed_at=timezone.now())
    response = signed_in(client, lead).get(URL, params)
    rows = response.context["table"].rows
    assert len(rows) > 0
    partial = render_to_string(
        "access_reviews/partials/account_table.html", {"rows": rows, "show_system": True}, request=response.wsgi_request
    )
    assert partial in response.content.decode()
