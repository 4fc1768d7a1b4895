"""Helpers for the sign-in flow as a browser does it: password, then code, from a given address."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import TEST_PASSWORD


def post_password(client: Client, username: str, password: str = TEST_PASSWORD, ip: str = "198.51.100.10"):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def post_code(client: Client, code: str, ip: str = "198.51.100.10"):
    return client.post(reverse("accounts:verify"), {"code": code}, REMOTE_ADDR=ip)


@pytest.fixture
def new_client():
    """A second browser: each call gives a fresh client with its own cookies."""
    return lambda: Client()


def set_password_now(user, password: str = TEST_PASSWORD):
    """``create_user`` stores a hash without the validators' hook; a real password change dates it."""
    user.set_password(password)
    user.save()
    user.refresh_from_db()
    return user
