"""Prowler JSON-OCSF output (``prowler aws --output-formats json-ocsf``, Prowler 4 and 5).

Schema: Prowler's ``prowler/lib/outputs/ocsf/ocsf.py`` and docs "Reporting → JSON-OCSF": a JSON
array of OCSF Detection Finding objects (class_uid 2004) with ``status_code`` PASS | FAIL | MANUAL,
``status`` New | Suppressed (Suppressed: muted by the team's mutelist), ``severity`` Critical |
High | Medium | Low | Informational, ``finding_info`` (``uid``, ``title``, ``desc``),
``metadata.event_code`` (the check id, e.g. ``iam_root_mfa_enabled``),
``metadata.product.version``, ``resources[]`` (``uid`` the ARN, ``name``, ``type``, ``region``),
``cloud.account.uid``, ``cloud.provider``, ``remediation.desc``, ``time`` (epoch) / ``time_dt``.

Only FAIL results that are not muted become findings (PASS is compliance, MANUAL asks a person).
Every result's resource still joins the scan's targets, so a resource that went from FAIL to PASS
keeps the scope the same and a later full-scope import closes its finding. Reference: the check
id (its DPP clause from ``dpp_clauses``); target: the resource ARN, else the account id;
location: the region. ``resources[].data`` and ``message`` are never read: Prowler copies
resource metadata there, secrets included.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from assets.scanners.base import (
    ParsedFinding,
    ParsedScan,
    ScanFormatError,
    as_dict,
    as_list,
    build_scan,
    load_json,
    make_finding,
    parse_timestamp,
    severity_from_word,
)
from assets.scanners.dpp_clauses import dpp_clause

WHAT = "Prowler JSON-OCSF report"


def looks_like(data: bytes) -> bool:
    # a finding's compliance lists come before finding_info, so look further than the first 8 KB
    head = data[:65536]
    return head.lstrip()[:1] == b"[" and b'"finding_info"' in head and (b'"event_code"' in head or b'"status_code"' in head)


def parse(data: bytes) -> ParsedScan:
    document = load_json(data, WHAT)
    if not isinstance(document, list):
        raise ScanFormatError("This is not a Prowler JSON-OCSF report (not a list of findings). Export it with --output-formats json-ocsf.")
    findings: list[ParsedFinding] = []
    targets: list[str] = []
    times: list[datetime] = []
    version = ""
    for item in document:
        item = as_dict(item)
        if "status_code" not in item or "finding_info" not in item:
            raise ScanFormatError(
                "This is not a Prowler 4+ JSON-OCSF report (results lack status_code / finding_info). "
                "Export it with Prowler 4 or later: prowler aws --output-formats json-ocsf."
            )
        metadata = as_dict(item.get("metadata"))
        version = version or str(as_dict(metadata.get("product")).get("version") or "")
        account = str(as_dict(as_dict(item.get("cloud")).get("account")).get("uid") or "").strip()
        resource = as_dict(next(iter(as_list(item.get("resources"))), {}))
        target = str(resource.get("uid") or resource.get("name") or "").strip() or account
        targets.extend(t for t in (account, target) if t)
        when = parse_timestamp(item.get("time_dt") or item.get("time"))
        if when:
            times.append(when)
        if str(item.get("status_code") or "").upper() != "FAIL" or str(item.get("status") or "").lower() == "suppressed":
            continue
        findings.append(_finding(item, metadata, resource, target))
    return build_scan(
        format="prowler", tool="Prowler", tool_version=version, performed_at=max(times, default=None), targets=targets, findings=findings
    )


def _finding(item: dict[str, Any], metadata: dict[str, Any], resource: dict[str, Any], target: str) -> ParsedFinding:
    info = as_dict(item.get("finding_info"))
    check = str(metadata.get("event_code") or "").strip()
    region = str(resource.get("region") or as_dict(item.get("cloud")).get("region") or "").strip()
    finding = make_finding(
        title=info.get("title") or check,
        reference=check or info.get("uid") or "",
        severity=severity_from_word(item.get("severity")),
        target=target,
        location=region,
        solution=as_dict(item.get("remediation")).get("desc") or "",
    )
    return replace(finding, clause=dpp_clause("prowler", check) or "")
