"""Import a scanner's report (DPP 2.7): the scan, its findings matched to assets, and their fix
obligations, from the bytes the tool wrote (``assets.scanners`` reads them).

The rules:

* **Nothing on a bad file.** A file the parser cannot read (truncated, another format than the
  one chosen, too large) is a ``ValidationError`` with the parser's message, and nothing is
  written: parsing happens before the transaction opens.
* **Idempotent.** Every finding has a fingerprint (tool, rule or CVE, target, package, location).
  A fingerprint the portal already holds updates that finding (``last_seen_scan``, severity)
  instead of adding one; there is at most one open (or informational) finding per fingerprint.
  The same report file (same SHA-256) imported again reuses its scan rather than adding one.
* **Severity changes** re-date an open finding (``finding_due_at`` from when it was found) and its
  obligation; a finding the tool now rates informational has its obligation waived; an
  informational one now rated higher opens, due from this scan.
* **Reappearing.** A finding fixed earlier that a scan reports again is reopened, due again from
  this scan (the fix did not hold); a risk-accepted one stays accepted (the tool will keep
  reporting it) and only records that it was seen.
* **Fixed by absence.** When the scan covered its whole scope (``full_scope``), open findings of
  earlier scans of the same tool and the same scope (``scope_key``) that it no longer reports are
  closed as fixed, with this scan as the evidence (``fixed_by_scan``).
* **Informational** findings (UNKNOWN / info / None) are stored and counted, never dropped, but
  open no obligation: there is nothing to remediate (see ``assets.models.vulns.Finding``).
* **Assets.** Each target is matched to an active asset by tag, name (host name) or the host of
  its URL; owners follow the asset (else the importing user). Targets no asset matches are kept
  on the scan (``unmatched_targets``) for the lead to assign (``scan_target_assign``).

Findings and obligations are written in bulk (a 10,000-finding report imports in seconds); the
audit trail gets one event per import with the counts only (never titles or hosts).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from assets import scanners
from assets.files import attach_scan_report, check_scan_import_size, report_file_name
from assets.models import Asset, Finding, FindingStatus, Severity, VulnerabilityScan
from assets.models.vulns import LIVE_STATUSES
from assets.rules import finding_due_at, finding_due_days
from assets.scanners.base import ParsedFinding, ParsedScan, ScanFormatError
from assets.services import vulns
from assets.services.programme import FINDING_FIX, scan_obligation_sync
from grc.audit.services import record_change, record_event
from grc.compliance.services import (
    NewObligation,
    obligation_open,
    obligation_waive,
    obligations_complete_many,
    obligations_open_new,
    obligations_reassign,
)

BATCH = 500  # ids per IN (…) and rows per UPDATE — well under SQLite's and PostgreSQL's parameter limits
INSERT_BATCH = 1000  # rows per INSERT (Django lowers it further where the database needs it)
SCOPE_SPLIT = re.compile(r"[\n,;]+")


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    reopened: int = 0
    closed_fixed: int = 0
    informational: int = 0
    severity_changed: int = 0
    unmatched_targets: list[str] = field(default_factory=list)
    already_imported: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "reopened": self.reopened,
            "closed_fixed": self.closed_fixed,
            "informational": self.informational,
            "severity_changed": self.severity_changed,
            "unmatched_targets": list(self.unmatched_targets),
            "already_imported": self.already_imported,
        }


# --- pure helpers ---------------------------------------------------------------------------
def scope_key(targets: Iterable[str]) -> str:
    """The same set of targets (any order, case or spacing) gives the same key."""
    items = sorted({item.strip().lower() for item in targets if item.strip()})
    return hashlib.sha256("\n".join(items).encode("utf-8")).hexdigest() if items else ""


def scope_items(scope: str | None) -> list[str]:
    return [item.strip() for item in SCOPE_SPLIT.split(scope or "") if item.strip()]


def _names_of(target: str) -> set[str]:
    """What a target may be called in the inventory: itself, its URL host, an image without its
    tag or registry path, a host without its port."""
    text = target.strip().lower()
    names = {text}
    if "://" in text:
        host = urlsplit(text).hostname
        if host:
            names.add(host)
    image = text.split("@", 1)[0]
    if ":" in image.rsplit("/", 1)[-1]:
        image = image.rsplit(":", 1)[0]
    names.update({image, image.rsplit("/", 1)[-1]})
    if text.count(":") == 1 and text.rsplit(":", 1)[1].isdigit():
        names.add(text.rsplit(":", 1)[0])
    for token in re.split(r"[\s()]+", text):  # "web01 (10.0.0.5)"
        if token:
            names.add(token)
    return {name for name in names if name}


def asset_index(assets: Iterable[Asset]) -> dict[str, Asset]:
    """Tag, name and URL host of each asset, lower-cased (tags win over names)."""
    index: dict[str, Asset] = {}
    for asset in assets:
        keys = [asset.name, asset.url and (urlsplit(asset.url if "://" in asset.url else f"//{asset.url}").hostname or "")]
        for key in keys:
            if key:
                index.setdefault(key.strip().lower(), asset)
    for asset in assets:
        index[asset.tag.strip().lower()] = asset
    return index


def match_target(target: str, index: dict[str, Asset]) -> Asset | None:
    for name in sorted(_names_of(target), key=len, reverse=True):
        if name in index:
            return index[name]
    return None


def _clip(text: str, length: int) -> str:
    return (text or "")[:length]


# --- the import -----------------------------------------------------------------------------
def parse_report(data: bytes, format: str = "auto") -> ParsedScan:
    """Parse or refuse with the parser's message (a ``ValidationError`` on the ``file`` field)."""
    check_scan_import_size(len(data))
    if format != "auto" and format not in scanners.FORMATS:
        raise ValidationError({"format": f"Unknown format {format!r}: choose one of auto, {', '.join(sorted(scanners.FORMATS))}."})
    try:
        parsed = scanners.parse(data, format)
    except ScanFormatError as error:
        raise ValidationError({"file": str(error)})
    for item in parsed.findings:
        if item.severity not in Severity.values:
            raise ValidationError({"file": f"The parser returned an unknown severity {item.severity!r}."})
    return parsed


def scan_import(
    *,
    data: bytes,
    filename: str,
    format: str = "auto",
    scope: str | None = None,
    full_scope: bool = False,
    assets: Sequence[Asset] = (),
    by,
    now: datetime,
    request=None,
) -> tuple[VulnerabilityScan, ImportSummary]:
    """Import the report ``data`` (see the module docstring); returns the scan and what changed."""
    if not data:
        raise ValidationError({"file": "The file is empty."})
    parsed = parse_report(data, format)
    performed_at = min(parsed.performed_at or now, now)
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        return _write(parsed, data, digest, filename, scope, full_scope, assets, performed_at, by, now, request)


def _write(parsed, data, digest, filename, scope, full_scope, assets, performed_at, by, now, request):
    summary = ImportSummary()
    targets = list(dict.fromkeys([*parsed.targets, *(item.target for item in parsed.findings if item.target)]))
    key = scope_key(scope_items(scope) or targets)
    tool = _clip(parsed.tool or parsed.format, 120)
    scan = VulnerabilityScan.objects.select_for_update().filter(report_sha256=digest, format=parsed.format, tool=tool).first()
    counted = Counter(item.severity for item in _unique(parsed.findings, tool))
    if scan is None:
        scan = VulnerabilityScan(
            performed_at=performed_at,
            tool=tool,
            scope=(scope or "\n".join(targets) or "as in the report")[:5000],
            recorded_by=by,
            recorded_at=now,
            format=parsed.format,
            full_scope=full_scope,
            scope_key=key,
            **{f"{severity}_count": counted.get(severity, 0) for severity in Severity.values},
        )
        attach_scan_report(scan, ContentFile(data, name=report_file_name(filename, data)))
        scan.save()
        record_change("created", scan, request=request, actor=by, changed_fields=["performed_at", "tool", "scope", "format", "report"])
    else:
        summary.already_imported = True
    index = asset_index(list(Asset.objects.filter(retired_at__isnull=True).select_related("owner")))
    matched = {target: match_target(target, index) for target in targets}
    if summary.already_imported:  # keep the list as the lead left it (assigned targets are gone from it)
        summary.unmatched_targets = list(scan.unmatched_targets)
    else:
        summary.unmatched_targets = _clip_list([target for target, asset in matched.items() if asset is None])
        scan.unmatched_targets = summary.unmatched_targets
        scan.save(update_fields=["unmatched_targets"])
    scan.assets.add(*assets, *{asset for asset in matched.values() if asset is not None})
    seen = _apply_findings(scan, parsed, tool, matched, performed_at, by, now, summary)
    if scan.full_scope and key:
        _close_absent(scan, tool, key, seen, by, summary)
    scan_obligation_sync(now=now, owner=by, by=by)
    record_event(
        "assets.scan.imported",
        request=request,
        actor=by,
        obj=scan,
        changed_fields=["findings"],
        details={"format": parsed.format, **{k: v for k, v in summary.as_dict().items() if k != "unmatched_targets"}}
        | {"unmatched_targets": len(summary.unmatched_targets)},
    )
    return scan, summary


def _clip_list(items: list[str]) -> list[str]:
    return [_clip(item, 300) for item in items[:1000]]


def _unique(findings: Iterable[ParsedFinding], tool: str) -> list[ParsedFinding]:
    """One finding per fingerprint (a report may list a CVE twice for the same package)."""
    by_print: dict[str, ParsedFinding] = {}
    for item in findings:
        by_print.setdefault(item.fingerprint(tool), item)
    return list(by_print.values())


def _existing(prints: list[str]) -> dict[str, Finding]:
    """For each fingerprint, the finding that stands for it: the live one, else the latest resolved."""
    found: dict[str, Finding] = {}
    rank: dict[str, int] = {FindingStatus.OPEN: 0, FindingStatus.INFO: 0, FindingStatus.ACCEPTED: 1, FindingStatus.FIXED: 2}
    for start in range(0, len(prints), BATCH):
        for finding in Finding.objects.filter(fingerprint__in=prints[start : start + BATCH]).order_by("-pk"):
            current = found.get(finding.fingerprint)
            if current is None or rank[finding.status] < rank[current.status]:
                found[finding.fingerprint] = finding
    return found


def _apply_findings(scan, parsed, tool, matched, performed_at, by, now, summary) -> set[str]:
    days = finding_due_days()
    unique = _unique(parsed.findings, tool)
    prints = [item.fingerprint(tool) for item in unique]
    existing = _existing(prints)
    new: list[Finding] = []
    changed: list[Finding] = []
    seen_again: list[int] = []  # reported again as they were: only ``last_seen_scan`` moves (one UPDATE per batch)
    for item, print_ in zip(unique, prints, strict=True):
        info = item.severity == Severity.INFO
        summary.informational += int(info)
        finding = existing.get(print_)
        if finding is None:
            asset = matched.get(item.target)
            new.append(_new_finding(scan, item, print_, tool, asset, performed_at, days, by, now))
            continue
        before = (finding.severity, finding.status, finding.clause)
        _update_finding(finding, item, scan, performed_at, days, by, now, summary)
        (changed.append(finding) if (finding.severity, finding.status, finding.clause) != before else seen_again.append(finding.pk))
    Finding.objects.bulk_create(new, batch_size=INSERT_BATCH)
    summary.created = len(new)
    fields = ["last_seen_scan", "severity", "status", "due_at", "resolved_at", "resolved_by", "resolution_note", "fixed_by_scan", "clause"]
    Finding.objects.bulk_update(changed, fields, batch_size=BATCH)
    for start in range(0, len(seen_again), BATCH):
        Finding.objects.filter(pk__in=seen_again[start : start + BATCH]).update(last_seen_scan=scan)
    summary.updated = len(changed) + len(seen_again)
    _open_obligations([finding for finding in new if finding.status == FindingStatus.OPEN])
    return set(prints)


def _new_finding(scan, item: ParsedFinding, print_: str, tool: str, asset, performed_at, days, by, now) -> Finding:
    info = item.severity == Severity.INFO
    return Finding(
        scan=scan,
        last_seen_scan=scan,
        title=_clip(item.title, 200) or _clip(item.reference, 200) or "Untitled finding",
        reference=_clip(item.reference, 80),
        severity=item.severity,
        asset=asset,
        owner=asset.owner if asset is not None else by,
        found_at=performed_at,
        due_at=performed_at if info else finding_due_at(item.severity, performed_at, days),
        status=FindingStatus.INFO if info else FindingStatus.OPEN,
        resolved_at=performed_at if info else None,
        created_by=by,
        created_at=now,
        fingerprint=print_,
        tool=_clip(tool, 120),
        target=_clip(item.target, 300),
        package=_clip(item.package, 200),
        location=_clip(item.location, 300),
        solution=_clip(item.solution, 300),
        clause=item.clause,
    )


def _update_finding(finding: Finding, item: ParsedFinding, scan, performed_at, days, by, now, summary: ImportSummary) -> None:
    """The same finding reported again: see the module docstring for each case. Obligations of
    the (rare) changed rows are kept one by one through the engine."""
    finding.last_seen_scan = scan
    finding.clause = item.clause  # a check the mapping table moved to another clause follows it
    severity = item.severity
    info = severity == Severity.INFO
    if finding.status == FindingStatus.ACCEPTED:
        return  # the risk was accepted; the tool keeps reporting it
    if finding.status == FindingStatus.FIXED:
        summary.reopened += 1
        finding.severity = severity
        finding.fixed_by_scan = None
        finding.resolved_by = None
        finding.resolution_note = ""
        if info:
            finding.status, finding.resolved_at, finding.due_at = FindingStatus.INFO, performed_at, max(performed_at, finding.found_at)
        else:
            finding.status, finding.resolved_at = FindingStatus.OPEN, None
            finding.due_at = finding_due_at(severity, max(performed_at, finding.found_at), days)
            _finding_obligation(finding, anchor_at=max(performed_at, finding.found_at))
        return
    if finding.severity == severity:
        return
    summary.severity_changed += 1
    was_open = finding.status == FindingStatus.OPEN
    finding.severity = severity
    if info:  # open → informational: nothing to fix any more
        finding.status, finding.resolved_at, finding.resolved_by = FindingStatus.INFO, max(performed_at, finding.found_at), by
        finding.resolution_note = "The scanner now rates it informational."
        obligation_waive(kind=FINDING_FIX, subject=finding, when=now, reason="the scanner now rates it informational", by=by)
    elif was_open:  # another severity: due by the new one, from when it was found
        finding.due_at = finding_due_at(severity, finding.found_at, days)
        _finding_obligation(finding, anchor_at=finding.found_at)
    else:  # informational → to fix, due from this scan
        finding.status, finding.resolved_at, finding.resolved_by, finding.resolution_note = FindingStatus.OPEN, None, None, ""
        finding.due_at = finding_due_at(severity, max(performed_at, finding.found_at), days)
        _finding_obligation(finding, anchor_at=max(performed_at, finding.found_at))


def _finding_obligation(finding: Finding, *, anchor_at: datetime) -> None:
    obligation_open(
        kind=FINDING_FIX,
        subject=finding,
        anchor_at=anchor_at,
        due_at=finding.due_at,
        owner=finding.owner,
        title=f"Fix {finding.severity} finding: {finding.title}"[:200],
        url=finding.get_absolute_url(),
    )


def _open_obligations(findings: list[Finding]) -> None:
    """The fix obligations of new findings, through the engine's bulk open (the same values
    ``obligation_open`` writes), with one ``reverse`` for all their URLs."""
    marker = 987654321  # the finding page's URL with this id in place of each pk
    url = reverse("assets:finding_detail", args=[marker])
    items = [
        NewObligation(
            subject=finding,
            anchor_at=finding.found_at,
            due_at=finding.due_at,
            owner=finding.owner,
            title=f"Fix {finding.severity} finding: {finding.title}"[:200],
            url=url.replace(str(marker), str(finding.pk)),
        )
        for finding in findings
    ]
    obligations_open_new(kind=FINDING_FIX, items=items, batch_size=INSERT_BATCH)


def _close_absent(scan: VulnerabilityScan, tool: str, key: str, seen: set[str], by, summary: ImportSummary) -> None:
    """Open findings of earlier scans of this tool and scope that this full scan no longer reports
    are fixed, with this scan as the evidence; their obligations are completed at the scan's time."""
    same_scope = Q(scan__scope_key=key) | Q(last_seen_scan__scope_key=key)
    candidates = (
        Finding.objects.filter(same_scope, status=FindingStatus.OPEN, tool=tool)
        .exclude(fingerprint="")
        .exclude(last_seen_scan=scan)
        .filter(Q(last_seen_scan__performed_at__lte=scan.performed_at) | Q(last_seen_scan__isnull=True))
    )
    gone = [finding for finding in candidates if finding.fingerprint not in seen]
    note = f"Not reported by scan #{scan.pk} ({scan.tool}, full scope)."
    for finding in gone:
        finding.status, finding.resolved_at, finding.resolved_by = FindingStatus.FIXED, scan.performed_at, by
        finding.resolution_note, finding.fixed_by_scan = note, scan
    Finding.objects.bulk_update(gone, ["status", "resolved_at", "resolved_by", "resolution_note", "fixed_by_scan"], batch_size=BATCH)
    obligations_complete_many(kind=FINDING_FIX, subjects=gone, completed_at=scan.performed_at, completed_by=by, batch_size=BATCH)
    summary.closed_fixed = len(gone)


# --- the lead assigns unmatched targets -----------------------------------------------------
@transaction.atomic
def scan_target_assign(*, scan: VulnerabilityScan, target: str, asset: Asset, by, now: datetime, request=None) -> int:
    """Set ``asset`` on this scan's findings of ``target`` (open ones pass to the asset's owner,
    with their obligations); the target leaves the unmatched list. Returns how many findings."""
    scan = VulnerabilityScan.objects.select_for_update().get(pk=scan.pk)
    if target not in scan.unmatched_targets:
        raise ValidationError({"target": "This target is not waiting for an asset."})
    if asset.retired_at is not None:
        raise ValidationError({"asset": "Choose an active asset."})
    findings = list(Finding.objects.filter(Q(scan=scan) | Q(last_seen_scan=scan), target=target))
    for finding in findings:
        finding.asset = asset
        if finding.status == FindingStatus.OPEN:
            finding.owner = asset.owner
    Finding.objects.bulk_update(findings, ["asset", "owner"], batch_size=BATCH)
    open_findings = [finding for finding in findings if finding.status == FindingStatus.OPEN]
    obligations_reassign(kind=FINDING_FIX, subjects=open_findings, owner=asset.owner, now=now, batch_size=BATCH)
    scan.unmatched_targets = [item for item in scan.unmatched_targets if item != target]
    scan.save(update_fields=["unmatched_targets"])
    scan.assets.add(asset)
    record_event(
        "assets.scan.target_assigned",
        request=request,
        actor=by,
        obj=scan,
        changed_fields=["asset", "owner"],
        details={"asset": asset.tag, "findings": len(findings)},
    )
    return len(findings)


# --- the JSON push of POST /vulnerability-scans/ ----------------------------------------------
def push_fingerprint(tool: str, item: dict[str, Any]) -> str:
    """A pushed finding has no package or location: its rule is its reference, else its title."""
    asset = item.get("asset")
    reference = item.get("reference") or item.get("title", "")
    return ParsedFinding(title="", reference=reference, severity=item["severity"], target=asset.tag if asset else "").fingerprint(tool)


@transaction.atomic
def scan_push(
    *, data: dict[str, Any], findings: list[dict[str, Any]], assets=(), body: bytes, by, now: datetime, request=None
) -> tuple[VulnerabilityScan, bool]:
    """Record a scan pushed as JSON with its findings (``finding_create`` each new one), keeping the
    body as its report. Idempotent like an import: the same body again returns the scan already
    recorded (``False``: nothing written); a finding already open (same tool, reference or title,
    asset) is updated, not duplicated — a new severity re-dates it."""
    digest = hashlib.sha256(body).hexdigest()
    known = VulnerabilityScan.objects.filter(report_sha256=digest, format="api").first()
    if known is not None:
        return known, False
    scan = vulns.scan_record(
        data={**data, "format": "api"}, assets=assets, report=ContentFile(body, name="scan.json"), by=by, now=now, request=request
    )
    tool = scan.tool
    prints = [push_fingerprint(tool, item) for item in findings]
    existing = {print_: finding for print_, finding in _existing(prints).items() if finding.status in LIVE_STATUSES}
    for item, print_ in zip(findings, prints, strict=True):
        finding = existing.get(print_)
        if finding is None:
            asset = item.get("asset")
            extra = {
                "scan": scan,
                "last_seen_scan": scan,
                "fingerprint": print_,
                "tool": _clip(tool, 120),
                "target": asset.tag if asset else "",
            }
            existing[print_] = vulns.finding_create(data={**item, **extra}, by=by, now=now, request=request)
            continue
        Finding.objects.filter(pk=finding.pk).update(last_seen_scan=scan)
        if finding.status == FindingStatus.OPEN and item["severity"] != finding.severity:
            vulns.finding_update(finding=finding, data={"severity": item["severity"]}, by=by, now=now, request=request)
    return scan, True
