"""The accounts app's emails: one function per email, each with a subject/text/HTML template trio."""

from __future__ import annotations

from django.conf import settings

from grc.accounts.models import Invitation
from grc.mail import send_templated


def send_invitation(*, invitation: Invitation, link: str) -> int:
    """The single-use link to create an account (the token exists only here and in the email)."""
    return send_templated(
        to=[invitation.email],
        template="accounts/email/invitation",
        context={
            "invitation": invitation,
            "link": link,
            "valid_hours": settings.INVITATION_VALID_HOURS,
            "invited_by": invitation.invited_by,
        },
    )
