"""Assembling an evidence pack: statuses, evidence blocks, the PDF, the manifest and the ZIP.

``assemble(...)`` reads (it writes nothing but the audit chain's verification event) and returns
the PDF bytes, the manifest and, if asked, writes the ZIP to a file. The service
``grc.evidence.services.packs.pack_build`` stores the result on the pack row and audits it; the
management command and the Celery task both go through that service.

The PDF is signed with the organisation's key (``grc.pdf_signing``, PAdES) right after rendering,
so its SHA-256, the ZIP's copy and ``SHA256SUMS`` are all of the signed bytes.

The PDF: a cover, a table of contents with page numbers, a summary of every clause's status,
one section per DPP clause (clause text, status and reason computed now, what the obligation
clock recorded in the period, and each area's evidence), and on its last pages the manifest:
the generation parameters and the SHA-256 of every attached file. The ZIP holds the PDF, every
attached file (original evidence files and the CSVs with every row), ``manifest.json`` and
``SHA256SUMS`` (``sha256sum -c SHA256SUMS`` checks it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from django.conf import settings
from django.db import transaction

from grc.compliance.posture import posture_counts
from grc.compliance.registry import evaluation
from grc.compliance.selectors import requirement_statuses
from grc.evidence.clauses import scope_clauses, scope_label
from grc.evidence.collect import CHUNK, ROW_LIMIT, Attachment, PackContext, display
from grc.evidence.periods import Period
from grc.evidence.sections.catalogue import blocks_for
from grc.evidence.sections.registry import Block, Evidence
from grc.pdf import render_pdf_pages
from grc.pdf_signing import pdf_sign

logger = logging.getLogger("grc.evidence")
FORMAT = "dpp-evidence-pack/1"

Progress = Callable[[int, str], None]


@dataclass
class RenderedBlock:
    key: str
    title: str
    evidence: Evidence
    error: str = ""


@dataclass
class ClauseSection:
    clause: str
    title: str
    section_title: str
    text: str
    status: Any  # grc.compliance.posture.RequirementStatus
    blocks: list[RenderedBlock] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return "clause-" + self.clause.replace(".", "-")


@dataclass
class Built:
    pdf: bytes
    pdf_sha256: str
    page_count: int
    manifest: dict
    sections: list[ClauseSection]
    seconds: float
    zip_sha256: str = ""
    zip_size: int = 0

    @property
    def errors(self) -> list[dict]:
        return self.manifest.get("errors", [])


def _noop(percent: int, step: str) -> None:
    return None


def collect_block(block: Block, ctx: PackContext) -> RenderedBlock:
    """Run one block in a savepoint: a block that fails is reported in the pack, not hidden, and
    its failed query does not poison the rest of the build on PostgreSQL."""
    ctx.clause = block.clause
    try:
        with transaction.atomic():
            evidence = block.collect(ctx)
    except Exception as error:  # one area's failure must not lose the others' evidence
        logger.exception("evidence block %s failed", block.key)
        return RenderedBlock(block.key, block.title, Evidence(), error=type(error).__name__)
    evidence = evidence or Evidence()
    evidence.facts = [(label, display(value)) for label, value in evidence.facts]
    return RenderedBlock(block.key, block.title, evidence)


def parameters(*, reference: str, period: Period, clauses: list[str], now: datetime, requested_by: str, channel: str) -> dict:
    return {
        "format": FORMAT,
        "pack": reference,
        "organisation": settings.ORGANISATION_NAME,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "period": period.label,
        "scope": ", ".join(clauses) or "all",
        "scope_words": scope_label(clauses),
        "generated_at": now.isoformat(timespec="seconds"),
        "requested_by": requested_by,
        "channel": channel,
        "times": "UTC",
        "rows_per_table_in_pdf": ROW_LIMIT,
    }


def assemble(
    *,
    period: Period,
    clauses: list[str],
    now: datetime,
    reference: str,
    requested_by: str,
    channel: str,
    zip_file: IO[bytes] | None = None,
    progress: Progress | None = None,
) -> Built:
    progress = progress or _noop
    started = time.monotonic()
    progress(2, "Computing the DPP status of each clause")
    wanted = scope_clauses(clauses)
    ctx = PackContext(period=period, now=now, clauses=wanted)
    for clause in wanted:
        for block in blocks_for(clause):
            if block.prepare is not None:
                block.prepare(ctx)
    with evaluation():  # the status lines and the sections read the same facts (e.g. the control register)
        rows = {row.requirement.clause: row for row in requirement_statuses(now)}
        sections: list[ClauseSection] = []
        plan = [(clause, blocks_for(clause)) for clause in wanted if clause in rows]
        total = sum(len(blocks) for _clause, blocks in plan) or 1
        done = 0
        errors = []
        for clause, blocks in plan:
            row = rows[clause]
            requirement = row.requirement
            section = ClauseSection(clause, requirement.title, requirement.section_title, requirement.text, row.status)
            for block in blocks:
                progress(5 + 55 * done // total, f"Collecting DPP {clause}: {block.title}")
                rendered = collect_block(block, ctx)
                done += 1
                if rendered.error:
                    errors.append({"clause": clause, "block": block.key, "error": rendered.error})
                if rendered.error or not rendered.evidence.is_empty:
                    section.blocks.append(rendered)
            section.attachments = ctx.attachments.for_clause(clause)
            sections.append(section)
    attachments = ctx.attachments.items
    manifest = {
        "parameters": parameters(reference=reference, period=period, clauses=clauses, now=now, requested_by=requested_by, channel=channel),
        "attachments": [item.as_manifest() for item in attachments],
        "errors": errors,
        "unavailable": [
            {"clause": s.clause, "block": b.key, "reason": b.evidence.unavailable}
            for s in sections
            for b in s.blocks
            if b.evidence.unavailable
        ],
    }
    progress(62, "Rendering the PDF")
    context = {
        "reference": reference,
        "period": period,
        "clauses": clauses,
        "scope": scope_label(clauses),
        "now": now,
        "requested_by": requested_by,
        "sections": sections,
        "attachments": attachments,
        "manifest": manifest,
        "posture": _posture(sections),
        "mismatched": [item for item in attachments if item.matches_record is False or item.missing],
    }
    pdf, pages = render_pdf_pages("pdf/evidence/pack.html", context)
    progress(86, "Signing the PDF")
    pdf = pdf_sign(pdf, reason=f"Evidence pack {reference} issued by the DPP compliance portal of {settings.ORGANISATION_NAME}")
    pdf_sha256 = hashlib.sha256(pdf).hexdigest()  # of the signed bytes: what the verify page and SHA256SUMS compare
    built = Built(pdf=pdf, pdf_sha256=pdf_sha256, page_count=pages, manifest=manifest, sections=sections, seconds=0.0)
    if zip_file is not None:
        progress(88, "Packing the ZIP with the original evidence files")
        write_zip(zip_file, built=built, attachments=attachments, name=reference)
    built.seconds = round(time.monotonic() - started, 2)
    progress(99, "Storing the pack")
    return built


def _posture(sections: list[ClauseSection]) -> dict[str, int]:
    return posture_counts(section.status for section in sections)


def write_zip(handle: IO[bytes], *, built: Built, attachments: list[Attachment], name: str) -> None:
    """The PDF, every attachment, ``manifest.json`` (with the PDF's SHA-256) and ``SHA256SUMS``."""
    sums = [f"{built.pdf_sha256}  {name}.pdf"]
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{name}/{name}.pdf", built.pdf)
        for item in attachments:
            if item.missing:
                continue
            target = f"{name}/{item.path}"
            if item.data is not None:
                archive.writestr(target, item.data)
            else:
                with item.storage.open(item.storage_name, "rb") as source, archive.open(target, "w") as sink:
                    for chunk in iter(lambda: source.read(CHUNK), b""):
                        sink.write(chunk)
            sums.append(f"{item.sha256}  {item.path}")
        manifest = {**built.manifest, "pdf": {"path": f"{name}.pdf", "sha256": built.pdf_sha256, "pages": built.page_count}}
        archive.writestr(f"{name}/manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
        archive.writestr(f"{name}/SHA256SUMS", "\n".join(sums) + "\n")
