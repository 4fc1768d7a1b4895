"""``manage.py evidence_pack --start YYYY-MM-DD --end YYYY-MM-DD --out FILE.pdf [--zip]``

Builds the same pack the portal builds (recorded as issued, its SHA-256 in the audit trail, so
the verify page recognises the file), writes the PDF to ``--out`` (and ``FILE.zip`` beside it
with ``--zip``) and prints the PDF's SHA-256. Exit code 0 on success, 1 on failure.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from grc.evidence.clauses import all_clauses
from grc.evidence.models import PackChannel, PackStatus
from grc.evidence.services.packs import pack_build, pack_request


def iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date: use YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "Build a DPP evidence pack for a period and write it to a file; prints the pack's SHA-256."

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True, help="first day of the period (YYYY-MM-DD)")
        parser.add_argument("--end", required=True, help="last day of the period, inclusive (YYYY-MM-DD)")
        parser.add_argument("--out", required=True, help="where to write the PDF")
        parser.add_argument("--zip", action="store_true", help="also write FILE.zip: the PDF, the original evidence files and the manifest")
        parser.add_argument("--clauses", default="", help="comma-separated DPP clauses (default: the whole DPP)")
        parser.add_argument("--json", action="store_true", help="print a JSON object instead of the hash alone")

    def handle(self, *args, **options):
        start, end = iso_date(options["start"]), iso_date(options["end"])
        clauses = [c.strip() for c in options["clauses"].split(",") if c.strip()]
        unknown = sorted(set(clauses) - set(all_clauses()))
        if unknown:
            raise CommandError(f"unknown DPP clause(s): {', '.join(unknown)}; known: {', '.join(all_clauses())}")
        out = Path(options["out"])
        if not out.parent.exists():
            raise CommandError(f"the folder {out.parent} does not exist")
        try:
            pack = pack_request(
                period_start=start,
                period_end=end,
                clauses=clauses,
                include_zip=options["zip"],
                by=None,
                now=timezone.now(),
                channel=PackChannel.COMMAND,
                queue=False,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        pack = pack_build(pack_id=pack.pk)
        if pack.status != PackStatus.READY:
            raise CommandError(f"the pack could not be built ({pack.failure or pack.status})")
        with pack.pdf.open("rb") as source, open(out, "wb") as target:
            shutil.copyfileobj(source, target)
        zip_path = None
        if options["zip"] and pack.zip:
            zip_path = out.with_suffix(".zip")
            with pack.zip.open("rb") as source, open(zip_path, "wb") as target:
                shutil.copyfileobj(source, target)
        if options["json"]:
            payload = {
                "pack": pack.reference,
                "pdf": str(out),
                "sha256": pack.pdf_sha256,
                "pages": pack.page_count,
                "zip": str(zip_path) if zip_path else None,
                "zip_sha256": pack.zip_sha256 or None,
                "seconds": pack.build_seconds,
                "errors": pack.manifest.get("errors", []),
            }
            self.stdout.write(json.dumps(payload))
        else:
            self.stdout.write(pack.pdf_sha256)
        if pack.manifest.get("errors"):
            self.stderr.write(f"warning: {len(pack.manifest['errors'])} evidence area(s) could not be collected; see the pack")
