"""The manager's review path: told by email and a dashboard task, bulk keep that never keeps a leaver,
one code on the sign-off form that says what is signed, English counts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from access_reviews.models import Account, CampaignReviewer, Decision, SignOff
from access_reviews.obligations import REVIEWER_SIGNOFF
from access_reviews.services.campaigns import campaign_start, rows_bulk_keep
from access_reviews.services.registry import account_update, person_terminate
from grc.audit.models import AuditEvent
from grc.compliance.models import Obligation
from grc.compliance.registry import provider_for
from grc.compliance.reminders import reminder_recipients
from grc.compliance.services import open_obligation
from grc.models import OutboxMessage
from tests.access_reviews.conftest import NOW
from tests.access_reviews.test_review_page import bulk_accounts
from tests.conftest import signed_in, totp_now


@pytest.fixture
def team(registry):
    """Tom (manager) reviews Lee's 12 accounts (4 flagged) and Ann's 2 clean ones; Priya reviews Mira's."""
    system = registry.system("Order DB")
    bulk_accounts(system, registry.staff, 12)
    ann = registry.person("Ann", "Lo", manager=registry.manager)
    other = registry.system("AWS production")
    ann_accounts = [registry.approve(registry.account(other, f"ann{i}", ann)) for i in range(2)]
    registry.account(other, "mira", registry.other_manager)  # reviewed by Priya (Mira's manager)
    registry.ann, registry.ann_accounts = ann, ann_accounts
    return registry


def start(lead):
    with time_machine.travel(NOW, tick=False):
        return campaign_start(
            period="2026-Q4", period_start=date(2026, 10, 1), period_end=date(2026, 12, 31), effective_at=NOW, by=lead, now=NOW
        )


def test_starting_a_campaign_emails_each_reviewer_their_count_due_date_and_link(
    team, lead, manager, settings, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        campaign = start(lead)
    mine = [m for m in mailoutbox if m.to == [manager.email]]
    assert len(mine) == 1  # one email per reviewer
    assert {tuple(m.to) for m in mailoutbox} == {(manager.email,), (lead.email,)}
    email = mine[0]
    due = open_obligation("access_reviews.quarterly_review", None).due_at
    assert email.subject == f"Access review 2026-Q4: 14 accounts to review by {due:%-d %b %Y}"
    assert settings.PORTAL_BASE_URL.rstrip("/") + reverse("access_reviews:review_page", args=[campaign.pk]) in email.body
    assert "14 accounts" in email.body and due.strftime("%-d %B %Y") in email.body
    html = email.alternatives[0][0]
    for secret in ("user0001", "ann0", "Lee", "Wong", "Ann", "mira", "Order DB"):  # no account, person or system names
        assert secret not in email.body and secret not in html and secret not in email.subject
    # sent by the Celery task the start queued in the outbox (never in the request), when it ran
    assert OutboxMessage.objects.filter(task="access_reviews.tasks.notify_reviewers", args=[campaign.pk, due.isoformat()]).exists()
    assert CampaignReviewer.objects.get(campaign=campaign, reviewer=manager).notified_at >= NOW


def test_each_reviewer_gets_a_task_due_with_the_campaign_and_reminders_follow_its_milestones(team, lead, manager):
    campaign = start(lead)
    share = CampaignReviewer.objects.get(campaign=campaign, reviewer=manager)
    task = Obligation.objects.get(kind=REVIEWER_SIGNOFF, owner=manager, completed_at__isnull=True)
    assert (task.subject_id, share.rows) == (str(share.pk), 14)
    assert task.due_at == open_obligation("access_reviews.quarterly_review", None).due_at
    assert task.url == reverse("access_reviews:review_page", args=[campaign.pk])
    assert Obligation.objects.filter(kind=REVIEWER_SIGNOFF, completed_at__isnull=True).count() == 2  # Tom and Priya
    assert provider_for(REVIEWER_SIGNOFF) is not None
    assert [user for user, _why in reminder_recipients(task, timedelta(days=14), NOW)] == [manager]


def test_the_dashboard_lists_the_review_under_my_tasks(team, lead, manager, client, settings, django_assert_max_num_queries):
    settings.COMPLIANCE_POSTURE_CACHE_SECONDS = 120  # as in production: the live checks are cached
    start(lead)
    client = signed_in(client, manager)
    client.get(reverse("compliance:dashboard"))  # fills the caches
    with django_assert_max_num_queries(40):
        response = client.get(reverse("compliance:dashboard"))
    html = response.content.decode()
    section = html[html.index('data-testid="my-tasks"') :]
    assert "Review and sign off access review 2026-Q4" in section[: section.index("</section>")]


def test_bulk_keep_leaves_a_person_terminated_since_the_start_to_the_reviewer(team, lead, manager, client):
    campaign = start(lead)
    person_terminate(person=team.staff, terminated_at=NOW + timedelta(hours=1), by=lead, now=NOW + timedelta(hours=2))
    response = signed_in(client, manager).post(reverse("access_reviews:bulk_keep", args=[campaign.pk]), follow=True)
    rows = campaign.rows.filter(reviewer=manager)
    assert set(rows.filter(decision=Decision.KEEP).values_list("person_id", flat=True)) == {team.ann.pk}
    assert rows.filter(person=team.staff, decision=Decision.PENDING).count() == 12  # the leaver's 8 unflagged ones too
    html = response.content.decode()
    assert "2 accounts kept." in html
    assert html.count('data-testid="changed-badge"') == 12
    assert "8 accounts changed since the review started" in html


def test_bulk_keep_leaves_an_account_disabled_or_newly_flagged_since_the_start(team, lead, manager):
    campaign = start(lead)
    first, second = team.ann_accounts
    account_update(account=first, data={"enabled": False}, by=lead, now=NOW)
    account_update(account=Account.objects.get(pk=second.pk), data={"mfa": "no"}, by=lead, now=NOW)  # gains "no MFA"
    assert Account.objects.get(pk=second.pk).flag_no_mfa
    kept = rows_bulk_keep(campaign=campaign, reviewer=manager, now=NOW)
    assert kept == 8  # Lee's unflagged accounts; neither of Ann's
    assert campaign.rows.filter(account__in=team.ann_accounts, decision=Decision.PENDING).count() == 2


def test_each_decision_control_is_named_after_its_account_and_system(team, lead, manager, client):
    campaign = start(lead)
    html = signed_in(client, manager).get(reverse("access_reviews:review_page", args=[campaign.pk])).content.decode()
    assert 'aria-label="Decision for user0000 on Order DB"' in html
    assert 'aria-label="Comment for ann0 on AWS production"' in html
    assert html.count('<select name="r') == 14


def decide_everything(campaign, manager, client):
    client.post(reverse("access_reviews:bulk_keep", args=[campaign.pk]))
    for row in campaign.rows.filter(reviewer=manager, decision=Decision.PENDING).order_by("pk")[:2]:
        client.post(reverse("access_reviews:row_decide", args=[row.pk]), {f"r{row.pk}-decision": "revoke", f"r{row.pk}-comment": "left"})
    for row in campaign.rows.filter(reviewer=manager, decision=Decision.PENDING):
        client.post(reverse("access_reviews:row_decide", args=[row.pk]), {f"r{row.pk}-decision": "keep", f"r{row.pk}-comment": "needed"})


def test_the_review_page_offers_the_sign_off_with_one_code_and_says_what_is_signed(team, lead, manager, client):
    campaign = start(lead)
    client = signed_in(client, manager)
    decide_everything(campaign, manager, client)
    html = client.get(reverse("access_reviews:review_page", args=[campaign.pk])).content.decode()
    statement = "Sign off the 2026-Q4 access review: 14 accounts, 12 kept, 2 revoked"
    assert statement in html and 'name="code"' in html
    response = client.post(reverse("access_reviews:sign_off", args=[campaign.pk]), {"code": totp_now(manager)})
    assert response.status_code == 302 and response.url == reverse("access_reviews:review_page", args=[campaign.pk])
    assert SignOff.objects.get(campaign=campaign, reviewer=manager).rows == 14
    task = Obligation.objects.get(kind=REVIEWER_SIGNOFF, owner=manager)
    assert task.completed_at is not None and task.completed_by == manager and not task.waived_reason
    page = client.get(response.url).content.decode()
    assert "Signed off the 2026-Q4 access review: 14 accounts, 12 kept, 2 revoked." in page


def test_a_wrong_code_signs_nothing_and_counts_as_a_failed_step_up(team, lead, manager, client):
    campaign = start(lead)
    client = signed_in(client, manager)
    decide_everything(campaign, manager, client)
    url = reverse("access_reviews:sign_off", args=[campaign.pk])
    response = client.post(url, {"code": "000000" if totp_now(manager) != "000000" else "111111"})
    assert response.status_code == 200 and "That code is not valid." in response.content.decode()
    assert not SignOff.objects.exists()
    assert AuditEvent.objects.filter(action="accounts.step_up_failed").count() == 1
    response = client.post(url, {})  # a recent sign-in is no signature: the code is always asked
    assert response.status_code == 200 and not SignOff.objects.exists()


def test_the_step_up_page_says_what_the_code_signs_only_for_that_page(client, manager):
    from django.test import RequestFactory  # a bare request for the helper, as a view gets it

    from grc.accounts.stepup import PURPOSE_KEY, step_up_redirect

    client = signed_in(client, manager)
    request = RequestFactory().get("/policies/ir-plan/3/approve/")
    request.session = client.session
    response = step_up_redirect(request, what="Approve version 3 of the IR plan")
    request.session.save()
    assert request.session[PURPOSE_KEY]["next"] == "/policies/ir-plan/3/approve/"
    html = client.get(response.url).content.decode()
    assert "You are signing: Approve version 3 of the IR plan" in html
    other = client.get(reverse("accounts:step_up") + "?next=/access/").content.decode()
    assert "You are signing" not in other


def test_the_lead_who_starts_a_review_is_told_who_was_emailed(team, lead, client):
    response = signed_in(client, lead).post(
        reverse("access_reviews:campaign_start"), {"period": "2026-Q4", "effective_at": "2026-11-02 09:00"}, follow=True
    )
    assert "2 reviewers emailed, each with a task." in response.content.decode()
