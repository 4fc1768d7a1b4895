"""The one way views say who may use them (DPP 1.3, least privilege).

``@role_required(*roles)`` on function views, ``RoleRequiredMixin`` on class views. Anonymous
users go to the login page; a signed-in user without the role gets a 403 page (never a 200 with
an error inside) and the denial is recorded in the audit trail. The roles are stored on the view
so the authorization-matrix test can compare them with its declared matrix.

Object-level rules (a manager sees only their team's review rows) live in one access helper per
object type, e.g. ``get_incident_for(user, pk)``, which raises Http404 for outsiders.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from grc.accounts.models import Role, User
from grc.audit.services import record_event

if TYPE_CHECKING:
    # the mixin only ever precedes a class-based view: let mypy check its super() call against View
    from django.views import View

    _ViewBase = View
else:
    _ViewBase = object

SECURITY_LEAD = (Role.SECURITY_LEAD,)
LEAD_OR_MANAGER = (Role.SECURITY_LEAD, Role.MANAGER)
READERS = (Role.SECURITY_LEAD, Role.MANAGER, Role.AUDITOR)  # read-only lists and reports
LEAD_OR_AUDITOR = (Role.SECURITY_LEAD, Role.AUDITOR)
EVERYONE = (Role.SECURITY_LEAD, Role.MANAGER, Role.AUDITOR, Role.STAFF)
WORKFORCE = (Role.SECURITY_LEAD, Role.MANAGER, Role.STAFF)  # everyone but auditors (who only read)


class SignedInRequest(HttpRequest):
    """The request of a view behind ``role_required`` or ``RoleRequiredMixin``: ``user`` is a signed-in
    portal account (for mypy; the object is Django's own request)."""

    user: User


_View = TypeVar("_View", bound=Callable[..., HttpResponseBase])


class RoleGuardedView(Protocol):
    """A view function wrapped by ``role_required``, with the roles it lets in (the matrix tests read them)."""

    allowed_roles: tuple[str, ...]

    def __call__(self, request: HttpRequest, /, *args: Any, **kwargs: Any) -> HttpResponseBase: ...


def deny(request: HttpRequest, reason: str = "role") -> PermissionDenied:
    """Record a permission denial in the audit trail and return the exception to raise."""
    record_event(
        "accounts.permission_denied",
        request=request,
        outcome="failure",
        object_type="url",
        object_id=request.resolver_match.view_name if request.resolver_match else "",
        message=f"denied: {reason}",
    )
    return PermissionDenied(reason)


def check_role(request: SignedInRequest, roles: tuple[str, ...]) -> None:
    if not request.user.has_role(*roles):
        raise deny(request)


def role_required(*roles: str) -> Callable[[_View], _View]:
    """Allow only signed-in (and MFA-verified, via middleware) users with one of ``roles``."""
    if not roles:
        raise ValueError("role_required needs at least one role")

    def decorator(view: _View) -> _View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            check_role(cast(SignedInRequest, request), roles)  # signed in: the user is a portal account
            return view(request, *args, **kwargs)

        cast(RoleGuardedView, wrapper).allowed_roles = tuple(str(role) for role in roles)
        return cast(_View, wrapper)

    return decorator


class RoleRequiredMixin(_ViewBase):
    allowed_roles: tuple[str, ...] = ()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        check_role(cast(SignedInRequest, request), self.allowed_roles)  # signed in: the user is a portal account
        return super().dispatch(request, *args, **kwargs)
