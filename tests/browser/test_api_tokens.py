"""API tokens in a real browser: the security lead makes a service token from the user menu, copies
it from the page that shows it once, a script uses it, the list shows its last use, the lead
revokes it and the script is refused. The API docs (Swagger UI) load from the app's own files
under the portal's CSP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from grc.api.models import ApiToken

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def call(base_url: str, path: str, key: str, body: dict | None = None) -> tuple[int, dict]:
    """What a script does: the token in the Authorization header, JSON in and out."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base_url + path, data=data, method="POST" if body is not None else "GET")
    request.add_header("Authorization", f"Bearer {key}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (the live test server)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_lead_makes_uses_and_revokes_a_service_token(visitor, lead):
    page = visitor.login(lead)
    page.click("[data-testid=user-menu]")
    page.click("text=API tokens")
    page.wait_for_url("**/api/tokens/")
    assert page.locator("text=No API tokens yet").is_visible()
    visitor.shot("tokens-empty")

    page.click("[data-testid=new-token]")
    page.wait_for_url("**/api/tokens/new/")
    page.fill("#id_name", "Nightly vulnerability scanner")
    page.check("input[name=kind][value=service]")
    page.check("#scope-vulnerabilities-write")
    page.check("#scope-access-read")
    page.select_option("#id_lifetime", "180")
    visitor.shot("token-form")
    page.click("button:has-text('Make the token')")
    page.wait_for_selector("[data-testid=new-token-value]")
    assert page.locator("text=it is shown only once").is_visible()
    key = page.input_value("[data-testid=new-token-value]")
    visitor.shot("token-shown-once")
    token = ApiToken.objects.get()
    assert key.startswith(token.prefix) and token.kind == "service" and token.scopes == ["access:read", "vulnerabilities:write"]

    status, body = call(visitor.base_url, "/api/v1/token/", key)
    assert status == 200 and body["name"] == "Nightly vulnerability scanner"
    status, _body = call(
        visitor.base_url,
        "/api/v1/vulnerability-scans/",
        key,
        {
            "performed_at": "2026-01-05T02:00:00Z",
            "tool": "OpenVAS",
            "scope": "prod VPC",
            "findings": [{"title": "TLS 1.0", "severity": "medium"}],
        },
    )
    assert status == 201

    page.click("text=Done")
    page.wait_for_url("**/api/tokens/")
    row = page.locator(f"tr[data-token-id='{token.pk}']")
    assert "never" not in row.inner_text() and "active" in row.inner_text()
    assert key not in page.content()  # only the prefix is ever shown again
    visitor.shot("tokens-list")
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button:has-text('Revoke')").click()
    page.wait_for_selector("text=revoked: calls with it are refused")
    assert "revoked" in page.locator(f"tr[data-token-id='{token.pk}']").inner_text()
    visitor.shot("token-revoked")

    status, body = call(visitor.base_url, "/api/v1/token/", key)
    assert status == 401 and "revoked" in body["detail"]


def test_the_api_docs_load_from_the_app_under_the_csp(visitor, lead):
    page = visitor.login(lead)
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url) if not request.url.startswith(visitor.base_url) and not request.url.startswith("data:") else None
        ),
    )
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None)
    visitor.goto("/api/docs/")
    page.wait_for_selector("#swagger-ui .info .title")
    assert "DPP compliance portal API" in page.locator("#swagger-ui .info .title").inner_text()
    page.wait_for_selector("text=/api/v1/systems/{id}/accounts/sync/")
    visitor.shot("api-docs")
    assert outside == [], outside
    assert blocked == [], blocked
