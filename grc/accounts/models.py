"""Portal users (one named person each), their roles, invitations and password history.

DPP 1.2: unique IDs, no generic/shared/default accounts; 1.3: roles for least privilege;
1.4: password age and history. MFA devices are django-otp's own models.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from grc.accounts.usernames import validate_username


class Role(models.TextChoices):
    SECURITY_LEAD = "security_lead", "Security lead"
    MANAGER = "manager", "Manager"
    AUDITOR = "auditor", "Auditor"
    STAFF = "staff", "Staff member"


NAME_FIELDS = ("first_name", "last_name")

if TYPE_CHECKING:
    _UserManagerBase = UserManager["User"]  # generic in the stubs only
else:
    _UserManagerBase = UserManager


class PortalUserManager(_UserManagerBase):
    """``create_superuser`` (and so ``manage.py createsuperuser --noinput``) obeys the same name and
    password rules as an invitation: no default admin with a weak password (DPP 1.2, 1.4).
    The first security lead is normally made with ``manage.py setup_link``."""

    def create_superuser(self, username: str, email: str | None = None, password: str | None = None, **extra_fields: Any) -> User:
        validate_username(username)
        if password is not None:
            candidate = self.model(username=username, email=email or "", **{k: v for k, v in extra_fields.items() if k in NAME_FIELDS})
            validate_password(password, candidate)
        extra_fields.setdefault("role", Role.SECURITY_LEAD)
        user = super().create_superuser(username, email, None, **extra_fields)
        if password is not None:
            user.set_password(password)  # through the validators' hook: dated, in the history, on the 365-day clock
            user.save(update_fields=["password"])
        return user


class User(AbstractUser):
    username = models.CharField(
        "username",
        max_length=150,
        unique=True,
        help_text="The person's own name, e.g. jsmith. Letters, digits and @/./+/-/_ only; generic names like admin are refused.",
        validators=[UnicodeUsernameValidator(), validate_username],
        error_messages={"unique": "A user with that username already exists."},
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.STAFF, db_index=True)
    manager = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    # Auditors (and anyone given time-boxed access) stop working outside this window.
    access_starts_at = models.DateTimeField(null=True, blank=True)
    access_expires_at = models.DateTimeField(null=True, blank=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    timezone = models.CharField(max_length=64, blank=True, help_text="IANA zone, e.g. Europe/London; empty = browser's")
    deactivated_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[PortalUserManager] = PortalUserManager()

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="auditor") | models.Q(access_expires_at__isnull=False),
                name="auditor_has_expiry",
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_absolute_url(self) -> str:
        return reverse("accounts:user_detail", args=[self.pk])

    @property
    def is_security_lead(self) -> bool:
        return self.role == Role.SECURITY_LEAD

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_auditor(self) -> bool:
        return self.role == Role.AUDITOR

    def has_role(self, *roles: str) -> bool:
        return self.is_authenticated and self.role in roles

    def access_is_current(self, now: datetime) -> bool:
        """False before the start or after the end of a time-boxed (auditor) access window."""
        if self.access_starts_at and now < self.access_starts_at:
            return False
        return not (self.access_expires_at and now >= self.access_expires_at)

    def password_expires_at(self) -> datetime | None:
        if self.password_changed_at is None:
            return None
        return self.password_changed_at + timedelta(days=settings.PASSWORD_MAX_AGE_DAYS)

    def password_changeable_at(self) -> datetime | None:
        """The end of the 1-day minimum age: the user cannot choose a new password before it."""
        if self.password_changed_at is None:
            return None
        return self.password_changed_at + timedelta(hours=settings.PASSWORD_MIN_AGE_HOURS)

    def password_expired(self, now: datetime) -> bool:
        expires = self.password_expires_at()
        return expires is not None and now >= expires


class PasswordHistory(models.Model):
    """Hashes of earlier passwords, so the last few cannot be reused (DPP 1.4)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=256)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """A single-use link that creates an account: the first-admin setup link or an invite.

    Only the SHA-256 of the token is stored; the link is shown once (console or email).
    """

    class Kind(models.TextChoices):
        SETUP = "setup", "First security lead"
        INVITE = "invite", "Invitation"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.INVITE)
    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField(blank=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.STAFF)
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    access_expires_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitation")

    class Meta:
        ordering = ["-created_at"]

    @classmethod
    def new_token(cls) -> str:
        return secrets.token_urlsafe(32)

    def is_usable(self, now: datetime) -> bool:
        return self.used_at is None and self.revoked_at is None and now < self.expires_at

    @property
    def status(self) -> str:
        now = timezone.now()
        if self.used_at:
            return "used"
        if self.revoked_at:
            return "revoked"
        return "pending" if now < self.expires_at else "expired"


class UserSession(models.Model):
    """The session keys a user signed in with, so deactivation can end every one of them at once.

    Written on each sign-in (and when a password change renews the key); rows whose session
    has gone are pruned at the next sign-in. The key itself is not a credential once deleted.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tracked_sessions")
    session_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"session of user {self.user_id}"
