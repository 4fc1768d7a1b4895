"""HTTP behaviour every response shares (issue 21): what a signed-in user sees is never cached,
the health check answers plain HTTP in production, plain-text emails are not HTML-escaped."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grc.accounts import emails
from grc.accounts.services import invitation_create, invitation_link
from grc.mail import send_templated
from tests.conftest import signed_in
from tests.core.test_settings import PRODUCTION_ENV, run_manage

pytestmark = pytest.mark.django_db


def cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.mark.parametrize(
    "path",
    ["/compliance/", "/compliance/calendar/", "/accounts/users/", "/access/accounts/export.csv", "/audit/export.csv"],
)
def test_a_signed_in_users_pages_and_csv_exports_are_never_stored(client, lead, path):
    signed_in(client, lead)
    response = client.get(path)
    assert response.status_code == 200, path
    assert {"no-store", "private"} <= cache_control(response), path


def test_a_redirect_to_a_signed_in_user_is_not_stored_either(client, lead):
    """The MFA middleware answers before the view: its redirect passes the no-store middleware too."""
    client.force_login(lead, backend="django.contrib.auth.backends.ModelBackend")  # password given, no code yet
    response = client.get("/compliance/")
    assert response.status_code == 302
    assert "no-store" in cache_control(response)


def test_api_answers_are_not_stored_even_when_refused(lead, lead_token_key):
    client = Client()
    ok = client.get("/api/v1/people/", HTTP_AUTHORIZATION=f"Bearer {lead_token_key}")
    assert ok.status_code == 200 and {"no-store", "private"} <= cache_control(ok)
    refused = client.get("/api/v1/people/", HTTP_AUTHORIZATION="Bearer wrong")
    assert refused.status_code == 401 and "no-store" in cache_control(refused)


def test_an_anonymous_request_is_left_alone():
    """Nothing personal in the health check (the sign-in pages are never_cache by Django itself)."""
    assert "no-store" not in cache_control(Client().get("/healthz"))


@pytest.fixture
def lead_token_key(lead):
    from datetime import timedelta

    from grc.api.scopes import scopes_for_role
    from grc.api.services import token_create

    now = timezone.now()
    return token_create(
        user=lead,
        by=lead,
        name="cache test",
        kind="personal",
        scopes=scopes_for_role(lead.role),
        expires_at=now + timedelta(days=1),
        now=now,
    )[1]


def test_production_exempts_only_the_health_check_from_the_https_redirect():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECURE_SSL_REDIRECT, settings.SECURE_REDIRECT_EXEMPT)",
        env_changes=PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True ['^healthz$']"


def test_the_health_check_answers_plain_http_while_pages_are_redirected(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    client = Client()
    health = client.get("/healthz")
    assert health.status_code == 200 and health.content == b"ok"
    assert client.get("/healthz/extra").status_code == 301  # only the exact path is exempt
    login = client.get(reverse("accounts:login"))
    assert login.status_code == 301 and login["Location"].startswith("https://")


def test_the_invitation_emails_plain_text_is_not_html_escaped(lead):
    lead.first_name, lead.last_name = "Siân", "O'Brien & Co"
    lead.save()
    invitation, token = invitation_create(
        by=lead,
        email="nina@example.test",
        first_name="Nína <N>",
        last_name="Patel",
        role="staff",
        manager=None,
        access_expires_at=None,
        now=timezone.now(),
    )
    emails.send_invitation(invitation=invitation, link=invitation_link(token))
    message = mail.outbox[-1]
    assert "Hello Nína <N>," in message.body
    assert "Siân O'Brien & Co invited you" in message.body
    assert "&amp;" not in message.body and "&#x27;" not in message.body and "&lt;" not in message.body
    html = message.alternatives[0][0]
    assert "O&#x27;Brien &amp; Co" in html and "Nína &lt;N&gt;" in html  # the HTML part stays escaped


def test_every_plain_text_email_subject_is_unescaped_too(settings):
    settings.ORGANISATION_NAME = "Smith & Jones <Ltd>"
    send_templated(
        to=["a@example.test"],
        template="accounts/email/invitation",
        context={"invitation": type("I", (), {"first_name": "A", "get_role_display": "Staff"})(), "link": "https://x/", "valid_hours": 72},
    )
    message = mail.outbox[-1]
    assert "Smith & Jones <Ltd>" in message.subject + message.body
    assert "&amp;" not in message.subject + message.body


@pytest.mark.parametrize("query", ["type=%00", "a%00b=1", "page=1&sort=x%00"])
def test_a_nul_character_in_the_query_string_is_a_400(client, lead, query):
    """PostgreSQL refuses NUL in text: ?type=%00 on the new-document page was a database error."""
    signed_in(client, lead)
    response = client.get(f"{reverse('policies:document_create')}?{query}")
    assert response.status_code == 400
    assert "no-store" in cache_control(response)


def test_a_form_field_with_a_nul_character_is_still_the_forms_business(client, lead):
    signed_in(client, lead)
    response = client.post(reverse("incidents:report"), {"title": "a\x00b"})
    assert response.status_code == 200  # the page again, with the field's error
