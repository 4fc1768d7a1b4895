"""Raising a risk from an incident, an access-review finding, an asset flag or a vulnerability
finding: each of those pages links to the risk form, which keeps the link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grc.risks.models import Risk
from tests.conftest import signed_in
from tests.risks.conftest import risk_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(lead):
    from access_reviews.services.registry import account_create, system_create
    from assets.models import Finding
    from assets.services.inventory import asset_create
    from incidents.services import incident_report

    now = timezone.now()
    system = system_create(data={"name": "AWS production", "owner": lead}, by=lead, now=now)
    account = account_create(data={"system": system, "name": "ravi", "mfa": "no", "privilege": "ReadOnly"}, by=lead, now=now)
    laptop = asset_create(
        data={
            "tag": "LT-0003",
            "name": "ThinkPad",
            "kind": "hardware",
            "owner": lead,
            "hardware_type": "laptop",
            "ownership": "company",
            "holds_amazon_information": True,
        },
        by=lead,
        now=now,
    )
    incident = incident_report(
        by=lead,
        title="Token used from an unknown network",
        description="d",
        detected_at=now - timedelta(hours=2),
        assets=[laptop],
        systems=[system],
        now=now,
    )
    finding = Finding.objects.create(
        title="OpenSSH regreSSHion",
        severity="high",
        asset=laptop,
        owner=lead,
        found_at=now,
        due_at=now + timedelta(days=30),
        created_by=lead,
    )
    return {
        "incident": (incident.get_absolute_url(), f"incident:{incident.pk}", incident),
        "access_finding": (reverse("access_reviews:account_detail", args=[account.pk]), f"access_finding:{account.pk}", account),
        "asset_flag": (laptop.get_absolute_url(), f"asset_flag:{laptop.pk}", laptop),
        "vulnerability": (finding.get_absolute_url(), f"vulnerability:{finding.pk}", finding),
        "system": system,
        "laptop": laptop,
    }


@pytest.mark.parametrize("kind", ["incident", "access_finding", "asset_flag", "vulnerability"])
def test_each_source_page_links_to_the_risk_form_and_the_link_is_kept(records, kind, lead):
    page_url, source, record = records[kind]
    client = signed_in(Client(), lead)
    page = client.get(page_url)
    assert page.status_code == 200
    link = f"{reverse('risks:create')}?source={source}"
    assert link in page.content.decode()
    form = client.get(link)
    assert form.status_code == 200 and 'data-testid="risk-source"' in form.content.decode()
    response = client.post(link, {**risk_data(title=f"From {kind}"), "owner": lead.pk, "source": source})
    risk = Risk.objects.get()
    assert response.status_code == 302
    assert (risk.source_type, risk.source_id) == (kind, record.pk)
    detail = client.get(risk.get_absolute_url()).content.decode()
    assert f'href="{page_url}" data-testid="risk-source"' in detail


def test_the_form_is_prefilled_from_the_record(records, lead):
    client = signed_in(Client(), lead)
    initial = client.get(reverse("risks:create"), {"source": records["incident"][1]}).context["form"].initial
    assert initial["affected_assets"] == [records["laptop"].pk] and initial["affected_systems"] == [records["system"].pk]
    initial = client.get(reverse("risks:create"), {"source": records["access_finding"][1]}).context["form"].initial
    assert initial["affected_systems"] == [records["system"].pk] and "1.4" in initial["clauses"]  # the account has no MFA


def test_staff_and_auditors_see_no_raise_link(records, staff, auditor):
    from incidents.services import incident_report

    now = timezone.now()
    own = incident_report(by=staff, title="Lost phone", description="", detected_at=now, now=now)
    page = signed_in(Client(), staff).get(own.get_absolute_url())
    assert page.status_code == 200 and reverse("risks:create") not in page.content.decode()
    page = signed_in(Client(), auditor).get(records["vulnerability"][0])
    assert page.status_code == 200 and reverse("risks:create") not in page.content.decode()
