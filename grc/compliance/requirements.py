"""The DPP catalogue's reference data: every clause (1.1-1.8, 2, 2.1-2.7, 3) from a file in the repo.

``data/dpp_requirements.json`` was built from the policy text (shared/dpp/...txt): clause,
section, title and the full text. The data migration loads it; ``load_requirements`` is also
used to restore the rows if the table was emptied (a test database flush, a manual delete), so
the catalogue is never silently empty.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grc.compliance.models import Requirement

DATA_FILE = Path(__file__).resolve().parent / "data" / "dpp_requirements.json"


def requirement_data() -> list[dict]:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    titles = {section["number"]: section["title"] for section in data["sections"]}
    return [
        {
            "clause": item["clause"],
            "section": item["section"],
            "section_title": titles[item["section"]],
            "title": item["title"],
            "text": item["text"],
            "position": position,
        }
        for position, item in enumerate(data["requirements"], start=1)
    ]


def load_requirements(model: type[Requirement]) -> int:
    """Create or update one row per clause; ``model`` is the (possibly historical) Requirement model."""
    for item in requirement_data():
        model.objects.update_or_create(clause=item["clause"], defaults={k: v for k, v in item.items() if k != "clause"})
    return len(requirement_data())
