"""Grype JSON reports (``grype IMAGE_OR_DIR -o json``).

Schema: Grype's ``grype/presenter/models`` (``Document``, ``Match``, ``Vulnerability``,
``Package``, ``Source``, ``Descriptor``; anchore/grype): ``{"matches": [{"vulnerability": {"id",
"severity", "description", "fix": {"versions": [...], "state"}}, "artifact": {"name", "version",
"type", "locations": [{"path"}]}}], "source": {"type": "image"|"directory"|"file", "target":
{"userInput", "tags"} or a path}, "descriptor": {"name": "grype", "version", "timestamp"}}``.

Target: ``source.target.userInput`` (the image reference as the user typed it, which inventory
matches by tag) or the scanned path. Severities Unknown and Negligible (Debian's "unimportant")
become info.
"""

from __future__ import annotations

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
    one_line,
    parse_timestamp,
    severity_from_word,
)

WHAT = "Grype JSON report"


def looks_like(data: bytes) -> bool:
    # "matches" comes first in Grype's output and "descriptor" last; a large report only shows the
    # head, so the match shape is enough there
    head, tail = data[:4096], data[-4096:]
    return b'"matches"' in head and (b'"descriptor"' in tail or (b'"vulnerability"' in head and b'"artifact"' in head))


def parse(data: bytes) -> ParsedScan:
    document = load_json(data, WHAT)
    if not isinstance(document, dict) or not isinstance(document.get("matches"), list) or "descriptor" not in document:
        raise ScanFormatError("This is not a Grype JSON report (no matches / descriptor). Export it with grype -o json.")
    descriptor = as_dict(document.get("descriptor"))
    target = _target(as_dict(document.get("source")))
    findings: list[ParsedFinding] = []
    for match in as_list(document.get("matches")):
        match = as_dict(match)
        vuln, artifact = as_dict(match.get("vulnerability")), as_dict(match.get("artifact"))
        name, version = artifact.get("name") or "", artifact.get("version") or ""
        fixes = [str(v) for v in as_list(as_dict(vuln.get("fix")).get("versions")) if v]
        locations = [as_dict(loc).get("path") for loc in as_list(artifact.get("locations"))]
        reference = vuln.get("id") or ""
        description = one_line(vuln.get("description"), 400)
        findings.append(
            make_finding(
                title=f"{reference} in {name} {version}: {description}" if description else f"{reference} in {name} {version}",
                reference=reference,
                severity=severity_from_word(vuln.get("severity")),
                target=target,
                package=f"{name} {version}".strip(),
                location=next((p for p in locations if p), ""),
                solution=f"Upgrade {name} to {', '.join(fixes)}" if fixes else "",
            )
        )
    return build_scan(
        format="grype",
        tool="Grype",
        tool_version=descriptor.get("version") or "",
        performed_at=parse_timestamp(descriptor.get("timestamp")),
        targets=[target] if target else [],
        findings=findings,
    )


def _target(source: dict[str, Any]) -> str:
    target = source.get("target")
    if isinstance(target, str):  # directory and file sources
        return target.strip()
    target = as_dict(target)
    return str(target.get("userInput") or next(iter(as_list(target.get("tags"))), "") or target.get("path") or "").strip()
