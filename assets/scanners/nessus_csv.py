"""Nessus CSV exports (Nessus / Tenable "Export → CSV").

Schema: the columns of Nessus's CSV export (Tenable docs "Scan Exports and Reports" — default
columns ``Plugin ID, CVE, CVSS v2.0 Base Score, Risk, Host, Protocol, Port, Name, Synopsis,
Description, Solution, See Also, Plugin Output``; older exports say ``CVSS``, newer ones add
``CVSS v3.0 Base Score`` …; Tenable.io's vulnerability export names them ``Plugin``, ``Plugin Name``,
``Severity``, ``IP Address``). Columns are found by header name, in any order.

The export writes one row per plugin, host, port **and CVE**. Rows of one plugin on one host and
port become **one finding** (its CVEs in the title), as in the .nessus parser: one plugin is one
remedy (one patch), so per-CVE findings would multiply the work without adding anything, and the
reference "NESSUS-<Plugin ID>" stays stable when Tenable adds a CVE to the plugin. Risk None → info.
The CSV does not say when the scan ran, so ``performed_at`` is empty (the importer uses the upload).
"""

from __future__ import annotations

import csv
import io

from assets.scanners.base import ParsedScan, ScanFormatError, build_scan, decode_text, make_finding, severity_from_word
from assets.scanners.nessus_xml import port_location, remedy, title_with_cves

WHAT = "Nessus CSV export"
# the portal's name for a column → the header names Nessus and Tenable use for it (lower case)
COLUMNS = {
    "plugin": ("plugin id", "plugin"),
    "cve": ("cve",),
    "risk": ("risk", "severity", "risk factor"),
    "host": ("host", "ip address", "dns name", "asset"),
    "protocol": ("protocol",),
    "port": ("port",),
    "name": ("name", "plugin name"),
    "solution": ("solution",),
}
REQUIRED = ("plugin", "risk", "host", "name")
FIELD_LIMIT = 16 * 1024 * 1024  # Plugin Output cells can exceed csv's default 128 KB


def looks_like(data: bytes) -> bool:
    first = data[:2048].split(b"\n", 1)[0].lower()
    return b"plugin id" in first and (b'"host"' in first or b",host," in first or b"risk" in first)


def parse(data: bytes) -> ParsedScan:
    text = decode_text(data, WHAT)
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ScanFormatError("This is not a Nessus CSV export (no header row).")
    positions = _positions(header)
    missing = [name for name in REQUIRED if name not in positions]
    if missing:
        raise ScanFormatError(
            "This is not a Nessus CSV export: the header lacks the columns "
            + ", ".join(COLUMNS[name][0].title() for name in missing)
            + " (export with the default columns)."
        )
    first_rows: dict[tuple[str, str, str, str], dict[str, str]] = {}
    cves: dict[tuple[str, str, str, str], list[str]] = {}
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            cells = {name: (row[index].strip() if index < len(row) else "") for name, index in positions.items()}
            key = (cells["plugin"], cells["host"], cells.get("port", ""), cells.get("protocol", "").lower())
            first_rows.setdefault(key, cells)
            cve = cells.get("cve", "")
            if cve and cve not in cves.setdefault(key, []):
                cves[key].append(cve)
    except csv.Error:
        raise ScanFormatError(f"The CSV file is malformed near line {reader.line_num} (it may be cut short).")
    findings = []
    for (plugin, host, port, protocol), cells in first_rows.items():
        findings.append(
            make_finding(
                title=title_with_cves(cells["name"] or f"Nessus plugin {plugin}", cves.get((plugin, host, port, protocol), [])),
                reference=f"NESSUS-{plugin}",
                severity=severity_from_word(cells["risk"]),
                target=host,
                location=port_location(port, protocol),
                solution=remedy(cells.get("solution", "")),
            )
        )
    return build_scan(
        format="nessus_csv", tool="Nessus", performed_at=None, targets=[host for (_p, host, _port, _proto) in first_rows], findings=findings
    )


def _positions(header: list[str]) -> dict[str, int]:
    """Column name → index, the first matching header winning (Tenable.io files have both
    "Severity" and "Risk Factor"; "Risk" is preferred by listing it first)."""
    names = [h.strip().lower() for h in header]
    positions = {}
    for column, aliases in COLUMNS.items():
        for alias in aliases:
            if alias in names:
                positions[column] = names.index(alias)
                break
    return positions
