"""GitHub Dependabot alerts (REST "List Dependabot alerts for a repository / organization /
enterprise": ``GET /repos/{owner}/{repo}/dependabot/alerts``, ``GET /orgs/{org}/dependabot/alerts``).

Schema: GitHub REST API OpenAPI description, ``dependabot-alert`` and
``dependabot-alert-with-repository``: a JSON array of ``{"number", "state" open|dismissed|fixed|
auto_dismissed, "dependency": {"package": {"ecosystem", "name"}, "manifest_path", "scope"},
"security_advisory": {"ghsa_id", "cve_id", "summary", "severity"}, "security_vulnerability":
{"severity", "vulnerable_version_range", "first_patched_version": {"identifier"}}, "html_url",
"created_at", "updated_at", "repository": {"full_name", "html_url"} (organization and enterprise
endpoints only)}``. ``gh api --paginate`` writes one array per page back to back and ``--slurp``
wraps the pages in an outer array; both are read.

Only open alerts become findings; dismissed, fixed and auto-dismissed ones are skipped (GitHub
already records who closed them and why). Target: the repository's URL
(``https://github.com/OWNER/REPO``, from ``repository.html_url`` or the alert's ``html_url``), the
same form as SARIF's and Trivy's repository targets. Reference: the GHSA id, which every advisory
has from the start (a CVE id is often added later and would change the finding's identity); the
CVE goes in the title. The list does not say when GitHub last scanned, so ``performed_at`` is empty.
"""

from __future__ import annotations

import json
from typing import Any

from assets.scanners.base import (
    ParsedFinding,
    ParsedScan,
    ScanFormatError,
    as_dict,
    build_scan,
    decode_text,
    make_finding,
    severity_from_word,
)

WHAT = "Dependabot alerts export"


def looks_like(data: bytes) -> bool:
    head = data[:8192]
    return head.lstrip()[:1] == b"[" and b'"security_advisory"' in head and b'"dependency"' in head


def parse(data: bytes) -> ParsedScan:
    alerts = _alerts(decode_text(data, WHAT))
    if alerts and not all(isinstance(a, dict) and "security_advisory" in a and "state" in a for a in alerts):
        raise ScanFormatError("This is not a Dependabot alerts export (items lack state / security_advisory).")
    findings: list[ParsedFinding] = []
    targets: list[str] = []
    for alert in alerts:
        target = _repository(alert)
        targets.append(target)
        if str(alert.get("state") or "").lower() != "open":
            continue
        findings.append(_finding(alert, target))
    return build_scan(format="dependabot", tool="Dependabot", performed_at=None, targets=targets, findings=findings)


def _alerts(text: str) -> list[Any]:
    """The alerts of one array, of ``--paginate``'s arrays back to back, or of ``--slurp``'s array of pages."""
    decoder = json.JSONDecoder()
    pages: list[Any] = []
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            break
        try:
            page, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise ScanFormatError(f"The file is not valid JSON (it may be cut short): line {exc.lineno}.")
        except RecursionError:
            raise ScanFormatError("The file's JSON is nested too deeply to read.")
        if not isinstance(page, list):
            raise ScanFormatError("This is not a Dependabot alerts export (expected a JSON array of alerts).")
        pages.append(page)
    alerts: list[Any] = []
    for page in pages:
        for item in page:
            alerts.extend(item if isinstance(item, list) else [item])
    return alerts


def _repository(alert: dict[str, Any]) -> str:
    repository = as_dict(alert.get("repository"))
    if repository.get("html_url"):
        return str(repository["html_url"]).strip()
    if repository.get("full_name"):
        return f"https://github.com/{str(repository['full_name']).strip()}"
    url = str(alert.get("html_url") or "")
    return url.split("/security/", 1)[0].strip() if "/security/" in url else ""


def _finding(alert: dict[str, Any], target: str) -> ParsedFinding:
    dependency = as_dict(alert.get("dependency"))
    package = as_dict(dependency.get("package"))
    advisory = as_dict(alert.get("security_advisory"))
    vulnerability = as_dict(alert.get("security_vulnerability"))
    name = str(package.get("name") or "")
    patched = as_dict(vulnerability.get("first_patched_version")).get("identifier")
    cve = advisory.get("cve_id")
    summary = advisory.get("summary") or advisory.get("ghsa_id") or "Dependabot alert"
    ecosystem = package.get("ecosystem")
    return make_finding(
        title=f"{summary} ({cve})" if cve else summary,
        reference=advisory.get("ghsa_id") or cve or f"dependabot-{alert.get('number')}",
        severity=severity_from_word(vulnerability.get("severity") or advisory.get("severity")),
        target=target,
        package=f"{ecosystem}:{name}" if ecosystem else name,
        location=dependency.get("manifest_path") or "",
        solution=f"Upgrade {name} to {patched} or later" if patched else "No patched version yet; see the advisory for workarounds",
    )
