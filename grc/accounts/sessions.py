"""Which sessions belong to whom, so a deactivation or an MFA reset ends them all at once (DPP 1.2).

Django's session store cannot be searched by user, so each sign-in records its session key in
``UserSession``. Ending a user's sessions deletes them from whatever ``SESSION_ENGINE`` is in use.
"""

from __future__ import annotations

from importlib import import_module
from typing import cast

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django_otp import DEVICE_ID_SESSION_KEY

from grc.accounts.models import User, UserSession


def session_store(session_key: str | None = None) -> SessionBase:
    return cast(SessionBase, import_module(settings.SESSION_ENGINE).SessionStore(session_key))  # the engine's store class


def session_track(*, user: User, session_key: str | None) -> None:
    """Remember ``session_key`` as one of ``user``'s sessions and forget the ones that have ended."""
    if not session_key or user.pk is None:
        return
    stale = [key for key in UserSession.objects.filter(user=user).values_list("session_key", flat=True) if key != session_key]
    gone = [key for key in stale if not session_store().exists(key)]
    if gone:
        UserSession.objects.filter(session_key__in=gone).delete()
    UserSession.objects.update_or_create(session_key=session_key, defaults={"user": user})


def sessions_end(*, user: User) -> int:
    """Delete every tracked session of ``user``; returns how many were ended.

    Callers audit the event (this runs inside their transaction).
    """
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    store = session_store()
    ended = 0
    for key in keys:
        if store.exists(key):
            store.delete(key)
            ended += 1
    UserSession.objects.filter(user=user).delete()
    return ended


def sessions_end_half_signed_in(*, user: User, keep: str | None = None) -> int:
    """End ``user``'s sessions that passed the password but not the one-time code; returns how many.

    Called when the username is locked (``grc.accounts.signals``): such a session must not finish
    signing in later with a code. Fully signed-in sessions are left alone, so locking a username
    (which anyone can do with wrong passwords) does not throw its owner out of the portal.
    ``keep`` is the key of the request doing the locking: its view ends that one itself, and a
    session deleted under a running request would fail the request when it is saved.
    """
    ended = 0
    for key in UserSession.objects.filter(user=user).values_list("session_key", flat=True):
        if key == keep:
            continue
        store = session_store(key)
        data = store.load()  # {} for a session that is gone or expired
        if data and not data.get(DEVICE_ID_SESSION_KEY):
            store.delete(key)
            UserSession.objects.filter(session_key=key).delete()
            ended += 1
    return ended
