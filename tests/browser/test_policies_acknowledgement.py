"""Publishing a policy and acknowledging it, in Chromium (DPP 2.2): the lead writes the acceptable
use policy with its file, approves it (the sign-in code is the fresh step-up), every active member
of staff is asked to acknowledge it, and a staff member does so from the banner of the library."""

from __future__ import annotations

import pytest

from grc.compliance.services import obligations_for, open_obligation
from grc.policies.catalogue import BUILTIN_BY_CODE, document_types_ensure
from grc.policies.models import Acknowledgement, Document

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
KIND = "policies.acknowledgement"


def test_a_published_policy_is_acknowledged_by_staff(visitor, lead, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    document_types_ensure()  # transactional tests flush the migration's rows
    page = visitor.login(lead)
    page = visitor.goto("/policies/new/?type=acceptable_use")
    page.wait_for_url("**/policies/new/**")
    assert page.input_value("#id_title") == "Acceptable use policy for staff"
    page.get_by_role("button", name="Create with a first draft").click()
    page.wait_for_url("**/policies/versions/*/edit/")
    for section in BUILTIN_BY_CODE["acceptable_use"]["sections"]:
        if section["required"]:
            page.fill(f"#id_section_{section['key']}", f"Our rule: {section['help']}")
    assert page.is_checked("#id_requires_acknowledgement")  # acceptable use asks for it by default
    page.set_input_files("#id_file", files=[{"name": "acceptable-use.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 AUP"}])
    visitor.shot("draft-form")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url("**/policies/versions/*/")
    assert "acceptable-use.pdf" in page.locator("[data-testid=version-file]").inner_text()
    page.get_by_role("link", name="Approve").click()
    page.check("#id_confirm")
    page.get_by_role("button", name="Approve and sign").click()
    policy = Document.objects.get(type__code="acceptable_use")
    page.wait_for_url(f"**{policy.get_absolute_url()}")
    assert page.locator("[data-testid=ack-summary]").inner_text().startswith("Acknowledged by 0 of 3")  # lead, manager, staff
    visitor.shot("published")
    staff_ack = Acknowledgement.objects.get(version=policy.current_version, user=staff)
    assert open_obligation(KIND, staff_ack).owner == staff

    page.context.clear_cookies()
    page = visitor.login(staff)
    page = visitor.goto("/policies/")
    banner = page.locator("[data-testid=to-acknowledge]")
    assert "Acceptable use policy for staff" in banner.inner_text()
    visitor.shot("staff-banner")
    banner.get_by_role("link", name="Read and acknowledge").click()
    page.wait_for_url("**/policies/to-acknowledge/")
    page.locator("[data-testid=pending-acknowledgements]").get_by_role("link", name="Read and acknowledge").click()
    page.wait_for_url(f"**{policy.current_version.get_absolute_url()}")
    panel = page.locator("[data-testid=acknowledge-panel]")
    visitor.shot("acknowledge-panel")
    panel.get_by_role("checkbox").check()
    panel.get_by_role("button", name="Acknowledge").click()
    page.wait_for_url(f"**{policy.get_absolute_url()}")
    assert "your acknowledgement" in page.locator(".alert-success").inner_text()
    visitor.shot("acknowledged")
    staff_ack.refresh_from_db()
    assert staff_ack.acknowledged_at is not None and open_obligation(KIND, staff_ack) is None
    assert obligations_for(staff_ack, KIND).get().completed_by == staff
    page = visitor.goto("/policies/")
    assert page.locator("[data-testid=to-acknowledge]").count() == 0
