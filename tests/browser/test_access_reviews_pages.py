"""The security lead's access-review pages on the demo registry, in Chromium: import with a
preview, the leaver's 24-hour clock, the campaign and its report."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from access_reviews.models import Account, Person
from access_reviews.seed import seed
from grc.seeding import SeedContext

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(lead, manager, other_manager, staff, auditor, make_user):
    ctx = SeedContext(now=timezone.now())
    ctx.users = {
        "lead": lead,
        "manager": manager,
        "manager2": other_manager,
        "staff": staff,
        "staff2": make_user("jana.novak"),
        "auditor": auditor,
    }
    seed(ctx)
    return ctx


def test_the_lead_imports_accounts_with_a_preview_and_follows_the_review(visitor, demo, lead, tmp_path):
    page = visitor.login(lead)
    page.on("dialog", lambda dialog: dialog.accept())
    visitor.goto("/access/")
    expect(page.locator("h1")).to_have_text("Access reviews")
    visitor.shot("home")

    visitor.goto("/access/people/")
    visitor.shot("people")
    omar = Person.objects.get(person_id="E1008")
    visitor.goto(f"/access/people/{omar.pk}/")
    expect(page.get_by_test_id("termination-clock")).to_contain_text("due in 17 h")
    visitor.shot("leaver-clock")

    order_db = demo.made["systems_by_name"]["Order DB"]
    visitor.goto(f"/access/systems/{order_db.pk}/")
    visitor.shot("system")
    page.get_by_role("link", name="Import accounts (CSV)").click()
    export = tmp_path / "order-db-users.csv"
    export.write_text(
        "usename,rolname,mfa,valid\n"
        "lee,read_write,yes,true\n"
        "sam,read_only,yes,true\n"
        "ravi,read_only,yes,true\n"  # changed privilege
        "omar,read_only,yes,true\n"
        "etl_loader,loader,no,true\n"
        "priya,superuser,yes,true\n"  # new
        "tom,read_only,maybe,true\n",  # bad MFA value
        encoding="utf-8",
    )
    page.set_input_files("#id_file", str(export))
    visitor.shot("upload")
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url("**/mapping/")
    page.select_option("#id_account", "usename")
    page.select_option("#id_privilege", "rolname")
    page.select_option("#id_mfa", "mfa")
    page.select_option("#id_enabled", "valid")
    visitor.shot("mapping")
    page.get_by_role("button", name="Save mapping and check the file").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("import-errors")).to_contain_text("Column 'mfa': value 'maybe' must be yes, no or unknown")
    expect(page.get_by_test_id("preview-removes")).to_contain_text("shared_support")
    visitor.shot("preview")
    page.get_by_label("Import the good rows and skip the rows with errors").check()
    page.get_by_role("button", name="Apply import").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("import-status")).to_contain_text("Applied")
    visitor.shot("applied")
    ravi = next(a for a in Account.objects.filter(system=order_db) if a.name == "ravi")  # names are encrypted: match in Python
    assert ravi.privilege == "read_only"

    campaign = demo.made["campaign"]
    visitor.goto(f"/access/campaigns/{campaign.pk}/")
    visitor.shot("campaign")
    visitor.goto(f"/access/campaigns/{campaign.pk}/report/")
    expect(page.get_by_test_id("report-counts")).to_be_visible()
    visitor.shot("report")
    visitor.goto("/access/tasks/")
    visitor.shot("tasks")
    visitor.goto("/access/training/everyone/")
    visitor.shot("training")
