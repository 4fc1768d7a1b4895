"""Who must have a confidentiality agreement, and who is missing one (DPP 2.2).

A person "processes PII" when they have an enabled account, present in the last import, on a
system of the registry whose inventory asset holds PII (``System.asset`` → ``Asset.holds_pii``).
Such a person needs an agreement in force today (signed, and not past its ``valid_until``);
without one they are flagged on their page, in access reviews and in the DPP 2.2 status.

Selectors here run a fixed number of queries; ``register`` adds the live check to clause 2.2
(called from this app's ``ready()``, ``access_reviews.apps``).
"""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Q, QuerySet
from django.urls import reverse

from access_reviews.flags import needs_confidentiality_agreement
from access_reviews.models import Account, ConfidentialityAgreement, Person, PersonStatus, System
from grc.compliance.registry import CheckResult, register_check
from grc.words import plural

CHECK_NAME = "Confidentiality agreements of people with PII access"


def pii_systems() -> QuerySet[System]:
    """Systems whose inventory asset (in use) holds PII."""
    return System.objects.filter(asset__holds_pii=True, asset__retired_at__isnull=True)


def pii_accounts() -> QuerySet[Account]:
    return Account.objects.filter(
        removed_at__isnull=True, enabled=True, person__isnull=False, system__asset__holds_pii=True, system__asset__retired_at__isnull=True
    )


def current_agreements(day: date) -> QuerySet[ConfidentialityAgreement]:
    return ConfidentialityAgreement.objects.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day), signed_on__lte=day)


def people_with_pii_access() -> QuerySet[Person]:
    return Person.objects.filter(status=PersonStatus.ACTIVE, pk__in=pii_accounts().values("person_id"))


def people_without_agreement(day: date) -> QuerySet[Person]:
    """Active people with PII access and no agreement in force on ``day`` (the flagged ones)."""
    return people_with_pii_access().exclude(pk__in=current_agreements(day).values("person_id"))


def person_status(person: Person, day: date) -> dict:
    """What the person page shows: PII systems, agreements, the one in force, and the flag (3 queries)."""
    systems = list(pii_systems().filter(accounts__in=pii_accounts().filter(person=person)).distinct().order_by("name"))
    agreements = list(person.confidentiality_agreements.select_related("recorded_by"))
    current = next((a for a in agreements if a.is_current_on(day)), None)
    has_pii_access = bool(systems) and person.status == PersonStatus.ACTIVE
    return {
        "pii_systems": systems,
        "agreements": agreements,
        "current": current,
        "flagged": needs_confidentiality_agreement(has_pii_access=has_pii_access, has_current_agreement=current is not None),
    }


def check_confidentiality(now: datetime) -> CheckResult:
    """2.2: everyone who processes PII has a confidentiality agreement in force."""
    url = reverse("confidentiality:overview")
    if not pii_systems().exists():
        return CheckResult(
            "not_tracked",
            "no system of the access registry is linked to an inventory asset holding PII, so nobody is known to process PII",
            url,
        )
    day = now.date()
    with_access = people_with_pii_access().count()
    if with_access == 0:
        return CheckResult("met", "nobody active has an account on a system holding PII", url)
    missing = people_without_agreement(day).count()
    if missing:
        return CheckResult(
            "not_met",
            f"{missing} of {plural(with_access, 'person', 'people')} with PII access "
            f"{'has' if missing == 1 else 'have'} no confidentiality agreement in force",
            url,
        )
    return CheckResult(
        "met", f"all {plural(with_access, 'person', 'people')} with PII access have a confidentiality agreement in force", url
    )


def register() -> None:
    register_check("2.2", CHECK_NAME, check_confidentiality)
