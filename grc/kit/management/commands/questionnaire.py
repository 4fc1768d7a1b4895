"""``manage.py questionnaire [--json]``: every drafted answer with its claims, their status and sources.

The drafts come from ``services.answer_rows`` — the same code path as the kit's questionnaire page —
so the answers can be checked and diffed outside the portal. Each claim is "ok" or "gap", with the
records it is traced to (label, url and, where the url names one record, its type and id), the page
where a gap is fixed and, for a recurring obligation, the cadence the sentence uses.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand
from django.urls import Resolver404, resolve
from django.utils import timezone

from grc.kit.questionnaire.base import Claim, Source
from grc.kit.questionnaire.services import answer_rows


def record_of(url: str) -> dict | None:
    """``{"type": "assets:detail", "id": 7}`` when the url is one record's page, else None."""
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    ids = list(match.kwargs.values()) or list(match.args)
    if len(ids) != 1 or not isinstance(ids[0], int):  # a record's page is addressed by its numeric id
        return None
    return {"type": match.view_name, "id": ids[0]}


def source_json(source: Source) -> dict:
    data: dict[str, Any] = {"label": source.label, "url": source.url}
    record = record_of(source.url)
    if record is not None:
        data["record"] = record
    return data


def claim_json(claim: Claim) -> dict:
    data = {
        "text": claim.text,
        "status": "gap" if claim.gap else "ok",
        "sources": [source_json(source) for source in claim.sources],
        "fix": source_json(claim.fix) if claim.fix is not None else None,
    }
    cadence = getattr(claim, "cadence", "")
    if cadence:
        data["cadence"] = cadence
    return data


def questionnaire_json(now) -> list[dict]:
    return [
        {
            "number": row.number,
            "key": row.area.key,
            "question": row.area.question,
            "clause": row.area.clause,
            "answer": row.text,
            "edited": row.edited,
            "draft": row.draft.text,
            "claims": [claim_json(claim) for claim in row.draft.claims],
            "facts": {
                label: value if value is None or isinstance(value, int | str) else str(value) for label, value in row.draft.facts.items()
            },
        }
        for row in answer_rows(now)
    ]


class Command(BaseCommand):
    help = (
        "Print every drafted questionnaire answer with its claims: each claim's status (ok/gap), the records it is "
        "traced to, where a gap is fixed and the cadence of a recurring obligation."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--json",
            action="store_true",
            help="print a JSON list of {number, key, question, clause, answer, edited, draft, claims: [{text, status, sources, fix, cadence}], facts}",
        )

    def handle(self, *args, **options):
        now = timezone.now()
        answers = questionnaire_json(now)
        if options["json"]:
            self.stdout.write(json.dumps(answers, indent=2, ensure_ascii=False))
            return
        gaps = 0
        for answer in answers:
            clause = f" (DPP {answer['clause']})" if answer["clause"] else ""
            self.stdout.write(f"{answer['number']}. {answer['question']}{clause}")
            if answer["edited"]:
                self.stdout.write(f"   Answer (edited): {answer['answer']}")
            for claim in answer["claims"]:
                gaps += claim["status"] == "gap"
                cadence = f" [every {claim['cadence']}]" if claim.get("cadence") else ""
                self.stdout.write(f"   [{claim['status']}] {claim['text']}{cadence}")
                for source in claim["sources"]:
                    self.stdout.write(f"         source: {source['label']} <{source['url']}>")
                if claim["fix"]:
                    self.stdout.write(f"         fix: {claim['fix']['label']} <{claim['fix']['url']}>")
            self.stdout.write("")
        claims = sum(len(answer["claims"]) for answer in answers)
        self.stdout.write(f"{len(answers)} answers, {claims} claims, {gaps} gaps (as of {now:%Y-%m-%d %H:%M} UTC)")
