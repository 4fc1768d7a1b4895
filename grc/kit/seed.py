"""Demo data of the assessment kit: one signed attestation."""

from __future__ import annotations

from datetime import timedelta

from grc.kit.attestations import attestation_sign
from grc.kit.models import Attestation


def seed(ctx) -> None:
    """The change-control statement (DPP 2.7), signed two months ago with a link to the change workflow."""
    lead = ctx.users.get("lead")
    if lead is None or Attestation.objects.exists():
        return
    signed_at = ctx.now - timedelta(days=60)
    attestation_sign(
        statement="change_control",
        owner=lead,
        evidence_url="https://git.example.com/shop/settings/branches",
        expires_on=(signed_at + timedelta(days=365)).date(),
        by=lead,
        step_up_at=signed_at,
        now=signed_at,
    )
    ctx.say("Attestation: change control of storage (DPP 2.7), signed 60 days ago")
