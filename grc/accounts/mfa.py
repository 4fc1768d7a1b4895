"""The one-time-code step, shared by every form that asks for a code (DPP 1.2, 1.4, 2.6).

Three forms check a code: the portal's verify page (second sign-in step), the step-up page
(before a signature) and the admin sign-in (password and code on one form). Each must treat a
code the same way, or the weakest of them sets the lockout for all:

* a wrong code is audited (``accounts.mfa_failed`` / ``accounts.step_up_failed``, counted by the
  alarm rules and the evidence pack) and is a failed sign-in for django-axes, so wrong codes lock
  the username like wrong passwords (``code_failed``);
* while the username is locked no code is checked at all (``locked``): a session that had the
  password before the lock cannot finish signing in during it, even with a right code;
* a right code at sign-in gives the session a new key (``code_accepted``): the key the browser
  held while half signed in, which an attacker may have planted or seen, is worth nothing after.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import user_login_failed
from django.http import HttpRequest
from django.middleware.csrf import rotate_token
from django_otp import login as otp_login
from django_otp import match_token

from grc.accounts.lockout import attempts_clear_after_sign_in
from grc.accounts.models import User
from grc.accounts.sessions import session_track
from grc.accounts.stepup import mark_step_up
from grc.audit.services import record_event

if TYPE_CHECKING:
    from django_otp.models import Device

# user_login_failed senders whose failure is already audited here (grc.accounts.signals skips them).
CODE_FAILURE_SENDER = "grc.accounts.mfa"

SIGN_IN = "accounts.mfa_failed"
STEP_UP = "accounts.step_up_failed"


def _credentials(user: User) -> dict[str, str]:
    return {"username": user.get_username()}


def locked(request: HttpRequest, user: User) -> bool:
    """Whether django-axes holds ``user``'s username locked (every address counts)."""
    is_locked: bool = AxesProxyHandler.is_locked(request, _credentials(user))
    return is_locked


def refuse_locked(request: HttpRequest, user: User, *, where: str) -> None:
    """Audit a code step refused because the username is locked (no code was checked)."""
    record_event("accounts.mfa_refused", request=request, obj=user, outcome="failure", message=f"account locked; {where}")


def code_failed(request: HttpRequest, user: User, *, action: str = SIGN_IN, where: str = "") -> bool:
    """Audit a wrong code and count it with django-axes; True when the username is now locked.

    ``where`` is a fixed label (``admin sign-in``), never input. The username goes to axes (it
    counts by it) but not into the trail, which names the account by id.
    """
    message = "wrong one-time code" + (f" ({where})" if where else "")
    record_event(action, request=request, obj=user, outcome="failure", message=message)
    user_login_failed.send(sender=CODE_FAILURE_SENDER, credentials=_credentials(user), request=request)
    return bool(getattr(request, "axes_locked_out", False))


def signed_in_with_code(request: HttpRequest, user: User, device: Device, *, where: str = "") -> None:
    """What every completed sign-in does once the code is right: forget the earlier failures, count
    the code as a fresh step-up, audit it. The session is already verified (``code_accepted`` or
    django-otp's login hook did it)."""
    mark_step_up(request)
    attempts_clear_after_sign_in(username=user.get_username())
    message = f"device={device.persistent_id.split('/')[0]}" + (f" ({where})" if where else "")
    record_event("accounts.mfa_verified", request=request, obj=user, message=message)


def step_up_with_code(request: HttpRequest, user: User, code: str, *, where: str = "") -> str:
    """A one-time code typed into the form that it signs (the IR-plan review): the step-up page's
    rules in one call, so the signature needs no second page. Returns ``"accepted"`` (the step-up is
    fresh now and audited as ``accounts.step_up``), ``"wrong"`` (audited and counted by axes like any
    wrong code) or ``"locked"`` (the username is locked: no code was checked, or this one locked it)."""
    if locked(request, user):
        refuse_locked(request, user, where=where or "step-up")
        return "locked"
    if match_token(user, code) is None:
        return "locked" if code_failed(request, user, action=STEP_UP, where=where) else "wrong"
    mark_step_up(request)
    record_event("accounts.step_up", request=request, obj=user, message=where)
    return "accepted"


def code_accepted(request: HttpRequest, device: Device) -> None:
    """Finish the portal's sign-in: mark the session verified, then give it a new key (and a new
    CSRF token) — the half-signed-in key stops working — and track the new key for the user."""
    user = cast(User, request.user)  # the verify page's user has given the password: a portal account
    otp_login(request, device)
    request.session.cycle_key()
    rotate_token(request)
    session_track(user=user, session_key=request.session.session_key)
    signed_in_with_code(request, user, device)
