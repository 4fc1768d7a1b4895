"""The shapes of a drafted answer: claims (sentences) traced to records, gaps marked red."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime

from grc.words import all_of, listed, plural, verb  # noqa: F401  (the drafts import them from here)


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


def day(moment: date | None) -> str:
    if moment is None:
        return "never"
    return f"{moment.day} {moment:%b %Y}"


def days_ago(moment: datetime | None, now: datetime) -> int | None:
    if moment is None:
        return None
    return max((now - moment).days, 0)
