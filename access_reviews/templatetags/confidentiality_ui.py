"""The DPP 2.2 confidentiality flag where people appear: the person page (a panel), the reviewer's
rows of an access review (a badge on accounts that give PII access) and the campaign page (the
people missing an agreement).

The review page keeps its fixed query count: the badge queries only for rows whose system is
linked to an inventory asset, and then once per request (cached on the request).
"""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.html import format_html

from access_reviews.confidentiality import people_without_agreement, person_status, pii_systems
from access_reviews.flags import NO_CONFIDENTIALITY, NO_CONFIDENTIALITY_LABEL

register = template.Library()
CACHE_ATTRIBUTE = "_confidentiality_flags"
GAPS_SHOWN = 20


def _flag_badge() -> str:
    return format_html(
        '<span class="badge rounded-pill text-bg-danger" data-flag="{}" title="DPP 2.2">{}</span>',
        NO_CONFIDENTIALITY,
        NO_CONFIDENTIALITY_LABEL,
    )


def _cached_flags(context) -> tuple[set[int], set[int]]:
    """(ids of systems holding PII, ids of people flagged): two queries per request at most."""
    request = context.get("request")
    cached = getattr(request, CACHE_ATTRIBUTE, None) if request is not None else None
    if cached is None:
        day = timezone.now().date()
        cached = (set(pii_systems().values_list("pk", flat=True)), set(people_without_agreement(day).values_list("pk", flat=True)))
        if request is not None:
            setattr(request, CACHE_ATTRIBUTE, cached)
    return cached


@register.simple_tag(takes_context=True)
def pii_agreement_badge(context, row):
    """``{% pii_agreement_badge row %}`` on a review row: the flag when this account gives its person
    PII access and they have no confidentiality agreement in force."""
    if not row.person_id or row.system.asset_id is None:
        return ""
    systems, people = _cached_flags(context)
    if row.system_id in systems and row.person_id in people:
        return _flag_badge()
    return ""


@register.inclusion_tag("access_reviews/partials/confidentiality_panel.html", takes_context=True)
def confidentiality_panel(context, person):
    """``{% confidentiality_panel person %}`` on the person page."""
    request = context.get("request")
    user = getattr(request, "user", None)
    status = person_status(person, timezone.now().date())
    return {
        **status,
        "person": person,
        "flag_label": NO_CONFIDENTIALITY_LABEL,
        "can_edit": bool(user and user.is_security_lead and not person.is_terminated),
        "can_download": bool(user and (user.is_security_lead or user.is_auditor)),
    }


@register.inclusion_tag("access_reviews/partials/confidentiality_gaps.html", takes_context=True)
def confidentiality_gaps(context):
    """``{% confidentiality_gaps %}`` on the campaign page: people with PII access and no agreement."""
    people = list(people_without_agreement(timezone.now().date()).order_by("person_id")[: GAPS_SHOWN + 1])
    return {"people": people[:GAPS_SHOWN], "more": len(people) > GAPS_SHOWN, "flag_label": NO_CONFIDENTIALITY_LABEL}
