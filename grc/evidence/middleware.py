"""What auditors do is in the audit trail (DPP 3, issue 10: "every page view and download is audited").

``AuditorActivityMiddleware`` runs after the account policy middleware (so the auditor is signed
in, MFA-verified and inside their access window) and, for an auditor only:

* records each HTML page they were shown as ``evidence.auditor.page_view`` with the URL's name
  and its id arguments (never the query string, which may hold search text). Downloads are
  recorded by the views that serve them (``record_download``), so they are not counted twice,
  and htmx partial refreshes (a progress poll) belong to the page already recorded;
* sends them, right after sign-in, to the auditor home instead of the dashboard (the dashboard
  stays one click away): the sign-in flow's default target is the dashboard for everyone.

Everyone else passes through untouched (no query is made for them).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.shortcuts import redirect
from django.urls import reverse

from grc.audit.services import record_event

PAGE_VIEW_ACTION = "evidence.auditor.page_view"
SIGN_IN_PATHS = ("/accounts/verify/", "/accounts/login/")
SKIPPED_PREFIXES = ("/static/", "/healthz", "/favicon.ico")


def _is_auditor(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and getattr(user, "is_auditor", False) and user.is_verified())


def _just_signed_in(request) -> bool:
    referer = request.META.get("HTTP_REFERER", "")
    if not referer:
        return False
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.get_host():
        return False
    return parts.path.startswith(SIGN_IN_PATHS)


def _id_arguments(kwargs: dict) -> dict[str, str]:
    """URL arguments that identify records (ids, slugs); anything named like a secret is left out."""
    return {key: str(value)[:64] for key, value in kwargs.items() if "token" not in key and "secret" not in key}


class AuditorActivityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _is_auditor(request) or request.path.startswith(SKIPPED_PREFIXES):
            return self.get_response(request)
        if request.method == "GET" and request.path == reverse("compliance:dashboard") and _just_signed_in(request):
            return redirect("evidence:index")
        response = self.get_response(request)
        if request.method == "GET" and response.status_code == 200 and self._is_page(response) and not getattr(request, "htmx", False):
            self._record(request)  # htmx partials (e.g. the pack's progress poll) belong to a page already recorded
        return response

    @staticmethod
    def _is_page(response) -> bool:
        if getattr(response, "streaming", False) or response.has_header("Content-Disposition"):
            return False
        return response.get("Content-Type", "").startswith("text/html")

    @staticmethod
    def _record(request) -> None:
        match = request.resolver_match
        view_name = (match.view_name if match else "")[:64]
        details = {"path_args": _id_arguments(match.kwargs)} if match and match.kwargs else {}
        record_event(PAGE_VIEW_ACTION, request=request, object_type="url", object_id=view_name, details=details)
