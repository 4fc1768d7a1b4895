"""HTTP details every response shares: no caching of what a signed-in user sees, no NUL character
in a query string, and one check of where a ``next=`` link may lead.

Pages and downloads of a signed-in user hold personal data (people, accounts, incidents, CSV and
PDF exports). Without ``Cache-Control: no-store`` a browser keeps them on disk and shows them with
the Back button after sign-out, and a shared proxy may keep them for the next user. The sign-in
pages and static files of anonymous visitors are left alone: nothing personal is in them.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponseBadRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme


class NoStoreForSignedInMiddleware:
    """``Cache-Control: no-store, private`` on every response to a signed-in user or an API token.

    It sits after ``AuthenticationMiddleware`` so that ``request.user`` exists, and before the
    middleware that may answer early (MFA, idle sessions), so their redirects are covered too. API
    calls authenticate inside the view; DRF copies the token's user onto the Django request, and a
    request carrying an ``Authorization`` header is treated as authenticated even when refused.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if is_authenticated(request) and "no-store" not in response.get("Cache-Control", ""):
            # (a view that already said no-store, such as the page showing a new API token, is left as it is)
            patch_cache_control(response, no_store=True, private=True)
            response.headers.pop("Expires", None)  # an Expires in the future would contradict no-store for HTTP/1.0 caches
        return response


class RefuseNulInQueryMiddleware:
    """A 400 for a query string holding a NUL character (``%00``) in a name or a value.

    No link of the portal makes one, and PostgreSQL refuses NUL in text: a filter such as
    ``?type=%00`` reached ``filter(code="\\x00")`` and failed in the database (a 500) on any
    page that looks a parameter up. Forms (POST) are left to their fields, which already refuse
    NUL with a message next to the field."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            message = "The address holds a NUL character (%00): remove it and try again."
            if request.path.startswith("/api/"):  # the API answers JSON, errors included
                # the API's error shape (grc.api.errors.error_body), written here: the core does not import the API
                return JsonResponse({"status": 400, "error": "invalid", "detail": message, "errors": []}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain")
        return self.get_response(request)


def is_authenticated(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(getattr(user, "is_authenticated", False)) or "HTTP_AUTHORIZATION" in request.META


def safe_next(request: HttpRequest, target: str | None, fallback: str = "") -> str:
    """``target`` when it leads back into the portal (same host, http(s), HTTPS kept), else ``fallback``.

    Every ``next=``/``back=`` that becomes a redirect or a link goes through this (or Django's
    ``LoginView``, which does the same check): an unchecked one sends a signed-in user, from a
    page of the portal, to a look-alike site (open redirect, phishing for the one-time code)."""
    target = (target or "").strip()
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return fallback
    if not target.startswith("/") and not urlsplit(target).netloc:
        # A bare word ("dashboard", "2027-01") is relative to the current page at best, and
        # django.shortcuts.redirect() takes it for a URL name: NoReverseMatch, a 500.
        return fallback
    return target
