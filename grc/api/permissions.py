"""Scope AND role, on every call: the token must carry the area's scope and its user must have
one of the roles the area's pages allow (``grc.api.scopes``). Denials are audited as
``accounts.permission_denied`` like the pages' (so the alarm rules count them too)."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from grc.accounts.permissions import deny
from grc.api.models import ApiToken
from grc.api.scopes import AREAS, role_allows, scope_allows, scope_name


def wants_write(request, view) -> bool:
    return request.method not in SAFE_METHODS


class AreaPermission(BasePermission):
    """``view.area`` names the area; an unsafe method (or ``view.write_action``) needs write."""

    message = "Not allowed."

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken) or request.user is None or not request.user.is_authenticated:
            return False
        area = getattr(view, "area", "")
        if not area:  # endpoints about the token itself: any valid token
            return True
        write = wants_write(request, view)
        if not scope_allows(token.scopes, area, write):
            self.message = f"This token lacks the {scope_name(area, write)} scope."
            deny(request._request, "scope")
            return False
        if not role_allows(request.user.role, area, write):
            verb = "change" if write else "read"
            self.message = f"The token's user ({request.user.get_role_display()}) may not {verb} {AREAS[area].label.lower()}."
            deny(request._request, "role")
            return False
        return True
