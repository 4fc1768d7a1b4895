"""Values every page needs: organisation name, the user's role flags and the navigation."""

from __future__ import annotations

from django.conf import settings


def portal(request) -> dict:
    user = getattr(request, "user", None)
    return {
        "organisation_name": settings.ORGANISATION_NAME,
        "current_timezone_name": getattr(request, "timezone_name", "UTC"),
        "role": getattr(user, "role", None) if user and user.is_authenticated else None,
    }
