"""Request-wide account policy: client address, IP allow-list, MFA, expiry and time zone.

Order matters (see settings.MIDDLEWARE): the address is known before anything else runs; the
allow-list refuses strangers before sessions are read; ``AccountPolicyMiddleware`` runs after
django-otp's ``OTPMiddleware`` so ``request.user.is_verified()`` is available.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from typing import cast
from urllib.parse import unquote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.messages.storage import default_storage
from django.contrib.messages.storage.base import BaseStorage
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from grc.accounts.network import address_allowed, client_ip
from grc.accounts.policy import ACCESS_ENDED, ACCESS_ENDED_MESSAGE, ENROL, PASSWORD_EXPIRED, VERIFY, account_policy_state
from grc.audit.services import record_event

# Paths a signed-in but not yet verified (or expired-password) user may still reach.
EXEMPT_PREFIXES = (
    "/static/",
    "/accounts/logout/",
    "/accounts/login/",
    "/accounts/setup/",
    "/accounts/invite/",
    "/api/",
    "/favicon.ico",
    "/healthz",
)


class PortalRequest(HttpRequest):
    """What this module's middleware adds to Django's request (for mypy): the client's address,
    the zone times are shown in, and a message storage attached before ``MessageMiddleware``."""

    client_ip: str
    timezone_name: str
    _messages: BaseStorage


def redirect_with_message(request: HttpRequest, level: int, text: str, to: str) -> HttpResponseRedirect:
    """Redirect with a flash message from a middleware that runs before ``MessageMiddleware``.

    That middleware has not attached its storage yet (and never sees this short-circuited
    request), so attach one here and write it to the response ourselves.
    """
    storage: BaseStorage | None = getattr(request, "_messages", None)
    own = storage is None
    if storage is None:
        storage = cast(PortalRequest, request)._messages = default_storage(request)
    storage.add(level, text)
    response = redirect(to)
    if own:
        storage.update(response)
    return response


POLL_HEADER = "HTTP_X_PORTAL_POLL"  # "X-Portal-Poll: 1", sent by a panel that refreshes itself


class IdleSessionMiddleware(SessionMiddleware):
    """Django's session middleware, except that a page polling by itself (a GET with
    ``X-Portal-Poll: 1``, e.g. a pack's progress panel) is not the user's activity: it does not
    renew the idle timeout (``SESSION_SAVE_EVERY_REQUEST``), so an open tab cannot keep a session
    alive past ``SESSION_IDLE_MINUTES``. A poll that changed the session is still saved."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        passive = request.method in ("GET", "HEAD") and request.META.get(POLL_HEADER) == "1"
        if passive and session is not None and not session.modified:
            if session.accessed:
                patch_vary_headers(response, ("Cookie",))
            return response
        return super().process_response(request, response)


class ClientAddressMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        cast(PortalRequest, request).client_ip = client_ip(request.META)
        return self.get_response(request)


class AllowedNetworksMiddleware:
    """``ALLOWED_CIDRS`` (DPP 1.1): every request from another address gets 403 and is audited."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not address_allowed(cast(PortalRequest, request).client_ip, settings.ALLOWED_CIDRS):  # after ClientAddressMiddleware
            record_event("accounts.network_denied", request=request, outcome="failure", message="address outside ALLOWED_CIDRS")
            return HttpResponseForbidden(render_to_string("403.html", {"reason": "network"}))
        return self.get_response(request)


class AccountPolicyMiddleware:
    """Every account must have MFA (DPP 1.4), be active and in its access window, and have a
    password younger than the maximum age. Anything else reaches only enrolment/verify/logout.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated or request.path.startswith(EXEMPT_PREFIXES):
            return self.get_response(request)
        state = account_policy_state(user, timezone.now())
        if state == ACCESS_ENDED:
            logout(request)
            return redirect_with_message(request, messages.ERROR, ACCESS_ENDED_MESSAGE, settings.LOGIN_URL)
        mfa_paths = (reverse("accounts:verify"), reverse("accounts:enrol"), reverse("accounts:backup_codes"))
        if state in (VERIFY, ENROL):
            if request.path in mfa_paths:
                return self.get_response(request)
            return redirect("accounts:verify" if state == VERIFY else "accounts:enrol")
        change_path = reverse("accounts:password_change")
        if state == PASSWORD_EXPIRED and request.path not in (change_path, *mfa_paths):
            return redirect_with_message(
                request, messages.WARNING, "Your password is more than a year old. Choose a new one to continue (DPP 1.4).", change_path
            )
        return self.get_response(request)


class UserTimezoneMiddleware:
    """Show times in the user's zone: their profile setting, else the browser's (cookie ``tz``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        name = ""
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.timezone:
            name = user.timezone
        name = name or unquote(request.COOKIES.get("tz", ""))  # static/js/portal.js URL-encodes the "/"
        try:
            zone = zoneinfo.ZoneInfo(name) if name else None
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = None
        if zone is not None:
            timezone.activate(zone)
            cast(PortalRequest, request).timezone_name = name
        else:
            timezone.deactivate()
            cast(PortalRequest, request).timezone_name = "UTC"
        return self.get_response(request)
