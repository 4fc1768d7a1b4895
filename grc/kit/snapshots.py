"""The questionnaire as one snapshot and the dated submissions (writes, each audited).

* ``questionnaire_content(now)`` — the whole questionnaire as plain JSON: answers, drafts, facts,
  gaps, record links and the plan of action (what a snapshot freezes and the exports print).
* ``submission_create(submitted_on=…)`` — freeze it with its SHA-256; the PDF is built by a
  Celery task after the commit.

Above both the questionnaire and the readiness checklists, whose gaps make the plan of action.
Audit events carry ids and counts, never the answers' text.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from grc.audit.services import record_event
from grc.kit.models import QuestionnaireSubmission
from grc.kit.questionnaire.records import Records
from grc.kit.questionnaire.services import AnswerRow, answer_rows
from grc.kit.readiness import readiness_checklists
from grc.kit.tasks import build_submission_pdf
from grc.queue import enqueue

CONTENT_VERSION = 1


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
    enqueue(build_submission_pdf, submission.pk)
    return submission
