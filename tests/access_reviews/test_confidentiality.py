"""Confidentiality agreements (DPP 2.2): a person with PII access and no agreement in force is
flagged on their page, in access reviews and in the status of clause 2.2."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from access_reviews import confidentiality_urls
from access_reviews.confidentiality import CHECK_NAME, check_confidentiality, people_without_agreement, person_status
from access_reviews.flags import needs_confidentiality_agreement
from access_reviews.models import Account
from access_reviews.services.campaigns import campaign_start
from access_reviews.services.confidentiality import agreement_record
from access_reviews.services.registry import person_terminate, system_update
from assets.models import Asset
from grc.accounts.permissions import LEAD_OR_AUDITOR, READERS, SECURITY_LEAD
from grc.audit.models import AuditEvent
from grc.compliance.registry import checks_for
from tests.access_reviews.conftest import NOW
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
TODAY = NOW.date()


@pytest.fixture
def pii(registry, lead):
    """The Order DB system, linked to an inventory data store holding PII; Lee (staff) has an account."""
    store = Asset.objects.create(tag="DS-0001", name="Orders PostgreSQL", kind="data_store", owner=lead, holds_pii=True)
    system = registry.system("Order DB")
    system_update(system=system, data={"asset": store}, by=lead, now=NOW)
    account = registry.account(system, "lee", registry.staff)
    return {"system": system, "store": store, "account": account}


def sign(registry, person, *, signed_on=date(2025, 1, 2), valid_until=None, reference="Employment contract, clause 12"):
    return agreement_record(
        person=person, signed_on=signed_on, valid_until=valid_until, reference=reference, by=registry.lead_user, now=NOW
    )


def test_the_rule():
    assert needs_confidentiality_agreement(has_pii_access=True, has_current_agreement=False)
    assert not needs_confidentiality_agreement(has_pii_access=True, has_current_agreement=True)
    assert not needs_confidentiality_agreement(has_pii_access=False, has_current_agreement=False)


def test_a_person_with_pii_access_and_no_agreement_is_flagged(registry, pii):
    assert list(people_without_agreement(TODAY)) == [registry.staff]
    status = person_status(registry.staff, TODAY)
    assert status["flagged"] and status["pii_systems"] == [pii["system"]] and status["current"] is None
    sign(registry, registry.staff)
    assert not people_without_agreement(TODAY).exists() and not person_status(registry.staff, TODAY)["flagged"]


def test_an_agreement_past_its_end_or_not_yet_signed_does_not_count(registry, pii):
    sign(registry, registry.staff, signed_on=date(2025, 1, 2), valid_until=TODAY - timedelta(days=1))
    assert list(people_without_agreement(TODAY)) == [registry.staff]
    assert list(people_without_agreement(date(2025, 6, 1))) == []


def test_only_enabled_accounts_on_pii_systems_of_active_people_count(registry, pii, lead):
    other = registry.system("Wiki")  # not linked to a PII asset
    registry.account(other, "tom", registry.manager)
    assert list(people_without_agreement(TODAY)) == [registry.staff]
    Account.objects.filter(pk=pii["account"].pk).update(enabled=False)
    assert not people_without_agreement(TODAY).exists()
    Account.objects.filter(pk=pii["account"].pk).update(enabled=True)
    Asset.objects.filter(pk=pii["store"].pk).update(holds_pii=False)
    assert not people_without_agreement(TODAY).exists()
    Asset.objects.filter(pk=pii["store"].pk).update(holds_pii=True)
    person_terminate(person=registry.staff, terminated_at=NOW, by=lead, now=NOW)
    assert not people_without_agreement(TODAY).exists()


def test_an_agreement_needs_a_document_or_a_reference_and_a_past_date(registry):
    with pytest.raises(ValidationError) as error:
        sign(registry, registry.staff, reference="")
    assert "reference" in error.value.message_dict
    with pytest.raises(ValidationError):
        sign(registry, registry.staff, signed_on=TODAY + timedelta(days=2))
    with pytest.raises(ValidationError):
        sign(registry, registry.staff, signed_on=date(2025, 1, 2), valid_until=date(2024, 1, 1))


# --- DPP 2.2 status -------------------------------------------------------------------------------
def test_the_check_is_registered_for_2_2():
    assert CHECK_NAME in [name for name, _ in checks_for("2.2")]


def test_the_check_says_not_tracked_until_a_system_is_linked_to_a_pii_asset(registry):
    assert check_confidentiality(NOW).status == "not_tracked"


def test_the_check_is_not_met_while_someone_is_flagged(registry, pii):
    result = check_confidentiality(NOW)
    assert (result.status, result.reason) == ("not_met", "1 of 1 person with PII access has no confidentiality agreement in force")
    assert result.url == reverse("confidentiality:overview")
    sign(registry, registry.staff)
    met = check_confidentiality(NOW)
    assert (met.status, met.reason) == ("met", "all 1 person with PII access have a confidentiality agreement in force")


# --- where the flag shows -------------------------------------------------------------------------
def test_the_person_page_shows_the_flag_and_the_agreements(registry, pii, client, lead):
    url = reverse("access_reviews:person_detail", args=[registry.staff.pk])
    page = signed_in(client, lead).get(url).content.decode()
    assert 'data-testid="confidentiality-panel"' in page and 'data-flag="no_confidentiality"' in page
    assert "Processes PII through Order DB" in page
    sign(registry, registry.staff)
    page = client.get(url).content.decode()
    assert 'data-flag="no_confidentiality"' not in page and "in force" in page


def test_access_reviews_flag_the_row_and_list_the_people(registry, pii, client, lead, manager):
    from datetime import date as day

    campaign = campaign_start(
        period="2026-Q4", period_start=day(2026, 10, 1), period_end=day(2026, 12, 31), effective_at=NOW, by=lead, now=NOW
    )
    review = signed_in(Client(), manager).get(reverse("access_reviews:review_page", args=[campaign.pk])).content.decode()
    assert 'data-flag="no_confidentiality"' in review
    detail = signed_in(client, lead).get(reverse("access_reviews:campaign_detail", args=[campaign.pk])).content.decode()
    assert 'data-testid="confidentiality-gaps"' in detail and registry.staff.person_id in detail
    sign(registry, registry.staff)
    review = signed_in(Client(), manager).get(reverse("access_reviews:review_page", args=[campaign.pk])).content.decode()
    assert 'data-flag="no_confidentiality"' not in review


def test_the_overview_lists_people_with_pii_access_flagged(registry, pii, client, auditor):
    response = signed_in(client, auditor).get(reverse("confidentiality:overview"))
    assert response.status_code == 200 and response.context["flagged_count"] == 1
    assert [p.pk for p in response.context["rows"]] == [registry.staff.pk] and response.context["rows"][0].flagged


# --- pages ----------------------------------------------------------------------------------------
MATRIX = {"overview": READERS, "create": SECURITY_LEAD, "document": LEAD_OR_AUDITOR}


def test_every_url_declares_the_roles_of_the_matrix():
    assert {p.name for p in confidentiality_urls.urlpatterns} == set(MATRIX)
    for pattern in confidentiality_urls.urlpatterns:
        assert pattern.callback.allowed_roles == tuple(str(role) for role in MATRIX[pattern.name]), pattern.name


def test_the_lead_records_an_agreement_with_its_document_and_the_auditor_downloads_it(
    registry, pii, lead, manager, auditor, staff, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    create = reverse("confidentiality:create", args=[registry.staff.pk])
    assert signed_in(Client(), manager).get(create).status_code == 403
    assert signed_in(Client(), staff).get(create).status_code == 403
    upload = SimpleUploadedFile("contract.pdf", b"%PDF-1.4 signed contract", content_type="application/pdf")
    response = signed_in(Client(), lead).post(create, {"signed_on": "2025-01-02", "reference": "", "document": upload})
    assert response.status_code == 302
    agreement = registry.staff.confidentiality_agreements.get()
    assert agreement.document_name == f"confidentiality-{registry.staff.person_id}.pdf" and len(agreement.document_sha256) == 64
    document = reverse("confidentiality:document", args=[agreement.pk])
    download = signed_in(Client(), auditor).get(document)
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 signed contract"
    assert download["Content-Disposition"].startswith("attachment")
    assert AuditEvent.objects.filter(action="download", object_id=str(agreement.pk)).exists()
    assert signed_in(Client(), manager).get(document).status_code == 403
    created = AuditEvent.objects.get(action="access_reviews.confidentialityagreement.created")
    assert "Lee" not in f"{created.message} {created.details}"


def test_a_bad_form_says_what_is_wrong(registry, lead):
    create = reverse("confidentiality:create", args=[registry.staff.pk])
    response = signed_in(Client(), lead).post(create, {"signed_on": "2025-01-02", "reference": ""})
    assert response.status_code == 200 and 'data-field-error="reference"' in response.content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_the_overview_needs_the_same_queries_at_any_size(registry, pii, client, lead, count, django_assert_max_num_queries):
    for i in range(count):
        person = registry.person(f"Person{i}", "Tester")
        registry.account(pii["system"], f"user{i}", person)
        if i % 2:
            sign(registry, person)
    signed_in(client, lead).get(reverse("confidentiality:overview"))
    with django_assert_max_num_queries(11):  # session, user, device, audit, count, page, agreements …
        response = client.get(reverse("confidentiality:overview"))
    rows = response.context["rows"]
    assert rows[0].flagged and not rows[-1].flagged  # people without an agreement first
