"""Importing an AWS IAM credential report through the pages, in Chromium (issue 24): the source is
guessed from the header, the file is checked without a mapping step, and the reviewer answers the
"service account?" suggestion on the account's page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from access_reviews.models import Account
from access_reviews.services.registry import system_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SAMPLE = Path(__file__).parent.parent / "access_reviews" / "samples" / "aws_iam_credential_report.csv"


def test_the_lead_imports_an_aws_credential_report_and_confirms_a_service_account(visitor, lead):
    system = system_create(
        data={"name": "AWS production", "description": "", "owner": lead, "holds_amazon_information": True, "in_scope": True},
        by=lead,
        now=datetime(2026, 11, 2, tzinfo=UTC),
    )
    page = visitor.login(lead)
    visitor.goto(f"/access/systems/{system.pk}/import/")
    expect(page.get_by_test_id("preset-help")).to_contain_text("AWS IAM credential report")
    expect(page.locator("#id_preset")).to_have_value("")  # guess from the header
    page.set_input_files("#id_file", str(SAMPLE))
    visitor.shot("upload")
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url("**/imports/*/")
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("import-status")).to_contain_text("Ready to apply")
    expect(page.get_by_test_id("import-preset")).to_contain_text("AWS IAM credential report")
    expect(page.get_by_test_id("import-summary").locator(".stat-value").first).to_have_text("4")  # to add
    expect(page.get_by_test_id("preview-adds")).to_contain_text("<root_account>")
    assert page.get_by_test_id("import-errors").count() == 0
    visitor.shot("preview")
    page.get_by_role("button", name="Apply import").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("import-status")).to_contain_text("Applied")

    accounts = {account.name: account for account in Account.objects.filter(system=system)}
    assert len(accounts) == 4 and accounts["<root_account>"].privileged
    ci = accounts["ci-deploy"]
    assert ci.service_account_suggested and not ci.is_service_account
    visitor.goto(f"/access/accounts/{ci.pk}/")
    expect(page.get_by_test_id("service-suggestion")).to_contain_text("Service account?")
    visitor.shot("suggestion")
    page.get_by_role("button", name="Yes, a service account").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("service-suggestion")).to_have_count(0)
    ci.refresh_from_db()
    assert ci.is_service_account and ci.service_account_reviewed_at is not None
