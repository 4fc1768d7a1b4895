"""Demo API tokens: the security lead's service token for the nightly scanner and a revoked one,
so the tokens page shows what it looks like. Their secrets are not kept anywhere (a demo user
makes their own token, shown once, under their name → API tokens)."""

from __future__ import annotations

from datetime import timedelta

from grc.api.models import TokenKind
from grc.api.services import token_create, token_revoke


def seed(ctx) -> None:
    lead = ctx.users.get("lead")
    if lead is None:
        return
    scanner, _secret = token_create(
        user=lead,
        by=lead,
        name="Nightly vulnerability scanner",
        kind=TokenKind.SERVICE,
        scopes=["assets:read", "vulnerabilities:write"],
        expires_at=ctx.now + timedelta(days=180),
        now=ctx.now - timedelta(days=20),
    )
    old, _secret = token_create(
        user=lead,
        by=lead,
        name="Okta sync (replaced)",
        kind=TokenKind.SERVICE,
        scopes=["access:write"],
        expires_at=ctx.now + timedelta(days=30),
        now=ctx.now - timedelta(days=60),
    )
    token_revoke(token=old, by=lead, now=ctx.now - timedelta(days=20))
    ctx.made["api_tokens"] = [scanner, old]
    ctx.say("API: 2 demo service tokens (their secrets are not kept); make your own under your name → API tokens.")
