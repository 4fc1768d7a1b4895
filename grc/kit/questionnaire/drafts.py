"""Answers drafted from live records: every area's draft, and the PII guard over them.

The drafters live in ``clauses`` (DPP 1.1 … 3) and ``topics`` (why PII, sharing, backups …);
both register into ``claims.DRAFTERS``. Sentences use counts, dates, settings and inventory ids
only, and ``guard_pii`` checks the finished drafts against the names the portal knows (and for
email addresses) as a second line of defence: a draft that would leak one is withheld.
"""

from __future__ import annotations

import re

from grc.kit.questionnaire import clauses, topics  # noqa: F401  (they register the drafters)
from grc.kit.questionnaire.areas import AREAS, AREAS_BY_KEY
from grc.kit.questionnaire.base import Claim, Draft
from grc.kit.questionnaire.claims import DRAFTERS
from grc.kit.questionnaire.pii import known_names
from grc.kit.questionnaire.records import Records


def draft_for(key: str, records: Records) -> Draft:
    fn = DRAFTERS[key]
    claims, facts = fn(records)
    return Draft(area=AREAS_BY_KEY[key], claims=claims, facts=facts)


def all_drafts(records: Records) -> list[Draft]:
    drafts = [draft_for(area.key, records) for area in AREAS]
    guard_pii(drafts)
    return drafts


def guard_pii(drafts: list[Draft]) -> None:
    """A second line of defence: no draft may contain an email address or a known person's name."""

    email = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
    names = known_names()
    for draft in drafts:
        text = draft.text
        folded = " " + " ".join(re.findall(r"[^\W\d_]+", text.casefold())) + " "
        leaked = bool(email.search(text.replace("3p-security@amazon.com", ""))) or any(f" {name} " in folded for name in names)
        if leaked:
            draft.claims = [Claim("The draft was withheld: it would have contained personal data. Write this answer by hand.", gap=True)]
