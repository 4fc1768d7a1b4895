"""API tokens: a secret shown once, stored as its SHA-256, with scopes and an expiry.

A *personal* token acts as the person who made it. A *service* token (made by the security lead
for a scanner, an identity-provider sync or a CI pipeline) has a named owner, who stays
accountable for it (DPP 1.2: no anonymous or shared credentials), and acts with the owner's role.
Neither works once revoked, expired, or when its user is deactivated or out of their access window.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from grc.crypto import EncryptedTextField

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


# --- sync sessions: a full sync larger than one request ------------------------------------------
SYNC_SESSION_IDLE = timedelta(hours=1)  # a session expires this long after it was opened or last appended to


class SyncKind(models.TextChoices):
    ACCOUNTS = "accounts", "Accounts of a system"


class SyncStatus(models.TextChoices):
    OPEN = "open", "Open"
    COMMITTED = "committed", "Committed"
    ABANDONED = "abandoned", "Abandoned"
    EXPIRED = "expired", "Expired"


class SyncSession(models.Model):
    """A full sync sent in pages (begin → pages → commit). A sync replaces the system's whole list,
    so splitting it into separate syncs would remove the accounts of every other page; a session
    gathers the pages and plans them all at once on commit. Only the token that opened it can add
    to it or commit it. Its pages (account names, emails) are dropped once it is committed,
    abandoned or expired; the session row keeps only counts."""

    kind = models.CharField(max_length=10, choices=SyncKind.choices, default=SyncKind.ACCOUNTS)
    system = models.ForeignKey("access_reviews.System", on_delete=models.CASCADE, related_name="+")
    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="sync_sessions")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=SyncStatus.choices, default=SyncStatus.OPEN)
    page_count = models.PositiveIntegerField(default=0)
    row_count = models.PositiveIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="committed, abandoned or expired at")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "expires_at"], name="api_sync_session_open")]

    def __str__(self) -> str:
        return f"sync session {self.pk} ({self.kind}, {self.status})"


class SyncPage(models.Model):
    """One page of a session, by its sequence number (1, 2, …): sending a number again replaces
    that page (a retried request), so a retry never doubles rows."""

    session = models.ForeignKey(SyncSession, on_delete=models.CASCADE, related_name="pages")
    seq = models.PositiveIntegerField()
    row_count = models.PositiveIntegerField()
    rows = EncryptedTextField(help_text="the page's rows as JSON, encrypted: names and emails")

    class Meta:
        ordering = ["session", "seq"]
        constraints = [models.UniqueConstraint(fields=["session", "seq"], name="api_sync_page_unique_seq")]

    def __str__(self) -> str:
        return f"page {self.seq} of sync session {self.session_id}"
