"""Keyboard only (Tab, Enter, typing): the skip link comes first and leads straight to the page's
content, so a staff member reports an incident without a mouse (WCAG 2.1.1, 2.4.1)."""

from __future__ import annotations

import re

import pytest

from incidents.models import Incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUSED = "() => { const el = document.activeElement; return el ? (el.id || el.textContent.trim()) : null; }"


def tab_until(page, wanted: str, *, most: int) -> int:
    """Press Tab until the focused element's id (or text) is ``wanted``; the number of presses."""
    for presses in range(1, most + 1):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED) == wanted:
            return presses
    raise AssertionError(f"{wanted!r} not reached in {most} Tabs (focus on {page.evaluate(FOCUSED)!r})")


def test_it_reports_an_incident_with_the_keyboard_through_the_skip_link(visitor, staff):
    page = visitor.login(staff)
    page = visitor.goto("/incidents/report/")

    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    assert page.evaluate(FOCUSED) == "Skip to main content"
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0 and box["height"] > 0  # shown while focused
    visitor.shot("skip-link-focused")
    page.keyboard.press("Enter")
    assert page.evaluate(FOCUSED) == "main"

    assert tab_until(page, "id_title", most=3) <= 3  # past the nav bar's 10+ links, straight to the form
    page.keyboard.type("Phishing email opened on a laptop")
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED) == "id_description"
    page.keyboard.type("A staff member opened an invoice attachment from an unknown sender at 09:10.")
    tab_until(page, "Report the incident", most=12)
    visitor.shot("submit-focused")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/incidents/\d+/(#main)?$"))  # the skip link's #main stays on the URL

    incident = Incident.objects.get()
    assert incident.title == "Phishing email opened on a laptop"
    assert incident.reported_by == staff


def test_the_skip_link_is_hidden_until_focused_and_first_on_the_sign_in_page(visitor):
    page = visitor.goto("/accounts/login/")
    skip = page.locator("a.skip-link")
    box = skip.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 0  # off screen until focused
    assert page.evaluate(FOCUSED) == "id_username"  # the sign-in form takes the focus itself (autofocus)
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(FOCUSED) == "Skip to main content"  # nothing focusable before it
    page.keyboard.press("Enter")
    assert tab_until(page, "id_username", most=2) == 1
