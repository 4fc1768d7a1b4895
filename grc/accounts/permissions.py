"""The one way views say who may use them (DPP 1.3, least privilege).

``@role_required(*roles)`` on function views, ``RoleRequiredMixin`` on class views. Anonymous
users go to the login page; a signed-in user without the role gets a 403 page (never a 200 with
an error inside) and the denial is recorded in the audit trail. The roles are stored on the view
so the authorization-matrix test can compare them with its declared matrix.

Object-level rules (a manager sees only their team's review rows) live in one access helper per
object type, e.g. ``get_incident_for(user, pk)``, which raises Http404 for outsiders.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from grc.accounts.models import Role

SECURITY_LEAD = (Role.SECURITY_LEAD,)
LEAD_OR_MANAGER = (Role.SECURITY_LEAD, Role.MANAGER)
READERS = (Role.SECURITY_LEAD, Role.MANAGER, Role.AUDITOR)  # read-only lists and reports
LEAD_OR_AUDITOR = (Role.SECURITY_LEAD, Role.AUDITOR)
EVERYONE = (Role.SECURITY_LEAD, Role.MANAGER, Role.AUDITOR, Role.STAFF)
WORKFORCE = (Role.SECURITY_LEAD, Role.MANAGER, Role.STAFF)  # everyone but auditors (who only read)


def deny(request, reason: str = "role") -> PermissionDenied:
    """Record a permission denial in the audit trail and return the exception to raise."""
    from grc.audit.services import record_event

    record_event(
        "accounts.permission_denied",
        request=request,
        outcome="failure",
        object_type="url",
        object_id=request.resolver_match.view_name if request.resolver_match else "",
        message=f"denied: {reason}",
    )
    return PermissionDenied(reason)


def check_role(request, roles) -> None:
    if not request.user.has_role(*roles):
        raise deny(request)


def role_required(*roles: str):
    """Allow only signed-in (and MFA-verified, via middleware) users with one of ``roles``."""
    if not roles:
        raise ValueError("role_required needs at least one role")

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            check_role(request, roles)
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = tuple(str(role) for role in roles)
        return wrapper

    return decorator


class RoleRequiredMixin:
    allowed_roles: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        check_role(request, self.allowed_roles)
        return super().dispatch(request, *args, **kwargs)
