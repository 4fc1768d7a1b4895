"""Audit of authentication events raised by Django and django-axes (DPP 1.2, 2.6).

Receivers record (the two exceptions are named below). Usernames are not copied into the trail (the
failed username may be someone's email address): failures refer to the account id when known.
Each sign-in also records its session key (``grc.accounts.sessions``): the signal is the one
place every sign-in path passes (the login page, an accepted invitation, the admin).

The exceptions: a lock ends the username's half-signed-in sessions (password given, code not yet),
so none of them can finish signing in with a code later (``end_half_signed_in_sessions``); and a
sign-in whose form took the code too (the admin) forgets earlier failures, as the verify page does
(``complete_sign_in_with_code``).

It also defines the signals the accounts app sends about its own records, for the layers above it
that must act on them (the obligation engine's password clock, ``grc.oversight.signals``):

* ``password_set(user, changed_at, by)`` — a password was set, on any path (pages, admin,
  ``changepassword``), after its time and history were recorded;
* ``account_deactivated(user, when, by)`` and ``account_reactivated(user)``.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import Signal, receiver
from django.http import HttpRequest

from grc.accounts.mfa import CODE_FAILURE_SENDER, signed_in_with_code
from grc.accounts.models import User
from grc.accounts.sessions import session_track, sessions_end_half_signed_in
from grc.audit.services import record_event

password_set = Signal()
account_deactivated = Signal()
account_reactivated = Signal()


def _account_id(username: str | None) -> int | str:
    if not username:
        return ""
    user_id = get_user_model().objects.filter(username=username).values_list("pk", flat=True).first()
    return user_id or ""


@receiver(user_logged_in)
def audit_login(sender: object, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    record_event("accounts.login", request=request, actor=user, obj=user, message="password accepted")


@receiver(user_logged_in)
def track_session(sender: object, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        session_track(user=user, session_key=session.session_key)


@receiver(user_logged_in)
def complete_sign_in_with_code(sender: object, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """A form that took the password and the code together (the admin sign-in, django-otp's form)
    leaves the matched device on ``user.otp_device``; that sign-in is complete, as after the
    portal's verify page: earlier failures are forgotten and the code is audited."""
    device = getattr(user, "otp_device", None)
    if device is not None and request is not None:
        signed_in_with_code(request, user, device, where="admin sign-in")


@receiver(user_logged_out)
def audit_logout(sender: object, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        record_event("accounts.logout", request=request, actor=user, obj=user)


@receiver(user_login_failed)
def audit_login_failed(sender: object, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    if sender == CODE_FAILURE_SENDER:
        return  # a wrong one-time code: already recorded as accounts.mfa_failed or accounts.step_up_failed
    account = _account_id(credentials.get("username"))
    record_event(
        "accounts.login_failed",
        request=request,
        outcome="failure",
        object_type="accounts.user" if account else "",
        object_id=account,
        message="wrong password" if account else "unknown username",
    )


@receiver(user_locked_out)
def audit_lockout(sender: object, request: HttpRequest | None, username: str | None, ip_address: str | None, **kwargs: Any) -> None:
    account = _account_id(username)
    record_event(
        "accounts.locked_out",
        request=request,
        outcome="failure",
        object_type="accounts.user" if account else "",
        object_id=account,
        message="too many failed attempts",
    )


@receiver(user_locked_out)
def end_half_signed_in_sessions(
    sender: object, request: HttpRequest | None, username: str | None, ip_address: str | None, **kwargs: Any
) -> None:
    """A locked username keeps no session that could still finish signing in with a code."""
    if not username:
        return
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        return
    session = getattr(request, "session", None)
    ended = sessions_end_half_signed_in(user=user, keep=getattr(session, "session_key", None))
    if ended:
        record_event(
            "accounts.sessions_ended",
            request=request,
            obj=user,
            message="half-signed-in sessions ended by the lockout",
            details={"sessions_ended": ended},
        )
