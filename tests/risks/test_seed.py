"""seed_demo's risk register: realistic SP-API risks, links kept to the records they were raised
from, one completed annual review, and the dashboard flag for the one without a plan."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from grc.compliance.services import open_obligation
from grc.risks.models import ReviewStatus, Risk, RiskReview, RiskStatus, SourceType
from grc.risks.obligations import check_risk_register
from grc.risks.rules import Flag
from grc.risks.selectors import risk_register
from grc.timefmt import add_months

pytestmark = pytest.mark.django_db


def test_the_demo_register_tells_a_complete_story(capsys):
    call_command("seed_demo")
    assert "Risk register: 9 risks" in capsys.readouterr().out
    now = timezone.now()
    titles = set(Risk.objects.values_list("title", flat=True))
    assert {"Leaked SP-API / LWA credentials", "Buyer PII kept past 30 days after delivery", "Cloud console account without MFA"} <= titles
    assert {"Unpatched laptop with Amazon Information"} <= titles
    assert Risk.objects.filter(status=RiskStatus.CLOSED).count() == 1
    sources = set(Risk.objects.exclude(source_type="").values_list("source_type", flat=True))
    assert sources == {SourceType.INCIDENT, SourceType.ACCESS_FINDING, SourceType.ASSET_FLAG, SourceType.VULNERABILITY}

    review = RiskReview.objects.get()
    assert review.status == ReviewStatus.COMPLETED and review.signatures.count() == 1
    assert open_obligation("risks.annual_review", None).due_at == add_months(review.completed_at, 12)

    register = risk_register(now=now)
    flagged = [entry.title for entry in register.entries if Flag.NO_PLAN in entry.flags]
    assert flagged == ["Cloud console account without MFA"]
    assert any(Flag.ACTIONS_OVERDUE in entry.flags for entry in register.entries)
    assert any(entry.treatment == "accept" and entry.plan_in_place for entry in register.entries)
    result = check_risk_register(now)
    assert result.status == "not_met" and result.reason.startswith("1 risk above the appetite score 12 without a treatment plan")
