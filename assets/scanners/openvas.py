"""Greenbone / OpenVAS XML reports (GMP ``get_reports`` with the "XML" report format, as downloaded
from Greenbone Security Assistant: Scans → Reports → Download → XML).

Schema: Greenbone Management Protocol (GMP) ``get_reports`` response, ``<report><report id>``
with ``scan_start``, ``results/result`` (``name``, ``host`` — the IP as text, with ``hostname`` and
``asset`` children —, ``port``, ``nvt[@oid]`` with ``cvss_base``, ``severities/severity/score``,
``solution``, ``refs/ref[@type="cve"][@id]``, ``threat`` High/Medium/Low/Log/Debug/False Positive,
``severity`` (a CVSS score, -1 for false positives), ``creation_time``); greenbone/gvmd
``src/report_formats`` read the same tree.

Severity: the result's ``severity`` score with the CVSS bands (so 9.0+ is critical; Greenbone's
"High" covers 7.0–10.0), else its ``threat`` word; Log and Debug → info; False Positive results (an
override the team already made) are skipped. One finding per NVT, host and port; the reference is
the NVT OID and the CVEs go in the title. Target: the host's IP; its host name joins the targets.
"""

from __future__ import annotations

from datetime import datetime
from xml.etree.ElementTree import Element  # type only; parsing is defusedxml's (base.load_xml)

from assets.scanners.base import (
    ParsedFinding,
    ParsedScan,
    ScanFormatError,
    build_scan,
    load_xml,
    make_finding,
    parse_timestamp,
    severity_from_cvss,
    severity_from_word,
)
from assets.scanners.nessus_xml import title_with_cves

WHAT = "Greenbone / OpenVAS XML report"
INFORMATIONAL_THREATS = {"log", "debug"}


def looks_like(data: bytes) -> bool:
    head = data[:8192]
    return b"<report" in head and (b"<results" in data[:65536] or b"<nvt" in data[:65536]) and b"NessusClientData" not in head


def parse(data: bytes) -> ParsedScan:
    root = load_xml(data, WHAT)
    if root.tag not in ("report", "get_reports_response"):
        raise ScanFormatError("This is not a Greenbone / OpenVAS XML report (the root element is not <report>).")
    findings: list[ParsedFinding] = []
    targets: list[str] = []
    created: list[datetime] = []
    results = [result for block in root.iter("results") for result in block.findall("result")]
    for result in results:
        finding = _finding(result, targets)
        if finding is not None:
            findings.append(finding)
        when = parse_timestamp(result.findtext("creation_time"))
        if when:
            created.append(when)
    for host in root.iter("host"):  # the report's host list also names hosts without results
        ip = (host.findtext("ip") or "").strip()
        if ip:
            targets.append(ip)
    started = next((parse_timestamp(e.text) for e in root.iter("scan_start") if parse_timestamp(e.text)), None)
    return build_scan(
        format="openvas",
        tool="Greenbone",
        tool_version=_version(root),
        performed_at=started or parse_timestamp(root.findtext("creation_time")) or min(created, default=None),
        targets=targets,
        findings=findings,
    )


def _version(root: Element) -> str:
    for gmp in root.iter("gmp"):
        return (gmp.findtext("version") or "").strip()
    return ""


def _severity(result: Element) -> str | None:
    threat = (result.findtext("threat") or "").strip()
    if threat.lower() == "false positive":
        return None
    if threat.lower() in INFORMATIONAL_THREATS:
        return "info"
    score = (result.findtext("severity") or "").strip()
    try:
        if float(score) < 0:  # -1: false positive, -2: error, -3: debug
            return None if float(score) == -1 else "info"
    except ValueError:
        return severity_from_word(threat)
    return severity_from_cvss(score) if float(score) > 0 else severity_from_word(threat)


def _finding(result: Element, targets: list[str]) -> ParsedFinding | None:
    severity = _severity(result)
    if severity is None:
        return None
    host = result.find("host")
    ip = (host.text or "").strip() if host is not None else ""
    hostname = (host.findtext("hostname") or "").strip() if host is not None else ""
    targets.extend(t for t in (ip, hostname) if t)
    nvt = result.find("nvt")
    oid = nvt.get("oid", "") if nvt is not None else ""
    cves = []
    if nvt is not None:
        cves = [ref.get("id", "").strip() for ref in nvt.iter("ref") if ref.get("type", "").lower() == "cve" and ref.get("id")]
    name = (result.findtext("name") or (nvt.findtext("name") if nvt is not None else "") or oid).strip()
    solution = (nvt.findtext("solution") or "") if nvt is not None else ""
    return make_finding(
        title=title_with_cves(name, cves),
        reference=oid or name,
        severity=severity,
        target=ip or hostname,
        location=(result.findtext("port") or "").strip(),
        solution=solution,
    )
