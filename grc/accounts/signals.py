"""Audit of authentication events raised by Django and django-axes (DPP 1.2, 2.6).

Receivers only record; they change nothing. Usernames are not copied into the trail (the
failed username may be someone's email address): failures refer to the account id when known.
Each sign-in also records its session key (``grc.accounts.sessions``): the signal is the one
place every sign-in path passes (the login page, an accepted invitation, the admin).
"""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from grc.accounts.sessions import session_track
from grc.audit.services import record_event


def _account_id(username: str | None):
    if not username:
        return ""
    user_id = get_user_model().objects.filter(username=username).values_list("pk", flat=True).first()
    return user_id or ""


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    record_event("accounts.login", request=request, actor=user, obj=user, message="password accepted")


@receiver(user_logged_in)
def track_session(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None:
        session_track(user=user, session_key=session.session_key)


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        record_event("accounts.logout", request=request, actor=user, obj=user)


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs):
    if sender == "grc.accounts.views":
        return  # a wrong one-time code: already recorded as accounts.mfa_failed
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
def audit_lockout(sender, request, username, ip_address, **kwargs):
    account = _account_id(username)
    record_event(
        "accounts.locked_out",
        request=request,
        outcome="failure",
        object_type="accounts.user" if account else "",
        object_id=account,
        message="too many failed attempts",
    )
