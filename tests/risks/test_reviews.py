"""The annual senior-management review (DPP 1.6): every open risk confirmed or re-scored, signed by
each approver with step-up MFA; completion meets the obligation and opens the next, due 12
calendar months later — watched with the clock moved, not by sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from grc.compliance.models import Obligation
from grc.compliance.selectors import requirement_row
from grc.compliance.services import open_obligation
from grc.risks.models import ReviewDecision, ReviewStatus, RiskReview, RiskReviewSignature, ScoreChangeReason
from grc.risks.selectors import annual_reviews
from grc.risks.services import register, reviews
from tests.conftest import signed_in
from tests.risks.conftest import NOW, stepped_up

pytestmark = pytest.mark.django_db
KIND = "risks.annual_review"
RESCORE = {"inherent_likelihood": 4, "inherent_impact": 5, "residual_likelihood": 2, "residual_impact": 4}


@pytest.fixture
def three_risks(make_risk, lead):
    risks = [make_risk(title=f"Risk {n}", now=NOW - timedelta(days=30)) for n in range(3)]
    register.risk_close(
        risk=make_risk(title="Closed one", now=NOW - timedelta(days=30)), reason="gone", by=lead, now=NOW - timedelta(days=1)
    )
    return risks


def decide_all(review, by, *, now=NOW):
    for item in review.items.all():
        reviews.item_decide(item=item, decision=ReviewDecision.CONFIRMED, by=by, now=now)


def test_a_review_lists_every_open_risk_as_it_stands(three_risks, lead, manager):
    review = reviews.review_start(approvers=[manager], by=lead, now=NOW)
    assert review.title == "Annual risk review 2027" and review.status == ReviewStatus.OPEN
    assert sorted(review.items.values_list("risk__title", flat=True)) == ["Risk 0", "Risk 1", "Risk 2"]
    item = review.items.first()
    assert (item.inherent_score, item.residual_score, item.decision) == (20, 15, ReviewDecision.PENDING)
    with pytest.raises(ValidationError, match="already in progress"):
        reviews.review_start(approvers=[manager], by=lead, now=NOW)


def test_approvers_must_be_senior_management_and_there_must_be_risks(db, lead, staff, make_risk):
    with pytest.raises(ValidationError, match="no open risk"):
        reviews.review_start(approvers=[lead], by=lead, now=NOW)
    make_risk()
    with pytest.raises(ValidationError) as error:
        reviews.review_start(approvers=[staff], by=lead, now=NOW)
    assert "approvers" in error.value.error_dict
    with pytest.raises(ValidationError):
        reviews.review_start(approvers=[], by=lead, now=NOW)


def test_re_scoring_changes_the_risk_at_once_and_goes_into_its_history(three_risks, lead, manager):
    review = reviews.review_start(approvers=[manager], by=lead, now=NOW)
    item = review.items.get(risk=three_risks[0])
    reviews.item_decide(item=item, decision=ReviewDecision.RESCORED, levels=RESCORE, comment="vault in place", by=manager, now=NOW)
    risk = three_risks[0]
    risk.refresh_from_db()
    assert (risk.residual_likelihood, risk.residual_impact, risk.residual_score) == (2, 4, 8)
    change = risk.score_changes.first()
    assert change.reason == ScoreChangeReason.REVIEW and change.review == review and change.changed_by == manager
    item.refresh_from_db()
    assert item.new_residual_score == 8 and item.residual_score == 15 and item.comment == "vault in place"
    # changing one's mind back to "confirmed" restores the scores the risk had at the start
    reviews.item_decide(item=item, decision=ReviewDecision.CONFIRMED, by=manager, now=NOW)
    risk.refresh_from_db()
    assert risk.residual_score == 15 and risk.score_changes.count() == 3


def test_a_re_score_must_be_complete_consistent_and_different(three_risks, lead, manager):
    review = reviews.review_start(approvers=[manager], by=lead, now=NOW)
    item = review.items.first()
    with pytest.raises(ValidationError):
        reviews.item_decide(item=item, decision=ReviewDecision.RESCORED, levels={**RESCORE, "residual_impact": None}, by=manager, now=NOW)
    with pytest.raises(ValidationError):
        reviews.item_decide(item=item, decision=ReviewDecision.RESCORED, levels={**RESCORE, "residual_likelihood": 5}, by=manager, now=NOW)
    same = {"inherent_likelihood": 4, "inherent_impact": 5, "residual_likelihood": 3, "residual_impact": 5}
    with pytest.raises(ValidationError, match="confirm the risk instead"):
        reviews.item_decide(item=item, decision=ReviewDecision.RESCORED, levels=same, by=manager, now=NOW)


def test_only_approvers_or_a_lead_decide_and_only_approvers_sign(three_risks, lead, manager, other_manager):
    review = reviews.review_start(approvers=[manager], by=lead, now=NOW)
    item = review.items.first()
    with pytest.raises(ValidationError):
        reviews.item_decide(item=item, decision=ReviewDecision.CONFIRMED, by=other_manager, now=NOW)
    reviews.item_decide(item=item, decision=ReviewDecision.CONFIRMED, by=lead, now=NOW)  # the lead prepares
    decide_all(review, manager)
    with pytest.raises(ValidationError, match="approvers sign"):
        reviews.review_sign(review=review, signer=lead, step_up_at=NOW, now=NOW)


def test_a_review_cannot_be_signed_while_a_risk_waits(three_risks, lead, manager):
    review = reviews.review_start(approvers=[manager], by=lead, now=NOW)
    reviews.item_decide(item=review.items.first(), decision=ReviewDecision.CONFIRMED, by=manager, now=NOW)
    with pytest.raises(ValidationError, match="2 risks still wait"):
        reviews.review_sign(review=review, signer=manager, step_up_at=NOW, now=NOW)
    assert not RiskReviewSignature.objects.exists()


def test_completion_meets_the_obligation_and_the_next_is_due_12_calendar_months_later(three_risks, lead, manager, time_machine):
    before = open_obligation(KIND, None)
    assert before.due_at == (NOW - timedelta(days=30)).replace(year=2028)
    signed_at = datetime(2027, 8, 31, 15, 30, tzinfo=UTC)
    review = reviews.review_start(approvers=[manager], by=lead, now=signed_at - timedelta(days=3))
    decide_all(review, manager, now=signed_at - timedelta(days=1))
    reviews.review_sign(review=review, signer=manager, note="appetite stays 12", step_up_at=signed_at, now=signed_at)
    review.refresh_from_db()
    assert review.status == ReviewStatus.COMPLETED and review.completed_at == signed_at
    before.refresh_from_db()
    assert before.completed_at == signed_at and before.completed_by == manager
    following = open_obligation(KIND, None)
    assert following.due_at == datetime(2028, 8, 31, 15, 30, tzinfo=UTC)  # calendar months, time kept
    assert following.url == reverse("risks:reviews") and following.owner == before.owner
    for risk in three_risks:
        risk.refresh_from_db()
        assert risk.last_reviewed_at == signed_at

    def review_finding():
        row = requirement_row("1.6", timezone.now())
        return next(f for f in row.status.findings if f.name == "Annual senior-management risk review")

    time_machine.move_to(datetime(2028, 7, 1, tzinfo=UTC), tick=False)
    assert following.status == "open" and review_finding().status == "met"
    time_machine.move_to(datetime(2028, 8, 10, tzinfo=UTC), tick=False)
    assert following.status == "due_soon"  # the cadence's 30-day warning
    time_machine.move_to(datetime(2028, 8, 31, 15, 31, tzinfo=UTC), tick=False)
    assert following.status == "overdue"
    finding = review_finding()
    assert finding.status == "not_met" and "overdue" in finding.reason


def test_every_approver_signs_before_the_review_is_complete_and_decisions_lock(three_risks, lead, manager):
    review = reviews.review_start(approvers=[manager, lead], by=lead, now=NOW)
    decide_all(review, manager)
    reviews.review_sign(review=review, signer=manager, step_up_at=NOW, now=NOW)
    review.refresh_from_db()
    assert review.is_open and Obligation.objects.filter(kind=KIND, completed_at__isnull=False).count() == 0
    with pytest.raises(ValidationError, match="locked"):
        reviews.item_decide(item=review.items.first(), decision=ReviewDecision.RESCORED, levels=RESCORE, by=lead, now=NOW)
    with pytest.raises(ValidationError, match="already"):
        reviews.review_sign(review=review, signer=manager, step_up_at=NOW, now=NOW)
    reviews.review_sign(review=review, signer=lead, step_up_at=NOW + timedelta(hours=1), now=NOW + timedelta(hours=1))
    review.refresh_from_db()
    assert review.status == ReviewStatus.COMPLETED and review.completed_at == NOW + timedelta(hours=1)


def test_the_report_selector_gives_the_review_with_its_decisions_and_signatures(three_risks, lead, manager):
    review = reviews.review_start(approvers=[manager], by=lead, now=NOW)
    first = review.items.get(risk=three_risks[0])
    reviews.item_decide(item=first, decision=ReviewDecision.RESCORED, levels=RESCORE, comment="lower", by=manager, now=NOW)
    decide_rest = review.items.exclude(pk=first.pk)
    for item in decide_rest:
        reviews.item_decide(item=item, decision=ReviewDecision.CONFIRMED, by=manager, now=NOW)
    reviews.review_sign(review=review, signer=manager, note="ok", step_up_at=NOW, now=NOW + timedelta(minutes=1))
    [found] = annual_reviews(NOW - timedelta(days=1), NOW + timedelta(days=1))
    assert (found.total, found.confirmed, found.rescored, found.pending) == (3, 2, 1, 0)
    assert found.is_complete and found.approvers == ("Tom Becker",)
    assert found.signatures[0].signer == "Tom Becker" and found.signatures[0].step_up_at == NOW
    rescored = next(item for item in found.items if item.decision == ReviewDecision.RESCORED)
    assert (rescored.residual_before, rescored.residual_after, rescored.comment) == (15, 8, "lower")
    assert annual_reviews(NOW + timedelta(days=2), NOW + timedelta(days=3)) == []
    assert annual_reviews(NOW - timedelta(days=9), NOW - timedelta(days=2)) == []


def test_signing_in_the_browser_needs_a_fresh_one_time_code(client, make_risk, lead, manager):
    make_risk(now=timezone.now())
    review = reviews.review_start(approvers=[manager], by=lead, now=timezone.now())
    decide_all(review, manager, now=timezone.now())
    url = reverse("risks:review_sign", args=[review.pk])
    signed_in(client, manager)
    stepped_up(client, timezone.now() - timedelta(minutes=30))
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:step_up"))
    assert not RiskReviewSignature.objects.exists()
    stepped_up(client)
    response = client.post(url, {"confirm": "on", "note": "approved"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.COMPLETED
    assert RiskReviewSignature.objects.get().note == "approved"


def test_deciding_in_the_review_page(client, three_risks, lead, manager):
    review = reviews.review_start(approvers=[manager], by=lead, now=timezone.now())
    item = review.items.get(risk=three_risks[1])
    signed_in(client, manager)
    page = client.get(review.get_absolute_url())
    assert page.status_code == 200 and page.content.decode().count('data-testid="confirm"') == 3
    response = client.post(reverse("risks:item_decide", args=[item.pk]), {"decision": "rescored", **RESCORE, "comment": "c"})
    assert response.status_code == 302 and response.url.endswith(f"#item-{item.pk}")
    item.refresh_from_db()
    assert item.decision == ReviewDecision.RESCORED and item.new_residual_score == 8
    response = client.post(reverse("risks:item_decide", args=[item.pk]), {"decision": "rescored"}, follow=True)
    page = response.content.decode()
    assert f"{item.risk.reference}: Inherent likelihood must be a whole number from 1 to 5" in page  # the service refused
    item.refresh_from_db()
    assert item.new_residual_score == 8
    assert RiskReview.objects.get().items.filter(decision=ReviewDecision.PENDING).count() == 2
