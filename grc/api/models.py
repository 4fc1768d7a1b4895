"""API tokens: a secret shown once, stored as its SHA-256, with scopes and an expiry.

A *personal* token acts as the person who made it. A *service* token (made by the security lead
for a scanner, an identity-provider sync or a CI pipeline) has a named owner, who stays
accountable for it (DPP 1.2: no anonymous or shared credentials), and acts with the owner's role.
Neither works once revoked, expired, or when its user is deactivated or out of their access window.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

TOKEN_PREFIX = "dpp_"


class TokenKind(models.TextChoices):
    PERSONAL = "personal", "Personal"
    SERVICE = "service", "Service"


class TokenStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


class ApiToken(models.Model):
    name = models.CharField(max_length=80, help_text="What uses it, e.g. “Okta nightly sync”. No secrets, no personal data.")
    kind = models.CharField(max_length=10, choices=TokenKind.choices, default=TokenKind.PERSONAL)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens", help_text="acts as (personal) or owns (service)"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prefix = models.CharField(max_length=16, help_text="the first characters of the token, to recognise it (not a secret)")
    key_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token; the token itself is never stored")
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="api_token_user_revoked")]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=F("created_at")), name="api_token_expires_after_creation"),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_by__isnull=False), name="api_token_revocation_has_actor"
            ),
        ]

    def __str__(self) -> str:
        return f"API token {self.pk} ({self.prefix}…)"

    def status_at(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return TokenStatus.REVOKED
        if now >= self.expires_at:
            return TokenStatus.EXPIRED
        return TokenStatus.ACTIVE

    @property
    def status(self) -> str:
        return self.status_at(timezone.now())

    @property
    def is_service(self) -> bool:
        return self.kind == TokenKind.SERVICE
