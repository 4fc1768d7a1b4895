"""Where links lead, and which links still work (issue 21): ``next=`` never leaves the portal
(the step-up page's Cancel link included) and is never taken for a URL name; a first-admin setup
link printed on an empty portal stops working once any account exists."""

from __future__ import annotations

import re

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from grc.accounts.models import Role, User
from grc.accounts.services import setup_link_create
from grc.http import safe_next
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

OFF_SITE = (
    "https://evil.example/",
    "//evil.example/x",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "http:evil.example",
    " https://evil.example",
    "https://testserver.evil.example/",
)
ON_SITE = ("/compliance/", "/access/campaigns/1/?page=2", "http://testserver/risks/")


@pytest.mark.parametrize("target", OFF_SITE + ("dashboard", "2027-01", ""))
def test_safe_next_refuses_other_hosts_schemes_and_bare_words(target):
    request = RequestFactory().get("/")
    assert safe_next(request, target, fallback="/fallback/") == "/fallback/"


@pytest.mark.parametrize("target", ON_SITE)
def test_safe_next_keeps_a_path_or_a_url_of_this_host(target):
    assert safe_next(RequestFactory().get("/"), target) == target


def test_an_https_page_never_sends_back_to_plain_http():
    request = RequestFactory().get("/", secure=True)
    assert safe_next(request, "http://testserver/compliance/", fallback="/") == "/"


def cancel_links(content: bytes) -> list[str]:
    return re.findall(r'<a [^>]*href="([^"]*)"[^>]*>Cancel</a>', content.decode())


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_step_up_cancel_link_never_leads_off_site(client, lead, target):
    signed_in(client, lead)
    response = client.get(reverse("accounts:step_up"), {"next": target})
    assert response.status_code == 200
    assert cancel_links(response.content) == []
    assert "evil.example" not in response.content.decode()  # nor in the hidden field


def test_the_step_up_cancel_link_returns_to_the_page_that_asked(client, lead):
    signed_in(client, lead)
    response = client.get(reverse("accounts:step_up"), {"next": "/access/campaigns/"})
    assert cancel_links(response.content) == ["/access/campaigns/"]


@pytest.mark.parametrize("target", ("dashboard", "9999-12", "https://evil.example/"))
def test_a_verified_user_is_sent_home_for_a_next_that_is_not_a_path_of_the_portal(client, lead, target):
    """A bare word was handed to redirect(), which took it for a URL name: NoReverseMatch, a 500."""
    signed_in(client, lead)
    response = client.get(reverse("accounts:verify"), {"next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("compliance:dashboard")


def setup_form() -> dict[str, str]:
    return {
        "first_name": "Priya",
        "last_name": "Shah",
        "username": "pshah",
        "email": "priya.shah@example.test",
        "password1": "Blue-Lantern-Rises-42",
        "password2": "Blue-Lantern-Rises-42",
    }


def test_a_setup_link_creates_the_first_security_lead_on_an_empty_portal():
    link = setup_link_create(now=timezone.now())
    path = "/" + link.split("/", 3)[3]
    response = Client().post(path, setup_form())
    assert response.status_code == 302, response.content[:500]
    assert User.objects.get().role == Role.SECURITY_LEAD


def test_a_setup_link_printed_before_any_user_existed_stops_working_once_one_does(make_user):
    link = setup_link_create(now=timezone.now())  # printed on the empty portal (make run)
    path = "/" + link.split("/", 3)[3]
    make_user("ann.lee", Role.STAFF)  # an account appears (e.g. by a restore or the demo seed)
    visitor = Client()
    assert visitor.get(path).status_code == 404
    response = visitor.post(path, setup_form())
    assert response.status_code == 404
    assert not User.objects.filter(username="pshah").exists()
    assert not User.objects.filter(role=Role.SECURITY_LEAD).exists()


def test_a_setup_link_refuses_even_when_the_first_account_appears_while_its_form_is_open(make_user):
    """The service checks again inside its transaction, not only when the page was shown."""
    from django.core.exceptions import ValidationError

    from grc.accounts.services import invitation_accept, invitation_for_token

    link = setup_link_create(now=timezone.now())
    invitation = invitation_for_token(link.rstrip("/").rsplit("/", 1)[-1], timezone.now())
    assert invitation is not None
    make_user("ann.lee", Role.STAFF)
    with pytest.raises(ValidationError):
        invitation_accept(
            invitation=invitation,
            username="pshah",
            first_name="Priya",
            last_name="Shah",
            email="priya.shah@example.test",
            password="Blue-Lantern-Rises-42",
            now=timezone.now(),
        )
    assert not User.objects.filter(username="pshah").exists()
