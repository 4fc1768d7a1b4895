"""PDF rendering with WeasyPrint: one place for the print stylesheet and the fonts.

``render_pdf("assets/certificate.html", context)`` returns the bytes. WeasyPrint is slow on long
tables (see STACK.md): call it from Celery tasks or commands, never in a request, except for
one-page documents such as a certificate or a letter.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string


def render_pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    context = {"organisation_name": settings.ORGANISATION_NAME, **context}
    html = render_to_string(template, context)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
