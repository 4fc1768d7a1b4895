"""The register's pages: a fixed number of queries at any size, filters, the CSV export, recording
a risk (also raised from another record), a risk's page with its history, and the dashboard flag."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from grc.audit.models import AuditEvent
from grc.risks.models import AcceptanceStatus, ActionStatus, Risk, RiskAcceptance, RiskStatus, SourceType, TreatmentAction
from grc.risks.services import treatment
from tests.conftest import signed_in
from tests.risks.conftest import risk_data

pytestmark = pytest.mark.django_db


def bulk_risks(count: int, owner, now):
    """``count`` risks of every shape straight into the tables (the page is under test, not the services)."""
    before = list(Risk.objects.values_list("pk", flat=True))
    risks = []
    for n in range(count):
        il, ii = 1 + n % 5, 1 + (n // 5) % 5
        rl, ri = max(1, il - n % 2), ii
        risks.append(
            Risk(
                title=f"Bulk risk {n}",
                threat="t",
                vulnerability="v",
                owner=owner,
                inherent_likelihood=il,
                inherent_impact=ii,
                inherent_score=il * ii,
                residual_likelihood=rl,
                residual_impact=ri,
                residual_score=rl * ri,
                treatment=["", "mitigate", "accept", "transfer", "avoid"][n % 5],
                clauses=["1.4", "2.1"][: 1 + n % 2],
                source_type=SourceType.ASSET_FLAG if n % 7 == 0 else "",
                source_id=n + 1 if n % 7 == 0 else None,
                identified_at=now,
                updated_at=now,
            )
        )
    Risk.objects.bulk_create(risks)
    made = list(Risk.objects.exclude(pk__in=before).order_by("pk"))
    TreatmentAction.objects.bulk_create(
        TreatmentAction(risk=risk, title="a", owner=owner, due_at=now + timedelta(days=n % 20 - 5)) for n, risk in enumerate(made) if n % 3
    )
    RiskAcceptance.objects.bulk_create(
        RiskAcceptance(
            risk=risk,
            rationale="r",
            expires_at=now + timedelta(days=30),
            status=AcceptanceStatus.PENDING,
            requested_by=owner,
            requested_at=now,
        )
        for n, risk in enumerate(made)
        if n % 4 == 0
    )


def queries_for(client, url, params=None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured)


def test_the_register_needs_the_same_queries_for_10_or_500_risks(client, lead):
    now = timezone.now()
    bulk_risks(10, lead, now)
    signed_in(client, lead)
    url = reverse("risks:index")
    client.get(url)  # warm the session and caches
    small = queries_for(client, url, {"size": 200})
    bulk_risks(490, lead, now)
    large = queries_for(client, url, {"size": 200})
    # session, user, device, page count, rows, two heat-map aggregates, the summary aggregate,
    # the owner filter's choices, session save (3, in a savepoint)
    assert small == large == 12
    assert client.get(url, {"size": 200}).content.decode().count('data-risk="RSK-') == 200


def test_the_flag_filter_lists_risks_above_the_appetite_without_a_plan(client, lead, make_risk):
    untreated = make_risk(title="Untreated", residual_likelihood=4, residual_impact=5, inherent_likelihood=4, inherent_impact=5)
    planned = make_risk(title="Planned", treatment="mitigate")
    treatment.action_add(risk=planned, title="x", owner=lead, due_at=timezone.now() + timedelta(days=3), by=lead, now=timezone.now())
    make_risk(title="Within appetite", residual_likelihood=2, residual_impact=4)
    signed_in(client, lead)
    page = client.get(reverse("risks:index"), {"flag": "no_plan"}).content.decode()
    assert page.count('data-risk="RSK-') == 1 and f'data-risk="{untreated.reference}"' in page
    page = client.get(reverse("risks:index"), {"flag": "above_appetite"}).content.decode()
    assert page.count('data-risk="RSK-') == 2
    page = client.get(reverse("risks:index")).content.decode()
    assert 'class="risk-untreated"' in page and page.count("risk-untreated") == 1


def test_closed_risks_are_hidden_unless_asked_for(client, lead, make_risk):
    from grc.risks.services.register import risk_close

    risk_close(risk=make_risk(title="Gone"), reason="retired", by=lead, now=timezone.now())
    make_risk(title="Still here")
    signed_in(client, lead)
    assert "Gone" not in client.get(reverse("risks:index")).content.decode()
    assert "Gone" in client.get(reverse("risks:index"), {"status": "closed"}).content.decode()
    assert client.get(reverse("risks:index"), {"status": "all"}).content.decode().count('data-risk="RSK-') == 2


def test_filters_by_clause_band_treatment_and_text(client, lead, make_risk):
    make_risk(title="Retention", clauses=["2.1"], residual_likelihood=1, residual_impact=2)
    make_risk(title="Keys", clauses=["1.4"], treatment="mitigate")
    signed_in(client, lead)

    def titles(**params):
        page = client.get(reverse("risks:index"), params).content.decode()
        return {title for title in ("Retention", "Keys") if f">{title}</a>" in page}

    assert titles(clause="2.1") == {"Retention"}
    assert titles(clause="1.4") == {"Keys"}
    assert titles(band="low") == {"Retention"} and titles(band="high") == {"Keys"}
    assert titles(treatment="none") == {"Retention"} and titles(treatment="mitigate") == {"Keys"}
    assert titles(q="ret") == {"Retention"}


def test_the_empty_register_says_what_to_do_next(client, lead, auditor):
    page = signed_in(client, lead).get(reverse("risks:index")).content.decode()
    assert "No risks recorded yet" in page and reverse("risks:create") in page


def test_the_csv_export_is_the_filtered_register_neutralised_and_audited(client, lead, make_risk):
    make_risk(title='=HYPERLINK("http://evil")', threat="+cmd")
    make_risk(title="Other", clauses=["2.1"])
    signed_in(client, lead)
    response = client.get(reverse("risks:export"), {"clause": "1.4"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["Reference", "Title", "Status", "Owner"] and len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Title"].startswith("'=") and row["Threat"] == "'+cmd"
    assert row["Inherent score"] == "20" and row["Residual band"] == "high" and row["Above appetite"] == "yes"
    assert row["Residual likelihood"] == "3 · Possible" and row["Flags"] == "no treatment plan; above appetite"
    event = AuditEvent.objects.get(action="download")
    assert event.details == {"what": "csv", "count": 1}


def test_recording_a_risk_in_the_form(client, lead):
    signed_in(client, lead)
    data = {**risk_data(), "owner": lead.pk, "clauses": ["1.4", "2.5"], "treatment": "mitigate"}
    response = client.post(reverse("risks:create"), data)
    risk = Risk.objects.get()
    assert response.status_code == 302 and response.url == risk.get_absolute_url()
    assert risk.residual_score == 15 and risk.clauses == ["1.4", "2.5"] and risk.created_by == lead
    page = client.get(response.url).content.decode()
    assert "no treatment plan" in page and "3 · Possible" in page and "Score history" in page


def test_the_form_refuses_a_residual_above_the_inherent_next_to_the_field(client, lead):
    signed_in(client, lead)
    response = client.post(reverse("risks:create"), {**risk_data(), "owner": lead.pk, "residual_impact": 5, "inherent_impact": 3})
    assert response.status_code == 200 and not Risk.objects.exists()
    assert 'data-field-error="residual_impact"' in response.content.decode()


def test_a_risk_raised_from_a_vulnerability_finding_is_prefilled_and_keeps_the_link(client, lead):
    from assets.models import Asset, Finding

    asset = Asset.objects.create(tag="SRV-0001", name="Bastion", kind="hardware", owner=lead)
    now = timezone.now()
    finding = Finding.objects.create(
        title="OpenSSH regreSSHion",
        severity="high",
        asset=asset,
        owner=lead,
        found_at=now,
        due_at=now + timedelta(days=30),
        created_by=lead,
    )
    signed_in(client, lead)
    form = client.get(reverse("risks:create"), {"source": f"vulnerability:{finding.pk}"})
    context = form.context["form"]
    assert context.initial["title"] == "OpenSSH regreSSHion" and context.initial["affected_assets"] == [asset.pk]
    assert "2.7" in context.initial["clauses"] and "Vulnerability finding OpenSSH regreSSHion" in form.content.decode()
    data = {
        **risk_data(title="OpenSSH on the bastion"),
        "owner": lead.pk,
        "source": f"vulnerability:{finding.pk}",
        "affected_assets": [asset.pk],
    }
    client.post(reverse("risks:create"), data)
    risk = Risk.objects.get()
    assert (risk.source_type, risk.source_id) == ("vulnerability", finding.pk)
    assert list(risk.affected_assets.all()) == [asset]
    page = client.get(risk.get_absolute_url()).content.decode()
    assert reverse("assets:finding_detail", args=[finding.pk]) in page


def test_an_unknown_source_is_said_and_ignored(client, lead):
    signed_in(client, lead)
    response = client.get(reverse("risks:create"), {"source": "incident:999999"})
    assert "was not found" in response.content.decode()
    client.post(reverse("risks:create"), {**risk_data(), "owner": lead.pk, "source": "incident:999999"})
    assert Risk.objects.get().source_type == ""


def test_the_detail_page_shows_actions_acceptance_and_history(client, lead, manager, make_risk):
    risk = make_risk(treatment="mitigate")
    now = timezone.now()
    treatment.action_add(risk=risk, title="Vault the secret", owner=manager, due_at=now + timedelta(days=3), by=lead, now=now)
    signed_in(client, lead)
    page = client.get(risk.get_absolute_url()).content.decode()
    assert "Vault the secret" in page and "1 action open" in page and 'data-testid="action-form"' in page
    assert AuditEvent.objects.filter(action="risks.risk.viewed", object_id=str(risk.pk)).exists()
    response = client.post(reverse("risks:action_create", args=[risk.pk]), {"title": "", "owner": lead.pk, "due_at": ""})
    assert response.status_code == 200 and TreatmentAction.objects.count() == 1


def test_closing_and_reopening_through_the_pages(client, lead, make_risk):
    risk = make_risk()
    signed_in(client, lead)
    assert client.post(reverse("risks:close", args=[risk.pk]), {"reason": ""}).status_code == 200
    client.post(reverse("risks:close", args=[risk.pk]), {"reason": "replaced"})
    risk.refresh_from_db()
    assert risk.status == RiskStatus.CLOSED
    client.post(reverse("risks:reopen", args=[risk.pk]))
    risk.refresh_from_db()
    assert risk.status == RiskStatus.OPEN


def test_the_dashboard_flags_risks_above_the_appetite_without_a_plan(client, lead, make_risk, settings):
    make_risk(title="Console without MFA", inherent_likelihood=4, inherent_impact=5, residual_likelihood=4, residual_impact=5)
    signed_in(client, lead)
    page = client.get(reverse("compliance:dashboard")).content.decode()
    assert "1 risk above the appetite score 12 without a treatment plan" in page
    settings.RISK_APPETITE_SCORE = 20
    page = client.get(reverse("compliance:dashboard")).content.decode()
    assert "without a treatment plan" not in page


def test_open_actions_are_cancelled_on_closing(lead, make_risk):
    from grc.risks.services.register import risk_close

    risk = make_risk()
    now = timezone.now()
    action = treatment.action_add(risk=risk, title="a", owner=lead, due_at=now + timedelta(days=1), by=lead, now=now)
    risk_close(risk=risk, reason="r", by=lead, now=now)
    action.refresh_from_db()
    assert action.status == ActionStatus.CANCELLED


def test_the_review_page_needs_the_same_queries_for_10_or_500_risks(client, lead, manager):
    from grc.risks.models import RiskReview
    from grc.risks.services.reviews import review_start

    now = timezone.now()
    counts = {}
    for count in (10, 500):
        RiskReview.objects.all().delete()
        Risk.objects.all().delete()
        bulk_risks(count, lead, now)
        review = review_start(approvers=[manager], by=lead, now=now)
        signed_in(client, manager)
        client.get(review.get_absolute_url())
        counts[count] = queries_for(client, review.get_absolute_url())
        assert client.get(review.get_absolute_url()).content.decode().count('data-testid="confirm"') == min(count, 50)
    # session, user, device, review, approver ids, the audited view (6-7, with the canary check),
    # item count, totals, signatures, items, approvers, session save (3)
    assert counts[10] == counts[500] <= 21
