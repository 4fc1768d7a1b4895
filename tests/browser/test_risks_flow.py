"""The risk register in Chromium (DPP 1.6): the lead records a risk with its words for likelihood
and impact, sees it flagged above the appetite and in the heat map, gives it an action, then runs
the annual review — confirms one risk, re-scores the other and signs (the sign-in code is the
fresh step-up); the next review is due 12 months later."""

from __future__ import annotations

import pytest
from django.utils import timezone

from grc.compliance.services import open_obligation
from grc.risks.models import ReviewDecision, ReviewStatus, Risk, RiskReview
from grc.risks.services.register import risk_create
from grc.timefmt import add_months
from tests.risks.conftest import risk_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_risk_is_recorded_treated_and_the_annual_review_completed(visitor, lead):
    risk_create(
        data=risk_data(title="Buyer PII kept past 30 days", owner=lead, clauses=["2.1"], residual_likelihood=2, residual_impact=4),
        by=lead,
        now=timezone.now(),
    )
    page = visitor.login(lead)
    page = visitor.goto("/risks/")
    visitor.shot("register")
    page.get_by_role("link", name="Record a risk").click()
    page.fill("#id_title", "Cloud console account without MFA")
    page.fill("#id_threat", "Credential stuffing or phishing of an AWS console password.")
    page.fill("#id_vulnerability", "An engineer's console account has no MFA device.")
    page.select_option("#id_inherent_likelihood", "4")
    page.select_option("#id_inherent_impact", "5")
    page.select_option("#id_residual_likelihood", "4")
    page.select_option("#id_residual_impact", "5")
    assert page.locator("[data-score-of=residual]").inner_text() == "score 20 · critical"  # the live preview
    page.get_by_label("1.4 Credential Management").check()
    visitor.shot("form")
    page.get_by_role("button", name="Record the risk").click()
    risk = Risk.objects.get(title="Cloud console account without MFA")
    page.wait_for_url(f"**{risk.get_absolute_url()}")
    assert "no treatment plan" in page.locator("[data-testid=risk-badges]").inner_text()
    assert page.locator("[data-testid=no-plan-alert]").is_visible()
    assert "4 · Likely" in page.locator("[data-testid=scores]").inner_text()
    visitor.shot("recorded-flagged")

    # the register flags it, and the residual heat map's 4×5 cell lists it
    page = visitor.goto("/risks/")
    assert page.locator("[data-testid=no-plan-count] .stat-value").inner_text() == "1"
    page.locator("[data-testid=heatmap-residual] a[href*='residual=4-5']").click()
    page.wait_for_url("**/risks/?residual=4-5")
    assert page.locator("[data-testid=risk-table] tbody tr").count() == 1
    visitor.shot("heatmap-cell")

    # an action is the treatment plan: the flag goes
    page = visitor.goto(risk.get_absolute_url())
    page.get_by_role("link", name="Edit").click()
    page.select_option("#id_treatment", "mitigate")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**{risk.get_absolute_url()}")
    page.fill("[data-testid=action-form] #id_title", "Enforce MFA with an IAM policy")
    page.fill("[data-testid=action-form] #id_due_at", "2030-01-31T17:00")
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_url(f"**{risk.get_absolute_url()}")
    assert "Enforce MFA with an IAM policy" in page.locator("[data-testid=actions-table]").inner_text()
    assert page.locator("[data-testid=no-plan-alert]").count() == 0
    visitor.shot("treated")

    # the annual review: the lead is the senior-management approver here
    page = visitor.goto("/risks/reviews/")
    visitor.shot("reviews-empty")
    page.get_by_role("link", name="Start the annual review").first.click()
    page.get_by_label(lead.get_full_name()).check()
    page.get_by_role("button", name="Start the review").click()
    review = RiskReview.objects.get()
    page.wait_for_url(f"**{review.get_absolute_url()}")
    visitor.shot("review-started")
    row = page.locator(f"tr[data-item='{risk.reference}']")
    row.locator("summary", has_text="Re-score").click()
    row.locator("select[name=residual_likelihood]").select_option("2")
    row.locator("textarea[name=comment]").fill("An IAM policy now denies console use without MFA.")
    row.get_by_role("button", name="Save the new scores").click()
    page.wait_for_load_state("networkidle")
    other = page.locator("tr[data-decision=pending]")
    assert other.count() == 1
    other.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=review-progress]").inner_text().endswith("0 not decided")
    visitor.shot("review-decided")
    page.get_by_role("link", name="Sign the review").click()
    page.fill("#id_note", "Appetite stays at 12.")
    page.check("#id_confirm")
    visitor.shot("sign")
    page.get_by_role("button", name="Sign the review").click()
    page.wait_for_url(f"**{review.get_absolute_url()}")
    review.refresh_from_db()
    assert review.status == ReviewStatus.COMPLETED
    assert "completed" in page.locator("[data-testid=review-status]").inner_text()
    assert review.items.get(risk=risk).decision == ReviewDecision.RESCORED
    risk.refresh_from_db()
    assert risk.residual_score == 10
    following = open_obligation("risks.annual_review", None)
    assert following.due_at == add_months(review.completed_at, 12)
    visitor.shot("review-complete")
    page = visitor.goto("/risks/reviews/")
    assert page.locator("[data-testid=review-clock] .countdown").inner_text().startswith("due in")
    page = visitor.goto(risk.get_absolute_url())
    assert "Re-scored in the annual review" in page.locator("[data-testid=history]").inner_text()
    visitor.shot("history")
