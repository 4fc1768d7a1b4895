"""Sessions (idle timeout, cookie flags) and the network allow-list (DPP 1.1, 1.5)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from grc.accounts.network import address_allowed, client_ip
from grc.audit.models import AuditEvent
from tests.accounts.conftest import post_password
from tests.conftest import signed_in
from tests.core.test_settings import PRODUCTION_ENV, run_manage

DASHBOARD = reverse("compliance:dashboard")


@pytest.mark.django_db
def test_an_idle_session_ends_after_30_minutes_but_activity_keeps_it(client, staff, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    signed_in(client, staff)
    for _ in range(3):  # 87 minutes in all, never 30 idle
        time_machine.shift(timedelta(minutes=29))
        assert client.get(DASHBOARD).status_code == 200
    time_machine.shift(timedelta(minutes=31))
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_the_idle_timeout_is_a_setting(client, staff, settings, time_machine):
    settings.SESSION_COOKIE_AGE = 5 * 60
    time_machine.move_to(timezone.now(), tick=False)
    signed_in(client, staff)
    assert client.get(DASHBOARD).status_code == 200
    time_machine.shift(timedelta(minutes=6))
    assert client.get(DASHBOARD).status_code == 302


def test_production_cookies_and_identity_settings_come_from_the_environment():
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({k: getattr(s, k) for k in ["
        "'SESSION_COOKIE_AGE', 'SESSION_SAVE_EVERY_REQUEST', 'SESSION_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY',"
        "'SESSION_COOKIE_SAMESITE', 'SESSION_COOKIE_NAME', 'CSRF_COOKIE_SECURE', 'CSRF_COOKIE_HTTPONLY', 'SECURE_SSL_REDIRECT',"
        "'SECURE_HSTS_SECONDS', 'AXES_FAILURE_LIMIT', 'AXES_COOLOFF_TIME', 'ALLOWED_CIDRS', 'TRUSTED_PROXY_COUNT',"
        "'PASSWORD_HASHERS']}))"
    )
    env = {
        **PRODUCTION_ENV,
        "SESSION_IDLE_MINUTES": "10",
        "AXES_FAILURE_LIMIT": "7",
        "AXES_COOLOFF_MINUTES": "15",
        "ALLOWED_CIDRS": "10.0.0.0/8,2001:db8::/32",
        "TRUSTED_PROXY_COUNT": "1",
    }
    result = run_manage("shell", "-c", code, env_changes=env)
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["SESSION_COOKIE_AGE"] == 600 and values["SESSION_SAVE_EVERY_REQUEST"] is True
    assert values["SESSION_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"] and values["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert values["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert values["CSRF_COOKIE_SECURE"] and values["CSRF_COOKIE_HTTPONLY"]
    assert values["SECURE_SSL_REDIRECT"] is True and values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["AXES_FAILURE_LIMIT"] == 7 and values["AXES_COOLOFF_TIME"] == 0.25
    assert values["ALLOWED_CIDRS"] == ["10.0.0.0/8", "2001:db8::/32"] and values["TRUSTED_PROXY_COUNT"] == 1
    assert values["PASSWORD_HASHERS"][0].endswith("Argon2PasswordHasher")


@pytest.mark.django_db
def test_the_session_cookie_is_httponly_and_samesite(client, staff):
    post_password(client, staff.username)
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


@pytest.fixture
def allow_list(settings):
    settings.ALLOWED_CIDRS = ["10.0.0.0/8", "2001:db8:1::/48"]
    return settings


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["192.0.2.10", "2001:db8:2::5", "::ffff:192.0.2.10"])
def test_a_request_from_outside_the_allow_list_gets_403_and_is_audited(client, allow_list, address):
    response = client.get(reverse("accounts:login"), REMOTE_ADDR=address)
    assert response.status_code == 403
    assert "allow-list" in response.content.decode()
    event = AuditEvent.objects.get(action="accounts.network_denied")
    assert event.outcome == "failure" and event.source_ip is not None


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["10.1.2.3", "2001:db8:1::5", "::ffff:10.1.2.3"])
def test_a_request_from_inside_the_allow_list_is_served(client, allow_list, address):
    assert client.get(reverse("accounts:login"), REMOTE_ADDR=address).status_code == 200
    assert not AuditEvent.objects.filter(action="accounts.network_denied").exists()


@pytest.mark.django_db
def test_the_allow_list_refuses_a_signed_in_user_too(client, staff, allow_list):
    signed_in(client, staff)
    assert client.get(DASHBOARD, REMOTE_ADDR="192.0.2.10").status_code == 403


@pytest.mark.django_db
def test_without_trusted_proxies_a_forged_forwarded_for_is_ignored(client, allow_list):
    allow_list.TRUSTED_PROXY_COUNT = 0
    response = client.get(reverse("accounts:login"), REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="10.1.2.3")
    assert response.status_code == 403


@pytest.mark.django_db
def test_behind_one_proxy_only_the_address_it_appended_counts(client, allow_list):
    allow_list.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    forged = client.get(reverse("accounts:login"), REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="10.9.9.9, 192.0.2.10")
    assert forged.status_code == 403  # the client wrote 10.9.9.9 itself; the proxy saw 192.0.2.10
    real = client.get(reverse("accounts:login"), REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="192.0.2.99, 10.1.2.3")
    assert real.status_code == 200


@pytest.mark.django_db
def test_lockout_counts_the_address_the_trusted_proxy_saw(client, staff, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client.post(
        reverse("accounts:login"),
        {"username": staff.username, "password": "Wrong-Password-1!"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9",
    )
    assert AccessAttempt.objects.get(username=staff.username).ip_address == "203.0.113.9"


@pytest.mark.parametrize(
    ("meta", "trusted", "expected"),
    [
        ({"REMOTE_ADDR": "192.0.2.1", "HTTP_X_FORWARDED_FOR": "10.0.0.1"}, 0, "192.0.2.1"),
        ({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.1, 192.0.2.1"}, 1, "192.0.2.1"),
        ({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.1, 192.0.2.1, 10.0.0.3"}, 2, "192.0.2.1"),
        ({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "192.0.2.1"}, 2, "10.0.0.2"),  # fewer hops than proxies
        ({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "not-an-address"}, 1, "10.0.0.2"),
        ({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "2001:db8::7"}, 1, "2001:db8::7"),
    ],
)
def test_the_client_address_is_taken_from_the_trusted_proxies_only(meta, trusted, expected):
    assert client_ip(meta, trusted_proxies=trusted) == expected


def test_no_allow_list_means_every_address_is_allowed():
    assert address_allowed("192.0.2.1", [])
    assert not address_allowed("garbage", ["10.0.0.0/8"])
