"""Step-up MFA: signing something (a review, a plan, a certificate) needs a code from the
last ``STEP_UP_MAX_AGE_SECONDS`` (10 minutes). The sign-in code counts as the first one.

    @role_required(*LEAD_OR_MANAGER)
    @step_up_required
    def sign_off(request, pk): ...

A stale or missing step-up sends the user to the step-up page, which returns them to the page
they came from (a POST's form is shown again, so nothing is signed without a fresh code).
A wrong step-up code counts as a failed login (django-axes).

The step-up page says what is being signed when the view that sends the user there says it:
``return step_up_redirect(request, what="Approve version 3 of the IR plan")``. The description is kept in the session with the page it belongs to (``step_up_purpose``), so it is
shown only on the way back to that page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any, Protocol, TypeVar, cast
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

SESSION_KEY = "step_up_at"
PURPOSE_KEY = "step_up_purpose"  # {"next": the page to return to, "what": what is signed there}

_View = TypeVar("_View", bound=Callable[..., HttpResponseBase])


class StepUpView(Protocol):
    """A view function wrapped by ``step_up_required`` (marked ``step_up``)."""

    step_up: bool

    def __call__(self, request: HttpRequest, /, *args: Any, **kwargs: Any) -> HttpResponseBase: ...


def mark_step_up(request: HttpRequest, now: datetime | None = None) -> None:
    request.session[SESSION_KEY] = (now or timezone.now()).timestamp()


def step_up_is_fresh(request: HttpRequest, now: datetime | None = None) -> bool:
    stamp: float | None = request.session.get(SESSION_KEY)
    if stamp is None:
        return False
    now = now or timezone.now()
    return 0 <= now.timestamp() - stamp <= settings.STEP_UP_MAX_AGE_SECONDS


def step_up_redirect(request: HttpRequest, what: str = "") -> HttpResponseRedirect:
    """Send the user to the step-up page and back; ``what`` (plain words, no secrets) is shown there
    as what their code signs, e.g. "Sign off the 2027-Q1 access review: 11 accounts, 9 kept, 2 revoked"."""
    target = request.get_full_path()
    if what:
        request.session[PURPOSE_KEY] = {"next": target, "what": what}
    else:
        request.session.pop(PURPOSE_KEY, None)
    return redirect(f"{reverse('accounts:step_up')}?{urlencode({'next': target})}")


def step_up_purpose(request: HttpRequest, next_url: str) -> str:
    """What the code given on the step-up page signs: the description set by ``step_up_redirect``
    for ``next_url``, or "" (none was set, or it belongs to another page)."""
    purpose = request.session.get(PURPOSE_KEY) or {}
    if not isinstance(purpose, dict) or not next_url or purpose.get("next") != next_url:
        return ""
    return str(purpose.get("what", ""))


def step_up_required(view: _View) -> _View:
    """Run ``view`` only with a fresh step-up; otherwise ask for a code and come back."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not step_up_is_fresh(request):
            return step_up_redirect(request)
        return view(request, *args, **kwargs)

    cast(StepUpView, wrapper).step_up = True
    return cast(_View, wrapper)


def step_up_time(request: HttpRequest) -> datetime | None:
    """When the user last gave a one-time code (the step-up that signs what they do now), or None."""
    stamp: float | None = request.session.get(SESSION_KEY)
    return datetime.fromtimestamp(stamp, tz=UTC) if stamp else None
