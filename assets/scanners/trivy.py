"""Trivy JSON reports (``trivy image|fs|repo|config --format json``, SchemaVersion 2).

Schema: Trivy's ``pkg/types/report.go`` and docs "Reporting → JSON" (aquasecurity/trivy):
``{"SchemaVersion": 2, "CreatedAt", "ArtifactName", "ArtifactType", "Metadata", "Results": [{"Target",
"Class", "Type", "Vulnerabilities": [{VulnerabilityID, PkgName, InstalledVersion, FixedVersion,
Severity, Title}], "Misconfigurations": [{ID, AVDID, Title, Severity, Status, Resolution,
CauseMetadata.StartLine}], "Secrets": [{RuleID, Category, Severity, Title, StartLine, Match, Code}]}]}``.

The finding's target is the scanned artifact (``ArtifactName``: the image reference, directory or
repository, which inventory matches by tag); the result's ``Target`` (the lock file or config file;
for OS packages the OS family, e.g. "debian") is its location. Misconfigurations count only with Status FAIL. A secret's ``Match`` and ``Code``
hold the secret itself and are never read.
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
    parse_timestamp,
    severity_from_word,
)

WHAT = "Trivy JSON report"


def looks_like(data: bytes) -> bool:
    head = data[:4096]
    return b'"SchemaVersion"' in head and (b'"ArtifactName"' in head or b'"Results"' in head)


def parse(data: bytes) -> ParsedScan:
    document = load_json(data, WHAT)
    if not isinstance(document, dict) or "SchemaVersion" not in document or not isinstance(document.get("Results", []), list | None):
        raise ScanFormatError("This is not a Trivy JSON report (no SchemaVersion / Results). Export it with trivy --format json.")
    if document.get("SchemaVersion") != 2:
        raise ScanFormatError("Only Trivy JSON reports with SchemaVersion 2 (Trivy 0.20 or later) are supported.")
    artifact = str(document.get("ArtifactName") or "").strip()
    findings: list[ParsedFinding] = []
    for result in as_list(document.get("Results")):
        result = as_dict(result)
        where = str(result.get("Target") or "").strip()
        target = artifact or where
        if result.get("Class") == "os-pkgs" and result.get("Type"):
            # "image:tag (debian 12.5)" names the OS release, which changes on every base-image bump;
            # the family keeps a package's finding the same across releases
            where = str(result.get("Type"))
        findings.extend(_vulnerabilities(result, target, where))
        findings.extend(_misconfigurations(result, target, where))
        findings.extend(_secrets(result, target, where))
    return build_scan(
        format="trivy",
        tool="Trivy",
        tool_version=_version(document),
        performed_at=parse_timestamp(document.get("CreatedAt")),
        targets=[artifact] if artifact else [],
        findings=findings,
    )


def _version(document: dict[str, Any]) -> str:
    # Trivy ≥0.56 writes "Trivy": {"Version": …}; older reports do not say
    return str(as_dict(document.get("Trivy")).get("Version") or "")


def _vulnerabilities(result: dict[str, Any], target: str, where: str) -> list[ParsedFinding]:
    found = []
    for vuln in as_list(result.get("Vulnerabilities")):
        vuln = as_dict(vuln)
        reference = vuln.get("VulnerabilityID") or ""
        name, installed, fixed = vuln.get("PkgName") or "", vuln.get("InstalledVersion") or "", vuln.get("FixedVersion") or ""
        found.append(
            make_finding(
                title=vuln.get("Title") or f"{reference} in {name}",
                reference=reference,
                severity=severity_from_word(vuln.get("Severity")),
                target=target,
                package=f"{name} {installed}".strip(),
                location=where,
                solution=f"Upgrade {name} to {fixed}" if fixed else "",
            )
        )
    return found


def _misconfigurations(result: dict[str, Any], target: str, where: str) -> list[ParsedFinding]:
    found = []
    for check in as_list(result.get("Misconfigurations")):
        check = as_dict(check)
        if str(check.get("Status") or "").upper() != "FAIL":
            continue
        line = as_dict(check.get("CauseMetadata")).get("StartLine")
        found.append(
            make_finding(
                title=check.get("Title") or check.get("ID"),
                reference=check.get("AVDID") or check.get("ID") or "",
                severity=severity_from_word(check.get("Severity")),
                target=target,
                location=f"{where}:{line}" if line else where,
                solution=check.get("Resolution") or "",
            )
        )
    return found


def _secrets(result: dict[str, Any], target: str, where: str) -> list[ParsedFinding]:
    found = []
    for secret in as_list(result.get("Secrets")):
        secret = as_dict(secret)  # never Match / Code: they contain the secret
        line = secret.get("StartLine")
        found.append(
            make_finding(
                title=secret.get("Title") or f"Secret found ({secret.get('RuleID')})",
                reference=secret.get("RuleID") or "secret",
                severity=severity_from_word(secret.get("Severity")),
                target=target,
                location=f"{where}:{line}" if line else where,
                solution="Revoke and rotate the secret, then remove it from the image or repository.",
            )
        )
    return found
