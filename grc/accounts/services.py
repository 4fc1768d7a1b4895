"""Account services: invitations (including the first-admin setup link) and MFA enrolment.

Each service writes its own audit event; views stay thin.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from grc.accounts.models import Invitation, Role, User, hash_token
from grc.accounts.usernames import validate_username
from grc.audit.services import record_event

BACKUP_CODE_COUNT = 10


def invitation_link(token: str) -> str:
    base: str = settings.PORTAL_BASE_URL
    return base.rstrip("/") + reverse("accounts:accept_invitation", args=[token])


def setup_link_create(*, now: datetime) -> str | None:
    """The one-time link that creates the first security lead, or None once any user exists.

    Older unused setup links are revoked, so only the newest printed link works.
    """
    if User.objects.exists():
        return None
    token = Invitation.new_token()
    with transaction.atomic():
        Invitation.objects.filter(kind=Invitation.Kind.SETUP, used_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
        invitation = Invitation.objects.create(
            kind=Invitation.Kind.SETUP,
            token_hash=hash_token(token),
            role=Role.SECURITY_LEAD,
            expires_at=now + timedelta(hours=settings.SETUP_LINK_VALID_HOURS),
        )
        record_event("accounts.setup_link_created", system_actor="command", channel="command", obj=invitation)
    return invitation_link(token)


@transaction.atomic
def invitation_create(
    *,
    by: User,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    manager: User | None,
    access_expires_at: datetime | None,
    now: datetime,
    request: HttpRequest | None = None,
) -> tuple[Invitation, str]:
    """Invite a named person; the link is valid ``INVITATION_VALID_HOURS`` (72 h) and single-use."""
    if role == Role.AUDITOR and access_expires_at is None:
        raise ValidationError({"access_expires_at": "Auditor access needs an end date."})
    token = Invitation.new_token()
    invitation = Invitation.objects.create(
        kind=Invitation.Kind.INVITE,
        token_hash=hash_token(token),
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        manager=manager,
        access_expires_at=access_expires_at,
        invited_by=by,
        created_at=now,
        expires_at=now + timedelta(hours=settings.INVITATION_VALID_HOURS),
    )
    record_event("accounts.invitation_created", request=request, actor=by, obj=invitation, message=f"role={role}")
    return invitation, token


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User, now: datetime, request: HttpRequest | None = None) -> bool:
    """Withdraw an unused link; returns False when it was already used or withdrawn."""
    revoked = Invitation.objects.filter(pk=invitation.pk, used_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
    if revoked:
        invitation.revoked_at = now
        record_event("accounts.invitation_revoked", request=request, actor=by, obj=invitation, occurred_at=now)
    return bool(revoked)


@transaction.atomic
def invitation_renew(*, invitation: Invitation, by: User, now: datetime, request: HttpRequest | None = None) -> tuple[Invitation, str]:
    """Withdraw the old link and make a fresh 72-hour one with the same details (to email again)."""
    if invitation.used_at is not None:
        raise ValidationError("This invitation has been accepted already.")
    Invitation.objects.filter(pk=invitation.pk, revoked_at__isnull=True).update(revoked_at=now)
    token = Invitation.new_token()
    fresh = Invitation.objects.create(
        kind=invitation.kind,
        token_hash=hash_token(token),
        email=invitation.email,
        first_name=invitation.first_name,
        last_name=invitation.last_name,
        role=invitation.role,
        manager=invitation.manager,
        access_expires_at=invitation.access_expires_at,
        invited_by=by,
        created_at=now,
        expires_at=now + timedelta(hours=settings.INVITATION_VALID_HOURS),
    )
    if invitation.user_id:  # the one-to-one link moves to the fresh invitation
        Invitation.objects.filter(pk=invitation.pk).update(user=None)
        Invitation.objects.filter(pk=fresh.pk).update(user=invitation.user_id)
        fresh.user_id = invitation.user_id
    record_event("accounts.invitation_renewed", request=request, actor=by, obj=fresh, details={"replaces": invitation.pk}, occurred_at=now)
    return fresh, token


def invitation_for_token(token: str, now: datetime) -> Invitation | None:
    invitation = Invitation.objects.filter(token_hash=hash_token(token)).first()
    if invitation is None or not invitation.is_usable(now) or setup_link_superseded(invitation):
        return None
    return invitation


def setup_link_superseded(invitation: Invitation) -> bool:
    """A first-admin setup link works only while the portal has no user at all.

    It is printed to a console before anyone can sign in, and it makes a security lead (a
    superuser): once any account exists, whoever still holds an old printout or a scrolled-back
    terminal must not be able to add one within its 24 hours. New leads are invited by a lead."""
    return invitation.kind == Invitation.Kind.SETUP and User.objects.exists()


@transaction.atomic
def invitation_accept(
    *,
    invitation: Invitation,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    password: str,
    now: datetime,
    request: HttpRequest | None = None,
) -> User:
    """Create the invited account (or activate the pre-made one); the link works only once."""
    claimed = Invitation.objects.filter(pk=invitation.pk, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now).update(
        used_at=now
    )
    if claimed != 1:
        raise ValidationError("This link has already been used or has expired.")
    if setup_link_superseded(invitation):  # checked again here: the account may have been made since the page was shown
        raise ValidationError("This setup link no longer works: the portal has accounts now. Ask a security lead for an invitation.")
    user = invitation.user
    if user is None:
        validate_username(username)
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError({"username": "This username is taken."})
        user = User(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=email,
            role=invitation.role,
            manager=invitation.manager,
            access_expires_at=invitation.access_expires_at,
            is_staff=invitation.role == Role.SECURITY_LEAD,
            is_superuser=invitation.kind == Invitation.Kind.SETUP,
        )
    validate_password(password, user)
    user.set_password(password)
    user.save()
    Invitation.objects.filter(pk=invitation.pk).update(user=user)
    record_event(
        "accounts.invitation_accepted", request=request, actor=user, obj=user, message=f"invitation={invitation.pk} role={user.role}"
    )
    return user


def activation_link_create(*, user: User, now: datetime, by: User | None = None) -> str:
    """A single-use link for an account that exists without a password (demo or imported users)."""
    token = Invitation.new_token()
    Invitation.objects.create(
        kind=Invitation.Kind.INVITE,
        token_hash=hash_token(token),
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        role=user.role,
        user=user,
        invited_by=by,
        expires_at=now + timedelta(hours=settings.INVITATION_VALID_HOURS),
    )
    return invitation_link(token)


def totp_device_for_enrolment(user: User) -> TOTPDevice:
    """The user's unconfirmed authenticator device, created on first visit to enrolment."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


@transaction.atomic
def totp_confirm(*, user: User, device: TOTPDevice, token: str, request: HttpRequest | None = None) -> list[str] | None:
    """Confirm the device with a code from the app; returns 10 fresh backup codes, or None."""
    if not device.verify_token(token):
        record_event("accounts.mfa_enrolment_failed", request=request, actor=user, outcome="failure", obj=user)
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    codes = backup_codes_regenerate(user=user)
    record_event("accounts.mfa_enrolled", request=request, actor=user, obj=user, message="totp device confirmed")
    return codes


def backup_codes_regenerate(*, user: User) -> list[str]:
    """Replace the user's backup codes with 10 new single-use codes (shown once)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Backup codes", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes
