"""Issue 23, the security lead's path: what is urgent comes first.

With the demo organisation (an incident waiting for its Amazon notification, overdue obligations),
the 24-hour clock and the "overdue and due in 14 days" list start above the fold at 1440×900,
before the long "needs attention" list; on a phone the clock is the dashboard's first section; on
the incident page the "Notify Amazon" countdown comes right after the title at both widths.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command

from incidents.models import Incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LAPTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SECTIONS = "main section[data-testid]"


def box(page, selector: str) -> dict:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not shown"
    return found


def test_the_lead_sees_the_running_clocks_and_the_overdue_list_first(visitor, lead):
    call_command("seed_demo")  # the demo organisation, with our lead as its security lead
    incident = Incident.objects.exclude(status="closed").get()  # the lost laptop, still open
    assert incident.notification_due_at is not None and not incident.is_closed  # its 24-hour clock runs
    page = visitor.login(lead)

    page.set_viewport_size(LAPTOP)
    page = visitor.goto("/compliance/")
    clocks, deadlines, posture = (
        box(page, "[data-testid=incident-clocks]"),
        box(page, "[data-testid=deadlines]"),
        box(page, "[data-testid=posture]"),
    )
    assert clocks["y"] < 900 and deadlines["y"] < 900, (clocks, deadlines)
    assert incident.reference in page.locator("[data-testid=incident-clocks]").inner_text()
    assert page.locator("[data-testid=deadlines] tbody tr .countdown-overdue").count() >= 1  # the overdue rows lead the list
    assert box(page, "[data-testid=deadlines] tbody tr")["y"] < 900
    assert clocks["y"] < posture["y"] and deadlines["y"] < posture["y"]  # before "needs attention"
    visitor.shot("dashboard-1440x900")

    page.set_viewport_size(PHONE)
    page = visitor.goto("/compliance/")
    first = page.locator(SECTIONS).first.get_attribute("data-testid")
    assert first == "incident-clocks"
    assert box(page, "[data-testid=incident-clocks]")["y"] < 844
    visitor.shot("dashboard-390x844")

    for size, label in ((LAPTOP, "1440x900"), (PHONE, "390x844")):
        page.set_viewport_size(size)
        page = visitor.goto(incident.get_absolute_url())
        title, clock = box(page, "main h1"), box(page, "[data-testid=amazon-clock]")
        assert clock["y"] >= title["y"] + title["height"]
        # right after the title: the next element after the title's block, with only the line under
        # the title (detected · reported) and the status badges between them
        follows = page.evaluate("document.querySelector('main h1').closest('div.d-flex').nextElementSibling.dataset.testid")
        assert follows == "amazon-clock", label
        assert clock["y"] - (title["y"] + title["height"]) < 120, (label, title, clock)
        assert clock["y"] < box(page, "[data-testid=incident-actions]")["y"]  # before triage and its buttons
        assert clock["y"] < size["height"]
        assert "Notify Amazon within 24 hours" in page.locator("[data-testid=amazon-clock]").inner_text()
        assert page.locator("[data-testid=amazon-clock] .countdown").first.inner_text().startswith("due in")
        systems = page.locator("[data-testid=incident-systems]").inner_text()
        assert "LT-0003" in systems  # the asset chosen on the report form
        visitor.shot(f"incident-{label}")
