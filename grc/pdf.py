"""PDF rendering with WeasyPrint: one place for the print stylesheet and the fonts.

``render_pdf("assets/certificate_pdf.html", context)`` returns the bytes;
``render_pdf_pages(...)`` also says how many pages were made. WeasyPrint is slow on long
tables (see STACK.md): call it from Celery tasks or commands, never in a request, except for
one-page documents such as a certificate or a letter.

Running headers and footers (``templates/pdf/base.html``) take their text from hidden elements
in the body through CSS ``string-set``/``string()``, so any value — quotes, dashes, backslashes,
non-Latin letters — reaches the page margin exactly as written, escaped only by the HTML
template engine. Never put a value inside a CSS ``content: "..."`` string.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string


def render_html(template: str, context: dict) -> str:
    context = {"organisation_name": settings.ORGANISATION_NAME, **context}
    return render_to_string(template, context)


def render_pdf_pages(template: str, context: dict) -> tuple[bytes, int]:
    """The PDF bytes and the number of pages."""
    # WeasyPrint is loaded only when a PDF is rendered: it adds ~1.7 s to every process start
    from weasyprint import HTML

    document = HTML(string=render_html(template, context), base_url=str(settings.BASE_DIR)).render()
    return document.write_pdf(), len(document.pages)


def render_pdf(template: str, context: dict) -> bytes:
    return render_pdf_pages(template, context)[0]
