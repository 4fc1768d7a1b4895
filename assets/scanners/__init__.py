"""Scanner reports → ``ParsedScan`` (DPP 2.7): one module per report format, each a pure function
from the file's bytes to findings (see ``base``). ``parse`` picks the module (or sniffs it with
``detect_format``), refuses oversized files and returns the findings; ``assets.services`` matches
their targets to assets and writes them.

Every module names the schema it follows in its docstring and has a sample report under
``tests/assets/scan_samples/``.
"""

from __future__ import annotations

import codecs
from types import ModuleType

from django.conf import settings

from assets.scanners import dependabot, grype, inspector2, nessus_csv, nessus_xml, openvas, prowler, sarif, securityhub, trivy, zap
from assets.scanners.base import ParsedFinding, ParsedScan, ScanFormatError

__all__ = ["FORMATS", "ParsedFinding", "ParsedScan", "ScanFormatError", "detect_format", "max_bytes", "parse"]

# key → (label, parser module, how to export the report, one line). The order is the sniffing order
# of ``detect_format`` (the most specific signatures first) and the order of the import form's list.
FORMATS: dict[str, tuple[str, ModuleType, str]] = {
    "trivy": ("Trivy JSON", trivy, "trivy image --format json --output trivy.json IMAGE (also fs/repo/config; SchemaVersion 2)"),
    "grype": ("Grype JSON", grype, "grype IMAGE_OR_DIR -o json --file grype.json"),
    "sarif": (
        "SARIF 2.1.0 (CodeQL, Semgrep, Bandit …)",
        sarif,
        "codeql database analyze DB --format=sarif-latest --output=codeql.sarif, semgrep scan --sarif -o semgrep.sarif, or bandit -r . -f sarif -o bandit.sarif",
    ),
    "nessus_xml": ("Nessus (.nessus XML)", nessus_xml, "Nessus/Tenable: scan → Report/Export → Nessus (.nessus file, format v2)"),
    "nessus_csv": (
        "Nessus CSV",
        nessus_csv,
        "Nessus/Tenable: scan → Report/Export → CSV (keep the default columns incl. Plugin ID, Risk, Host, Port, Name)",
    ),
    "openvas": (
        "Greenbone / OpenVAS XML",
        openvas,
        "Greenbone: Scans → Reports → Download → XML (not Anonymous XML, which hides the hosts; or gvm-cli get_reports details=1)",
    ),
    "zap": ("OWASP ZAP JSON", zap, "ZAP: Report → Generate Report → Traditional JSON Report (or zap-baseline.py -J zap.json)"),
    "dependabot": (
        "GitHub Dependabot alerts JSON",
        dependabot,
        "gh api --paginate 'repos/OWNER/REPO/dependabot/alerts?state=open' > dependabot.json (or orgs/ORG/dependabot/alerts)",
    ),
    "inspector2": ("AWS Inspector2 findings JSON", inspector2, "aws inspector2 list-findings --output json > inspector2.json"),
    "prowler": (
        "Prowler JSON-OCSF",
        prowler,
        "prowler aws --output-formats json-ocsf -o out/ (Prowler 4 or later; import out/*.ocsf.json)",
    ),
    "securityhub": (
        "AWS Security Hub findings (ASFF)",
        securityhub,
        'aws securityhub get-findings --filters \'{"RecordState":[{"Value":"ACTIVE","Comparison":"EQUALS"}]}\' --output json > securityhub.json',
    ),
}

DEFAULT_MAX_BYTES = 50 * 1024 * 1024


def max_bytes() -> int:
    """The largest report accepted: ``settings.SCAN_IMPORT_MAX_BYTES`` or 50 MB."""
    return int(getattr(settings, "SCAN_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _utf8(data: bytes) -> bytes:
    """UTF-16 text (what Windows PowerShell's ``>`` writes, with its byte-order mark) re-encoded as
    UTF-8, so ``aws … > findings.json`` on Windows imports too; other bytes unchanged."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise ScanFormatError("The file starts like UTF-16 text but is not valid UTF-16.")
    return data


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:.1f} MB" if count >= 1024 * 1024 else f"{max(count // 1024, 1)} KB"


def _supported() -> str:
    return ", ".join(label for label, _module, _how in FORMATS.values())


def detect_format(data: bytes) -> str:
    """The ``FORMATS`` key whose parser recognises the file (a cheap sniff of its first bytes and
    keys, not a full parse); ScanFormatError listing the supported formats when none does."""
    if not data or not data.strip():
        raise ScanFormatError("The file is empty.")
    data = data.removeprefix(codecs.BOM_UTF8)
    for key, (_label, module, _how) in FORMATS.items():
        if module.looks_like(data):
            return key
    raise ScanFormatError(f"The file's format was not recognised. Supported formats: {_supported()}.")


def parse(data: bytes, format: str = "auto") -> ParsedScan:
    """The report's scan and findings. ``format`` is a ``FORMATS`` key or "auto" (detect it).
    ScanFormatError (with a message fit to show the user, never quoting the file) when the file is
    too large, empty, of another format or broken."""
    limit = max_bytes()
    if len(data) > limit:
        raise ScanFormatError(
            f"The file is {_size(len(data))}; reports larger than {_size(limit)} are refused. "
            "Export fewer targets per report, or only open findings."
        )
    data = _utf8(data)
    if not data or not data.strip():
        raise ScanFormatError("The file is empty.")
    key = detect_format(data) if format == "auto" else format
    if key not in FORMATS:
        raise ScanFormatError(f"Unknown report format. Supported formats: {_supported()}.")
    _label, module, _how = FORMATS[key]
    scan: ParsedScan = module.parse(data)
    scan.format = key
    return scan
