"""The base UI in a real browser: sign in with password + code and land on the dashboard."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_signs_in_with_password_and_code_and_shows_the_dashboard(visitor, lead):
    page = visitor.login(lead)
    assert page.url.endswith("/compliance/")
    assert page.locator("h1").inner_text() == "DPP compliance dashboard"
    for label in ["Dashboard", "Incidents", "Access reviews", "Assets", "Risks", "Evidence"]:
        assert page.locator("nav.portal-nav").get_by_role("link", name=label, exact=True).is_visible()
    visitor.shot("dashboard")


def test_it_refuses_a_wrong_password_with_a_message(visitor, lead):
    page = visitor.goto("/accounts/login/")
    page.fill("#id_username", lead.username)
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")
    assert "enter a correct username and password" in page.locator(".alert-danger").inner_text().lower()
    visitor.shot("wrong-password")


def test_it_signs_out_from_the_user_menu(visitor, lead):
    page = visitor.login(lead)
    page.click("[data-testid=user-menu]")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/**")
    assert page.locator("h1").inner_text() == "Sign in"
