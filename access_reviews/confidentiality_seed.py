"""Demo confidentiality agreements (DPP 2.2), run by ``grc.seeding`` after the assets seed, once both
registers exist: the two demo systems holding PII are linked to their inventory assets, and everyone with
PII access gets an agreement except one engineer, who is flagged."""

from __future__ import annotations

from datetime import timedelta

from access_reviews.confidentiality import people_with_pii_access
from access_reviews.services.confidentiality import agreement_record
from access_reviews.services.registry import system_update

LINKS = {"Order DB": "DS-0001", "Seller Central integration": "SW-0001"}  # system → asset tag
UNSIGNED = {"ravi"}  # the flagged one


def seed(ctx) -> None:
    systems = ctx.made.get("systems_by_name") or {}
    people = ctx.made.get("people_by_key") or {}
    assets = {asset.tag: asset for asset in ctx.made.get("assets") or []}
    if not systems or not people or not assets:
        return
    lead = ctx.users["lead"]
    for system_name, tag in LINKS.items():
        if system_name in systems and tag in assets:
            system_update(system=systems[system_name], data={"asset": assets[tag]}, by=lead, now=ctx.now)

    signed = 0
    for key, person in people.items():
        if key in UNSIGNED or not people_with_pii_access().filter(pk=person.pk).exists():
            continue
        started = person.started_at or ctx.now - timedelta(days=400)
        agreement_record(
            person=person,
            signed_on=(started - timedelta(days=7)).date(),
            valid_until=(ctx.now + timedelta(days=180)).date() if person.kind == "contractor" else None,
            reference="Employment contract, clause 12 (confidentiality of personal data)",
            by=lead,
            now=ctx.now,
        )
        signed += 1
    ctx.say(f"Confidentiality agreements: {signed} recorded; 1 person with PII access has none (flagged, DPP 2.2).")
