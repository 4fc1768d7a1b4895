"""The reviewer's page: own rows only (404 otherwise), flags first, fixed query count, htmx decide, sign-off."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from access_reviews.models import Account, Decision, ReviewRow, SignOff
from access_reviews.services.campaigns import campaign_start
from grc.accounts.stepup import SESSION_KEY
from grc.crypto import blind_index
from tests.access_reviews.conftest import NOW
from tests.conftest import signed_in, totp_now


def bulk_accounts(system, person, n: int, *, flagged_every: int = 3) -> None:
    """Many accounts quickly (test set-up only): every third one has no MFA."""
    Account.objects.bulk_create(
        [
            Account(
                system=system,
                name=f"user{i:04d}",
                name_index=blind_index(f"user{i:04d}-{system.pk}"),
                person=person,
                privilege="member",
                mfa="no" if i % flagged_every == 0 else "yes",
                flag_no_mfa=i % flagged_every == 0,
                flag_count=1 if i % flagged_every == 0 else 0,
            )
            for i in range(n)
        ]
    )


def start(lead):
    return campaign_start(
        period="2026-Q4", period_start=date(2026, 10, 1), period_end=date(2026, 12, 31), effective_at=NOW, by=lead, now=NOW
    )


@pytest.fixture
def review(registry, lead, manager):
    system = registry.system("Order DB")
    bulk_accounts(system, registry.staff, 12)
    other = registry.system("AWS production")
    registry.account(other, "mira", registry.other_manager)  # reviewed by Priya (Mira's manager)
    return start(lead)


def page_url(campaign, **query):
    from urllib.parse import urlencode

    return reverse("access_reviews:review_page", args=[campaign.pk]) + (f"?{urlencode(query)}" if query else "")


def test_a_manager_sees_only_their_rows_flagged_first(review, manager, client):
    response = signed_in(client, manager).get(page_url(review))
    assert response.status_code == 200
    rows = [row for row, _form in response.context["items"]]
    assert {row.reviewer_id for row in rows} == {manager.pk}
    assert len(rows) == 12
    assert [row.flag_count for row in rows] == sorted((row.flag_count for row in rows), reverse=True)
    assert "mira" not in response.content.decode()
    assert response.context["stats"]["flagged_pending"] == 4


def test_it_filters_by_flag_and_decision(review, manager, client):
    client = signed_in(client, manager)
    flagged = client.get(page_url(review, flag="no_mfa")).context["items"]
    assert len(flagged) == 4 and all(row.flag_no_mfa for row, _ in flagged)
    assert len(client.get(page_url(review, flag="none")).context["items"]) == 8
    assert len(client.get(page_url(review, decision="decided")).context["items"]) == 0


@pytest.mark.parametrize("size", [10, 1000])
def test_the_page_takes_the_same_number_of_queries_for_10_or_1000_rows(registry, lead, manager, client, size, django_assert_num_queries):
    system = registry.system("Order DB")
    bulk_accounts(system, registry.staff, size)
    campaign = start(lead)
    client = signed_in(client, manager)
    client.get(page_url(campaign))  # warm the session and caches
    with django_assert_num_queries(QUERIES):
        response = client.get(page_url(campaign))
    assert response.status_code == 200
    assert len(response.context["items"]) == min(size, 50)  # paginated


QUERIES = 13  # pinned: session, user, OTP device, campaign, rows exist, stats, count, page, sign-off, filter choices …


def test_a_manager_gets_404_for_someone_elses_row(review, manager, client):
    other_row = review.rows.exclude(reviewer=manager).first()
    response = signed_in(client, manager).post(
        reverse("access_reviews:row_decide", args=[other_row.pk]), {f"r{other_row.pk}-decision": "revoke", f"r{other_row.pk}-comment": "x"}
    )
    assert response.status_code == 404
    other_row.refresh_from_db()
    assert other_row.decision == Decision.PENDING


def test_a_manager_gets_404_for_a_campaign_without_their_rows(review, other_manager, client):
    assert signed_in(client, other_manager).get(page_url(review)).status_code == 404


def test_the_lead_may_read_but_not_decide_a_managers_row(review, lead, manager, client):
    row = review.rows.filter(reviewer=manager).first()
    response = signed_in(client, lead).post(
        reverse("access_reviews:row_decide", args=[row.pk]), {f"r{row.pk}-decision": "keep", f"r{row.pk}-comment": "fine"}
    )
    assert response.status_code == 403


def test_a_revoke_without_comment_shows_the_message_next_to_the_field_and_saves_nothing(review, manager, client):
    row = review.rows.filter(reviewer=manager).first()
    response = signed_in(client, manager).post(
        reverse("access_reviews:row_decide", args=[row.pk]), {f"r{row.pk}-decision": "revoke", f"r{row.pk}-comment": ""}
    )
    assert response.status_code == 200
    assert 'data-field-error="comment"' in response.content.decode()
    row.refresh_from_db()
    assert row.decision == Decision.PENDING


def test_htmx_decides_a_row_and_redraws_the_progress(review, manager, client):
    row = review.rows.filter(reviewer=manager, flag_count=0).first()
    response = signed_in(client, manager).post(
        reverse("access_reviews:row_decide", args=[row.pk]) + "?flag=none",
        {f"r{row.pk}-decision": "keep", f"r{row.pk}-comment": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="review-area"' in html and "1 of 12 decided" in html
    row.refresh_from_db()
    assert row.decision == Decision.KEEP and row.decided_by == manager


def test_bulk_keep_keeps_the_unflagged_rows(review, manager, client):
    response = signed_in(client, manager).post(reverse("access_reviews:bulk_keep", args=[review.pk]))
    assert response.status_code == 302
    rows = review.rows.filter(reviewer=manager)
    assert rows.filter(decision=Decision.KEEP).count() == 8
    assert rows.filter(decision=Decision.PENDING).count() == 4


def decide_everything(review, manager, client):
    for row in review.rows.filter(reviewer=manager):
        client.post(
            reverse("access_reviews:row_decide", args=[row.pk]), {f"r{row.pk}-decision": "keep", f"r{row.pk}-comment": "reviewed, needed"}
        )


def test_sign_off_asks_for_a_fresh_step_up_code(review, manager, client):
    client = signed_in(client, manager)
    decide_everything(review, manager, client)
    url = reverse("access_reviews:sign_off", args=[review.pk])
    response = client.post(url)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:step_up"))
    assert not SignOff.objects.exists()

    response = client.post(response.url, {"code": totp_now(manager), "next": url})
    assert response.status_code == 302 and response.url == url
    response = client.post(url)
    assert response.status_code == 302
    sign_off = SignOff.objects.get()
    assert (sign_off.reviewer, sign_off.rows) == (manager, 12)


def test_a_step_up_older_than_10_minutes_is_asked_again(review, manager, client):
    client = signed_in(client, manager)
    decide_everything(review, manager, client)
    session = client.session
    session[SESSION_KEY] = timezone.now().timestamp() - 11 * 60
    session.save()
    response = client.post(reverse("access_reviews:sign_off", args=[review.pk]))
    assert response.url.startswith(reverse("accounts:step_up"))
    assert not SignOff.objects.exists()


def test_sign_off_with_undecided_rows_is_refused(review, manager, client):
    client = signed_in(client, manager)
    session = client.session
    session[SESSION_KEY] = timezone.now().timestamp()
    session.save()
    client.post(reverse("access_reviews:sign_off", args=[review.pk]))
    assert not SignOff.objects.exists()


def test_the_campaign_report_lists_kept_flagged_rows_with_their_justification(review, lead, manager, client):
    decide_everything(review, manager, signed_in(client, manager))
    with time_machine.travel(NOW, tick=False):
        response = signed_in(client, lead).get(reverse("access_reviews:campaign_report", args=[review.pk]))
    report = response.context["report"]
    assert report["counts"]["kept"] == 12 and report["counts"]["total"] == 13
    assert len(report["flagged_kept"]) == 4
    assert {r["justification"] for r in report["flagged_kept"]} == {"reviewed, needed"}
    assert [s["signed_at"] for s in report["sign_offs"]] == [None, None]
    assert ReviewRow.objects.filter(campaign=review, decision=Decision.PENDING).count() == 1
