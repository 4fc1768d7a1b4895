"""Nessus ``.nessus`` XML reports (format v2: Nessus / Tenable.io / Tenable.sc "Nessus" export).

Schema: Tenable's "Nessus v2 File Format" (``NessusClientData_v2``): ``Report/ReportHost[@name]``
with ``HostProperties/tag[@name]`` (``HOST_START``, ``HOST_START_TIMESTAMP``, ``host-ip``,
``host-fqdn``) and ``ReportItem[@port, @protocol, @severity 0–4, @pluginID, @pluginName]`` with
children ``risk_factor``, ``cve`` (repeated), ``synopsis``, ``solution``. The ``Policy`` section
(scan settings, possibly with masked credentials) is never read.

One finding per plugin, host and port (a plugin's CVEs go in the title, so a plugin that gains a CVE
keeps its finding); the reference is "NESSUS-<pluginID>", the same as the CSV parser's, so a host
imported once as .nessus and once as CSV gives the same findings. Severity: @severity 0 info,
1 low, 2 medium, 3 high, 4 critical (``risk_factor`` when @severity is missing). Target: the
ReportHost name (the IP or host name the scan was pointed at); ``host-ip`` / ``host-fqdn`` are added
to the scan's targets for matching. Scan time: the earliest ``HOST_START_TIMESTAMP`` (epoch), else
``HOST_START`` (the scanner's local time without a zone, read as UTC).
"""

from __future__ import annotations

import re
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
    severity_from_word,
)

WHAT = "Nessus .nessus report"
NESSUS_SEVERITIES = {"0": "info", "1": "low", "2": "medium", "3": "high", "4": "critical"}
SCAN_INFORMATION_PLUGIN = "19506"  # its output names the Nessus version
VERSION_LINE = re.compile(r"Nessus version\s*:\s*([0-9][0-9.]*)")


def looks_like(data: bytes) -> bool:
    return b"<NessusClientData_v2" in data[:4096]


def parse(data: bytes) -> ParsedScan:
    root = load_xml(data, WHAT)
    if root.tag != "NessusClientData_v2":
        raise ScanFormatError("This is not a Nessus v2 (.nessus) report (the root element is not NessusClientData_v2).")
    findings: list[ParsedFinding] = []
    targets: list[str] = []
    started: list[datetime] = []
    version = ""
    for host in root.iter("ReportHost"):
        name = (host.get("name") or "").strip()
        tags = {tag.get("name"): (tag.text or "").strip() for tag in host.findall("HostProperties/tag")}
        target = name or tags.get("host-ip") or tags.get("host-fqdn") or ""
        targets.extend(t for t in (target, tags.get("host-fqdn"), tags.get("host-ip")) if t)
        start = parse_timestamp(tags.get("HOST_START_TIMESTAMP")) or parse_timestamp(tags.get("HOST_START"))
        if start:
            started.append(start)
        for item in host.iter("ReportItem"):
            findings.append(_finding(item, target))
            if not version and item.get("pluginID") == SCAN_INFORMATION_PLUGIN:
                found = VERSION_LINE.search(_text(item, "plugin_output"))
                version = found.group(1) if found else ""
    return build_scan(
        format="nessus_xml",
        tool="Nessus",
        tool_version=version,
        performed_at=min(started, default=None),
        targets=targets,
        findings=findings,
    )


def _text(item: Element, child: str) -> str:
    return (item.findtext(child) or "").strip()


def _finding(item: Element, target: str) -> ParsedFinding:
    severity = NESSUS_SEVERITIES.get((item.get("severity") or "").strip()) or severity_from_word(_text(item, "risk_factor"))
    cves = [(cve.text or "").strip() for cve in item.findall("cve") if (cve.text or "").strip()]
    name = item.get("pluginName") or _text(item, "plugin_name") or f"Nessus plugin {item.get('pluginID')}"
    return make_finding(
        title=title_with_cves(name, cves),
        reference=f"NESSUS-{(item.get('pluginID') or '').strip()}",
        severity=severity,
        target=target,
        location=port_location(item.get("port"), item.get("protocol")),
        solution=remedy(_text(item, "solution")),
    )


def title_with_cves(name: str, cves: list[str]) -> str:
    """ "Plugin name (CVE-1, CVE-2, +3 more)" — the CVEs a plugin covers, for search and reading."""
    if not cves:
        return name
    shown = ", ".join(cves[:3]) + (f", +{len(cves) - 3} more" if len(cves) > 3 else "")
    return f"{name} ({shown})"


def remedy(solution: str) -> str:
    """The plugin's solution, without Nessus's "n/a" placeholder."""
    return "" if solution.strip().lower() in ("n/a", "none") else solution


def port_location(port: str | None, protocol: str | None) -> str:
    """ "443/tcp"; empty for port 0 (host-level plugins)."""
    port, protocol = (port or "").strip(), (protocol or "").strip().lower()
    if not port or port == "0":
        return ""
    return f"{port}/{protocol}" if protocol else port
