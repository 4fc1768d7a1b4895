"""Every evidence block of the pack: importing this module imports each area module once, and each
registers its blocks in ``registry`` (the area modules import only ``registry`` and ``collect``,
never this module, so the areas and the list of them do not import each other)."""

from __future__ import annotations

from grc.evidence.sections import (  # noqa: F401  (imported for their @register blocks)
    access_reviews,
    assets,
    audit_trail,
    compliance,
    controls,
    deletion,
    incidents,
    policies,
    portal_controls,
    programme,
    risks,
    vulnerabilities,
)
from grc.evidence.sections.registry import Block, _blocks


def blocks_for(clause: str) -> list[Block]:
    return sorted((block for block in _blocks.values() if block.clause == clause), key=lambda block: (block.order, block.key))


def all_blocks() -> list[Block]:
    return sorted(_blocks.values(), key=lambda block: (block.clause, block.order, block.key))
