"""The shapes of a drafted answer: claims (sentences) traced to records, gaps marked red."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Source:
    """A record (or list of records) a claim is traced to, by page link."""

    label: str
    url: str


@dataclass(frozen=True)
class Claim:
    """One sentence of a draft. ``gap`` marks it red: the records show something missing."""

    text: str
    gap: bool = False
    sources: tuple[Source, ...] = ()
    fix: Source | None = None  # where the gap is fixed
    cadence: str = ""  # the period of the recurring obligation the sentence is about ("" when none)

    @classmethod
    def gap_at(cls, text: str, source: Source) -> Claim:
        """A red sentence whose evidence is also the page where it is fixed (the common case)."""
        return cls(text, gap=True, sources=(source,), fix=source)


@dataclass(frozen=True)
class Area:
    key: str
    question: str
    clause: str  # the DPP clause it answers ("" when it spans several)
    hint: str  # what the records cannot say and the answer should add


@dataclass
class Draft:
    area: Area
    claims: list[Claim]
    facts: dict[str, object] = field(default_factory=dict)  # labelled numbers and dates, compared between snapshots

    @property
    def text(self) -> str:
        return " ".join(claim.text for claim in self.claims)

    @property
    def gaps(self) -> list[Claim]:
        return [claim for claim in self.claims if claim.gap]

    @property
    def has_gaps(self) -> bool:
        return any(claim.gap for claim in self.claims)

    @property
    def sources(self) -> list[Source]:
        seen: dict[str, Source] = {}
        for claim in self.claims:
            for source in claim.sources:
                seen.setdefault(source.url + source.label, source)
        return list(seen.values())

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


def verb(count: int, singular: str, plural_form: str) -> str:
    """The verb that agrees with ``count``: verb(1, "holds", "hold") → "holds"."""
    return singular if count == 1 else plural_form


def all_of(count: int) -> str:
    """ "All" before a count of several, "The" before a single one: "All 3 stores are" / "The 1 store is"."""
    return "The" if count == 1 else "All"


def listed(tags: list[str], total: int | None = None, limit: int = 5) -> str:
    """``A, B and C`` — at most ``limit`` ids, then "and N more"."""
    total = len(tags) if total is None else total
    shown = tags[:limit]
    rest = total - len(shown)
    if rest > 0:
        return ", ".join(shown) + f" and {rest} more"
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + f" and {shown[-1]}"


def day(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    return f"{moment.day} {moment:%b %Y}"


def days_ago(moment: datetime | None, now: datetime) -> int | None:
    if moment is None:
        return None
    return max((now - moment).days, 0)
