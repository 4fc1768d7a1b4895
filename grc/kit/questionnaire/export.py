"""The questionnaire as a text file and a PDF (WeasyPrint via ``grc.pdf``, in a Celery task).

Both print the same content dict (``services.questionnaire_content`` or a frozen submission):
each question with its answer, the gaps the records show and the records behind it, then the
plan of action. Links are absolute so a reader of the file can open the records.
"""

from __future__ import annotations

import hashlib
import logging
import textwrap
import uuid
from datetime import datetime

from django.core.files.base import ContentFile
from django.db import transaction

from grc.audit.services import record_event
from grc.kit.models import QuestionnaireSubmission
from grc.mail import absolute_url
from grc.pdf import render_pdf

logger = logging.getLogger("grc.compliance")
SYSTEM_ACTOR = "task:build_submission_pdf"
WIDTH = 100


def _wrap(text: str, indent: str = "") -> str:
    paragraphs = (text or "").split("\n")
    return "\n".join(textwrap.fill(p, WIDTH, initial_indent=indent, subsequent_indent=indent) if p.strip() else "" for p in paragraphs)


def render_text(content: dict, *, heading: str) -> str:
    """Plain text (UTF-8), one section per question, then the plan of action."""
    lines = [
        "Amazon SP-API developer profile: security controls answers",
        f"Organisation: {content.get('organisation', '')}",
        heading,
        f"Generated from the portal's records at {content.get('generated_at', '')[:16].replace('T', ' ')} UTC",
        "=" * WIDTH,
    ]
    for area in content.get("areas", []):
        clause = f" (DPP {area['clause']})" if area.get("clause") else ""
        lines += ["", f"{area['number']}. {area['question']}{clause}", "-" * WIDTH, _wrap(area["answer"]) or "(no answer)"]
        lines.append(f"[{len(area['answer'])} of {area['char_limit']} characters]")
        if area.get("gaps"):
            lines.append("Gaps the records show:")
            lines += [_wrap(f"- {gap['text']}", "  ") for gap in area["gaps"]]
        if area.get("sources"):
            lines.append("Records: " + "; ".join(f"{s['label']} <{absolute_url(s['url'])}>" for s in area["sources"]))
    lines += ["", "=" * WIDTH, "Plan of action", "=" * WIDTH]
    if not content.get("plan"):
        lines.append("No gaps: every item the records cover is current.")
    for number, item in enumerate(content.get("plan", []), start=1):
        where = f" Fix: {item['fix_label']} <{absolute_url(item['fix_url'])}>" if item.get("fix_url") else ""
        clause = f"DPP {item['clause']}" if item.get("clause") else "General"
        lines.append(_wrap(f"{number}. [{clause}, {item['status']}] {item['finding']}{where}"))
    return "\n".join(lines).rstrip() + "\n"


def pdf_context(content: dict, *, heading: str) -> dict:
    areas = [
        {**area, "sources": [{**s, "absolute": absolute_url(s["url"])} for s in area.get("sources", [])], "length": len(area["answer"])}
        for area in content.get("areas", [])
    ]
    plan = [{**item, "absolute": absolute_url(item["fix_url"]) if item.get("fix_url") else ""} for item in content.get("plan", [])]
    return {"content": content, "areas": areas, "plan": plan, "heading": heading}


def render_questionnaire_pdf(content: dict, *, heading: str) -> bytes:
    return render_pdf("kit/pdf/questionnaire.html", pdf_context(content, heading=heading))


def submission_heading(submission) -> str:
    label = f"{submission.label} · " if submission.label else ""
    return f"{label}Submitted to Amazon on {submission.submitted_on:%d %b %Y} (snapshot {submission.pk}, SHA-256 {submission.content_sha256[:16]}…)"


def submission_pdf_build(*, submission_id: int, now: datetime) -> bool:
    """Render and store one submission's PDF; True if this call built it (False: done already or gone)."""
    submission = QuestionnaireSubmission.objects.filter(pk=submission_id).first()
    if submission is None or submission.pdf:
        return False
    try:
        data = render_questionnaire_pdf(submission.content, heading=submission_heading(submission))
    except Exception as error:  # recorded on the row and shown on its page; the lead can retry
        logger.exception("questionnaire PDF of submission %s failed", submission_id)
        QuestionnaireSubmission.objects.filter(pk=submission_id).update(pdf_error=type(error).__name__[:100])
        return False
    with transaction.atomic():
        locked = QuestionnaireSubmission.objects.select_for_update().get(pk=submission_id)
        if locked.pdf:
            return False
        locked.pdf.save(f"questionnaire-{submission_id}-{uuid.uuid4().hex[:12]}.pdf", ContentFile(data), save=False)
        locked.pdf_sha256 = hashlib.sha256(data).hexdigest()
        locked.pdf_built_at = now
        locked.pdf_error = ""
        locked.save(update_fields=["pdf", "pdf_sha256", "pdf_built_at", "pdf_error"])
        record_event(
            "compliance.questionnaire.pdf_built",
            system_actor=SYSTEM_ACTOR,
            obj=locked,
            details={"sha256": locked.pdf_sha256, "bytes": len(data)},
        )
    return True
