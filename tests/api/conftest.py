"""Helpers for the API tests: tokens made through the service, and a JSON client that sends one.

``token_for(user, "access:read", ...)`` returns ``(token, key)``; ``api(key)`` is a client whose
calls carry ``Authorization: Bearer <key>``. Registry data comes from the services, as in use.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from access_reviews.models import Person, System
from access_reviews.services.registry import account_create, person_create, system_create
from grc.api.models import ApiToken, TokenKind
from grc.api.services import token_create

STARTED = datetime(2025, 1, 6, tzinfo=UTC)


class Api:
    """A JSON client for /api/v1/ with a bearer token."""

    def __init__(self, key: str | None):
        self.client = Client()
        self.key = key

    def headers(self, extra: dict | None = None) -> dict:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.key}"} if self.key else {}
        return {**headers, **(extra or {})}

    def get(self, path: str, params: dict | None = None, **extra):
        return self.client.get(path, params or {}, **self.headers(extra))

    def post(self, path: str, body=None, **extra):
        return self.client.post(path, json.dumps(body if body is not None else {}), content_type="application/json", **self.headers(extra))

    def patch(self, path: str, body=None, **extra):
        return self.client.patch(path, json.dumps(body or {}), content_type="application/json", **self.headers(extra))

    def delete(self, path: str, **extra):
        return self.client.delete(path, **self.headers(extra))


@pytest.fixture
def token_for(db):
    def make(user, *scopes: str, kind: str = TokenKind.PERSONAL, days: int = 30, name: str = "test script") -> tuple[ApiToken, str]:
        now = timezone.now()
        return token_create(
            user=user, by=user, name=name, kind=kind, scopes=scopes, expires_at=now + timedelta(days=days), now=now, request=None
        )

    return make


@pytest.fixture
def api():
    return Api


@pytest.fixture
def lead_api(lead, token_for):
    """The security lead's token with every scope a lead can have."""
    from grc.api.scopes import scopes_for_role

    _token, key = token_for(lead, *scopes_for_role(lead.role))
    return Api(key)


def stepped_up(client):
    """Mark the session's step-up MFA as fresh (the sign-in code counts as one in real use)."""
    from grc.accounts.stepup import SESSION_KEY

    session = client.session
    session[SESSION_KEY] = timezone.now().timestamp()
    session.save()
    return client


def error_fields(response) -> dict[str | None, str]:
    body = response.json()
    return {item["field"]: item["reason"] for item in body["errors"]}


@pytest.fixture
def registry(db, lead, manager, staff):
    """A small registry: the manager's person manages the staff member's person; one system."""
    now = timezone.now()

    def person(pid, first, last, user=None, manager=None):
        data = {
            "person_id": pid,
            "first_name": first,
            "last_name": last,
            "email": f"{first.lower()}.{last.lower()}@example.test",
            "manager": manager,
            "user": user,
            "department": "Engineering",
            "kind": "employee",
            "started_at": STARTED,
        }
        return person_create(data=data, by=lead, now=now)

    class Registry:
        lead_person = person("E1000", "Priya", "Shah", user=lead)
        manager_person = person("E1001", "Tom", "Becker", user=manager, manager=lead_person)
        staff_person = person("E1002", "Lee", "Wong", user=staff, manager=manager_person)
        other_person = person("E1003", "Sam", "Otter", manager=lead_person)
        system = system_create(
            data={"name": "Order DB", "description": "", "owner": lead, "holds_amazon_information": True, "in_scope": True},
            by=lead,
            now=now,
        )

        @staticmethod
        def account(name: str, person_obj: Person | None = None, system_obj: System | None = None, **extra):
            data = {
                "system": system_obj or Registry.system,
                "name": name,
                "person": person_obj,
                "mfa": extra.pop("mfa", "yes"),
                "privilege": extra.pop("privilege", "read"),
                **extra,
            }
            return account_create(data=data, by=lead, now=now)

    return Registry
