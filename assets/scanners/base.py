"""What every scanner parser returns: the scan and its findings in the portal's terms, from the
bytes the tool wrote. Parsers are pure functions (no database, no clock); ``assets.services``
matches targets to assets and writes the findings.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree  # only for the Element type and ParseError; parsing is defusedxml's

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as DefusedET

# the portal's severities, most urgent first; "info" keeps a tool's UNKNOWN / info / None findings
SEVERITIES = ("critical", "high", "medium", "low", "info")


class ScanFormatError(ValueError):
    """The file is not a readable report of the chosen format; the message says what is wrong
    (never echoing the file's content)."""


def stable_target(target: str) -> str:
    """The target as fingerprints see it: an image without its tag or digest
    (``registry/app:1.4@sha256:…`` → ``registry/app``), so a CVE that survives a new image tag is
    the same finding with the same due date, not a "fix" and a new finding. URLs and hosts stay."""
    text = target.strip().lower().split("@sha256:", 1)[0]
    if text.startswith("arn:") and "/" not in text:
        return text  # an AWS ARN without a path ("arn:aws:s3:::bucket", "…:db:orders"): its colons are not a tag
    if "://" not in text:
        head, _slash, last = text.rpartition("/")
        if ":" in last:
            text = f"{head}/{last.split(':', 1)[0]}" if head else last.split(":", 1)[0]
    return text


def stable_package(package: str) -> str:
    """The package without its version (``openssl 3.0.2`` → ``openssl``): a package bumped to a
    version that is still vulnerable keeps its finding (and its clock)."""
    return package.strip().lower().split(" ", 1)[0]


@dataclass(frozen=True)
class ParsedFinding:
    title: str  # one line, at most 200 characters
    reference: str  # CVE, GHSA or the tool's rule id, at most 80 characters
    severity: str  # one of SEVERITIES
    target: str  # what was scanned: host name or IP, image, repository, URL (matched to assets)
    package: str = ""  # affected package and version, when the tool names one
    location: str = ""  # file:line, port/protocol or URL path within the target
    solution: str = ""  # fixed version or the tool's one-line remedy
    # the DPP clause the finding weighs on ("1.4"), from a shipped mapping (``dpp_clauses``) for
    # cloud-posture tools; "" when the tool or the table does not say. Not part of the fingerprint:
    # a re-mapped check is the same finding.
    clause: str = ""

    def fingerprint(self, tool: str) -> str:
        """The same finding in the next scan has the same fingerprint: tool family, rule or CVE,
        target, package and location (never the title or severity, which tools reword)."""
        parts = [tool.strip().lower(), self.reference.strip().lower(), stable_target(self.target), stable_package(self.package)]
        parts.append(self.location.strip().lower())
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


@dataclass
class ParsedScan:
    format: str  # the registry key of the parser (``assets.scanners.FORMATS``)
    tool: str  # tool family, e.g. "Trivy" (fingerprints use it; stays the same across versions)
    tool_version: str = ""
    performed_at: datetime | None = None  # when the report says the scan ran (aware), if it says
    targets: list[str] = field(default_factory=list)  # the scope the report covers
    findings: list[ParsedFinding] = field(default_factory=list)


# --- helpers shared by the parsers (pure; no database, no clock) ------------------------------------

TITLE_MAX = 200
REFERENCE_MAX = 80
SOLUTION_MAX = 300

# a tool's severity word → the portal's; UNKNOWN / info / None / Log are kept as "info", never dropped.
# "negligible" (Grype, from Debian's "unimportant") means no security impact, so it is info too;
# GitHub's "moderate" is medium; Inspector's UNTRIAGED (no score yet) is info until the tool scores it.
SEVERITY_WORDS = {
    "critical": "critical",
    "high": "high",
    "medium": "medium",
    "moderate": "medium",
    "low": "low",
    "negligible": "info",
    "info": "info",
    "informational": "info",
    "information": "info",
    "none": "info",
    "unknown": "info",
    "untriaged": "info",
    "log": "info",
    "debug": "info",
}


def severity_from_word(word: object) -> str:
    """The portal's severity for a tool's word (case-insensitive); anything unrecognised is info."""
    return SEVERITY_WORDS.get(str(word or "").strip().lower(), "info")


def severity_from_cvss(score: object) -> str:
    """CVSS (v2 or v3) base score → severity with the CVSS v3 bands: ≥9 critical, ≥7 high, ≥4 medium,
    >0 low; 0, empty or not a number is info."""
    try:
        value = float(str(score).strip())
    except (TypeError, ValueError):
        return "info"
    if value != value:  # NaN
        return "info"
    if value >= 9.0:
        return "critical"
    if value >= 7.0:
        return "high"
    if value >= 4.0:
        return "medium"
    if value > 0:
        return "low"
    return "info"


def severity_rank(severity: str) -> int:
    """0 for critical … 4 for info (lower is more urgent)."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def one_line(value: object, limit: int) -> str:
    """Whitespace collapsed to single spaces, cut to ``limit`` characters (with "…" when cut)."""
    text = " ".join(str(value if value is not None else "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def decode_text(data: bytes, what: str) -> str:
    """The file as text (UTF-8, with or without BOM); ScanFormatError when empty or not UTF-8."""
    if not data or not data.strip():
        raise ScanFormatError("The file is empty.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScanFormatError(f"The file is not UTF-8 text, so it is not a {what} (byte {exc.start}).")


def load_json(data: bytes, what: str) -> object:
    """The parsed JSON document; ScanFormatError naming the line when it is cut short or broken."""
    text = decode_text(data, what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScanFormatError(f"The file is not valid JSON (it may be cut short): line {exc.lineno}.")
    except RecursionError:
        raise ScanFormatError("The file's JSON is nested too deeply to read.")


def load_xml(data: bytes, what: str) -> ElementTree.Element:
    """The parsed XML root with ``defusedxml`` (no DTDs, entities or external references: a
    billion-laughs or XXE file is refused, never expanded)."""
    decode_text(data, what)  # empty / not UTF-8 gives the same message as for JSON
    try:
        return DefusedET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise ScanFormatError("The XML file declares a DTD or entities, which are refused for safety.")
    except ElementTree.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else "?"
        raise ScanFormatError(f"The file is not well-formed XML (it may be cut short): line {line}.")


def local_name(tag: str) -> str:
    """An XML tag without its ``{namespace}``."""
    return tag.rsplit("}", 1)[-1]


_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_timestamp(value: object) -> datetime | None:
    """An aware UTC datetime from ISO 8601 (nanoseconds and "Z" allowed), RFC 2822 / ZAP's
    "Tue, 14 May 2024 10:11:12", ctime "Tue May 14 10:11:12 2024" or epoch seconds; None when the
    value is empty or unreadable. Times without a zone are taken as UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip()
    if text.isdigit():
        return parse_timestamp(int(text))
    parsed: datetime | None = None
    iso = _FRACTION.sub(r"\1", text.replace("Z", "+00:00").replace("z", "+00:00"))
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        for pattern in ("%a, %d %b %Y %H:%M:%S", "%a %b %d %H:%M:%S %Y", "%a, %d %b %Y %H:%M:%S %z"):
            try:
                parsed = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def make_finding(
    *, title: object, reference: object, severity: str, target: object, package: object = "", location: object = "", solution: object = ""
) -> ParsedFinding:
    """A finding with the contract's limits applied: one-line title ≤200 and reference ≤80
    characters, stripped target, package and location, one-line solution ≤300."""
    reference_text = one_line(reference, REFERENCE_MAX)
    return ParsedFinding(
        title=one_line(title, TITLE_MAX) or reference_text or "Untitled finding",
        reference=reference_text,
        severity=severity if severity in SEVERITIES else "info",
        target=one_line(target, 500),
        package=one_line(package, 300),
        location=one_line(location, 500),
        solution=one_line(solution, SOLUTION_MAX),
    )


def build_scan(
    *, format: str, tool: str, tool_version: object = "", performed_at: datetime | None, targets: list[str], findings: list[ParsedFinding]
) -> ParsedScan:
    """The scan with duplicate findings merged: findings with one fingerprint inside one report
    (a tool listing the same CVE twice, a plugin seen on two paths) become one, keeping the most
    urgent severity and the first title; targets de-duplicated in report order."""
    merged: dict[str, ParsedFinding] = {}
    for finding in findings:
        key = finding.fingerprint(tool)
        kept = merged.get(key)
        if kept is None:
            merged[key] = finding
        elif severity_rank(finding.severity) < severity_rank(kept.severity):
            merged[key] = replace(kept, severity=finding.severity, solution=kept.solution or finding.solution)
    scope = list(dict.fromkeys(t for t in (one_line(t, 500) for t in targets) if t))
    for finding in merged.values():
        if finding.target and finding.target not in scope:
            scope.append(finding.target)
    return ParsedScan(
        format=format,
        tool=tool,
        tool_version=one_line(tool_version, 60),
        performed_at=performed_at,
        targets=scope,
        findings=list(merged.values()),
    )


def as_list(value: object) -> list[Any]:
    """``value`` when it is a JSON array, else an empty list (tools write null for "none")."""
    return value if isinstance(value, list) else []


def as_dict(value: object) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty dict."""
    return value if isinstance(value, dict) else {}
