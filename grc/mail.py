"""Sending the portal's emails: one function per email lives in each app's ``emails.py`` and calls
``send_templated`` with a template trio ``<name>_subject.txt``, ``<name>.txt``, ``<name>.html``.

Emails carry no PII beyond the recipient's own address and the names needed to act; links are
absolute (``PORTAL_BASE_URL``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context, engines
from django.template.backends.django import Template as DjangoBackendTemplate
from django.template.loader import render_to_string


def absolute_url(path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    base: str = settings.PORTAL_BASE_URL
    return base.rstrip("/") + path


def render_text(name: str, context: dict) -> str:
    """A plain-text template rendered with autoescaping off.

    Django escapes HTML in every template it renders, so an invitation to "O'Brien" from "Smith &
    Jones" read "O&#x27;Brien" and "Smith &amp; Jones" in the text part and the subject. Plain text
    is never parsed as HTML by a mail client, so nothing needs escaping there; the HTML part keeps
    Django's escaping (each template need not remember ``{% autoescape off %}``)."""
    # the engine's Template: it takes a Context
    template = cast(DjangoBackendTemplate, engines["django"].get_template(name)).template
    return template.render(Context(context, autoescape=False))


def send_templated(*, to: Iterable[str], template: str, context: dict, fail_silently: bool = False) -> int:
    """Render ``template`` (a path prefix such as ``compliance/email/reminder``) and send it.

    Returns the number of messages sent (0 or 1); SMTP errors propagate so callers can retry.
    """
    recipients = sorted({address for address in to if address})
    if not recipients:
        return 0
    context = {"organisation_name": settings.ORGANISATION_NAME, "portal_url": settings.PORTAL_BASE_URL, **context}
    subject = " ".join(render_text(f"{template}_subject.txt", context).split())
    text = render_text(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=recipients)
    message.attach_alternative(html, "text/html")
    return message.send(fail_silently=fail_silently)
