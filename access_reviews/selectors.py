"""Reads other apps (and this app's pages) may use: no writes here.

* ``person_names()`` — decrypted first and last names of registry people, for other apps' PII
  checks (e.g. incidents refusing names in fields meant to be PII-free).
* ``campaign_report(campaign)`` — the campaign report's data, rendered as a page here and as a
  PDF by the evidence packs.
"""

from __future__ import annotations

from access_reviews.models import Person
from access_reviews.reports import campaign_report

__all__ = ["campaign_report", "person_names", "people_visible_to"]


def person_names() -> set[str]:
    """Every first and last name in the registry (decrypted), non-empty, as stored."""
    names: set[str] = set()
    for first, last in Person.objects.values_list("first_name", "last_name").iterator(chunk_size=2000):
        names.update(part for part in (first, last) if part)
    return names


def people_visible_to(user):
    """People a user may read: the lead and auditors everyone, a manager their reports (and themselves)."""
    from django.db.models import Q

    from grc.accounts.models import Role

    queryset = Person.objects.all()
    if user.role in (Role.SECURITY_LEAD, Role.AUDITOR):
        return queryset
    if user.role == Role.MANAGER:
        return queryset.filter(Q(manager__user=user) | Q(user=user))
    return queryset.filter(user=user)
