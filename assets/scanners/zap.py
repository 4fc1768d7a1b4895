"""OWASP ZAP JSON reports (the "Traditional JSON Report", ``zap-baseline.py -J`` / ``zap-full-scan.py -J``).

Schema: ZAP's report add-on template ``reports/traditional-json`` (zaproxy/zap-extensions) and
www.zaproxy.org/docs/desktop/addons/report-generation/report-traditional-json/: ``{"@programName",
"@version", "@generated" ("Tue, 14 May 2024 10:11:12"), "created" (ISO 8601, ZAP ≥2.13), "site":
[{"@name", "@host", "@port", "@ssl", "alerts": [{"pluginid", "alertRef", "alert", "name",
"riskcode" 0–3, "confidence" 0–4, "riskdesc", "cweid", "solution" (HTML), "instances": [{"uri",
"method", "param"}]}]}]}``.

One finding per alert and site (the site URL is the target; the instances' URLs change from scan to
scan, so they are not part of the finding's identity). Risk codes: 3 high, 2 medium, 1 low,
0 informational → info. Alerts with confidence 0 ("False Positive", set by the team in ZAP) are
skipped. The reference is "ZAP-<alertRef>" (the plugin id plus variant).
"""

from __future__ import annotations

import html
import re
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

WHAT = "ZAP JSON report"
RISK_CODES = {"3": "high", "2": "medium", "1": "low", "0": "info"}
FALSE_POSITIVE = "0"
TAG = re.compile(r"<[^>]*>")


def looks_like(data: bytes) -> bool:
    head = data[:4096]
    return b'"site"' in head and (b'"@programName"' in head or b'"@generated"' in head or b'"@version"' in head)


def parse(data: bytes) -> ParsedScan:
    document = load_json(data, WHAT)
    if not isinstance(document, dict) or not isinstance(document.get("site"), list | dict):
        raise ScanFormatError("This is not a ZAP JSON report (no site list). Export the Traditional JSON Report.")
    sites = document["site"] if isinstance(document["site"], list) else [document["site"]]  # one site: some older ZAP write an object
    findings: list[ParsedFinding] = []
    targets: list[str] = []
    for site in sites:
        site = as_dict(site)
        target = str(site.get("@name") or site.get("@host") or "").strip()
        targets.append(target)
        findings.extend(_alerts(site, target))
    return build_scan(
        format="zap",
        tool="ZAP",
        tool_version=document.get("@version") or "",
        performed_at=parse_timestamp(document.get("created")) or parse_timestamp(document.get("@generated")),
        targets=targets,
        findings=findings,
    )


def plain(text: object) -> str:
    """ZAP's HTML fields as text."""
    return html.unescape(TAG.sub(" ", str(text or "")))


def _alerts(site: dict[str, Any], target: str) -> list[ParsedFinding]:
    found = []
    for alert in as_list(site.get("alerts")):
        alert = as_dict(alert)
        if str(alert.get("confidence", "")).strip() == FALSE_POSITIVE:
            continue
        rule = str(alert.get("alertRef") or alert.get("pluginid") or "").strip()
        risk = str(alert.get("riskcode", "")).strip()
        severity = RISK_CODES.get(risk) or severity_from_word(str(alert.get("riskdesc") or "").split(" ", 1)[0])
        found.append(
            make_finding(
                title=alert.get("alert") or alert.get("name") or f"ZAP alert {rule}",
                reference=f"ZAP-{rule}" if rule else "",
                severity=severity,
                target=target,
                solution=plain(alert.get("solution")),
            )
        )
    return found
