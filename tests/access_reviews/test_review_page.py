"""The reviewer's page: own rows only (404 otherwise), flags first, fixed query count, htmx decide, sign-off."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from access_reviews.flags import FLAG_FIELDS
from access_reviews.models import Account, Decision, Person, PersonStatus, ReviewRow, SignOff
from access_reviews.services.campaigns import CHANGED_FIELDS, campaign_start, changed_from_values, changed_since_snapshot
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


def test_the_progress_counts_only_pending_unflagged_rows_changed_since_the_start(review, manager, client):
    """Removed, disabled or newly flagged accounts need a decision each; a flag the snapshot already
    had is no change, and a decided row keeps its badge but leaves the count."""
    client = signed_in(client, manager)
    rows = {row.account_name: row for row in review.rows.filter(reviewer=manager).select_related("account")}
    decided = rows["user0005"]
    client.post(reverse("access_reviews:row_decide", args=[decided.pk]), {f"r{decided.pk}-decision": "keep", f"r{decided.pk}-comment": ""})
    Account.objects.filter(pk=rows["user0001"].account_id).update(removed_at=NOW)
    Account.objects.filter(pk__in=[rows["user0002"].account_id, decided.account_id]).update(enabled=False)
    Account.objects.filter(pk=rows["user0004"].account_id).update(flag_shared=True, flag_count=1)
    response = client.get(page_url(review))
    stats = response.context["stats"]
    assert (stats["changed_pending"], stats["unflagged_pending"], stats["flagged_pending"], stats["kept"]) == (3, 4, 4, 1)
    html = response.content.decode()
    assert "3 accounts changed since the review started" in html and "Keep all 4 unflagged" in html
    changed = {row.account_name for row, _html in response.context["items"] if row.changed}
    assert changed == {"user0001", "user0002", "user0004", "user0005"}  # not the ones flagged "no MFA" at the start
    assert html.count('data-testid="changed-badge"') == 4


def decide_everything(review, manager, client):
    for row in review.rows.filter(reviewer=manager):
        client.post(
            reverse("access_reviews:row_decide", args=[row.pk]), {f"r{row.pk}-decision": "keep", f"r{row.pk}-comment": "reviewed, needed"}
        )


def test_sign_off_takes_the_one_time_code_on_its_own_form(review, manager, client):
    client = signed_in(client, manager)
    decide_everything(review, manager, client)
    url = reverse("access_reviews:sign_off", args=[review.pk])
    response = client.get(url)
    assert response.status_code == 200 and 'name="code"' in response.content.decode()
    response = client.post(url)  # no code: nothing is signed, no detour through the step-up page
    assert response.status_code == 200 and not SignOff.objects.exists()

    response = client.post(url, {"code": totp_now(manager)})
    assert response.status_code == 302
    sign_off = SignOff.objects.get()
    assert (sign_off.reviewer, sign_off.rows) == (manager, 12)


def test_a_fresh_step_up_without_a_code_signs_nothing(review, manager, client):
    client = signed_in(client, manager)
    decide_everything(review, manager, client)
    session = client.session
    session[SESSION_KEY] = timezone.now().timestamp()
    session.save()
    response = client.post(reverse("access_reviews:sign_off", args=[review.pk]))
    assert response.status_code == 200 and not SignOff.objects.exists()


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


@pytest.mark.parametrize("terminate", [False, True])
def test_the_pages_changed_rule_in_python_agrees_with_the_sql_one(review, registry, manager, terminate):
    """``changed_from_values`` (the page's 50 rows) and ``changed_since_snapshot`` (the progress count)
    say the same of every row: removed, disabled, newly flagged, an old flag, the person terminated."""
    rows = {row.account_name: row for row in review.rows.filter(reviewer=manager)}
    Account.objects.filter(pk=rows["user0001"].account_id).update(removed_at=NOW)
    Account.objects.filter(pk=rows["user0002"].account_id).update(enabled=False)
    Account.objects.filter(pk=rows["user0004"].account_id).update(flag_shared=True, flag_count=1)
    Account.objects.filter(pk=rows["user0003"].account_id).update(flag_no_mfa=True)  # flagged at the start already
    if terminate:
        Person.objects.filter(pk=registry.staff.pk).update(status=PersonStatus.TERMINATED, terminated_at=NOW)
    mine = ReviewRow.objects.filter(campaign=review, reviewer=manager)
    in_sql = set(mine.filter(changed_since_snapshot()).values_list("account_name", flat=True))
    columns = ("account_name", "person__status", *FLAG_FIELDS.values(), *CHANGED_FIELDS)
    in_python = {values["account_name"] for values in mine.values(*columns) if changed_from_values(values)}
    expected = set(rows) if terminate else {"user0001", "user0002", "user0004"}
    assert in_sql == in_python == expected
