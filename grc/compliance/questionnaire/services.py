"""The security lead's answers and the dated submission snapshots (writes, each audited).

* ``answer_rows(now)`` — every area with its live draft and the saved answer (if edited).
* ``answers_save(values=…)`` — store edited answers and their character limits; an answer set
  back to the current draft (with the default limit) follows the live draft again.
* ``questionnaire_content(now)`` — the whole questionnaire as plain JSON: answers, drafts, facts,
  gaps, record links and the plan of action (what a snapshot freezes and the exports print).
* ``submission_create(submitted_on=…)`` — freeze it with its SHA-256; the PDF is built by a
  Celery task after the commit.

Audit events carry ids, areas and counts, never the answers' text.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from grc.audit.services import record_change, record_event
from grc.compliance.kit_models import QuestionnaireAnswer, QuestionnaireSubmission
from grc.compliance.questionnaire.areas import AREAS, AREAS_BY_KEY
from grc.compliance.questionnaire.base import Area, Draft
from grc.compliance.questionnaire.drafts import all_drafts
from grc.compliance.questionnaire.records import Records

CONTENT_VERSION = 1
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


# --- the content of a snapshot ----------------------------------------------------------------------------
def _fact(value):
    return value if value is None or isinstance(value, int | str) else str(value)


def plan_of_action(rows: list[AnswerRow], checklists) -> list[dict]:
    """Every gap the records show, once: the readiness items that are not current, then the
    questionnaire's red marks not already listed. Each with its clause and where to fix it."""
    plan: list[dict] = []
    seen: set[str] = set()
    for checklist in checklists:
        for item in checklist.items:
            if item.status == "met" or item.detail in seen:
                continue
            seen.add(item.detail)
            plan.append(
                {
                    "clause": checklist.clause,
                    "topic": item.asks,
                    "finding": item.detail,
                    "status": item.label,
                    "fix_label": item.fix.label if item.fix else "",
                    "fix_url": item.fix.url if item.fix else "",
                }
            )
    for row in rows:
        for claim in row.draft.gaps:
            if claim.text in seen or any(claim.text in entry["finding"] for entry in plan):
                continue
            seen.add(claim.text)
            plan.append(
                {
                    "clause": row.area.clause,
                    "topic": row.area.question,
                    "finding": claim.text,
                    "status": "missing",
                    "fix_label": claim.fix.label if claim.fix else "",
                    "fix_url": claim.fix.url if claim.fix else "",
                }
            )
    return plan


def questionnaire_content(now: datetime) -> dict:
    """The questionnaire as JSON-ready data (no model instances), for snapshots and exports."""
    from grc.compliance.readiness import readiness_checklists

    records = Records(now)
    rows = answer_rows(now, records=records)
    areas = [
        {
            "key": row.area.key,
            "number": row.number,
            "question": row.area.question,
            "clause": row.area.clause,
            "answer": row.text,
            "char_limit": row.limit,
            "edited": row.edited,
            "draft": row.draft.text,
            "draft_digest": row.draft.digest,
            "gaps": [
                {"text": c.text, "fix_label": c.fix.label if c.fix else "", "fix_url": c.fix.url if c.fix else ""} for c in row.draft.gaps
            ],
            "sources": [{"label": s.label, "url": s.url} for s in row.draft.sources],
            "facts": {label: _fact(value) for label, value in row.draft.facts.items()},
        }
        for row in rows
    ]
    return {
        "version": CONTENT_VERSION,
        "generated_at": now.isoformat(),
        "organisation": settings.ORGANISATION_NAME,
        "areas": areas,
        "plan": plan_of_action(rows, readiness_checklists(now, records=records)),
    }


def content_digest(content: dict) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


@transaction.atomic
def submission_create(*, submitted_on: date, label: str, by, now: datetime, request=None) -> QuestionnaireSubmission:
    """Freeze the answers as submitted on ``submitted_on``; its PDF is built after the commit."""
    content = questionnaire_content(now)
    over = [area for area in content["areas"] if len(area["answer"]) > area["char_limit"]]
    if over:
        numbers = ", ".join(str(area["number"]) for area in over)
        raise ValidationError(f"Shorten the answers over their character limit first (question {numbers}).")
    if submitted_on > now.date():
        raise ValidationError({"submitted_on": "The submission date cannot be in the future."})
    submission = QuestionnaireSubmission.objects.create(
        submitted_on=submitted_on,
        label=(label or "").strip()[:120],
        content=content,
        content_sha256=content_digest(content),
        created_by=by,
        created_at=now,
    )
    gaps = sum(len(area["gaps"]) for area in content["areas"])
    record_event(
        "compliance.questionnaire.submission_saved",
        request=request,
        actor=by,
        obj=submission,
        message=f"{len(content['areas'])} answers, {gaps} gaps, {len(content['plan'])} plan items",
        details={"sha256": submission.content_sha256, "submitted_on": submitted_on.isoformat()},
    )
    from grc.compliance.tasks import build_submission_pdf
    from grc.queue import enqueue

    enqueue(build_submission_pdf, submission.pk)
    return submission


def area_numbers() -> dict[str, int]:
    return {area.key: number for number, area in enumerate(AREAS, start=1)}
