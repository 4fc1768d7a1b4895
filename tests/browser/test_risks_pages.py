"""The seeded risk register in Chromium: the register with both heat maps, a risk's page, the
annual review, and the dashboard flag for the risk above the appetite without a plan."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from grc.risks.models import Risk, RiskReview

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_seeded_register_and_its_flag_on_the_dashboard(visitor, lead):
    call_command("seed_demo")  # the demo organisation, with our lead as its security lead
    page = visitor.login(lead)
    page.set_viewport_size({"width": 1366, "height": 768})
    page = visitor.goto("/")
    attention = page.locator("[data-testid=posture]").inner_text()
    assert "1 risk above the appetite score 12 without a treatment plan" in attention
    visitor.shot("dashboard")

    page = visitor.goto("/risks/")
    assert page.locator("[data-testid=risk-table] tbody tr").count() == 8
    assert page.locator("[data-testid=heatmap-inherent] svg .heatmap-cell").count() == 25
    assert page.locator("tr.risk-untreated").inner_text().startswith("RSK-")
    visitor.shot("register")
    page.locator("[data-testid=no-plan-count]").click()
    page.wait_for_url("**/risks/?flag=no_plan")
    assert page.locator("[data-testid=risk-table] tbody tr").count() == 1
    visitor.shot("register-no-plan")

    credentials = Risk.objects.get(title="Leaked SP-API / LWA credentials")
    page = visitor.goto(credentials.get_absolute_url())
    assert "Incident INC-" in page.locator("[data-testid=risk-source]").inner_text()
    assert page.locator("[data-testid=history] tbody tr").count() == 2
    visitor.shot("risk")

    page = visitor.goto(RiskReview.objects.get().get_absolute_url())
    assert "completed" in page.locator("[data-testid=review-status]").inner_text()
    visitor.shot("review")
    page = visitor.goto("/risks/reviews/")
    visitor.shot("reviews")
