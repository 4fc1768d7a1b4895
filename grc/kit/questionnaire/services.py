"""The security lead's answers and the dated submission snapshots (writes, each audited).

* ``answer_rows(now)`` — every area with its live draft and the saved answer (if edited).
* ``answers_save(values=…)`` — store edited answers and their character limits; an answer set
  back to the current draft (with the default limit) follows the live draft again.

The snapshot of the whole questionnaire (with the readiness checklists' plan of action) and the
dated submissions are ``grc.kit.snapshots``.

Audit events carry ids, areas and counts, never the answers' text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from grc.audit.services import record_change
from grc.kit.models import QuestionnaireAnswer
from grc.kit.questionnaire.areas import AREAS, AREAS_BY_KEY
from grc.kit.questionnaire.base import Area, Draft
from grc.kit.questionnaire.drafts import all_drafts
from grc.kit.questionnaire.records import Records

MIN_LIMIT, MAX_LIMIT = 50, 20000


def default_limit() -> int:
    """The character limit of an answer unless the lead sets another (``COMPLIANCE_KIT_ANSWER_LIMIT``)."""
    return int(getattr(settings, "COMPLIANCE_KIT_ANSWER_LIMIT", 1000))


def normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")).strip()


@dataclass
class AnswerRow:
    area: Area
    draft: Draft
    saved: QuestionnaireAnswer | None
    number: int

    @property
    def text(self) -> str:
        return self.saved.text if self.saved is not None else self.draft.text

    @property
    def limit(self) -> int:
        return self.saved.char_limit if self.saved is not None else default_limit()

    @property
    def edited(self) -> bool:
        return self.saved is not None

    @property
    def records_changed(self) -> bool:
        """The records (so the draft) changed since the lead last saved this answer."""
        return self.saved is not None and self.saved.draft_digest != self.draft.digest

    @property
    def length(self) -> int:
        return len(self.text)

    @property
    def over_limit(self) -> bool:
        return self.length > self.limit


def answer_rows(now: datetime, *, records: Records | None = None) -> list[AnswerRow]:
    drafts = all_drafts(records or Records(now))
    saved = {answer.area: answer for answer in QuestionnaireAnswer.objects.all()}
    return [AnswerRow(draft.area, draft, saved.get(draft.area.key), number) for number, draft in enumerate(drafts, start=1)]


@transaction.atomic
def answers_save(*, values: dict[str, tuple[str, int]], by, now: datetime, request=None) -> int:
    """Save ``{area: (text, limit)}``; returns how many answers changed. Refuses an answer over its limit."""
    unknown = set(values) - set(AREAS_BY_KEY)
    if unknown:
        raise ValidationError(f"Unknown question areas: {', '.join(sorted(unknown))}")
    rows = {row.area.key: row for row in answer_rows(now)}
    errors = {}
    for key, (text, limit) in values.items():
        if not MIN_LIMIT <= int(limit) <= MAX_LIMIT:
            errors[key] = f"The limit must be between {MIN_LIMIT} and {MAX_LIMIT} characters."
        elif len(normalise(text)) > int(limit):
            errors[key] = f"The answer has {len(normalise(text))} characters; the limit is {limit}."
    if errors:
        raise ValidationError(errors)
    changed = 0
    for key, (text, limit) in values.items():
        row, text, limit = rows[key], normalise(text), int(limit)
        follows_draft = text == normalise(row.draft.text) and limit == default_limit()
        if row.saved is None:
            if follows_draft:
                continue
            answer = QuestionnaireAnswer.objects.create(
                area=key, text=text, char_limit=limit, draft_digest=row.draft.digest, updated_by=by, updated_at=now
            )
            record_change("created", answer, request=request, actor=by, changed_fields=["text", "char_limit"], message=f"area={key}")
        elif follows_draft:
            record_change("deleted", row.saved, request=request, actor=by, message=f"area={key}: follows the live draft again")
            row.saved.delete()
        else:
            fields = [name for name, value in (("text", text), ("char_limit", limit)) if getattr(row.saved, name) != value]
            if not fields and row.saved.draft_digest == row.draft.digest:
                continue
            row.saved.text, row.saved.char_limit, row.saved.draft_digest = text, limit, row.draft.digest
            row.saved.updated_by, row.saved.updated_at = by, now
            row.saved.save()
            record_change("updated", row.saved, request=request, actor=by, changed_fields=fields or ["draft_digest"], message=f"area={key}")
        changed += 1
    return changed


def area_numbers() -> dict[str, int]:
    return {area.key: number for number, area in enumerate(AREAS, start=1)}
