"""The registry of evidence blocks: how each area of the programme contributes to a DPP clause.

A block is a function ``collect(ctx) -> Evidence`` registered for one clause:

    @register(clause="1.2", key="access_reviews.campaigns", title="Quarterly access review campaigns", order=10)
    def campaigns(ctx: PackContext) -> Evidence: ...

Each area of the portal has one module in ``grc.evidence.sections`` that reads its app through
that app's public modules (selectors, rules), read-only. ``Evidence`` is plain data (facts, bounded tables,
notes, an optional server-made SVG figure), rendered by one template for every block, so the PDF
looks the same everywhere. Long lists go whole into CSV attachments (``ctx.table``); the PDF
shows the first rows and names the CSV. An area that is not built yet returns
``Evidence.not_available(...)`` and the pack says so rather than leaving the clause silently thin.

This module is the small base every area module imports; ``grc.evidence.sections.catalogue``
imports the area modules (so each registers its blocks) and answers which blocks a clause has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from grc.evidence.collect import Mark, Table

__all__ = ["DEFAULT_TEMPLATE", "Block", "Evidence", "Mark", "Table", "register"]

DEFAULT_TEMPLATE = "pdf/evidence/block.html"


@dataclass
class Evidence:
    facts: list[tuple[str, Any]] = field(default_factory=list)  # (label, value or Mark)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    figure: str = ""  # trusted SVG markup made by the portal (e.g. the risk heat map)
    figure_caption: str = ""
    unavailable: str = ""  # set: this evidence is not available yet, and why

    @classmethod
    def not_available(cls, reason: str) -> Evidence:
        return cls(unavailable=reason)

    @property
    def is_empty(self) -> bool:
        return not (self.facts or self.tables or self.notes or self.figure or self.unavailable)


@dataclass(frozen=True)
class Block:
    key: str
    clause: str
    title: str
    order: int
    collect: Callable[[Any], Evidence]
    template: str = DEFAULT_TEMPLATE
    prepare: Callable[[Any], None] | None = None  # runs before the clause statuses are computed


_blocks: dict[str, Block] = {}


def register(*, clause: str, key: str, title: str, order: int = 50, template: str = DEFAULT_TEMPLATE, prepare=None):
    """Register ``collect`` as the block ``key`` of ``clause`` (re-registering a key replaces it).

    ``prepare(ctx)``, when given, runs before the pack computes any clause's status: a block whose
    evidence is also what a status reads (the chain verification behind the 2.6 check) records it
    there, so the status line and the block state the same verification."""

    def decorator(collect: Callable[[Any], Evidence]):
        _blocks[key] = Block(key=key, clause=clause, title=title, order=order, collect=collect, template=template, prepare=prepare)
        return collect

    return decorator
