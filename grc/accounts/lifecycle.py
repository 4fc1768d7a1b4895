"""What the security lead does to portal accounts after they exist (DPP 1.2, 1.3, 1.4).

Role, manager and access window changes, deactivation (which ends every session at once),
reactivation, MFA reset and the administrator's password reset; plus the user's own profile
and backup codes. Every service writes its audit event with the changed field *names* only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, cast

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from grc.accounts.models import Invitation, Role, User
from grc.accounts.services import backup_codes_regenerate
from grc.accounts.sessions import sessions_end
from grc.accounts.signals import account_deactivated, account_reactivated
from grc.audit.services import record_change, record_event


class _AdminReset(Protocol):
    """The marks ``mark_admin_reset`` leaves on a user for the password validators (grc.accounts.passwords)."""

    _password_reset_by_admin: bool
    _password_set_by: User | None


SELF_MESSAGE = "You cannot do this to your own account: ask another security lead."


def _refuse_self(user: User, by: User) -> None:
    if user.pk == by.pk:
        raise ValidationError(SELF_MESSAGE, code="self")


def is_last_active_lead(user: User) -> bool:
    if user.role != Role.SECURITY_LEAD or not user.is_active:
        return False
    return not User.objects.filter(role=Role.SECURITY_LEAD, is_active=True).exclude(pk=user.pk).exists()


@transaction.atomic
def user_update(
    *,
    user: User,
    by: User,
    role: str,
    manager: User | None,
    access_expires_at: datetime | None,
    now: datetime,
    request: HttpRequest | None = None,
) -> list[str]:
    """Change role, manager and access end; returns the changed field names (audited)."""
    errors: dict[str, str] = {}
    if role != user.role and user.pk == by.pk:
        errors["role"] = "You cannot change your own role: ask another security lead."
    elif role != user.role and is_last_active_lead(user):
        errors["role"] = "This is the only active security lead: make someone else security lead first."
    if role == Role.AUDITOR and access_expires_at is None:
        errors["access_expires_at"] = "Auditor access needs an end date."
    if manager is not None and manager.pk == user.pk:
        errors["manager"] = "A person cannot be their own manager."
    if errors:
        raise ValidationError(errors)
    values = {"role": role, "manager_id": manager.pk if manager else None, "access_expires_at": access_expires_at}
    values["is_staff"] = role == Role.SECURITY_LEAD  # Django admin only for security leads (behind MFA)
    if role != Role.SECURITY_LEAD:
        values["is_superuser"] = False
    changed = [field for field, value in values.items() if getattr(user, field) != value]
    if not changed:
        return []
    for field in changed:
        setattr(user, field, values[field])
    user.save(update_fields=changed)
    names = [field.removesuffix("_id") for field in changed]
    record_change("updated", user, request=request, actor=by, changed_fields=names)
    return names


@transaction.atomic
def user_deactivate(*, user: User, by: User, now: datetime, request: HttpRequest | None = None) -> int:
    """Switch the account off and end all its sessions at once; returns the sessions ended.

    Its pending invitation link is withdrawn and its password clock waived.
    """
    _refuse_self(user, by)
    if not user.is_active:
        return 0
    user.is_active = False
    user.deactivated_at = now
    user.save(update_fields=["is_active", "deactivated_at"])
    ended = sessions_end(user=user)
    Invitation.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
    account_deactivated.send(sender=User, user=user, when=now, by=by)  # its password clock is waived (grc.oversight)
    record_event(
        "accounts.user.deactivated",
        request=request,
        actor=by,
        obj=user,
        changed_fields=["is_active", "deactivated_at"],
        details={"sessions_ended": ended},
        occurred_at=now,
    )
    return ended


@transaction.atomic
def user_reactivate(*, user: User, by: User, now: datetime, request: HttpRequest | None = None) -> bool:
    """Switch the account on again (its MFA devices and password are kept)."""
    if user.is_active:
        return False
    user.is_active = True
    user.deactivated_at = None
    user.save(update_fields=["is_active", "deactivated_at"])
    account_reactivated.send(sender=User, user=user)  # its password clock runs again (grc.oversight)
    record_event(
        "accounts.user.reactivated", request=request, actor=by, obj=user, changed_fields=["is_active", "deactivated_at"], occurred_at=now
    )
    return True


@transaction.atomic
def user_mfa_reset(*, user: User, by: User, now: datetime, request: HttpRequest | None = None) -> int:
    """Remove the user's authenticator and backup codes (a lost phone) and end their sessions.

    At the next sign-in they must enrol a new authenticator before reaching anything else.
    Returns the number of devices removed.
    """
    _refuse_self(user, by)
    removed: int = TOTPDevice.objects.filter(user=user).delete()[0] + StaticDevice.objects.filter(user=user).delete()[0]
    ended = sessions_end(user=user)
    record_event(
        "accounts.mfa_reset",
        request=request,
        actor=by,
        obj=user,
        message="mfa devices removed by the security lead",
        details={"records_removed": removed, "sessions_ended": ended},
        occurred_at=now,
    )
    return removed


def mark_admin_reset(user: User, by: User | None) -> User:
    """Let the validators know this is an administrator's reset: the 1-day minimum age does not apply."""
    marks = cast(_AdminReset, user)
    marks._password_reset_by_admin = True
    marks._password_set_by = by
    return user


@transaction.atomic
def user_password_reset(*, user: User, password: str, by: User, now: datetime, request: HttpRequest | None = None) -> int:
    """The security lead sets a new password (allowed within the minimum age; audited).

    Every other rule still applies. The user's sessions end; returns how many.
    """
    _refuse_self(user, by)
    mark_admin_reset(user, by)
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])  # the validators' password_changed hook dates it and restarts its clock
    ended = sessions_end(user=user)
    record_event(
        "accounts.password_reset_by_admin",
        request=request,
        actor=by,
        obj=user,
        changed_fields=["password", "password_changed_at"],
        details={"sessions_ended": ended},
        occurred_at=now,
    )
    return ended


@transaction.atomic
def profile_update(*, user: User, timezone_name: str, request: HttpRequest | None = None) -> list[str]:
    """The user's own settings: their time zone (empty means the browser's)."""
    if user.timezone == timezone_name:
        return []
    user.timezone = timezone_name
    user.save(update_fields=["timezone"])
    record_change("updated", user, request=request, actor=user, changed_fields=["timezone"])
    return ["timezone"]


@transaction.atomic
def backup_codes_renew(*, user: User, request: HttpRequest | None = None) -> list[str]:
    """Ten new single-use backup codes; the old ones stop working. Shown once by the caller."""
    codes = backup_codes_regenerate(user=user)
    record_event("accounts.backup_codes_regenerated", request=request, actor=user, obj=user, details={"count": len(codes)})
    return codes
