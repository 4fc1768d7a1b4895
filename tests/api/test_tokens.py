"""API tokens: made on the tokens page (step-up MFA), shown once, stored as a hash, scoped by the
user's role, expiring within 365 days (and never after an auditor's access), revocable."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from grc.accounts.stepup import SESSION_KEY as STEP_UP_KEY
from grc.api.models import ApiToken, TokenKind
from grc.api.scopes import ALL_SCOPES, scopes_for_role
from grc.api.services import token_create
from grc.audit.models import AuditEvent
from tests.api.conftest import stepped_up
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def make(user, scopes, *, by=None, kind=TokenKind.PERSONAL, days=30, now=None):
    now = now or timezone.now()
    return token_create(user=user, by=by or user, name="sync", kind=kind, scopes=scopes, expires_at=now + timedelta(days=days), now=now)


def test_it_stores_only_the_hash_of_the_token(lead):
    token, key = make(lead, ["access:read"])
    assert key.startswith("dpp_") and len(key) > 40
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    stored = ApiToken.objects.filter(pk=token.pk).values_list(*[f.attname for f in ApiToken._meta.concrete_fields]).get()
    assert key not in [str(value) for value in stored]
    assert token.prefix == key[:12]


def test_it_refuses_an_expiry_beyond_365_days(lead):
    with pytest.raises(ValidationError) as error:
        make(lead, ["access:read"], days=366)
    assert "expires_at" in error.value.message_dict
    token, _key = make(lead, ["access:read"], days=365)
    assert token.expires_at - token.created_at == timedelta(days=365)


def test_it_refuses_an_expiry_after_an_auditors_access_ends(auditor):
    with pytest.raises(ValidationError) as error:
        make(auditor, ["assets:read"], days=60)  # the auditor's access ends in 30 days
    assert "expires_at" in error.value.message_dict


def test_it_offers_only_the_scopes_of_the_users_role(lead, manager, auditor, staff):
    assert set(scopes_for_role(lead.role)) == set(ALL_SCOPES)
    assert "people:write" not in scopes_for_role(manager.role) and "people:read" in scopes_for_role(manager.role)
    assert "audit:read" not in scopes_for_role(auditor.role)
    assert not any(scope.endswith(":write") for scope in scopes_for_role(auditor.role))
    assert scopes_for_role(staff.role) == ["incidents:read", "incidents:write", "compliance:read"]
    with pytest.raises(ValidationError):
        make(staff, ["people:read"])
    with pytest.raises(ValidationError):
        make(manager, ["assets:write"])
    with pytest.raises(ValidationError):
        make(lead, ["nonsense:read"])


def test_only_the_security_lead_makes_service_tokens(lead, manager):
    token, _key = make(lead, ["vulnerabilities:write"], kind=TokenKind.SERVICE)
    assert token.is_service and token.user == lead
    with pytest.raises(ValidationError) as error:
        make(manager, ["access:read"], kind=TokenKind.SERVICE)
    assert "kind" in error.value.message_dict


def test_making_a_token_is_audited_without_the_secret(lead):
    token, key = make(lead, ["access:read", "access:write"])
    event = AuditEvent.objects.get(action="api.token.created")
    assert event.object_id == str(token.pk) and event.details["scopes"] == ["access:read", "access:write"]
    assert key not in str(event.details) and key not in event.message


# --- the pages -----------------------------------------------------------------------------------
def test_the_page_makes_a_token_and_shows_it_once(client, manager):
    stepped_up(signed_in(client, manager))
    form = client.get(reverse("api:token_create"))
    assert form.status_code == 200
    offered = set(re.findall(r'name="scopes" value="([^"]+)"', form.content.decode()))
    assert offered == set(scopes_for_role(manager.role))
    assert 'value="service"' not in form.content.decode()  # managers make personal tokens only
    response = client.post(
        reverse("api:token_create"), {"name": "my report script", "kind": "personal", "scopes": ["access:read"], "lifetime": "90"}
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    key = re.search(r'value="(dpp_[^"]+)"', response.content.decode()).group(1)
    token = ApiToken.objects.get(user=manager)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.scopes == ["access:read"] and (token.expires_at - token.created_at).days == 90
    listing = client.get(reverse("api:tokens")).content.decode()
    assert token.prefix in listing and key not in listing


def test_the_page_refuses_scopes_the_role_lacks(client, manager):
    stepped_up(signed_in(client, manager))
    response = client.post(reverse("api:token_create"), {"name": "x", "kind": "personal", "scopes": ["people:write"], "lifetime": "30"})
    assert response.status_code == 200 and "scopes" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_making_a_token_needs_a_fresh_step_up(client, lead):
    signed_in(client, lead)
    session = client.session
    session[STEP_UP_KEY] = (timezone.now() - timedelta(minutes=11)).timestamp()
    session.save()
    response = client.get(reverse("api:token_create"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:step_up"))


def test_the_pages_need_an_mfa_verified_session(client, lead):
    response = client.get(reverse("api:tokens"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    client.force_login(lead, backend="django.contrib.auth.backends.ModelBackend")  # password only, no code yet
    response = client.get(reverse("api:tokens"))
    assert response.status_code == 302 and response.url == reverse("accounts:verify")


def test_the_pages_refuse_an_auditor_whose_access_ended(client, auditor):
    signed_in(client, auditor)
    auditor.access_expires_at = timezone.now() - timedelta(minutes=1)
    auditor.save(update_fields=["access_expires_at"])
    response = client.get(reverse("api:tokens"))
    assert response.status_code == 302 and response.url == reverse("accounts:login")


def test_the_lead_sees_every_token_others_their_own(client, lead, manager, staff):
    mine, _ = make(manager, ["access:read"])
    theirs, _ = make(staff, ["incidents:write"])
    signed_in(client, manager)
    page = client.get(reverse("api:tokens")).content.decode()
    assert mine.prefix in page and theirs.prefix not in page
    signed_in(client, lead)
    page = client.get(reverse("api:tokens")).content.decode()
    assert mine.prefix in page and theirs.prefix in page


def test_owners_and_the_lead_revoke_others_get_404(client, lead, manager, staff):
    token, _ = make(staff, ["incidents:write"])
    signed_in(client, manager)
    assert client.post(reverse("api:token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    signed_in(client, staff)
    assert client.post(reverse("api:token_revoke", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == staff
    other, _ = make(manager, ["access:read"])
    signed_in(client, lead)
    client.post(reverse("api:token_revoke", args=[other.pk]))
    other.refresh_from_db()
    assert other.revoked_by == lead
    assert AuditEvent.objects.filter(action="api.token.revoked").count() == 2


def test_the_token_list_filters_by_status(client, lead):
    active, _ = make(lead, ["access:read"])
    revoked, _ = make(lead, ["access:read"])
    client_ = signed_in(client, lead)
    client_.post(reverse("api:token_revoke", args=[revoked.pk]))
    page = client_.get(reverse("api:tokens"), {"status": "revoked"}).content.decode()
    assert f'data-token-id="{revoked.pk}"' in page and f'data-token-id="{active.pk}"' not in page
