"""Writes and checks of API tokens: create (the secret is returned once), revoke, authenticate.

Every change is audited with the token's id and scopes (never the secret). Tokens expire after at
most ``API_TOKEN_MAX_DAYS`` (365) days, and never after the end of a time-boxed user's access.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from grc.accounts.models import Role, hash_token
from grc.api.models import TOKEN_PREFIX, ApiToken, TokenKind
from grc.api.scopes import ALL_SCOPES, scopes_for_role
from grc.audit.services import record_event

LAST_USED_GRANULARITY = timedelta(minutes=1)  # last_used_at is written at most once a minute per token


def max_days() -> int:
    return int(getattr(settings, "API_TOKEN_MAX_DAYS", 365))


def latest_expiry(user, now: datetime) -> datetime:
    """The latest expiry a token of ``user`` may have: 365 days, or the end of their access window."""
    latest = now + timedelta(days=max_days())
    if user.access_expires_at is not None:
        latest = min(latest, user.access_expires_at)
    return latest


def new_key() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@transaction.atomic
def token_create(
    *, user, by, name: str, kind: str, scopes: Iterable[str], expires_at: datetime, now: datetime, request=None
) -> tuple[ApiToken, str]:
    """Make a token for ``user`` (by ``user`` itself, or a service token by the security lead).

    Returns the token and its secret, which is shown once and never stored.
    """
    name = name.strip()
    wanted = sorted(set(scopes), key=ALL_SCOPES.index) if set(scopes) <= set(ALL_SCOPES) else None
    problems: dict[str, str] = {}
    if not name:
        problems["name"] = "Name the token after what uses it."
    if kind not in TokenKind.values:
        problems["kind"] = "Choose personal or service."
    elif kind == TokenKind.SERVICE and by.role != Role.SECURITY_LEAD:
        problems["kind"] = "Only the security lead makes service tokens."
    elif kind == TokenKind.PERSONAL and by.pk != user.pk:
        problems["kind"] = "A personal token is made by the person it belongs to."
    if not wanted:
        problems["scopes"] = "Choose at least one scope." if wanted is not None else "Unknown scope."
    elif not set(wanted) <= set(scopes_for_role(user.role)):
        problems["scopes"] = "The token's user cannot use some of these scopes with their role."
    if expires_at <= now:
        problems["expires_at"] = "The expiry must lie in the future."
    elif expires_at > latest_expiry(user, now):
        problems["expires_at"] = f"A token expires within {max_days()} days, and not after its user's access ends."
    if not user.is_active:
        problems["user"] = "The user is deactivated."
    if problems:
        raise ValidationError(problems)
    key = new_key()
    token = ApiToken.objects.create(
        name=name[:80],
        kind=kind,
        user=user,
        created_by=by,
        prefix=key[: len(TOKEN_PREFIX) + 8],
        key_hash=hash_token(key),
        scopes=wanted,
        created_at=now,
        expires_at=expires_at,
    )
    record_event(
        "api.token.created",
        request=request,
        actor=by,
        obj=token,
        details={"kind": kind, "scopes": wanted, "user_id": user.pk, "expires_at": expires_at.isoformat()},
    )
    return token, key


@transaction.atomic
def token_revoke(*, token: ApiToken, by, now: datetime, request=None) -> bool:
    """Revoke a token at once; returns False if it was already revoked."""
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now, revoked_by=by)
    if not updated:
        return False
    token.revoked_at, token.revoked_by = now, by
    record_event("api.token.revoked", request=request, actor=by, obj=token, changed_fields=["revoked_at"])
    return True


def token_for_key(key: str, now: datetime) -> tuple[ApiToken | None, str]:
    """The token a presented secret belongs to, and why it is refused ("" when it is usable)."""
    if not key.startswith(TOKEN_PREFIX) or len(key) > 200:
        return None, "unknown token"
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(key)).first()
    if token is None:
        return None, "unknown token"
    if token.revoked_at is not None:
        return token, "token revoked"
    if now >= token.expires_at:
        return token, "token expired"
    user = token.user
    if not user.is_active:
        return token, "user deactivated"
    if not user.access_is_current(now):
        return token, "user's access window is closed"
    return token, ""


def token_touch(token: ApiToken, now: datetime) -> None:
    """Record the use (at most once a minute, so a busy token does not write on every call)."""
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
